"""News of an order's moves for those it concerns (a background job, queued after commit)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from huey.contrib.djhuey import db_task

from qudao.core.notifications import notify

from .models import Order, OrderStatus


@db_task()
def send_status_news(order_id: int, status: str, reason: str = "") -> None:
    from .services import concerned_users

    order = Order.objects.select_related("partner__channel_manager", "partner__regional_owner").filter(pk=order_id)
    order = order.first()
    if order is None:
        return
    notify(
        concerned_users(order, status),
        kind=f"order.{status}",
        title=_("Order %(number)s: %(status)s"),
        body=_("%(partner)s, %(total)s %(currency)s. %(reason)s"),
        params={
            "number": order.number,
            "status": OrderStatus(status).label,
            "partner": str(order.partner),
            "total": f"{order.total:,.2f}",
            "currency": order.currency,
            "reason": reason,
        },
        url=f"/portal/orders/{order.number}/",
        email=True,
    )
