"""What the store copies from the transactional database: the fact ledgers (one per source, signed
rows keyed by the source row's id) and the dimensions (replaced whole when they change).

Each fact source reads set-based, in batches by primary key (keyset pagination, never OFFSET),
with a `changed` condition for incremental refreshes: append-only sources (shipment lines, credit
note lines, allocations) by id above the watermark or created within the look-back; sources whose
rows change (order lines through their order, invoices, payments, posted rebate lines) by their
modification time within the look-back. A candidate row that no longer qualifies (an invoice made
void, a payment reversed, an order cancelled) becomes a reversing row in the store.

Figures follow qudao.rebates.basis exactly: a shipped line is worth units × the order line's net
unit price (after allocated discounts), a credit note line its own amount; gift lines are kept,
flagged, and left out by every sales metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from .storage import Table

BATCH = 20_000
LOOK_BACK = timedelta(minutes=5)  # transactions that commit late (PostgreSQL ids are not commit order)
MONEY_PLACES = Decimal("0.0001")


def local_day(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def money(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(MONEY_PLACES)


def first_promotion(promotions, gift: str) -> str:
    """The promotion a line is attributed to: the gift's promotion, else the first one of its
    discount waterfall, else none."""
    if gift:
        return gift
    for step in promotions or []:
        if isinstance(step, dict) and step.get("promotion"):
            return str(step["promotion"])
    return ""


@dataclass(frozen=True)
class Source:
    """A fact ledger fed from one model. `fields` are read with values_list (pk first); `fact`
    turns one read row into the table's row without its sign (None: the row does not count)."""

    table: Table
    model: Callable  # returns the model class (imported late: apps load first)
    fields: tuple[str, ...]
    fact: Callable[[tuple], tuple | None]
    changed: Callable[[dict, datetime], Q]  # (watermark, now) -> Q of candidate rows
    base: Callable[[], Q] = lambda: Q()
    annotations: Callable[[], dict] = dict  # computed fields `fields` may name

    def batches(self, condition: Q | None = None) -> Iterator[list[tuple]]:
        """Read rows in primary-key order, BATCH at a time."""
        last = 0
        model = self.model()
        while True:
            queryset = model.objects.annotate(**self.annotations()).filter(self.base(), pk__gt=last)
            if condition is not None:
                queryset = queryset.filter(condition)
            rows = list(queryset.order_by("pk").values_list(*self.fields)[:BATCH])
            if not rows:
                return
            yield rows
            last = rows[-1][0]


FACT = (("key", "id"), ("sign", "sign"), ("day", "date"), ("partner_id", "id"))


def _table(name: str, *columns) -> Table:
    return Table(name, FACT + tuple(columns))


SHIPMENTS = _table(
    "shipments",
    ("order_id", "id"),
    ("sku_id", "id"),
    ("warehouse_id", "id"),
    ("promotion", "text"),
    ("gift", "bool"),
    ("units", "int"),
    ("net_amount", "money"),
    ("gross_amount", "money"),
    ("cost_amount", "money"),
)
ORDERS = _table(
    "orders",
    ("order_id", "id"),
    ("sku_id", "id"),
    ("promotion", "text"),
    ("gift", "bool"),
    ("units", "int"),
    ("net_amount", "money"),
    ("gross_amount", "money"),
    ("units_on_time", "int"),
)
FILL_DAYS = 7  # a line is filled on time when shipped complete within this many days of submission
RETURNS = _table(
    "returns",
    ("order_id", "id"),
    ("sku_id", "id"),
    ("promotion", "text"),
    ("gift", "bool"),
    ("units", "int"),
    ("amount", "money"),
    ("cost_amount", "money"),
)
INVOICES = _table("invoices", ("due_on", "date"), ("amount", "money"))
PAYMENTS = _table("payments", ("amount", "money"))
ALLOCATIONS = _table("allocations", ("invoice_id", "id"), ("amount", "money"))
REBATES_POSTED = _table("rebates_posted", ("policy_id", "id"), ("amount", "money"))
REBATES_ACCRUED = _table("rebates_accrued", ("policy_id", "id"), ("amount", "money"))
DELIVERIES = _table("deliveries", ("order_id", "id"), ("cycle_days", "money"))


