"""The semantic layer: every metric and dimension defined once (name, how it is computed over the
analytics store, its format, who may see it), and `query()`, the one way dashboards, the report
builder, alerts, exports and the API read figures.

- A base metric aggregates a relation of the store (`source`: SQL with the columns day,
  partner_id, sign, v and, where the facts have them, sku_id, warehouse_id, promotion): `sum` of
  v, or `live` - the number of distinct `count` values whose signed rows still add up to more
  than zero (orders not cancelled, partners that bought). A balance metric (receivables,
  overdue, dormant partners) is taken at the end of each time bucket: its source reads the table
  `bucket_ends(end_day)` and dates its rows by it.
- A derived metric computes from other metrics of the same row (average order value, rates).
- Every fact is attributed to the partner's tier, region, type, owner and parent as they were on
  the fact's day (the `partner_history` intervals), so figures are history-correct.
- Scope: the caller's visible partners (qudao.partners.scoping) restrict every relation; a metric
  the caller's roles may not see is refused (Forbidden, 403), as is a query too large (422).
Money comes back as Decimal rounded half up to the cent; ratios as fractions to 4 places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.errors import FieldErrors, Forbidden, NotFound

MAX_ROWS = 5000  # groups a query may answer
MAX_METRICS = 30
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
MAX_CELLS = 50_000  # groups × metrics
MAX_DAYS_AT_DAY_GRAIN = 366
MAX_RANGE_DAYS = 3660  # ten years
MAX_FILTER_VALUES = 500
DORMANT_DAYS = 90

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Metric:
    code: str
    label: object  # lazy translation
    description: object
    format: str  # money | count | ratio | days
    source: str = ""  # SQL relation (base metrics)
    aggregate: str = "sum"  # sum | live
    count: str = ""  # the column a `live` metric counts
    needs: frozenset = frozenset()  # optional fact columns the source has: sku, warehouse, promotion
    balance: bool = False  # taken at the end of each bucket
    derive: Callable | None = None  # derived: f(values by metric code) -> value
    inputs: tuple[str, ...] = ()  # the metrics a derived metric reads
    permission: str = "analytics.view"
    public: bool = True  # False: a building block, not offered on its own


@dataclass(frozen=True)
class Dimension:
    code: str
    label: object
    key: str  # SQL of the value filters and keys use (a code)
    name: str = ""  # SQL of the name people read ("" = the key)
    needs: str = ""  # the fact column it needs: sku, warehouse, promotion ("" = every fact has it)
    grain: bool = False  # a time grain
    translate: Callable | None = None  # maps a key to a label in Python (enums, macro regions)


# --- relations of the store ------------------------------------------------------------------------

_SALES_COLUMNS = "day, partner_id, sign, sku_id, promotion, NULL::BIGINT AS warehouse_id"
SHIPPED = "SELECT day, partner_id, sign, sku_id, promotion, warehouse_id, {v} AS v FROM shipments WHERE {w}"
RETURNED = f"SELECT {_SALES_COLUMNS}, {{v}} AS v FROM returns WHERE {{w}}"
ORDERED = f"SELECT {_SALES_COLUMNS}, order_id, {{v}} AS v FROM orders WHERE {{w}}"
_NO_PRODUCT = "NULL::BIGINT AS sku_id, NULL::VARCHAR AS promotion, NULL::BIGINT AS warehouse_id"

LIVE_INVOICES = (
    "SELECT key AS invoice_id, partner_id, day, due_on, SUM(sign * amount) AS amount FROM invoices "
    "GROUP BY ALL HAVING SUM(sign) > 0"
)
OUTSTANDING = f"""
SELECT b.end_day AS day, i.partner_id, 1 AS sign, {_NO_PRODUCT},
       i.amount - COALESCE((SELECT SUM(a.sign * a.amount) FROM allocations a
                            WHERE a.invoice_id = i.invoice_id AND a.day <= b.end_day), 0) AS v
