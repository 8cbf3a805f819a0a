"""Background tasks of analytics (run by Huey; in-process when jobs run immediately). Every task of
the context lives here, so the worker (which imports each app's tasks module) knows them all:

- refresh_analytics_store: twice a minute, the store follows the database;
- evaluate_analytics_alerts: every minute, the alert rules when the store moved since;
- send_scheduled_reports: every hour, the saved reports due today, e-mailed per recipient."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

logger = logging.getLogger(__name__)

REFRESH_EVERY = 30  # seconds: the store is at most about this far (plus one refresh) behind
SEND_FROM_HOUR = 7  # local time: scheduled reports arrive before the working day starts


@db_periodic_task(crontab(minute="*"))
def refresh_analytics_store():
    """Every minute, and (through `refresh_analytics_store_again`) half a minute later: the
    analytics store follows the database (qudao.analytics.store.refresh). Huey's schedule counts
    in minutes, so the second refresh of each minute is queued with a delay. Refreshes never run
    two at a time (the store's writer lock), and readers never wait for them."""
    from .store import refresh

    result = refresh()
    refresh_analytics_store_again.schedule(delay=REFRESH_EVERY)
    return result.as_dict()


@db_task()
def refresh_analytics_store_again():
    from .store import refresh

    return refresh().as_dict()


@db_periodic_task(crontab(minute="*"))
def evaluate_analytics_alerts():
    """If the analytics store was refreshed since the last evaluation (its manifest's version
    moved), every active rule is evaluated (qudao.analytics.alerts.evaluate_after_refresh): alerts
    follow the data within about a minute."""
    from .alerts import evaluate_after_refresh

    outcome = evaluate_after_refresh()
    return None if outcome is None else outcome.__dict__


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
