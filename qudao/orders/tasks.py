"""Background and scheduled jobs of the orders context (run by the job worker; in-process when
QUDAO_JOBS_IMMEDIATE). Every task is defined here: the worker imports only `<app>.tasks`."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def send_order_status_news(order_id: int, status: str, reason: str = ""):
    """Tell those an order's move concerns (queued when the move commits; see notifications)."""
    from .notifications import send_status_news

    send_status_news(order_id, status, reason)


@db_task()
def send_on_behalf_news(order_id: int, action: str, actor_id: int):
    """Tell the buyer's users that HQ placed or changed an order for them (see notifications)."""
    from .notifications import send_on_behalf_news as send

    send(order_id, action, actor_id)


@db_periodic_task(crontab(minute="7"))
def auto_confirm_deliveries():
    """Every hour: orders shipped more than QUDAO_ORDER_AUTO_CONFIRM_DAYS days ago and not yet
    confirmed by the partner become delivered (by the system)."""
    from .shipping import auto_confirm_deliveries as run

    return run()