FROM bucket_ends b JOIN ({LIVE_INVOICES}) i ON i.day <= b.end_day {{overdue}}
"""
DORMANT = f"""
SELECT b.end_day AS day, p.partner_id, 1 AS sign, {_NO_PRODUCT}, 1 AS v
FROM bucket_ends b CROSS JOIN partners p
WHERE p.status = 'active'
  AND EXISTS (SELECT 1 FROM shipments s WHERE s.partner_id = p.partner_id AND NOT s.gift
              AND s.day <= b.end_day - {DORMANT_DAYS} GROUP BY s.key HAVING SUM(s.sign) > 0)
  AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.partner_id = p.partner_id AND NOT s.gift
                  AND s.day > b.end_day - {DORMANT_DAYS} AND s.day <= b.end_day
                  GROUP BY s.key HAVING SUM(s.sign) > 0)
"""


def _ratio(top: str, bottom: str):
    def compute(values):
        a, b = values.get(top), values.get(bottom)
        if a is None or not b:
            return None
        return Decimal(a) / Decimal(b)

    return compute


def _difference(left: str, right: str):
    def compute(values):
        return (values.get(left) or 0) - (values.get(right) or 0)

    return compute


PRODUCT = frozenset({"sku", "promotion"})
METRICS_LIST = [
    Metric(
        "shipped_sales",
        _("Shipped sales"),
        _("Shipped units × net unit price after discounts, gifts aside, before returns."),
        "money",
        SHIPPED.format(v="sign * net_amount", w="NOT gift"),
        needs=PRODUCT | {"warehouse"},
        public=False,
    ),
    Metric(
        "gross_sales",
        _("Gross sales"),
        _("Shipped units × list price, gifts aside."),
        "money",
        SHIPPED.format(v="sign * gross_amount", w="NOT gift"),
        needs=PRODUCT | {"warehouse"},
    ),
    Metric(
        "returns",
        pgettext_lazy("metric", "Returns"),
        _("Credit notes for returned goods, by the credit note's date."),
        "money",
        RETURNED.format(v="sign * amount", w="NOT gift"),
        needs=PRODUCT,
    ),
    Metric(
        "net_sales",
        _("Net sales"),
        _("Shipped sales after discounts, less returns (the rebate basis 'net sales shipped')."),
        "money",
        derive=_difference("shipped_sales", "returns"),
        inputs=("shipped_sales", "returns"),
    ),
    Metric(
        "discounts",
        _("Discounts"),
        _("Gross sales less shipped sales after discounts."),
        "money",
        derive=_difference("gross_sales", "shipped_sales"),
        inputs=("gross_sales", "shipped_sales"),
    ),
    Metric(
        "shipped_units",
        _("Shipped units"),
        _("Units shipped, gifts aside."),
        "count",
        SHIPPED.format(v="sign * units", w="NOT gift"),
        needs=PRODUCT | {"warehouse"},
        public=False,
    ),
    Metric(
        "returned_units",
        _("Returned units"),
        _("Units credited back, gifts aside."),
        "count",
        RETURNED.format(v="sign * units", w="NOT gift"),
        needs=PRODUCT,
        public=False,
    ),
    Metric(
        "units",
        pgettext_lazy("metric", "Units"),
        _("Units shipped less units returned, gifts aside."),
        "count",
        derive=_difference("shipped_units", "returned_units"),
        inputs=("shipped_units", "returned_units"),
    ),
    Metric(
        "orders",
        pgettext_lazy("metric", "Orders"),
        _("Orders submitted in the period, cancelled and rejected ones aside."),
        "count",
        ORDERED.format(v="sign", w="true"),
        aggregate="live",
        count="order_id",
        needs=PRODUCT,
    ),
    Metric(
        "order_value",
        _("Order value"),
        _("The net value of the orders submitted in the period."),
        "money",
        ORDERED.format(v="sign * net_amount", w="true"),
        needs=PRODUCT,
        public=False,
    ),
    Metric(
        "average_order_value",
        _("Average order value"),
        _("Order value divided by the number of orders."),
        "money",
        derive=_ratio("order_value", "orders"),
        inputs=("order_value", "orders"),
    ),
    Metric(
        "return_rate",
        _("Return rate"),
        _("Returns as a share of shipped sales."),
        "ratio",
        derive=_ratio("returns", "shipped_sales"),
        inputs=("returns", "shipped_sales"),
    ),
    Metric(
        "price_realisation",
        _("Price realisation"),
        _("Shipped sales after discounts as a share of their list value."),
        "ratio",
        derive=_ratio("shipped_sales", "gross_sales"),
        inputs=("shipped_sales", "gross_sales"),
    ),
    Metric(
        "payments_collected",
        _("Payments collected"),
        _("Confirmed payments by the day the money arrived; reversed ones aside."),
        "money",
        f"SELECT day, partner_id, sign, {_NO_PRODUCT}, sign * amount AS v FROM payments",
    ),
    Metric(
        "receivables",
        pgettext_lazy("metric", "Receivables"),
        _("What partners owe at the end of each period: receivables issued, void ones aside, less what settled them."),
        "money",
        OUTSTANDING.format(overdue=""),
        balance=True,
    ),
    Metric(
        "overdue",
        pgettext_lazy("metric", "Overdue"),
        _("The part of the receivables past their due date at the end of each period."),
        "money",
        OUTSTANDING.format(overdue="AND i.due_on < b.end_day"),
        balance=True,
    ),
    Metric(
        "cost_of_sales",
        _("Cost of sales"),
        _("Cost price × units shipped (gifts included), less the cost of returned goods."),
        "money",
        "SELECT day, partner_id, sign, sku_id, promotion, warehouse_id, sign * COALESCE(cost_amount, 0) AS v "
        "FROM shipments UNION ALL "
        f"SELECT {_SALES_COLUMNS}, -sign * COALESCE(cost_amount, 0) AS v FROM returns",
        needs=PRODUCT,
        permission="analytics.view_cost",
        public=False,
    ),
    Metric(
        "gross_margin",
        _("Gross margin"),
        _("Net sales less the cost of sales (cost prices as they are now)."),
        "money",
        derive=_difference("net_sales", "cost_of_sales"),
        inputs=("net_sales", "cost_of_sales"),
        permission="analytics.view_cost",
    ),
    Metric(
        "gross_margin_rate",
        _("Gross margin rate"),
        _("Gross margin as a share of net sales."),
        "ratio",
        derive=_ratio("gross_margin", "net_sales"),
        inputs=("gross_margin", "net_sales"),
        permission="analytics.view_cost",
    ),
    Metric(
        "rebates_posted",
        _("Rebates posted"),
        _("Rebates posted to partners' rebate funds, by the day they were posted."),
        "money",
        f"SELECT day, partner_id, sign, {_NO_PRODUCT}, sign * amount AS v FROM rebates_posted",
    ),
    Metric(
        "rebates_accrued",
        _("Rebates accrued"),
        _(
            "What partners' live progress earns so far under each policy's tiers, for the periods that "
            "start in the range (conditions such as a focus share aside)."
        ),
        "money",
        f"SELECT day, partner_id, sign, {_NO_PRODUCT}, sign * amount AS v FROM rebates_accrued",
    ),
    Metric(
        "rebate_share",
        _("Rebate share of sales"),
        _("Rebates posted as a share of net sales."),
        "ratio",
        derive=_ratio("rebates_posted", "net_sales"),
        inputs=("rebates_posted", "net_sales"),
    ),
    Metric(
        "ordered_units",
        _("Ordered units"),
        _("Units ordered, gifts aside."),
        "count",
        ORDERED.format(v="sign * units", w="NOT gift"),
        needs=PRODUCT,
        public=False,
    ),
    Metric(
        "units_on_time",
        _("Units shipped on time"),
        _("Ordered units shipped within seven days of the order's submission, gifts aside."),
        "count",
        ORDERED.format(v="sign * units_on_time", w="NOT gift"),
        needs=PRODUCT,
        public=False,
    ),
    Metric(
        "fill_rate",
        _("Fill rate"),
        _("The share of the units ordered in the period that shipped within seven days of the order."),
        "ratio",
        derive=_ratio("units_on_time", "ordered_units"),
        inputs=("units_on_time", "ordered_units"),
    ),
    Metric(
        "dso",
        _("Days sales outstanding"),
        _("Receivables at the end of the period ÷ net sales of the period × its days."),
        "days",
        derive=lambda values: (
            Decimal(values["receivables"]) / Decimal(values["net_sales"]) * values["_days"]
            if values.get("net_sales") and values["net_sales"] > 0
            else None
        ),
        inputs=("receivables", "net_sales"),
    ),
    Metric(
        "delivered_orders",
        _("Delivered orders"),
        _("Orders received by the partner in the period."),
        "count",
        f"SELECT day, partner_id, sign, {_NO_PRODUCT}, sign AS v FROM deliveries",
        public=False,
    ),
    Metric(
        "cycle_days_total",
        _("Order cycle days"),
        _("Days from submission to receipt, summed over the orders received."),
        "days",
        f"SELECT day, partner_id, sign, {_NO_PRODUCT}, sign * cycle_days AS v FROM deliveries",
        public=False,
    ),
    Metric(
        "order_cycle_time",
        _("Order cycle time"),
        _("Average days from an order's submission to its receipt, for the orders received in the period."),
        "days",
        derive=_ratio("cycle_days_total", "delivered_orders"),
        inputs=("cycle_days_total", "delivered_orders"),
    ),
    Metric(
        "active_partners",
        _("Active partners"),
        _("Partners with goods shipped in the period."),
        "count",
        SHIPPED.format(v="sign", w="NOT gift"),
        aggregate="live",
        count="partner_id",
        needs=PRODUCT | {"warehouse"},
    ),
    Metric(
        "new_partners",
        _("New partners"),
        _("Partners created in the period."),
        "count",
        f"SELECT created_on AS day, partner_id, 1 AS sign, {_NO_PRODUCT}, 1 AS v FROM partners",
    ),
    Metric(
        "dormant_partners",
        _("Dormant partners"),
        _(
            "Active partners that have bought before but had nothing shipped in the last 90 days, "
            "at the end of each period."
        ),
        "count",
        DORMANT,
        balance=True,
    ),
]
METRICS: dict[str, Metric] = {metric.code: metric for metric in METRICS_LIST}


def _enum(choices):
    def label(key):
        return str(dict(choices).get(key, key or ""))

    return label


def _macro(key):
    from qudao.core.regions import macro_region_name

    return str(macro_region_name(key) or "") if key else ""


def _region_name(alias: str) -> str:
    language = translation.get_language() or ""
    if language.startswith("en"):
        return f"COALESCE(NULLIF({alias}.name_en, ''), {alias}.name)"
    if language.lower() in ("zh-hant", "zh-tw", "zh-hk"):
        return f"COALESCE(NULLIF({alias}.name_hant, ''), {alias}.name)"
    return f"{alias}.name"


def _partner_types():
    from qudao.partners.models import PartnerType

    return _enum(PartnerType.choices)


DIMENSIONS_LIST = [
    Dimension("day", _("Day"), "strftime(f.day, '%Y-%m-%d')", grain=True),
    Dimension("week", _("Week"), "strftime(date_trunc('week', f.day), '%G-W%V')", grain=True),
    Dimension("month", _("Month"), "strftime(f.day, '%Y-%m')", grain=True),
    Dimension("quarter", _("Quarter"), "strftime(f.day, '%Y') || '-Q' || CAST(quarter(f.day) AS VARCHAR)", grain=True),
    Dimension("year", _("Year"), "strftime(f.day, '%Y')", grain=True),
    Dimension("macro_region", _("Macro region"), "r.macro", translate=_macro),
    Dimension("province", _("Province"), "rp.code", "{rp}"),
    Dimension("city", _("City"), "rc.code", "{rc}"),
    Dimension("partner", _("Partner"), "p.code", "p.name"),
    Dimension("tier", pgettext_lazy("partner tier", "Tier"), "t.code", "t.name"),
    Dimension("partner_type", _("Partner type"), "ph.partner_type", translate=lambda key: _partner_types()(key)),
    Dimension("owner", _("Owner"), "CAST(u.user_id AS VARCHAR)", "u.name"),
    Dimension("parent", _("Parent distributor"), "pp.code", "pp.name"),
    Dimension("product_line", _("Product line"), "CAST(s.product_line_id AS VARCHAR)", "s.product_line_name", "sku"),
    Dimension("product", _("Product"), "CAST(s.product_id AS VARCHAR)", "s.product_name", "sku"),
    Dimension("sku", _("SKU"), "s.code", "s.name", "sku"),
    Dimension("promotion", _("Promotion"), "NULLIF(f.promotion, '')", "pr.name", "promotion"),
    Dimension("warehouse", _("Warehouse"), "wh.code", "wh.name", "warehouse"),
]
DIMENSIONS: dict[str, Dimension] = {dimension.code: dimension for dimension in DIMENSIONS_LIST}
GRAINS = ("day", "week", "month", "quarter", "year")


# --- who may see what ------------------------------------------------------------------------------


def metrics_for(user) -> list[Metric]:
    return [metric for metric in METRICS_LIST if metric.public and user.can(metric.permission)]


def _base_metrics(codes: list[str]) -> list[Metric]:
    """The base metrics behind these (derived ones expanded), each once, in order."""
    out: dict[str, Metric] = {}

    def visit(code):
        metric = METRICS[code]
        if metric.derive is not None:
            for name in metric.inputs:
                visit(name)
        else:
            out.setdefault(code, metric)

    for code in codes:
        visit(code)
    return list(out.values())


def _derived_order(codes: list[str]) -> list[Metric]:
    out: dict[str, Metric] = {}

    def visit(code):
        metric = METRICS[code]
        if metric.derive is not None:
            for name in metric.inputs:
                visit(name)
            out.setdefault(code, metric)

    for code in codes:
        visit(code)
    return list(out.values())


# --- the query -------------------------------------------------------------------------------------


@dataclass
class Result:
    columns: list[dict] = field(default_factory=list)  # {code, label, kind: dimension|metric, format}
    rows: list[dict] = field(default_factory=list)  # {dimension code: {key, label}, metric code: value}


def _clean(user, metrics, dimensions, filters, start, end, grain) -> tuple:
    errors = FieldErrors()
    if not user.can("analytics.view"):
        raise Forbidden()
    metrics = list(metrics or [])
    dimensions = list(dimensions or [])
    filters = dict(filters or {})
    if not metrics:
        errors.add("metrics", _("Choose at least one metric."))
    if len(metrics) > MAX_METRICS or len(set(metrics)) != len(metrics):
        errors.add("metrics", _("Choose at most %(n)s metrics, each once.") % {"n": MAX_METRICS})
    unknown = [code for code in metrics if code not in METRICS or not METRICS[code].public]
    if unknown:
        shown = ", ".join(str(code)[:40] for code in unknown[:5])
        errors.add("metrics", _("Unknown metric: %(codes)s.") % {"codes": shown})
    if grain is not None:
        if grain not in GRAINS:
            errors.add("grain", _("Choose one of day, week, month, quarter, year."))
        elif grain not in dimensions:
            dimensions.insert(0, grain)
    if len(dimensions) > 4 or len(set(dimensions)) != len(dimensions):
        errors.add("dimensions", _("Choose at most 4 dimensions, each once."))
    bad = [code for code in dimensions if code not in DIMENSIONS]
    if bad:
        shown = ", ".join(str(code)[:40] for code in bad[:5])
        errors.add("dimensions", _("Unknown dimension: %(codes)s.") % {"codes": shown})
    if sum(1 for code in dimensions if code in DIMENSIONS and DIMENSIONS[code].grain) > 1:
        errors.add("dimensions", _("Choose one time grain."))
    for code, values in filters.items():
        if code not in DIMENSIONS or DIMENSIONS[code].grain:
            errors.add("filters", _("Unknown dimension: %(codes)s.") % {"codes": str(code)[:40]})
        elif not isinstance(values, list | tuple) or not values or len(values) > MAX_FILTER_VALUES:
            errors.add(f"filters.{code}", _("Give a list of 1 to %(n)s values.") % {"n": MAX_FILTER_VALUES})
        elif any(not isinstance(value, str | int) or len(str(value)) > 64 for value in values):
            errors.add(f"filters.{code}", _("Each value is a code of at most 64 characters."))
    if not isinstance(start, date) or not isinstance(end, date):
        errors.add("start", _("Give the first and the last day."))
    elif start < EARLIEST or end > LATEST:
        errors.add("start" if start < EARLIEST else "end", _("Choose days between 1900 and 2999."))
    elif end < start:
        errors.add("end", _("The last day is before the first."))
    elif (end - start).days + 1 > MAX_RANGE_DAYS:
        errors.add("end", _("The range is too long: at most ten years."))
    elif "day" in dimensions and (end - start).days + 1 > MAX_DAYS_AT_DAY_GRAIN:
        errors.add("end", _("The range is too long for daily figures: at most 366 days. Choose a week or a month."))
    if errors.errors:
        raise errors
    for code in metrics:
        if not user.can(METRICS[code].permission):
            raise Forbidden(_("You may not see the metric “%(label)s”.") % {"label": METRICS[code].label})
    return metrics, dimensions, {code: [str(v) for v in values] for code, values in filters.items()}


def _bucket_ends(start: date, end: date, grain: str | None) -> list[date]:
    """The last day of each time bucket in [start, end] (only `end` without a grain)."""
    if grain is None:
        return [end]
    ends, day = [], start
    while day <= end:
        if grain == "day":
            last = day
        elif grain == "week":
            last = day + timedelta(days=6 - day.weekday())
        elif grain == "month":
            last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        elif grain == "quarter":
            month = 3 * ((day.month - 1) // 3) + 3
            last = (date(day.year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            last = date(day.year, 12, 31)
        ends.append(min(last, end))
        day = last + timedelta(days=1)
    return ends


def _bucket_days(start: date, ends: list[date], grain: str | None) -> dict:
    """Days of each bucket inside the range, by bucket key (None: the whole range)."""
    out, first = {}, start
    for last in ends:
        out[bucket_key(grain, last) if grain else None] = (last - first).days + 1
        first = last + timedelta(days=1)
    return out


def bucket_key(grain: str, day: date) -> str:
    """The key the time dimension's SQL gives the bucket holding `day`."""
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if grain == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


