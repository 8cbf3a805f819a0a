"""Channel dashboards (docs/dashboards.md): the figures of every chart and table of
/analytics/dashboard/, /analytics/pivot/ and their drill-downs, each read through the semantic
layer (`semantic.query`), so the caller's scope applies (a regional manager sees its regions only)
and every figure is the one the report builder and the API give.

Each function answers a `Table`: its columns (code, label, kind), its rows (dicts) and, for the
charts, an ECharts option. The pages draw them, the exports (`EXPORTS`, core.exports) write the
same rows to .xlsx, and the tests check their exact figures.

Filters (`DashboardFilters`): a period of whole months, and a province, product line, tier,
partner type and owner. Growth compares the same months a year earlier.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.errors import FieldErrors

from . import semantic

MAX_MONTHS = 36  # the longest period a dashboard shows
RANKED = 10  # partners in the top and bottom lists
FRACTION = Decimal("0.0001")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CODE = re.compile(r"^[\w.-]{1,64}$")
NET_SALES = "net_sales"


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def year_before(day: date) -> date:
    """The same day a year earlier (29 February: the 28th)."""
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


def month_label(key: str) -> str:
    """ "2025-03" as people read it in the current language ("2025年3月", "March 2025")."""
    found = MONTH.match(key or "")
    if not found:
        return key or ""
    return formats.date_format(date(int(found[1]), int(found[2]), 1), "YEAR_MONTH_FORMAT")


def growth(current, previous) -> Decimal | None:
    """The change from `previous` to `current` as a fraction (None: nothing to compare with)."""
    if not previous:
        return None
    return ((Decimal(current or 0) - Decimal(previous)) / abs(Decimal(previous))).quantize(
        FRACTION, rounding=ROUND_HALF_UP
    )


def share(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) / Decimal(whole)).quantize(FRACTION, rounding=ROUND_HALF_UP)


# --- filters ---------------------------------------------------------------------------------------

FILTER_DIMENSIONS = {
    "province": "province",
    "line": "product_line",
    "tier": "tier",
    "type": "partner_type",
    "owner": "owner",
}


@dataclass(frozen=True)
class DashboardFilters:
    """The period [start, end] (whole months) and one value per narrowing filter ("" = all)."""

    start: date
    end: date
    province: str = ""
    line: str = ""
    tier: str = ""
    type: str = ""
    owner: str = ""

    def semantic(self, *, with_line: bool = True) -> dict:
        """The filters as the semantic layer takes them. `with_line=False` leaves the product line
        out, for figures that have no product (dormant partners)."""
        out = {}
        for name, dimension in FILTER_DIMENSIONS.items():
            value = getattr(self, name)
            if value and (with_line or name != "line"):
                out[dimension] = [value]
        return out

    def last_year(self) -> tuple[date, date]:
        return year_before(self.start), month_end(year_before(self.end))

    def params(self, **extra) -> dict:
        """The filters as a query string's parameters (for links and exports)."""
        out = {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}
        for name in FILTER_DIMENSIONS:
            if getattr(self, name):
                out[name] = getattr(self, name)
        out.update({key: value for key, value in extra.items() if value not in (None, "")})
        return out

    def query(self, **extra) -> str:
        return urlencode(self.params(**extra))


def default_filters(today: date) -> DashboardFilters:
    """This year, January to this month."""
    return DashboardFilters(start=date(today.year, 1, 1), end=month_end(today))


def _month(value: str, name: str, errors: FieldErrors) -> date | None:
    found = MONTH.match((value or "").strip())
    if not found or not (1 <= int(found[2]) <= 12) or not (2000 <= int(found[1]) <= 2100):
        errors.add(name, _("Give a month as YYYY-MM, e.g. 2025-03."))
        return None
    return date(int(found[1]), int(found[2]), 1)


