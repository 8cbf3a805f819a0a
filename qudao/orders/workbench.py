"""Orders on the workbench (qudao.core.workbench): the to-do "orders to confirm", the KPI "active
partners this month" and the chart "orders per day, last 30 days", each read through the scoping
rule (selectors.orders), set-based."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core.workbench import (
    Chart,
    Kpi,
    KpiFormat,
    KpiValue,
    Todo,
    change,
    day_bounds,
    month_to_date_periods,
    register_chart,
    register_kpi,
    register_todo,
)

from . import selectors
from .models import OrderStatus

CHART_DAYS = 30


def orders_to_confirm(user) -> int:
    """Submitted orders waiting for operations' confirmation: exactly the order list filtered by
    the status "submitted"."""
    return selectors.order_list(user, status=OrderStatus.SUBMITTED).count()


def active_partners(user, first, last) -> int:
    """Partners in the user's scope that submitted at least one order on the local days first..last."""
    start, end = day_bounds(first, last)
    placed = selectors.orders(user).filter(submitted_at__gte=start, submitted_at__lt=end)
    return placed.values("partner_id").distinct().count()


def active_partners_kpi(user, today) -> KpiValue:
    periods = month_to_date_periods(today)
    current = active_partners(user, *periods["this"])
    last_month = active_partners(user, *periods["month"])
    last_year = active_partners(user, *periods["year"])
    return KpiValue(
        current,
        KpiFormat.COUNT,
        change(current, last_month),
        change(current, last_year),
        hint=gettext(
            "Partners that placed an order this month (last month: %(month)d, a year ago: %(year)d, same days)."
        )
        % {"month": last_month, "year": last_year},
    )


def orders_per_day(user, today) -> list[tuple]:
    """(local day, orders submitted that day) for the CHART_DAYS days ending today, zeros included."""
    first = today - timedelta(days=CHART_DAYS - 1)
    start, end = day_bounds(first, today)
    rows = (
        selectors.orders(user)
        .filter(submitted_at__gte=start, submitted_at__lt=end)
        .annotate(day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {row["day"]: row["count"] for row in rows}
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(CHART_DAYS)]


def orders_per_day_option(user, today) -> dict:
    days = orders_per_day(user, today)
    return {
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 32},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [day.strftime("%m-%d") for day, _count in days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": gettext("Orders"), "type": "bar", "data": [count for _day, count in days]}],
    }


def register() -> None:
    register_todo(
        Todo(
            "orders.to_confirm",
            _("Orders to confirm"),
            lambda user: reverse("orders:list") + "?status=" + OrderStatus.SUBMITTED,
            orders_to_confirm,
            visible=lambda user: user.can("orders.manage"),
            order=20,
        )
    )
    register_kpi(
        Kpi(
            "orders.active_partners",
            _("Active partners"),
            active_partners_kpi,
            visible=lambda user: user.can("orders.view"),
            order=50,
        )
    )
    register_chart(
        Chart(
            "orders.per_day",
            _("Orders per day, last 30 days"),
            orders_per_day_option,
            visible=lambda user: user.can("orders.view"),
            order=10,
        )
    )
