"""Scheduled jobs of the core context."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import approvals, webhooks


@db_periodic_task(crontab(minute="*/15"))
def remind_pending_approvals():
    return approvals.send_reminders()


@db_periodic_task(crontab(minute="*"))
def deliver_webhooks():
    """Every minute, then every few seconds while deliveries are due within the minute (retries
    after a backoff); returns at once when nothing is due. New events do not wait for it: their
    publication starts `deliver_webhooks_now` when the transaction commits."""
    webhooks.run_dispatcher(seconds=50, poll_seconds=5)


@db_task()
def deliver_webhooks_now():
    webhooks.dispatch()