JOINS = """
LEFT JOIN partner_history ph ON ph.partner_id = f.partner_id AND f.day >= ph.valid_from AND f.day < ph.valid_to
LEFT JOIN partners p ON p.partner_id = f.partner_id
LEFT JOIN regions r ON r.region_id = ph.region_id
LEFT JOIN regions rp ON rp.region_id = r.province_id
LEFT JOIN regions rc ON rc.region_id = r.city_id
LEFT JOIN tiers t ON t.tier_id = ph.tier_id
LEFT JOIN users u ON u.user_id = ph.owner_id
LEFT JOIN partners pp ON pp.partner_id = ph.parent_id
LEFT JOIN skus s ON s.sku_id = f.sku_id
LEFT JOIN warehouses wh ON wh.warehouse_id = f.warehouse_id
LEFT JOIN promotions pr ON pr.code = f.promotion
"""


def _sql(metric: Metric, dims: list[Dimension], filters: dict, scoped: bool) -> tuple[str, list]:
    selects, params = [], []
    for index, dim in enumerate(dims):
        name = dim.name.format(rp=_region_name("rp"), rc=_region_name("rc")) if dim.name else dim.key
        selects.append(f"{dim.key} AS k{index}")
        selects.append(f"{name} AS n{index}")
    where = ["f.day BETWEEN ? AND ?"]
    if scoped:
        where.append("f.partner_id IN (SELECT partner_id FROM scope_partners)")
    for code, values in filters.items():
        where.append(f"{DIMENSIONS[code].key} IN ({', '.join('?' for _ in values)})")
        params.extend(values)
    keys = ", ".join([f"k{i}, n{i}" for i in range(len(dims))])
    head = ", ".join(selects)
    body = f"FROM ({metric.source}) f {JOINS} WHERE {' AND '.join(where)}"
    if metric.aggregate == "live":
        counted = f"{head + ', ' if head else ''}f.{metric.count} AS counted"
        inner = f"SELECT {counted} {body} GROUP BY ALL HAVING SUM(f.sign) > 0"
        sql = f"SELECT {keys + ', ' if keys else ''}COUNT(*) AS value FROM ({inner}) GROUP BY ALL"
    else:
        sql = f"SELECT {head + ', ' if head else ''}SUM(f.v) AS value {body} GROUP BY ALL"
    return sql + f" LIMIT {MAX_ROWS + 1}", params


