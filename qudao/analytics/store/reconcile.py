"""Reconciliation: each fact source summed per month and partner in the store and, with the same
rules, in the transactional database (one grouped query per source, set-based), compared to the
cent. `python manage.py analytics reconcile` prints the differences and exits non-zero on any.

The database side uses the rules of qudao.rebates.basis: shipped value = units × the order line's
net unit price, gift lines aside; credit notes by their business date; invoices void ones aside;
payments confirmed only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncMonth

CENT = Decimal("0.01")
DEC = DecimalField(max_digits=30, decimal_places=4)


@dataclass(frozen=True)
class Difference:
    source: str
    period: str  # "2026-06"
    partner: str  # the partner's code
    store: Decimal
    database: Decimal

    def __str__(self):
        return f"{self.source} {self.period} {self.partner}: store {self.store:,.2f}, database {self.database:,.2f}"


def cents(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _month(value) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _database_figures() -> dict[str, dict[tuple[str, int], Decimal]]:
    from qudao.finance.models import Allocation, Invoice, Payment
    from qudao.orders.models import CreditNoteLine, OrderLine, ShipmentLine
    from qudao.rebates.models import RebateLine

    zone = ZoneInfo(settings.TIME_ZONE)

    def grouped(queryset, partner: str, moment, amount) -> dict:
        rows = (
            queryset.annotate(m=moment)
            .values("m", pid=F(partner))
            .annotate(total=Sum(amount, output_field=DEC))
            .order_by()
        )
        return {(_month(row["m"]), row["pid"]): cents(row["total"]) for row in rows}

    return {
        "shipments": grouped(
            ShipmentLine.objects.filter(order_line__gift_promotion=""),
            "shipment__order__partner_id",
            TruncMonth("shipment__shipped_at", tzinfo=zone),
            ExpressionWrapper(F("quantity") * F("order_line__net_unit_price"), output_field=DEC),
        ),
        "orders": grouped(
            OrderLine.objects.filter(order__submitted_at__isnull=False).exclude(
                order__status__in=["draft", "cancelled", "rejected"]
            ),
            "order__partner_id",
            TruncMonth("order__submitted_at", tzinfo=zone),
            "line_total",
        ),
        "returns": grouped(
            CreditNoteLine.objects.all(), "credit_note__partner_id", TruncMonth("credit_note__issued_on"), "amount"
        ),
        "invoices": grouped(
            Invoice.objects.exclude(status=Invoice.Status.VOID), "partner_id", TruncMonth("issued_on"), "amount"
        ),
        "payments": grouped(
            Payment.objects.filter(status=Payment.Status.CONFIRMED), "partner_id", TruncMonth("received_on"), "amount"
        ),
        "allocations": grouped(Allocation.objects.all(), "invoice__partner_id", TruncMonth("allocated_on"), "amount"),
        "rebates_posted": grouped(
            RebateLine.objects.filter(posted_at__isnull=False, posted_amount__isnull=False),
            "partner_id",
            TruncMonth("posted_at", tzinfo=zone),
            "posted_amount",
        ),
    }


# the store's figure per source: the same rule over its signed rows
STORE_FIGURES = {
    "shipments": ("shipments", "net_amount", "NOT gift"),
    "orders": ("orders", "net_amount", "true"),
    "returns": ("returns", "amount", "true"),
    "invoices": ("invoices", "amount", "true"),
    "payments": ("payments", "amount", "true"),
    "allocations": ("allocations", "amount", "true"),
    "rebates_posted": ("rebates_posted", "amount", "true"),
}


def _store_figures() -> dict[str, dict[tuple[str, int], Decimal]]:
    from . import reader

    con = reader()
    try:
        out = {}
        for source, (table, column, condition) in STORE_FIGURES.items():
            rows = con.execute(
                f"SELECT strftime(day, '%Y-%m') AS m, partner_id, SUM(sign * {column}) FROM {table} "
                f"WHERE {condition} GROUP BY ALL"
            ).fetchall()
            out[source] = {(m, pid): cents(total) for m, pid, total in rows}
        return out
    finally:
        con.close()


def reconcile() -> list[Difference]:
    """Every (source, month, partner) whose store figure differs from the database's, to the cent."""
    from qudao.partners.models import Partner

    store, database = _store_figures(), _database_figures()
    codes = dict(Partner.objects.values_list("pk", "code"))
    differences = []
    for source in STORE_FIGURES:
        ours, theirs = store.get(source, {}), database.get(source, {})
        for key in sorted(set(ours) | set(theirs), key=lambda k: (k[0], k[1] or 0)):
            mine, real = ours.get(key, Decimal("0.00")), theirs.get(key, Decimal("0.00"))
            if mine != real:
                differences.append(Difference(source, key[0], codes.get(key[1], str(key[1])), mine, real))
    return differences