def _appended(created_field: str):
    """Append-only rows: above the id watermark, or created within the look-back."""

    def changed(watermark: dict, now: datetime) -> Q:
        since = now - LOOK_BACK
        if watermark.get("at"):
            since = min(since, datetime.fromisoformat(watermark["at"]) - LOOK_BACK)
        return Q(pk__gt=watermark.get("id", 0)) | Q(**{f"{created_field}__gte": since})

    return changed


def _modified(updated_field: str):
    def changed(watermark: dict, now: datetime) -> Q:
        since = datetime.fromisoformat(watermark["at"]) if watermark.get("at") else now
        return Q(**{f"{updated_field}__gte": since - LOOK_BACK})

    return changed


def _model(label: str):
    def get():
        from django.apps import apps

        return apps.get_model(label)

    return get


def _shipment_fact(row):
    (_pk, shipped_at, partner, order, sku, warehouse, promotions, gift, units, net, listed, cost) = row
    units = int(units)
    return (
        local_day(shipped_at),
        partner,
        order,
        sku,
        warehouse,
        first_promotion(promotions, gift),
        bool(gift),
        units,
        money(net * units),
        money(listed * units),
        None if cost is None else money(cost * units),
    )


def _order_fact(row):
    (_pk, submitted_at, status, partner, order, sku, promotions, gift, units, listed, total, on_time) = row
    if submitted_at is None or status in ("draft", "cancelled", "rejected"):
        return None
    units = int(units)
    return (
        local_day(submitted_at),
        partner,
        order,
        sku,
        first_promotion(promotions, gift),
        bool(gift),
        units,
        money(total),
        money(listed * units),
        min(int(on_time or 0), units),
    )