def parse_filters(params, today: date) -> DashboardFilters:
    """The filters of a query string (a QueryDict or a dict of str).

    :raises FieldErrors: a malformed month, a period ending before it starts or longer than
        MAX_MONTHS, a filter value that is not a code.
    """
    default = default_filters(today)
    errors = FieldErrors()
    start, end = default.start, default.end
    if params.get("from"):
        start = _month(params.get("from"), "from", errors) or start
    if params.get("to"):
        end = _month(params.get("to"), "to", errors) or end
    end = month_end(end)
    if not errors.errors:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months < 1:
            errors.add("to", _("The last month is before the first."))
        elif months > MAX_MONTHS:
            errors.add("to", _("Choose at most %(n)s months.") % {"n": MAX_MONTHS})
    values = {}
    for name in FILTER_DIMENSIONS:
        value = (params.get(name) or "").strip()
        if value and not CODE.match(value):
            errors.add(name, _("Choose a value from the list."))
        values[name] = value
    if errors.errors:
        raise errors
    return DashboardFilters(start=start, end=end, **values)


# --- tables ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    code: str
    label: object
    kind: str = "text"  # text | money | percent | count | month


@dataclass
class Table:
    key: str
    title: object
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    option: dict | None = None  # the ECharts option of its chart, if it has one
    currency: str = "CNY"
    refused: str = ""  # why there are no rows: the semantic layer refused (too large for the filters)

    def lines(self) -> list[dict]:
        """The rows as the page shows them: {cells: one per column, the row's link on the first
        (`url`); orders_url: the partner's orders, if any}."""
        out = []
        for row in self.rows:
            cells = []
            for index, column in enumerate(self.columns):
                value = row.get(column.code)
                if column.kind == "month":
                    value = month_label(value)
                cells.append({"value": value, "kind": column.kind, "url": row.get("url") if index == 0 else ""})
            out.append({"cells": cells, "orders_url": row.get("orders_url", "")})
        return out


def safely(compute: Callable, key: str, title, *args) -> Table:
    """`compute(*args)`, or an empty table saying why when the semantic layer refuses the query
    (too many partners or cells for the filters): one section says so, the page still opens."""
    try:
        return compute(*args)
    except FieldErrors as refused:
        message = " ".join(str(text) for texts in refused.errors.values() for text in texts)
        return Table(key, title, [], refused=message)


def _money_number(value) -> float:
    """A money figure as a chart's number. ECharts draws JSON numbers; the exact Decimal stays in
    the table and the export (the chart tag serialises Decimal the same way)."""
    return float(value or 0)  # drawn only, never summed or stored


def _query(user, metrics, dimensions, filters, start, end, grain=None):
    return semantic.query(user, metrics, dimensions, filters, start, end, grain)


def _rows_by(result, dimension: str) -> dict[str, dict]:
    return {row[dimension]["key"]: row for row in result.rows}


def sales_by_month(user, filters: DashboardFilters) -> Table:
    """Net sales month by month, against the same month a year earlier."""
    this = _query(user, [NET_SALES], [], filters.semantic(), filters.start, filters.end, "month")
    ly_start, ly_end = filters.last_year()
    last = _rows_by(_query(user, [NET_SALES], [], filters.semantic(), ly_start, ly_end, "month"), "month")
    rows = []
    for row in this.rows:
        key = row["month"]["key"]
        previous = last.get(f"{int(key[:4]) - 1:04d}{key[4:]}", {}).get(NET_SALES) or Decimal("0.00")
        current = row[NET_SALES] or Decimal("0.00")
        rows.append({"month": key, "net_sales": current, "last_year": previous, "growth": growth(current, previous)})
    table = Table(
        "sales_by_month",
        _("Sales by month against last year"),
        [
            Column("month", _("Month"), "month"),
            Column("net_sales", _("Net sales"), "money"),
            Column("last_year", _("Last year"), "money"),
            Column("growth", _("Change"), "percent"),
        ],
        rows,
    )
    labels = [month_label(row["month"]) for row in rows]
    table.option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [str(_("Net sales")), str(_("Last year"))]},
        "grid": {"left": 64, "right": 16, "top": 40, "bottom": 32},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [
            {"name": str(_("Net sales")), "type": "bar", "data": [_money_number(r["net_sales"]) for r in rows]},
            {"name": str(_("Last year")), "type": "line", "data": [_money_number(r["last_year"]) for r in rows]},
        ],
    }
    return table


