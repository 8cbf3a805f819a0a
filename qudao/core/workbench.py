"""The workbench (工作台) registries: what an HQ user sees first after logging in.

The page lives in analytics (qudao/analytics/views_workbench.py), but what it shows comes from
every context through three registries here in core, so that no lower context imports analytics:

- `register_todo(Todo(...))`: a count of things waiting for the user (approvals to decide, orders
  to confirm, payments to confirm, ...) with a link to the list page that shows exactly those;
  the count must be what that list shows when opened with the same filter.
- `register_kpi(Kpi(...))`: a KPI card for this month: its value, its change against last month
  and last year, a hint and an optional link.
- `register_chart(Chart(...))`: an Apache ECharts option (a dict) drawn by qudao/static/qudao/
  charts.js through the `{% chart %}` tag (core/templatetags/qudao_charts.py).

Each entry has a key (registering the same key again replaces it), an order (smaller first), and
`visible(user)`: the entry is computed and shown only for the users it answers True for (check
permissions there). Contexts register in their AppConfig.ready(); docs/workbench.md has examples.
Every function gets the user (and `today`, the user's local date) and must read through the
scoping rule, set-based: one or a few queries whatever the number of partners.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils import timezone


def _everyone(user) -> bool:
    return True


@dataclass(frozen=True)
class Todo:
    key: str
    label: object  # lazy translation
    # the list page showing these things: a URL name, or a function (user) -> URL with the filter
    url: str | Callable
    count: Callable  # (user) -> int
    visible: Callable = _everyone  # (user) -> bool
    order: int = 100

    def url_for(self, user) -> str:
        return self.url(user) if callable(self.url) else reverse(self.url)


class KpiFormat:
    COUNT = "count"  # a whole number
    MONEY = "money"  # a Decimal amount in `currency`
    PERCENT = "percent"  # a fraction (0.125 -> 12.5%)


@dataclass(frozen=True)
class KpiValue:
    value: Decimal | int | None
    format: str = KpiFormat.COUNT
    # relative changes as fractions (0.25: up a quarter); None when there is nothing to compare with
    change_month: Decimal | None = None
    change_year: Decimal | None = None
    hint: str = ""
    currency: str = ""
    url: str = ""  # where the figure comes from (a list page with its filter), if any


@dataclass(frozen=True)
class Kpi:
    key: str
    label: object
    compute: Callable  # (user, today: date) -> KpiValue | None (None: nothing to show)
    visible: Callable = _everyone
    order: int = 100


@dataclass(frozen=True)
class Chart:
    key: str
    title: object
    option: Callable  # (user, today: date) -> dict, an ECharts option (None: nothing to draw)
    visible: Callable = _everyone
    order: int = 100


_todos: dict[str, Todo] = {}
_kpis: dict[str, Kpi] = {}
_charts: dict[str, Chart] = {}


def register_todo(todo: Todo) -> None:
    _todos[todo.key] = todo


def register_kpi(kpi: Kpi) -> None:
    _kpis[kpi.key] = kpi


def register_chart(chart: Chart) -> None:
    _charts[chart.key] = chart


def _ordered(entries: dict):
    return sorted(entries.values(), key=lambda entry: (entry.order, entry.key))


def registered_todos() -> list[Todo]:
    return _ordered(_todos)


def registered_kpis() -> list[Kpi]:
    return _ordered(_kpis)


def registered_charts() -> list[Chart]:
    return _ordered(_charts)


def todos_for(user) -> list[dict]:
    """The to-dos `user` sees that have something waiting (count > 0), in order."""
    rows = []
    for todo in registered_todos():
        if not todo.visible(user):
            continue
        count = todo.count(user)
        if count:
            rows.append({"key": todo.key, "label": todo.label, "count": count, "url": todo.url_for(user)})
    return rows


def kpis_for(user, today: date) -> list[dict]:
    rows = []
    for kpi in registered_kpis():
        if not kpi.visible(user):
            continue
        value = kpi.compute(user, today)
        if value is not None:
            rows.append({"key": kpi.key, "label": kpi.label, "kpi": value})
    return rows


def charts_for(user, today: date) -> list[dict]:
    rows = []
    for chart in registered_charts():
        if not chart.visible(user):
            continue
        option = chart.option(user, today)
        if option:
            rows.append({"key": chart.key, "title": chart.title, "option": option})
    return rows


# --- helpers for the figures ------------------------------------------------------------------------

FRACTION_STEP = Decimal("0.0001")


def change(current, previous) -> Decimal | None:
    """The relative change from `previous` to `current` as a fraction rounded half up to 0.0001
    (4 -> 5: 0.25); None when there was nothing before (no base to compare with)."""
    if previous is None or current is None or Decimal(previous) == 0:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(FRACTION_STEP, rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    return day.replace(day=1)


def same_day_months_back(day: date, months: int) -> date:
    """`day` moved back `months` calendar months, on the last day of that month when it is shorter
    (31 March, one month back: 28 or 29 February)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_to_date_periods(today: date) -> dict[str, tuple[date, date]]:
    """The three periods a KPI of "this month" compares, each [first day, last day] inclusive:
    this month up to today, last month up to the same day, and the same days a year ago."""
    last_month = same_day_months_back(today, 1)
    last_year = same_day_months_back(today, 12)
    return {
        "this": (month_start(today), today),
        "month": (month_start(last_month), last_month),
        "year": (month_start(last_year), last_year),
    }


def day_bounds(first: date, last: date):
    """[start, end) aware datetimes of the local days `first` to `last` inclusive, to filter a
    timestamp column by range (an index serves it; `__date` would not)."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), zone)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), zone)
    return start, end
