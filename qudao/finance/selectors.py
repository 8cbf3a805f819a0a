"""Reads of receivables and the ledger, each through the scoping rule (partners.scoping): invoices,
aging buckets (one grouped query), ledger entries and balances; and the credit provider orders
asks for receivables (registered in apps.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from qudao.core.errors import NotFound
from qudao.core.numbers import parse_id
from qudao.partners.scoping import get_visible_partner, scope

from .allocation import OPEN_STATUSES
from .models import Allocation, Invoice, LedgerBalance, LedgerEntry

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=20, decimal_places=4)
OUTSTANDING = ExpressionWrapper(F("amount") - F("settled"), output_field=MONEY)
BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


# --- credit (orders.services.credit_of asks this) -------------------------------------------------


def credit_source(partner, open_orders) -> tuple[Decimal, Decimal]:
    """(receivables outstanding of the partner in its currency, what the invoices of `open_orders`
    bill on credit: their amounts less what the rebate fund settled of them)."""
    currency = partner.credit_currency or "CNY"
    receivables = Invoice.objects.filter(partner=partner, currency=currency, status__in=OPEN_STATUSES).aggregate(
        total=Coalesce(Sum(OUTSTANDING), ZERO, output_field=MONEY)
    )["total"]
    invoices = Invoice.objects.filter(order__in=open_orders).exclude(status=Invoice.Status.VOID)
    billed = invoices.aggregate(total=Coalesce(Sum("amount"), ZERO, output_field=MONEY))["total"]
    by_rebate = Allocation.objects.filter(invoice__in=invoices, source=Allocation.Source.REBATE).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=MONEY)
    )["total"]
    return receivables, billed - by_rebate


# --- invoices -------------------------------------------------------------------------------------


def invoices(user, filters: dict | None = None, today: date | None = None):
    """Invoices the user may see, newest first. filters: partner (id), status, overdue (bool),
    order (number), q (number or ERP reference)."""
    filters = filters or {}
    today = today or timezone.localdate()
    qs = scope(Invoice.objects.select_related("partner", "order"), user)
    if filters.get("partner"):
        qs = qs.filter(partner_id=filters["partner"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("overdue"):
        qs = qs.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    if filters.get("order"):
        qs = qs.filter(order__number=filters["order"])
    if filters.get("q"):
        qs = qs.filter(Q(number__icontains=filters["q"]) | Q(external_ref__icontains=filters["q"]))
    return qs.order_by("-issued_on", "-pk")


def invoice(user, key) -> Invoice:
    """One invoice by number or id, if the user may see it.

    :raises NotFound: no such invoice, or another partner's."""
    qs = scope(Invoice.objects.select_related("partner", "order", "shipment"), user)
    invoice_id = parse_id(key if isinstance(key, int) else str(key))
    lookup = {"pk": invoice_id} if invoice_id else {"number": str(key)}
    found = qs.filter(**lookup).first()
    if found is None:
        raise NotFound()
    return found


def invoice_ledger(invoice: Invoice):
    """The ledger entries naming an invoice (its own and settlements booked against it)."""
    return LedgerEntry.objects.filter(partner_id=invoice.partner_id, reference=invoice.number).order_by("pk")


def days_overdue(invoice: Invoice, today: date | None = None) -> int:
    today = today or timezone.localdate()
    if invoice.status not in OPEN_STATUSES:
        return 0
    return max((today - invoice.due_on).days, 0)


# --- aging ----------------------------------------------------------------------------------------


def _bucket_sums(today: date) -> dict:
    open_ = Q(status__in=OPEN_STATUSES)
    d30, d60, d90 = today - timedelta(days=30), today - timedelta(days=60), today - timedelta(days=90)
    conditions = {
        "current": Q(due_on__gte=today),
        "d1_30": Q(due_on__lt=today, due_on__gte=d30),
        "d31_60": Q(due_on__lt=d30, due_on__gte=d60),
        "d61_90": Q(due_on__lt=d60, due_on__gte=d90),
        "d90_plus": Q(due_on__lt=d90),
    }
    sums = {
        name: Coalesce(Sum(OUTSTANDING, filter=open_ & cond), ZERO, output_field=MONEY)
        for name, cond in conditions.items()
    }
    sums["total"] = Coalesce(Sum(OUTSTANDING, filter=open_), ZERO, output_field=MONEY)
    return sums


