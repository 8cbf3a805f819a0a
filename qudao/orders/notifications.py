"""News of an order's moves for those it concerns (run by the tasks
`qudao.orders.tasks.send_order_status_news` and `send_on_behalf_news`, queued after the move
commits)."""

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


def send_on_behalf_news(order_id: int, action: str, actor_id: int) -> None:
    """Tell the buyer's users that an HQ user placed ("placed") or changed ("changed") an order for
    them (代客下单), by whom, and that they may still change or cancel it until it is confirmed."""
    from qudao.accounts.models import User

    order = Order.objects.select_related("partner").filter(pk=order_id).first()
    actor = User.objects.filter(pk=actor_id).first()
    if order is None or actor is None:
        return
    buyers = User.objects.filter(
        is_active=True, partner_member__partner_id=order.partner_id, partner_member__is_active=True
    )
    if action == "placed":
        title = _("Order %(number)s was placed for you by %(user)s")
        body = _("%(partner)s, %(total)s %(currency)s. You may change or cancel it until it is confirmed.")
    else:
        title = _("Order %(number)s was changed for you by %(user)s")
        body = _("%(partner)s, now %(total)s %(currency)s. You may change or cancel it until it is confirmed.")
    notify(
        buyers,
        kind=f"order.{action}_for_you",
        title=title,
        body=body,
        params={
            "number": order.number,
            "user": str(actor),
            "partner": str(order.partner),
            "total": f"{order.total:,.2f}",
            "currency": order.currency,
        },
        url=f"/portal/orders/{order.number}/",
        email=True,
    )
