"""The alerts' periodic task (run by Huey). Not in tasks.py, which belongs to the store: the app's
ready() imports this module, so every process (the worker too, through django.setup()) knows it.

Every minute: if the analytics store was refreshed since the last evaluation (its manifest's
version moved), every active rule is evaluated (qudao.analytics.alerts.evaluate_after_refresh).
The store refreshes twice a minute, so alerts follow the data within about a minute."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def evaluate_analytics_alerts():
    from .alerts import evaluate_after_refresh

    outcome = evaluate_after_refresh()
    return None if outcome is None else outcome.__dict__
