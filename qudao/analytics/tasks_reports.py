"""The report builder's periodic task: every morning, the weekly and monthly reports due today are
e-mailed as .xlsx, one run per recipient as that recipient (reports.send_scheduled_reports).
Imported by AnalyticsConfig.ready(), so the Huey worker registers it."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


SEND_FROM_HOUR = 7  # local time: reports arrive before the working day starts


@db_periodic_task(crontab(minute="5"))
def send_scheduled_reports():
    """Every hour (Huey's schedule counts in UTC): from 07:00 in the deployment's time zone, the
    reports due today. A report is sent once a day (last_sent_on), so later runs, and a worker
    restarted late, never send it twice."""
    from django.utils import timezone

    from .reports import send_scheduled_reports as send

    if timezone.localtime().hour < SEND_FROM_HOUR:
        return 0
    sent = send(timezone.localdate())
    logger.info("scheduled reports: %s e-mails sent", sent)
    return sent
