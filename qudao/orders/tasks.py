"""Scheduled jobs of the orders context (run by Huey's periodic scheduler in the job worker)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="7"))
def auto_confirm_deliveries():
    """Every hour: orders shipped more than QUDAO_ORDER_AUTO_CONFIRM_DAYS days ago and not yet
    confirmed by the partner become delivered (by the system)."""
    from .shipping import auto_confirm_deliveries as run

    return run()
