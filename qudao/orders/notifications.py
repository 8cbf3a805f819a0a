"""News of an order's moves for those it concerns (run by the task
`qudao.orders.tasks.send_order_status_news`, queued after the move commits)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qudao.core.notifications import notify

from .models import Order, OrderStatus


def send_status_news(order_id: int, status: str, reason: str = "") -> None:
    """In-app notifications (and e-mails) of the order's move to `status`, for those it concerns."""
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