def _format(metric: Metric, value):
    if value is None:
        return None
    if metric.format == "money":
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if metric.format == "count":
        return int(value)
    if metric.format == "ratio":
        return Decimal(value).quantize(RATIO, rounding=ROUND_HALF_UP)
    return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)


def _too_large():
    return FieldErrors.single(
        "dimensions",
        _("The query is too large: at most %(rows)s rows. Narrow the range, the filters or the dimensions.")
        % {"rows": f"{MAX_ROWS:,}"},
        code="too_large",
    )


def query(user, metrics, dimensions=(), filters=None, start=None, end=None, grain=None, *, connection=None) -> Result:
    """Figures for `user`: `metrics` by `dimensions` over the local days [start, end], narrowed by
    `filters` ({dimension: [keys]}) and by the user's scope.

    :raises FieldErrors: unknown metric or dimension, bad range, a dimension a metric lacks, too large.
    :raises Forbidden: a metric the user's roles may not see.
    :raises NotFound: a partner (or parent) filter naming a partner outside the user's scope.
    """
    import pyarrow as pa

    from qudao.partners.scoping import partner_q

    from . import store

    metrics, dimensions, filters = _clean(user, metrics, dimensions, filters, start, end, grain)
    dims = [DIMENSIONS[code] for code in dimensions]
    time_grain = next((dim.code for dim in dims if dim.grain), None)
    bases = _base_metrics(metrics)
    for code in metrics:
        for dim in [*dims, *(DIMENSIONS[name] for name in filters)]:
            if dim.needs and any(dim.needs not in base.needs for base in _base_metrics([code])):
                raise FieldErrors.single(
                    "dimensions",
                    _("“%(metric)s” cannot be broken down by “%(dimension)s”.")
                    % {"metric": METRICS[code].label, "dimension": dim.label},
                )
    ends = _bucket_ends(start, end, time_grain)
    if len(ends) * max(1, len(metrics)) > MAX_CELLS:
        raise _too_large()
    restriction = partner_q(user)
    con = connection or store.reader()
    try:
        con.register("bucket_ends", pa.table({"end_day": pa.array(ends, type=pa.date32())}))
        if restriction is not None:
            from qudao.partners.models import Partner

            visible_codes = dict(Partner.objects.filter(restriction).values_list("code", "pk"))
            for code in ("partner", "parent"):
                if any(key not in visible_codes for key in filters.get(code, [])):
                    raise NotFound()  # another partner's figures: as if it did not exist
            visible = list(visible_codes.values())
            con.register("scope_partners", pa.table({"partner_id": pa.array(visible, type=pa.int64())}))
        grouped: dict[tuple, dict] = {}
        for metric in bases:
            sql, params = _sql(metric, dims, filters, restriction is not None)
            rows = con.execute(sql, [start, end, *params]).fetchall()
            if len(rows) > MAX_ROWS:
                raise _too_large()
            for row in rows:
                key = tuple(row[: 2 * len(dims)])
                grouped.setdefault(key, {})[metric.code] = row[-1]
        if len(grouped) > MAX_ROWS or len(grouped) * len(metrics) > MAX_CELLS:
            raise _too_large()
    finally:
        if connection is None:
            con.close()
    if time_grain and len(dims) == 1:  # a time series: every bucket, empty ones too
        for last in ends:
            key = bucket_key(time_grain, last)
            grouped.setdefault((key, key), {})  # a time dimension's name is its key
    result = Result()
    for dim in dims:
        result.columns.append({"code": dim.code, "label": str(dim.label), "kind": "dimension", "format": "text"})
    for code in metrics:
        metric = METRICS[code]
        result.columns.append({"code": code, "label": str(metric.label), "kind": "metric", "format": metric.format})
    derived = _derived_order(metrics)
    days_in = _bucket_days(start, ends, time_grain)
    time_index = next((index for index, dim in enumerate(dims) if dim.grain), None)
    for key in sorted(grouped, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        values = {code: grouped[key].get(code) for code in (m.code for m in bases)}
        for metric in bases:
            if values[metric.code] is None:
                values[metric.code] = 0
        values["_days"] = days_in.get(key[2 * time_index]) if time_index is not None else days_in[None]
        for metric in derived:
            values[metric.code] = metric.derive(values)
        row = {}
        for index, dim in enumerate(dims):
            raw_key, raw_name = key[2 * index], key[2 * index + 1]
            if dim.grain:
                label = raw_key
            else:
                label = dim.translate(raw_key) if dim.translate else raw_name
            row[dim.code] = {"key": raw_key, "label": "" if label is None else str(label)}
        for code in metrics:
            row[code] = _format(METRICS[code], values.get(code))
        result.rows.append(row)
    return result
