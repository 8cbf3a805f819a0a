"""The brand's return on Qudao (FAQ ③ of the seed), month by month since go-live: how long an
order takes from submission to delivery, how many orders partners place themselves, how long a
statement waits for the partner's confirmation, and DSO.

Order cycle time and DSO are the semantic layer's metrics (`order_cycle_time`, `dso`). It has none
for the share of orders partners place themselves (the store does not keep the order's channel)
nor for statements, so those are computed here, set-based, from the transactional database: one
grouped query per figure, scoped to the caller's partners.
docs/dashboards.md says which is which.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.workbench import day_bounds

from . import semantic
from .dashboards import Column, Table, month_end, month_label

MAX_MONTHS = 36
TENTH = Decimal("0.1")
FRACTION = Decimal("0.0001")
SECONDS_PER_DAY = Decimal(86400)


def _days(duration) -> Decimal | None:
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / SECONDS_PER_DAY).quantize(TENTH, rounding=ROUND_HALF_UP)


def _key(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, date) and not hasattr(moment, "hour"):
        return f"{moment:%Y-%m}"
    return f"{timezone.localtime(moment) if timezone.is_aware(moment) else moment:%Y-%m}"


def go_live(user) -> date | None:
    """The first month of Qudao: settings.QUDAO_GO_LIVE (a date) if set, else the month of the
    first order submitted in the user's scope."""
    from qudao.orders.models import Order
    from qudao.partners.scoping import scope

    configured = getattr(settings, "QUDAO_GO_LIVE", None)
    if configured:
        return date.fromisoformat(str(configured)).replace(day=1)
    first = scope(Order.objects.exclude(submitted_at=None), user).order_by("submitted_at").values("submitted_at")[:1]
    first = list(first)
    return timezone.localtime(first[0]["submitted_at"]).date().replace(day=1) if first else None


def roi(user, today: date) -> Table:
    """One row per month from go-live (at most MAX_MONTHS back) to this month."""
    from qudao.finance.models import Statement
    from qudao.orders.models import ON_BEHALF_CHANNELS, Order
    from qudao.partners.scoping import scope

    last = month_end(today)
    first = go_live(user) or today.replace(day=1)
    index = last.year * 12 + last.month - 1 - (MAX_MONTHS - 1)
    first = min(max(first, date(index // 12, index % 12 + 1, 1)), last.replace(day=1))
    low, high = day_bounds(first, last)
    zone = timezone.get_current_timezone()

    orders = (
        scope(Order.objects.filter(submitted_at__gte=low, submitted_at__lt=high), user)
        .exclude(status__in=["draft", "cancelled", "rejected"])
        .annotate(month=TruncMonth("submitted_at", tzinfo=zone))
    )
    by_month = {
        _key(row["month"]): row
        for row in orders.values("month").annotate(
            total=Count("pk"), own=Count("pk", filter=~Q(channel__in=ON_BEHALF_CHANNELS))
        )
    }
    statements = (
        scope(Statement.objects.filter(issued_at__gte=low, issued_at__lt=high).exclude(confirmed_at=None), user)
        .annotate(month=TruncMonth("issued_at", tzinfo=zone))
        .annotate(took=ExpressionWrapper(F("confirmed_at") - F("issued_at"), output_field=DurationField()))
        .values("month")
        .annotate(average=Avg("took"))
    )
    statement_days = {_key(row["month"]): _days(row["average"]) for row in statements}
    # order cycle time and DSO: the semantic layer's (order cycle time by the month of receipt;
    # DSO = receivables at the month's end ÷ the month's net sales × its days)
    figures = semantic.query(user, ["order_cycle_time", "dso"], [], {}, first, last, "month")
    cycle_days = {row["month"]["key"]: row["order_cycle_time"] for row in figures.rows}
    dso = {row["month"]["key"]: row["dso"] for row in figures.rows}
    rows = []
    day = first
    while day <= last:
        key = f"{day:%Y-%m}"
        counts = by_month.get(key) or {"total": 0, "own": 0}
        own_share = (
            (Decimal(counts["own"]) / Decimal(counts["total"])).quantize(FRACTION, rounding=ROUND_HALF_UP)
            if counts["total"]
            else None
        )
        rows.append(
            {
                "month": key,
                "orders": counts["total"],
                "self_service_share": own_share,
                "cycle_days": cycle_days.get(key),
                "statement_days": statement_days.get(key),
                "dso": dso.get(key),
            }
        )
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    table = Table(
        "roi",
        _("Return on Qudao"),
        [
            Column("month", _("Month"), "month"),
            Column("orders", _("Orders"), "count"),
            Column("self_service_share", _("Placed by partners themselves"), "percent"),
            Column("cycle_days", _("Order cycle time (days)"), "days"),
            Column("statement_days", _("Days to confirm a statement"), "days"),
            Column("dso", _("DSO (days)"), "days"),
        ],
        rows,
    )
    labels = [month_label(row["month"]) for row in rows]

    def numbers(code):
        return [None if row[code] is None else float(row[code]) for row in rows]  # drawn only

    table.option = {
        "tooltip": {"trigger": "axis"},
        "legend": {
            "top": 0,
            "data": [str(_("Order cycle time (days)")), str(_("Days to confirm a statement")), str(_("DSO (days)"))],
        },
        "grid": {"left": 48, "right": 16, "top": 48, "bottom": 32},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": str(_("Order cycle time (days)")),
                "type": "line",
                "data": numbers("cycle_days"),
                "connectNulls": True,
            },
            {
                "name": str(_("Days to confirm a statement")),
                "type": "line",
                "data": numbers("statement_days"),
                "connectNulls": True,
            },
            {"name": str(_("DSO (days)")), "type": "line", "data": numbers("dso"), "connectNulls": True},
        ],
    }
    return table