def regions(user, filters: DashboardFilters, province: str = "", city: str = "") -> Table:
    """Net sales by province; inside a province by city; inside a city by partner (the drill of
    the map). Rows carry the URL of the next level (a partner: its 360 page)."""
    narrowed = filters.semantic()
    if city:
        dimension, narrowed["city"] = "partner", [city]
    elif province:
        dimension, narrowed["province"] = "city", [province]
    else:
        dimension = "province"
    result = _query(user, [NET_SALES], [dimension], narrowed, filters.start, filters.end)
    total = sum((row[NET_SALES] or 0 for row in result.rows), Decimal("0.00"))
    rows = []
    for row in sorted(result.rows, key=lambda r: (-(r[NET_SALES] or 0), r[dimension]["key"] or "")):
        key = row[dimension]["key"]
        if key is None:
            continue
        rows.append(
            {
                "code": key,
                "name": row[dimension]["label"],
                "net_sales": row[NET_SALES],
                "share": share(row[NET_SALES], total),
            }
        )
    drill = reverse("analytics:dashboard_regions")
    if dimension == "partner":
        ids = _partner_ids(user, [row["code"] for row in rows])
        for row in rows:
            row["url"] = reverse("partners:detail", args=[ids[row["code"]]]) if row["code"] in ids else ""
            row["orders_url"] = reverse("orders:list") + "?" + urlencode({"q": row["code"]})
    else:
        for row in rows:
            extra = {"city": row["code"], "province": province} if dimension == "city" else {"province": row["code"]}
            row["url"] = drill + "?" + filters.query(**extra)
    labels = {"province": _("Province"), "city": _("City"), "partner": _("Partner")}
    table = Table(
        "regions",
        _("Sales by region"),
        [
            Column("name", labels[dimension]),
            Column("code", _("Code")),
            Column("net_sales", _("Net sales"), "money"),
            Column("share", _("Share"), "percent"),
        ],
        rows,
    )
    # the map (dashboards.js draws it over the GeoJSON of China or of the province, by code)
    table.option = {
        "map": "china" if dimension == "province" else (province or ""),
        "level": dimension,
        "data": [
            {"code": r["code"], "name": r["name"], "value": _money_number(r["net_sales"]), "url": r["url"]}
            for r in rows
        ],
        "title": str(_("Net sales")),
    }
    return table


def _partner_ids(user, codes: list[str]) -> dict[str, int]:
    """Partner ids by code, within the user's scope (one query)."""
    from qudao.partners.models import Partner
    from qudao.partners.scoping import scope

    if not codes:
        return {}
    return dict(scope(Partner.objects.filter(code__in=codes), user, "").values_list("code", "pk"))


def _share_table(user, filters: DashboardFilters, key, title, dimension, label, chart: str) -> Table:
    result = _query(user, [NET_SALES], [dimension], filters.semantic(), filters.start, filters.end)
    total = sum((row[NET_SALES] or 0 for row in result.rows), Decimal("0.00"))
    rows = [
        {
            "code": row[dimension]["key"] or "",
            "name": row[dimension]["label"] or str(_("(none)")),
            "net_sales": row[NET_SALES],
            "share": share(row[NET_SALES], total),
        }
        for row in sorted(result.rows, key=lambda r: (-(r[NET_SALES] or 0), r[dimension]["key"] or ""))
    ]
    table = Table(
        key,
        title,
        [Column("name", label), Column("net_sales", _("Net sales"), "money"), Column("share", _("Share"), "percent")],
        rows,
    )
    data = [{"name": r["name"], "value": _money_number(r["net_sales"])} for r in rows]
    if chart == "pie":
        series = {"type": "pie", "radius": ["40%", "70%"], "data": data, "name": str(_("Net sales"))}
        table.option = {"tooltip": {"trigger": "item"}, "legend": {"bottom": 0}, "series": [series]}
    else:
        table.option = {
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 64, "right": 16, "top": 16, "bottom": 32},
            "xAxis": {"type": "category", "data": [d["name"] for d in data]},
            "yAxis": {"type": "value"},
            "series": [{"type": "bar", "name": str(_("Net sales")), "data": [d["value"] for d in data]}],
        }
    return table


