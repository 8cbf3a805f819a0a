"""Orders' panels on the partner 360 page (registered in OrdersConfig.ready): the partner's recent
orders, returns and discrepancy cases with their counts, and its sales of the last twelve months as
a small bar chart drawn on the server (an inline SVG, the figures also in a table)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.panels import Panel, register_panel

RECENT = 5
# Orders that count as sales: placed and not called off.
NOT_SALES = ("draft", "cancelled", "rejected")
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 360, 120, 6


def _months_back(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the last `count` months, the oldest first, this month last."""
    year, month = today.year, today.month
    firsts = []
    for _index in range(count):
        firsts.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(firsts))


def sales_trend(partner, today: datetime.date | None = None) -> dict:
    """The partner's order totals by month of submission (local time) over the last 12 months, in
    its credit currency: one grouped query. Bars scaled to the largest month."""
    from .models import Order

    today = today or timezone.localdate()
    months = _months_back(today, 12)
    since = timezone.make_aware(datetime.datetime.combine(months[0], datetime.time.min))
    rows = (
        Order.objects.filter(partner=partner, submitted_at__gte=since, currency=partner.credit_currency)
        .exclude(status__in=NOT_SALES)
        .annotate(month=TruncMonth("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(total=Sum("total"), count=Count("pk"))
    )
    by_month = {}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        by_month[month.replace(day=1)] = (row["total"] or Decimal("0"), row["count"])
    largest = max((total for total, _count in by_month.values()), default=Decimal("0"))
    slot = CHART_WIDTH / len(months)
    bars = []
    for index, month in enumerate(months):
        total, count = by_month.get(month, (Decimal("0"), 0))
        # pixels, worked out in Decimal like the money they draw (half up, as everywhere)
        height = (
            int((total / largest * (CHART_HEIGHT - 20)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
            if largest > 0
            else 0
        )
        bars.append(
            {
                "month": month,
                "total": total,
                "orders": count,
                "x": round(index * slot + BAR_GAP / 2, 1),
                "width": round(slot - BAR_GAP, 1),
                "height": height,
                "y": CHART_HEIGHT - 14 - height,
                "label_x": round(index * slot + slot / 2, 1),
            }
        )
    return {
        "bars": bars,
        "currency": partner.credit_currency,
        "total": sum((bar["total"] for bar in bars), Decimal("0")),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_HEIGHT - 14,
    }


def orders_panel(request, partner) -> dict:
    from .models import DiscrepancyCase, Order, ReturnRequest

    orders = Order.objects.filter(partner=partner).exclude(status="draft")
    counts = orders.aggregate(all=Count("pk"), open=Count("pk", filter=~Q(status__in=("completed", *NOT_SALES))))
    returns = ReturnRequest.objects.filter(partner=partner)
    cases = DiscrepancyCase.objects.filter(order__partner=partner)
    return {
        "recent_orders": list(orders.order_by("-submitted_at", "-pk")[:RECENT]),
        "order_counts": counts,
        "recent_returns": list(returns.select_related("order").order_by("-created_at", "-pk")[:RECENT]),
        "return_counts": returns.aggregate(
            all=Count("pk"), open=Count("pk", filter=Q(status__in=("requested", "approved", "received")))
        ),
        "recent_cases": list(cases.select_related("order").order_by("-created_at", "-pk")[:RECENT]),
        "case_counts": cases.aggregate(all=Count("pk"), open=Count("pk", filter=Q(status="open"))),
        "trend": sales_trend(partner),
    }


def register() -> None:
    register_panel(
        "partner",
        Panel(
            "orders",
            _("Orders, returns and cases"),
            "orders/panels/orders.html",
            orders_panel,
            35,
            visible=lambda request, partner: request.user.can("orders.view"),
        ),
    )