def aging(user, by: str = "partner", today: date | None = None, partner_id: int | None = None) -> list[dict]:
    """Outstanding amounts of open invoices in buckets of days overdue (current: not yet due; 1-30,
    31-60, 61-90, 90+), per partner, per region (the partner's) or overall, and per currency. One
    grouped query over the invoices (index finance_invoice_status_due)."""
    today = today or timezone.localdate()
    qs = scope(Invoice.objects.filter(status__in=OPEN_STATUSES), user)
    if partner_id:
        qs = qs.filter(partner_id=partner_id)
    if by == "partner":
        qs = qs.annotate(label=Coalesce(NullIf("partner__short_name", Value("")), "partner__legal_name"))
    keys = {
        "partner": ["partner_id", "partner__code", "label"],
        "region": ["partner__region_id", "partner__region__code", "partner__region__name"],
        "overall": [],
    }[by]
    rows = qs.values(*keys, "currency").annotate(**_bucket_sums(today)).order_by(*(keys[1:2] or []), "currency")
    result = []
    for row in rows:
        out = {"currency": row["currency"], **{name: row[name] for name in (*BUCKETS, "total")}}
        if by == "overall":
            out |= {"id": None, "code": "", "name": ""}
        else:
            out |= {"id": row[keys[0]], "code": row[keys[1]] or "", "name": row[keys[2]] or ""}
        result.append(out)
    return result


# --- the ledger -----------------------------------------------------------------------------------


def ledger_entries(user, partner_id, filters: dict | None = None):
    """A visible partner's ledger entries, oldest first. filters: book, date_from, date_to.

    :raises NotFound: the partner is not visible."""
    partner = get_visible_partner(user, partner_id)
    filters = filters or {}
    qs = LedgerEntry.objects.filter(partner=partner)
    if filters.get("book"):
        qs = qs.filter(book=filters["book"])
    if filters.get("date_from"):
        qs = qs.filter(occurred_on__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(occurred_on__lte=filters["date_to"])
    return qs.order_by("occurred_on", "pk")


def balances(user, partner_id, today: date | None = None) -> dict:
    """A visible partner's balances: each ledger book, receivables outstanding and overdue, and
    its fund accounts (balance, held, available).

    :raises NotFound: the partner is not visible."""
    from qudao.partners.models import FundAccount

    partner = get_visible_partner(user, partner_id)
    today = today or timezone.localdate()
    currency = partner.credit_currency or "CNY"
    books = {row.book: row.balance for row in LedgerBalance.objects.filter(partner=partner, currency=currency)}
    open_invoices = Invoice.objects.filter(partner=partner, currency=currency, status__in=OPEN_STATUSES)
    sums = open_invoices.aggregate(
        outstanding=Coalesce(Sum(OUTSTANDING), ZERO, output_field=MONEY),
        overdue=Coalesce(Sum(OUTSTANDING, filter=Q(due_on__lt=today)), ZERO, output_field=MONEY),
    )
    funds = {
        account.kind: {"balance": account.balance, "held": account.held, "available": account.available}
        for account in FundAccount.objects.filter(partner=partner, currency=currency)
    }
    empty = {"balance": ZERO, "held": ZERO, "available": ZERO}
    return {
        "partner": partner,
        "currency": currency,
        "books": {book: books.get(book, ZERO) for book in ("receivable", "prepayment", "rebate")},
        "outstanding": sums["outstanding"],
        "overdue": sums["overdue"],
        "open_invoices": open_invoices.count(),
        "prepayment": funds.get("prepayment", empty),
        "rebate": funds.get("rebate", empty),
    }


def unsettled_mismatches() -> list[tuple[str, Decimal, Decimal]]:
    """Invoices whose `settled` differs from the sum of their allocations: [(number, settled,
    allocations)] (empty: all agree). One grouped query."""
    rows = (
        Invoice.objects.annotate(allocated=Coalesce(Sum("allocations__amount"), ZERO, output_field=MONEY))
        .annotate(difference=ExpressionWrapper(F("settled") - F("allocated"), output_field=MONEY))
        # apart by more than float noise: SQLite sums decimals in floating point
        .filter(Q(difference__gt=Decimal("0.00005")) | Q(difference__lt=Decimal("-0.00005")))
        .order_by("pk")
        .values_list("number", "settled", "allocated")
    )
    return [(number, settled, allocated.quantize(Decimal("0.0001"))) for number, settled, allocated in rows]