def line_mix(user, filters: DashboardFilters) -> Table:
    return _share_table(user, filters, "line_mix", _("Product-line mix"), "product_line", _("Product line"), "pie")


def tier_contribution(user, filters: DashboardFilters) -> Table:
    return _share_table(
        user, filters, "tiers", _("Contribution by tier"), "tier", pgettext_lazy("partner tier", "Tier"), "bar"
    )


def partner_ranking(user, filters: DashboardFilters) -> Table:
    """Every partner with sales in the period or the same months a year earlier, by net sales
    (highest first), with its growth. `top_and_bottom` cuts it to the lists the page shows."""
    this = _rows_by(_query(user, [NET_SALES], ["partner"], filters.semantic(), filters.start, filters.end), "partner")
    ly_start, ly_end = filters.last_year()
    last = _rows_by(_query(user, [NET_SALES], ["partner"], filters.semantic(), ly_start, ly_end), "partner")
    rows = []
    for code in set(this) | set(last):
        if code is None:
            continue
        current = (this.get(code) or {}).get(NET_SALES) or Decimal("0.00")
        previous = (last.get(code) or {}).get(NET_SALES) or Decimal("0.00")
        name = ((this.get(code) or last.get(code))["partner"]["label"]) or code
        rows.append(
            {
                "code": code,
                "name": name,
                "net_sales": current,
                "last_year": previous,
                "growth": growth(current, previous),
            }
        )
    rows.sort(key=lambda r: (-r["net_sales"], r["code"]))
    ids = _partner_ids(user, [row["code"] for row in rows])
    for row in rows:
        row["url"] = reverse("partners:detail", args=[ids[row["code"]]]) if row["code"] in ids else ""
    return Table(
        "partners",
        _("Partners by net sales"),
        [
            Column("name", _("Partner")),
            Column("code", _("Code")),
            Column("net_sales", _("Net sales"), "money"),
            Column("last_year", _("Last year"), "money"),
            Column("growth", _("Growth"), "percent"),
        ],
        rows,
    )


def top_and_bottom(ranking: Table, n: int = RANKED) -> tuple[Table, Table]:
    top = replace(ranking, key="top_partners", title=_("Top partners"), rows=ranking.rows[:n])
    bottom_rows = list(reversed(ranking.rows))[:n]
    bottom = replace(ranking, key="bottom_partners", title=_("Bottom partners"), rows=bottom_rows)
    return top, bottom


def dormant(user, filters: DashboardFilters, today: date) -> Table:
    """Partners dormant at the end of the period (or today, if sooner): active, bought before,
    nothing shipped in the last 90 days (the semantic layer's `dormant_partners`). Product lines
    do not narrow it: dormancy is about the partner, not a line."""
    end = min(filters.end, today)
    start = min(filters.start, end)
    result = _query(user, ["dormant_partners"], ["partner", "province"], filters.semantic(with_line=False), start, end)
    rows = [
        {"code": row["partner"]["key"], "name": row["partner"]["label"], "province": row["province"]["label"]}
        for row in result.rows
        if row["dormant_partners"]
    ]
    rows.sort(key=lambda r: r["code"])
    ids = _partner_ids(user, [row["code"] for row in rows])
    for row in rows:
        row["url"] = reverse("partners:detail", args=[ids[row["code"]]]) if row["code"] in ids else ""
    return Table(
        "dormant",
        _("Dormant partner list"),
        [Column("name", _("Partner")), Column("code", _("Code")), Column("province", _("Province"))],
        rows,
    )


# --- attainment: a slot until targets exist ------------------------------------------------------

# Attainment (目标达成率) of regions and partners needs targets, which another part of issue 12
# builds. When it lands, it registers a provider here: (user, filters) -> Table with the columns
# name, target, net_sales, attainment (percent); the dashboard then shows it. Until then the page
# says it is not available yet (docs/dashboards.md, "Attainment").
ATTAINMENT_PROVIDERS: list[Callable] = []