def _shipped_on_time():
    """Units of the order line shipped within FILL_DAYS of the order's submission."""
    from django.db.models import DateTimeField, ExpressionWrapper, IntegerField, OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from qudao.orders.models import ShipmentLine

    deadline = ExpressionWrapper(OuterRef("order__submitted_at") + timedelta(days=FILL_DAYS), DateTimeField())
    shipped = (
        ShipmentLine.objects.filter(order_line=OuterRef("pk"), shipment__shipped_at__lte=deadline)
        .order_by()
        .values("order_line")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return {"units_on_time": Coalesce(Subquery(shipped, output_field=IntegerField()), 0)}


def _return_fact(row):
    (_pk, issued_on, partner, order, sku, promotions, gift, units, amount, cost) = row
    return (
        issued_on,
        partner,
        order,
        sku,
        first_promotion(promotions, gift),
        bool(gift),
        int(units),
        money(amount),
        None if cost is None else money(cost * units),
    )


def _invoice_fact(row):
    (_pk, issued_on, due_on, partner, amount, status) = row
    return None if status == "void" else (issued_on, partner, due_on, money(amount))


def _payment_fact(row):
    (_pk, received_on, partner, amount, status) = row
    return None if status != "confirmed" else (received_on, partner, money(amount))


def _allocation_fact(row):
    (_pk, allocated_on, partner, invoice, amount) = row
    return (allocated_on, partner, invoice, money(amount))


def _delivery_fact(row):
    """An order delivered: the day of its receipt (签收; else its last shipment's delivery) and the
    days from submission to it."""
    (pk, submitted_at, status, partner, confirmed_at, last_delivered_at) = row
    delivered_at = confirmed_at or last_delivered_at
    if status not in ("delivered", "completed") or submitted_at is None or delivered_at is None:
        return None
    days = Decimal((delivered_at - submitted_at).total_seconds()) / Decimal(86400)
    return (local_day(delivered_at), partner, pk, money(max(days, Decimal(0))))


def _last_delivery():
    from django.db.models import Max

    return {"last_delivered_at": Max("shipments__delivered_at")}


class _PolicyTiers:
    """Each policy's tier table, read once per policy (a handful), for the accrued rebates."""

    def __init__(self):
        self.cache: dict[int, tuple] = {}

    def outcome(self, policy_id: int, basis: Decimal, baseline) -> Decimal:
        from qudao.rebates import engine
        from qudao.rebates.models import BasisKind, RebatePolicy

        if policy_id not in self.cache:
            policy = RebatePolicy.objects.prefetch_related("tiers").get(pk=policy_id)
            tiers = [engine.Tier(t.lower_bound, t.reward, t.value) for t in policy.tiers.all()]
            self.cache[policy_id] = (policy, tiers)
        policy, tiers = self.cache[policy_id]
        if not tiers:
            return Decimal(0)
        counted = basis - (baseline or 0) if policy.growth else basis
        outcome = engine.compute(
            counted, tiers, policy.tier_style, policy.cap, counts_units=policy.basis == BasisKind.QUANTITY
        )
        return outcome.amount


def _accrued_fact(row, tiers: _PolicyTiers | None = None):
    """A partner's live progress on a policy and period: the rebate its basis so far earns under
    the policy's tiers (conditions such as a focus share aside), dated by the period's first day."""
    (_pk, period_start, partner, policy, basis, baseline) = row
    amount = (tiers or _TIERS).outcome(policy, Decimal(basis), baseline)
    return (period_start, partner, policy, money(amount))


_TIERS = _PolicyTiers()  # reset at each refresh (sync.py): tier tables change with new versions


def _rebate_fact(row):
    (_pk, posted_at, partner, policy, amount) = row
    if posted_at is None or amount is None:
        return None
    return (local_day(posted_at), partner, policy, money(amount))


SOURCES: dict[str, Source] = {
    "shipments": Source(
        SHIPMENTS,
        _model("orders.ShipmentLine"),
        (
            "pk",
            "shipment__shipped_at",
            "shipment__order__partner_id",
            "shipment__order_id",
            "order_line__sku_id",
            "shipment__warehouse_id",
            "order_line__promotions",
            "order_line__gift_promotion",
            "quantity",
            "order_line__net_unit_price",
            "order_line__list_price",
            "order_line__sku__cost_price",
        ),
        _shipment_fact,
        _appended("shipment__created_at"),
    ),
    "orders": Source(
        ORDERS,
        _model("orders.OrderLine"),
        (
            "pk",
            "order__submitted_at",
            "order__status",
            "order__partner_id",
            "order_id",
            "sku_id",
            "promotions",
            "gift_promotion",
            "quantity",
            "list_price",
            "line_total",
            "units_on_time",
        ),
        _order_fact,
        _modified("order__updated_at"),
        annotations=_shipped_on_time,
    ),
    "returns": Source(
        RETURNS,
        _model("orders.CreditNoteLine"),
        (
            "pk",
            "credit_note__issued_on",
            "credit_note__partner_id",
            "order_line__order_id",
            "order_line__sku_id",
            "order_line__promotions",
            "order_line__gift_promotion",
            "quantity",
            "amount",
            "order_line__sku__cost_price",
        ),
        _return_fact,
        _appended("credit_note__created_at"),
    ),
    "invoices": Source(
        INVOICES,
        _model("finance.Invoice"),
        ("pk", "issued_on", "due_on", "partner_id", "amount", "status"),
        _invoice_fact,
        _modified("updated_at"),
    ),
    "payments": Source(
        PAYMENTS,
        _model("finance.Payment"),
        ("pk", "received_on", "partner_id", "amount", "status"),
        _payment_fact,
        _modified("updated_at"),
    ),
    "allocations": Source(
        ALLOCATIONS,
        _model("finance.Allocation"),
        ("pk", "allocated_on", "invoice__partner_id", "invoice_id", "amount"),
        _allocation_fact,
        _appended("created_at"),
    ),
    "rebates_posted": Source(
        REBATES_POSTED,
        _model("rebates.RebateLine"),
        ("pk", "posted_at", "partner_id", "policy_id", "posted_amount"),
        _rebate_fact,
        _modified("posted_at"),
        base=lambda: Q(posted_at__isnull=False),
    ),
    "rebates_accrued": Source(
        REBATES_ACCRUED,
        _model("rebates.RebateProgress"),
        ("pk", "period_start", "partner_id", "policy_id", "basis", "baseline"),
        _accrued_fact,
        _modified("updated_at"),
    ),
    "deliveries": Source(
        DELIVERIES,
        _model("orders.Order"),
        ("pk", "submitted_at", "status", "partner_id", "delivery_confirmation__at", "last_delivered_at"),
        _delivery_fact,
        _modified("updated_at"),
        annotations=_last_delivery,
    ),
    # "targets": the targets helper's models feed a ledger here (period, region/owner/partner,
    # amount) once they exist; the semantic layer's `target` and `attainment` read it.
}

LEDGERS = [source.table for source in SOURCES.values()]
