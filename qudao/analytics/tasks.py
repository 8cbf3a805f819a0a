"""Background tasks of analytics (run by Huey; in-process when jobs run immediately)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

logger = logging.getLogger(__name__)

REFRESH_EVERY = 30  # seconds: the store is at most about this far (plus one refresh) behind


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
