"""Orders' cards on the portal's home page (qudao.partners.portal_home): this month's orders,
orders on their way with their tracking links, the available credit, and one tap to reorder.
Each reads the partner's own orders through the scoping rule (selectors.orders), set-based."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Sum
from django.utils import timezone

from qudao.core.workbench import day_bounds, month_start
from qudao.partners.portal_home import PortalCard, register_card
from qudao.pricing.selectors import currency_symbol

from . import selectors, services
from .models import OrderStatus, Shipment, ShipmentStatus

NOT_COUNTED = (OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.REJECTED)
ON_THE_WAY = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)
SHOWN_ON_THE_WAY = 5
SHOWN_TEMPLATES = 3


def _own_orders(request):
    """The partner's own orders (not its sub-dealers'), read through the scoping rule."""
    return selectors.orders(request.user).filter(partner=request.partner)


def month_figures(request, today) -> dict:
    """The orders the partner submitted this month (up to today), less the cancelled and rejected:
    how many, and their totals per currency (ROUND_HALF_UP to the cent on the page)."""
    start, end = day_bounds(month_start(today), today)
    rows = (
        _own_orders(request)
        .filter(submitted_at__gte=start, submitted_at__lt=end)
        .exclude(status__in=NOT_COUNTED)
        .order_by()
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("currency")
    )
    rows = list(rows)
    return {
        "count": sum(row["count"] for row in rows),
        "totals": [{"currency": row["currency"], "amount": row["total"]} for row in rows],
    }


def month_card(request) -> dict:
    return month_figures(request, timezone.localdate()) | {"month": timezone.localdate()}


def on_the_way_card(request) -> dict | None:
    """Orders shipped (in part or whole) and not yet delivered, newest first, each with its
    shipments still on the road and their tracking links; None when there are none."""
    orders = _own_orders(request).filter(status__in=ON_THE_WAY)
    count = orders.count()
    if not count:
        return None
    moving = Shipment.objects.exclude(status=ShipmentStatus.DELIVERED).order_by("shipped_at", "pk")
    shown = list(
        orders.prefetch_related(Prefetch("shipments", queryset=moving, to_attr="moving")).order_by(
            "-submitted_at", "-pk"
        )[:SHOWN_ON_THE_WAY]
    )
    return {"count": count, "orders": shown}


def credit_card(request) -> dict:
    credit = services.credit_of(request.partner)
    return {"credit": credit, "symbol": currency_symbol(credit.currency)}


def reorder_card(request) -> dict | None:
    """The partner's last order and up to three saved templates, each one tap from a quick order
    filled with their lines (the quick order's ?reorder= and ?template=); None for a user who may
    not order, or with nothing to reorder."""
    if not request.user.can("orders.place"):
        return None
    last = _own_orders(request).exclude(status=OrderStatus.DRAFT).order_by("-submitted_at", "-pk").first()
    templates = list(selectors.templates_of(request.partner)[:SHOWN_TEMPLATES])
    if last is None and not templates:
        return None
    return {"last": last, "templates": templates}


def register() -> None:
    register_card(PortalCard("orders.month", "orders/portal/home_month.html", month_card, order=10))
    register_card(PortalCard("orders.reorder", "orders/portal/home_reorder.html", reorder_card, order=15))
    register_card(PortalCard("orders.on_the_way", "orders/portal/home_on_the_way.html", on_the_way_card, order=30))
    register_card(PortalCard("orders.credit", "orders/portal/home_credit.html", credit_card, order=40))
