"""What a policy counts, set-based: one grouped query per source (shipments, credit notes,
invoices, payments, allocations) for one policy and window over all its partners, never a loop
over partners or order lines. Every function answers {partner id: (amount, units)}.

- net_sales_shipped: Σ shipped units (orders.ShipmentLine) × the order line's net unit price (after
  allocated discounts), by shipment time, minus the credit notes (orders.CreditNoteLine) the window
  counts (below).
- net_sales_invoiced: Σ finance.InvoiceLine amounts by issue date (void invoices aside) minus the
  credit notes the window counts.

Which window a credit note counts in is the policy's `returns_count_in`:
- shipment_period (the default): the period of the sale it reverses - for each credit note line, the
  latest shipment of its order line made before the credit note (an invoiced basis: the latest
  invoice billing that order line, by issue date; none: the credit note's own date). Goods shipped
  in Q1 and returned in Q2 reduce Q1, so a re-run of Q1 posts the negative delta and Q2 is left as
  it was.
- credit_note_period: the credit note's business date (`issued_on`).
- payments: Σ confirmed finance.Payment amounts received in the window (a bounced payment is
  reversed and so not confirmed: it does not count).
- payments_on_time: the part of those payments that paid invoices on time: the money arrived
  (the payment's received_on) on or before the invoice's due_on, whenever finance allocated it;
  allocations undone since do not count.
- quantity / amount: net shipped units / net shipped amount of the policy's SKUs or product lines.

The product scope (product lines with the lines below them, through catalog paths; SKUs included;
SKUs excluded) and the promotions excluded (an order line any of them applied to, or a gift line
of one) apply to every sales source. Gift lines (free goods) never count. Windows are local days
(settings.TIME_ZONE): [start 00:00, as_of + 1 day 00:00).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, TextField, Value
from django.db.models.functions import Cast, Coalesce

from qudao.catalog.models import ProductLine
from qudao.core.models import Region
from qudao.finance.models import Allocation, Invoice, InvoiceLine, Payment
from qudao.orders.models import CreditNoteLine, ShipmentLine
from qudao.partners.models import Partner, PartnerStatus

from .models import BasisKind, PeriodKind, RebatePolicy, ReturnsPeriod

ZERO = Decimal("0")
DEC = DecimalField(max_digits=24, decimal_places=4)
SALES_BASES = (BasisKind.NET_SALES_SHIPPED, BasisKind.NET_SALES_INVOICED, BasisKind.QUANTITY, BasisKind.AMOUNT)

# --- periods -------------------------------------------------------------------------------------


def period_of(policy: RebatePolicy, on: date) -> tuple[date, date]:
    """The policy's period (first and last day) that contains `on`."""
    kind = policy.period_kind
    if kind == PeriodKind.CUSTOM:
        return policy.custom_start, policy.custom_end
    if kind == PeriodKind.MONTH:
        first_month = on.month
        months = 1
    elif kind == PeriodKind.QUARTER:
        first_month, months = 3 * ((on.month - 1) // 3) + 1, 3
    elif kind == PeriodKind.HALF:
        first_month, months = (1 if on.month <= 6 else 7), 6
    else:
        first_month, months = 1, 12
    last_month = first_month + months - 1
    return date(on.year, first_month, 1), date(on.year, last_month, calendar.monthrange(on.year, last_month)[1])


def same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local days [start, end] as aware datetimes [start 00:00, end + 1 day 00:00)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- who and what ----------------------------------------------------------------------------------


def target_partners(policy: RebatePolicy) -> QuerySet:
    """The partners a policy targets: the explicit list, or those matching every dimension given
    (tiers, regions with the regions below them, partner types); active or suspended ones only."""
    dims, any_dim = Q(), False
    if policy.target_tiers:
        dims &= Q(tier__code__in=policy.target_tiers)
        any_dim = True
    if policy.target_partner_types:
        dims &= Q(partner_type__in=policy.target_partner_types)
        any_dim = True
    if policy.target_regions:
        inside = Q(pk__in=[])
        for path in Region.objects.filter(code__in=policy.target_regions).values_list("path", flat=True):
            inside |= Q(region__path__startswith=path)
        dims &= inside
        any_dim = True
    condition = dims if any_dim else Q(pk__in=[])
    if policy.target_partners:
        condition |= Q(code__in=policy.target_partners)
    return Partner.objects.filter(condition, status__in=[PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED])


def _line_paths(codes) -> list[str]:
    return list(ProductLine.objects.filter(code__in=codes).values_list("path", flat=True)) if codes else []


def _under_lines(paths, sku_prefix: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{sku_prefix}product__product_line__path__startswith": path})
    return condition


def product_scope(policy: RebatePolicy, sku_prefix: str) -> Q:
    """The SKUs a policy counts, as a Q through `sku_prefix` ("order_line__sku__")."""
    condition = Q()
    if policy.product_lines or policy.skus:
        condition = _under_lines(_line_paths(policy.product_lines), sku_prefix) | Q(
            **{f"{sku_prefix}code__in": policy.skus or []}
        )
    if policy.excluded_skus:
        condition &= ~Q(**{f"{sku_prefix}code__in": policy.excluded_skus})
    return condition


def _without_promotions(queryset: QuerySet, policy: RebatePolicy, line_prefix: str, nullable: bool) -> QuerySet:
    """Leave out order lines that any excluded promotion applied to (the line's promotion
    waterfall names it) and gift lines of one."""
    if not policy.excluded_promotions:
        return queryset
    queryset = queryset.annotate(_promotions=Cast(f"{line_prefix}promotions", TextField()))
    hit = Q(pk__in=[])
    for code in policy.excluded_promotions:
        hit |= Q(_promotions__contains=f'"promotion": "{code}"') | Q(**{f"{line_prefix}gift_promotion": code})
    if nullable:
        return queryset.filter(Q(**{f"{line_prefix}isnull": True}) | ~hit)
    return queryset.filter(~hit)


def _grouped(queryset: QuerySet, partner: str, amount, units) -> dict[int, tuple[Decimal, Decimal]]:
    rows = queryset.values(pid=F(partner)).annotate(
        amount=Coalesce(Sum(amount, output_field=DEC), Value(ZERO, output_field=DEC)),
        units=Coalesce(Sum(units, output_field=DEC), Value(ZERO, output_field=DEC)),
    )
    return {row["pid"]: (Decimal(row["amount"]), Decimal(row["units"])) for row in rows.order_by()}


def _merge(*parts: tuple[dict, int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Σ sign × (amount, units) by partner."""
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for values, sign in parts:
        for pid, (amount, units) in values.items():
            old = out.get(pid, (ZERO, ZERO))
            out[pid] = (old[0] + sign * amount, old[1] + sign * units)
    return out


# --- the sources ---------------------------------------------------------------------------------


def shipped_rows(policy, partners: QuerySet, start: date, end: date, *, scoped: bool = True, extra: Q | None = None):
    low, high = bounds(start, end)
    rows = ShipmentLine.objects.filter(
        shipment__shipped_at__gte=low,
        shipment__shipped_at__lt=high,
        shipment__order__partner_id__in=partners.values("pk"),
        order_line__gift_promotion="",
    )
    if scoped:
        rows = rows.filter(product_scope(policy, "order_line__sku__"))
        rows = _without_promotions(rows, policy, "order_line__", False)
    return rows.filter(extra) if extra is not None else rows


def shipped(policy, partners, start, end, **options):
    rows = shipped_rows(policy, partners, start, end, **options)
    return _grouped(rows, "shipment__order__partner_id", F("quantity") * F("order_line__net_unit_price"), "quantity")


def sale_shipped_at():
    """A credit note line's sale: the latest shipment of its order line made before the credit note."""
    return Subquery(
        ShipmentLine.objects.filter(
            order_line=OuterRef("order_line"), shipment__shipped_at__lte=OuterRef("credit_note__created_at")
        )
        .order_by("-shipment__shipped_at", "-pk")
        .values("shipment__shipped_at")[:1]
    )


def sale_invoiced_on():
    """A credit note line's sale on an invoiced basis: the latest invoice billing its order line
    (void ones aside) raised before the credit note, by issue date."""
    return Subquery(
        InvoiceLine.objects.filter(
            order_line=OuterRef("order_line"), invoice__created_at__lte=OuterRef("credit_note__created_at")
        )
        .exclude(invoice__status=Invoice.Status.VOID)
        .order_by("-invoice__issued_on", "-pk")
        .values("invoice__issued_on")[:1]
    )


def counts_returns_by_sale(policy) -> bool:
    return getattr(policy, "returns_count_in", ReturnsPeriod.SHIPMENT_PERIOD) == ReturnsPeriod.SHIPMENT_PERIOD


def credited_rows(
    policy,
    partners: QuerySet,
    start: date,
    end: date,
    *,
    scoped: bool = True,
    extra: Q | None = None,
    invoiced_basis: bool | None = None,
):
    """The credit note lines a window counts (see the module docstring: `returns_count_in`);
    `invoiced_basis` (default: the policy's basis) dates a return by its sale's invoice."""
    rows = CreditNoteLine.objects.filter(
        credit_note__partner_id__in=partners.values("pk"),
        order_line__gift_promotion="",
    )
    own_date = Q(credit_note__issued_on__gte=start, credit_note__issued_on__lte=end)
    if not counts_returns_by_sale(policy):
        rows = rows.filter(own_date)
    else:
        if invoiced_basis is None:
            invoiced_basis = policy.basis == BasisKind.NET_SALES_INVOICED
        if invoiced_basis:
            rows = rows.annotate(sale_day=sale_invoiced_on()).filter(
                Q(sale_day__gte=start, sale_day__lte=end) | (Q(sale_day__isnull=True) & own_date)
            )
        else:
            low, high = bounds(start, end)
            rows = rows.annotate(sale_at=sale_shipped_at()).filter(
                Q(sale_at__gte=low, sale_at__lt=high) | (Q(sale_at__isnull=True) & own_date)
            )
    if scoped:
        rows = rows.filter(product_scope(policy, "order_line__sku__"))
        rows = _without_promotions(rows, policy, "order_line__", False)
    return rows.filter(extra) if extra is not None else rows


def credited(policy, partners, start, end, **options):
    return _grouped(
        credited_rows(policy, partners, start, end, **options), "credit_note__partner_id", "amount", "quantity"
    )


def invoiced_rows(policy, partners: QuerySet, start: date, end: date, *, scoped: bool = True, extra: Q | None = None):
    rows = InvoiceLine.objects.filter(
        invoice__issued_on__gte=start,
        invoice__issued_on__lte=end,
        invoice__partner_id__in=partners.values("pk"),
    ).exclude(invoice__status=Invoice.Status.VOID)
    rows = rows.filter(Q(order_line__isnull=True) | Q(order_line__gift_promotion=""))
    if scoped:
        rows = _without_promotions(rows.filter(product_scope(policy, "sku__")), policy, "order_line__", True)
    return rows.filter(extra) if extra is not None else rows


def invoiced(policy, partners, start, end, **options):
    return _grouped(invoiced_rows(policy, partners, start, end, **options), "invoice__partner_id", "amount", "quantity")


def paid_rows(partners: QuerySet, start: date, end: date):
    return Payment.objects.filter(
        status=Payment.Status.CONFIRMED,
        received_on__gte=start,
        received_on__lte=end,
        partner_id__in=partners.values("pk"),
    )


def paid(partners: QuerySet, start: date, end: date):
    return _grouped(paid_rows(partners, start, end), "partner_id", "amount", Value(ZERO, output_field=DEC))


def on_time_rows(partners: QuerySet, start: date, end: date):
    return Allocation.objects.filter(
        source=Allocation.Source.PAYMENT,
        amount__gt=0,
        reversed_by__isnull=True,
        payment__status=Payment.Status.CONFIRMED,
        payment__received_on__gte=start,
        payment__received_on__lte=end,
        payment__partner_id__in=partners.values("pk"),
    ).filter(
        # on time = the money arrived by the due date (not the day finance allocated it)
        payment__received_on__lte=F("invoice__due_on"),
    )


def paid_on_time(partners: QuerySet, start: date, end: date):
    rows = on_time_rows(partners, start, end)
    return _grouped(rows, "payment__partner_id", "amount", Value(ZERO, output_field=DEC))


def net_sales(policy, partners, start, end, *, invoiced_basis: bool, scoped: bool = True, extra_sku: Q | None = None):
    """(gross, credited, net) by partner, from shipments or invoices."""
    if invoiced_basis:
        gross = invoiced(policy, partners, start, end, scoped=scoped, extra=_prefixed(extra_sku, "sku__"))
    else:
        gross = shipped(policy, partners, start, end, scoped=scoped, extra=_prefixed(extra_sku, "order_line__sku__"))
    returns = credited(
        policy,
        partners,
        start,
        end,
        scoped=scoped,
        extra=_prefixed(extra_sku, "order_line__sku__"),
        invoiced_basis=invoiced_basis,
    )
    return gross, returns, _merge((gross, 1), (returns, -1))


def _prefixed(paths: list[str] | None, sku_prefix: str) -> Q | None:
    return None if paths is None else _under_lines(paths, sku_prefix)


def basis_of(policy: RebatePolicy, partners: QuerySet, start: date, end: date) -> dict[int, dict]:
    """{partner id: {"gross", "returns", "amount", "units"}} for the policy's basis over [start, end]
    (amount is the basis; for a quantity basis it is the units)."""
    out: dict[int, dict] = {}
    if policy.basis in (BasisKind.PAYMENTS, BasisKind.PAYMENTS_ON_TIME):
        source = paid if policy.basis == BasisKind.PAYMENTS else paid_on_time
        for pid, (amount, _units) in source(partners, start, end).items():
            out[pid] = {"gross": amount, "returns": ZERO, "amount": amount, "units": ZERO}
        return out
    gross, returns, net = net_sales(
        policy, partners, start, end, invoiced_basis=policy.basis == BasisKind.NET_SALES_INVOICED
    )
    for pid, (amount, units) in net.items():
        g, r = gross.get(pid, (ZERO, ZERO)), returns.get(pid, (ZERO, ZERO))
        if policy.basis == BasisKind.QUANTITY:
            out[pid] = {"gross": g[1], "returns": r[1], "amount": units, "units": units}
        else:
            out[pid] = {"gross": g[0], "returns": r[0], "amount": amount, "units": units}
    return out


# --- conditions ------------------------------------------------------------------------------------


def focus_shares(policy: RebatePolicy, partners: QuerySet, start: date, end: date) -> dict[int, tuple]:
    """{partner: (focus line net sales, all net sales)} - all products, the policy's scope aside."""
    paths = _line_paths([policy.focus_product_line])
    invoiced_basis = policy.basis == BasisKind.NET_SALES_INVOICED
    _g, _r, total = net_sales(policy, partners, start, end, invoiced_basis=invoiced_basis, scoped=False)
    _g, _r, focus = net_sales(
        policy, partners, start, end, invoiced_basis=invoiced_basis, scoped=False, extra_sku=paths
    )
    return {pid: (focus.get(pid, (ZERO, ZERO))[0], amount) for pid, (amount, _units) in total.items()}


def payment_ratios(policy: RebatePolicy, partners: QuerySet, start: date, end: date) -> dict[int, tuple]:
    """{partner: (payments received, net invoiced)} in the window."""
    payments = paid(partners, start, end)
    _g, _r, billed = net_sales(policy, partners, start, end, invoiced_basis=True, scoped=False)
    pids = set(payments) | set(billed)
    return {pid: (payments.get(pid, (ZERO, ZERO))[0], billed.get(pid, (ZERO, ZERO))[0]) for pid in pids}


def overdue_at(partners: QuerySet, day: date, days: int) -> dict[int, Decimal]:
    """{partner: what was outstanding at the end of `day` on invoices more than `days` days past
    due then} (invoices issued by then, void ones aside; allocations dated - their business date -
    by then)."""
    invoices = Invoice.objects.filter(
        partner_id__in=partners.values("pk"), issued_on__lte=day, due_on__lt=day - timedelta(days=days)
    ).exclude(status=Invoice.Status.VOID)
    owed = _grouped(invoices, "partner_id", "amount", Value(ZERO, output_field=DEC))
    settled = _grouped(
        Allocation.objects.filter(invoice__in=invoices.values("pk"), allocated_on__lte=day),
        "invoice__partner_id",
        "amount",
        Value(ZERO, output_field=DEC),
    )
    out = {}
    for pid, (amount, _units) in owed.items():
        left = amount - settled.get(pid, (ZERO, ZERO))[0]
        if left > 0:
            out[pid] = left
    return out
