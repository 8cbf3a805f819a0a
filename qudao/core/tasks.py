"""Scheduled jobs of the core context."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import approvals


@db_periodic_task(crontab(minute="*/15"))
def remind_pending_approvals():
    return approvals.send_reminders()