def register_attainment(provider: Callable) -> None:
    ATTAINMENT_PROVIDERS[:] = [provider]


def attainment(user, filters: DashboardFilters) -> Table | None:
    return ATTAINMENT_PROVIDERS[0](user, filters) if ATTAINMENT_PROVIDERS else None


# --- the pivot -------------------------------------------------------------------------------------


def months_of(start: date, end: date) -> list[str]:
    keys, day = [], start.replace(day=1)
    while day <= end:
        keys.append(f"{day:%Y-%m}")
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return keys


@dataclass
class Pivot:
    months: list[str]
    rows: list[dict]  # {province: {key,label}, line: {key,label}, cells: [{value, url}], total}
    totals: list  # per month
    total: Decimal
    table: Table  # the same figures long-form (province, line, month, net sales), for the export


def pivot(user, filters: DashboardFilters) -> Pivot:
    """Net sales by province × product line × month; every cell links to the partners behind it."""
    result = _query(
        user, [NET_SALES], ["province", "product_line", "month"], filters.semantic(), filters.start, filters.end
    )
    months = months_of(filters.start, filters.end)
    position = {key: index for index, key in enumerate(months)}
    grouped: dict[tuple, dict] = {}
    long_rows = []
    cell_url = reverse("analytics:pivot_cell")
    for row in result.rows:
        province, line, month = row["province"], row["product_line"], row["month"]["key"]
        value = row[NET_SALES] or Decimal("0.00")
        key = (province["key"] or "", line["key"] or "")
        entry = grouped.setdefault(
            key, {"province": province, "line": line, "cells": [None] * len(months), "total": Decimal("0.00")}
        )
        if month in position:
            entry["cells"][position[month]] = {
                "value": value,
                "url": cell_url + "?" + filters.query(province=key[0], line=key[1], month=month),
            }
            entry["total"] += value
        long_rows.append({"province": province["label"], "line": line["label"], "month": month, "net_sales": value})
    rows = [grouped[key] for key in sorted(grouped)]
    totals = [sum((r["cells"][i]["value"] for r in rows if r["cells"][i]), Decimal("0.00")) for i in range(len(months))]
    long_rows.sort(key=lambda r: (r["province"], r["line"], r["month"]))
    table = Table(
        "pivot",
        _("Pivot: region × product line × month"),
        [
            Column("province", _("Province")),
            Column("line", _("Product line")),
            Column("month", _("Month"), "month"),
            Column("net_sales", _("Net sales"), "money"),
        ],
        long_rows,
    )
    return Pivot(months, rows, totals, sum(totals, Decimal("0.00")), table)


def pivot_cell(user, filters: DashboardFilters, province: str, line: str, month: str) -> Table:
    """The partners behind one cell of the pivot, each with a link to its orders."""
    found = MONTH.match(month or "")
    if not found or not (1 <= int(found[2]) <= 12):
        raise FieldErrors.single("month", _("Give a month as YYYY-MM, e.g. 2025-03."))
    first = date(int(found[1]), int(found[2]), 1)
    narrowed = filters.semantic()
    for name, value in (("province", province), ("product_line", line)):
        if value:
            if not CODE.match(value):
                raise FieldErrors.single(name, _("Choose a value from the list."))
            narrowed[name] = [value]
    result = _query(user, [NET_SALES], ["partner"], narrowed, first, month_end(first))
    rows = [
        {"code": row["partner"]["key"], "name": row["partner"]["label"], "net_sales": row[NET_SALES]}
        for row in result.rows
        if row["partner"]["key"] is not None
    ]
    rows.sort(key=lambda r: (-(r["net_sales"] or 0), r["code"]))
    ids = _partner_ids(user, [row["code"] for row in rows])
    for row in rows:
        row["url"] = reverse("partners:detail", args=[ids[row["code"]]]) if row["code"] in ids else ""
        row["orders_url"] = reverse("orders:list") + "?" + urlencode({"q": row["code"]})
    return Table(
        "pivot_cell",
        _("Partners behind the cell"),
        [Column("name", _("Partner")), Column("code", _("Code")), Column("net_sales", _("Net sales"), "money")],
        rows,
    )
