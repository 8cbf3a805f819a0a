"""Background and scheduled jobs of the core context."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from . import approvals, jobs, webhooks

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def reap_dead_jobs():
    """Every minute: running jobs whose worker stopped (lease expired, process gone) become
    failed, so they can be retried (see qudao.core.jobs)."""
    return jobs.reap_dead_jobs()


@on_startup()
def reap_dead_jobs_at_start():
    """A worker starting (after a crash or a restart of the machine) fails the jobs its
    predecessor left running whose lease has expired already."""
    from django.db import close_old_connections

    try:
        jobs.reap_dead_jobs()
    except Exception:  # the periodic run does it a minute later
        logger.exception("Could not check for jobs left running by a stopped worker")
    finally:
        close_old_connections()


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


@jobs.job_task("core.export")
def run_export(job_id):
    """Write a big list export (qudao.core.exports) to a file its creator downloads."""
    from .exports import run_export_job

    return run_export_job(job_id)
