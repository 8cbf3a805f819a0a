"""Receivables: invoices raised from shipments or delivered orders (settings.INVOICE_ON), imported
from the ERP, settled by credit notes and the partner's funds; fund movements booked in the ledger.

Raising an invoice (`raise_for_shipment`, `raise_for_order`) runs in the orders transaction that
shipped or delivered (finance subscribes to `shipment.created` / `order.delivered`, apps.py):
- lines: units shipped x the order line's net unit price (after allocated discounts), each line
  rounded to the cent; a delivered order invoices the shipped units not invoiced yet;
- due on the issue date + the partner's payment terms (days);
- a receivable ledger entry (+amount, kind invoice) and the `invoice.raised` event;
- an order paid by prepayment is settled at once (allocation source "prepayment", with a
  receivable entry - amount); the part of an order paid from the rebate fund is settled as the
  fund's capture happens (`settle_from_rebate`, source "rebate"). Orders on credit stay open.

Credit notes (`book_credit_note`, from `return.credited`): a receivable entry (-amount, kind
credit_note), allocated to the order's open invoices, then the partner's other open invoices
oldest first; what is left stays as unallocated credit in the receivable book.

Locks (after the orders' partner -> order -> funds): ledger balances, then invoices by pk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors
from qudao.core.events import publish
from qudao.core.money import SUPPORTED_CURRENCIES, parse_amount, quantize
from qudao.core.numbering import next_number

from . import allocation, ledger
from .models import Allocation, Book, Invoice, InvoiceLine, LedgerEntry

ZERO = Decimal("0")
MAX_BULK_ROWS = 500
NOTHING_WRITTEN = _("Nothing was written: correct the rows and send them again.")


def invoice_on() -> str:
    """When invoices are raised: "shipment" (default) or "delivery"."""
    value = getattr(settings, "INVOICE_ON", "shipment")
    return value if value in ("shipment", "delivery") else "shipment"


@dataclass(frozen=True)
class Billed:
    order_line: object
    quantity: int
    unit_price: Decimal
    amount: Decimal


def _billed(order_line, quantity: int) -> Billed:
    return Billed(order_line, quantity, order_line.net_unit_price, quantize(order_line.net_unit_price * quantity))


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _payload(invoice: Invoice) -> dict:
    return {
        "number": invoice.number,
        "partner": invoice.partner_id,
        "source": invoice.source,
        "order": invoice.order.number if invoice.order_id else None,
        "shipment": invoice.shipment.number if invoice.shipment_id else None,
        "external_ref": invoice.external_ref,
        "currency": invoice.currency,
        "amount": f"{invoice.amount:.2f}",
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
    }


def _create(
    *,
    partner,
    source: str,
    lines: list[Billed],
    issued_on: date,
    order=None,
    shipment=None,
    amount: Decimal | None = None,
    due_on: date | None = None,
    currency: str | None = None,
    external_ref: str = "",
    note: str = "",
    actor=None,
) -> Invoice:
    """Write an invoice with its lines, its receivable entry and `invoice.raised` (in the caller's
    transaction)."""
    amount = sum((line.amount for line in lines), ZERO) if amount is None else amount
    invoice = Invoice.objects.create(
        number=next_number("INV"),
        partner=partner,
        currency=currency or (order.currency if order is not None else partner.credit_currency) or "CNY",
        source=source,
        order=order,
        shipment=shipment,
        external_ref=external_ref,
        issued_on=issued_on,
        due_on=due_on or issued_on + timedelta(days=partner.payment_terms_days or 0),
        amount=amount,
        note=note[:300],
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                order_line=line.order_line,
                sku_id=line.order_line.sku_id,
                description=line.order_line.sku.code if line.order_line.sku_id else "",
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in lines
        ]
    )
    ledger.post(
        partner=partner,
        book=Book.RECEIVABLE,
        kind=LedgerEntry.Kind.INVOICE,
        amount=amount,
        occurred_on=issued_on,
        reference=invoice.number,
        actor=actor,
        currency=invoice.currency,
    )
    publish("invoice.raised", "invoice", invoice.number, _payload(invoice))
    if order is not None:
        _settle_order_invoice(invoice, order, actor)
    return invoice


def _rebate_share(invoice: Invoice, order) -> Decimal:
    """The part of `invoice` the rebate fund pays: its amount x the order's rebate share."""
    rebate = getattr(order, "rebate_amount", ZERO) or ZERO
    if rebate <= 0 or order.total <= 0:
        return ZERO
    return min(quantize(invoice.amount * rebate / order.total), invoice.amount)


def _settle_order_invoice(invoice: Invoice, order, actor) -> None:
    if order.payment_method == "prepayment":
        prepaid = invoice.amount - _rebate_share(invoice, order)
        if prepaid > 0:
            ledger.post(
                partner=invoice.partner,
                book=Book.RECEIVABLE,
                kind=LedgerEntry.Kind.PREPAYMENT_OUT,
                amount=-prepaid,
                occurred_on=invoice.issued_on,
                reference=invoice.number,
                note=order.number,
                actor=actor,
                currency=invoice.currency,
            )
            allocation.allocate(
                invoice=invoice,
                amount=prepaid,
                source=Allocation.Source.PREPAYMENT,
                reference=order.number,
                actor=actor,
            )
    settle_from_rebate(order, actor)


def settle_from_rebate(order, actor=None) -> Decimal:
    """Allocate what the rebate fund has paid for `order` (its captures) and no invoice of it has
    been settled with yet to the order's open invoices (oldest first). Returns the amount allocated."""
    from qudao.partners.models import FundAccount, FundEntry

    if not (getattr(order, "rebate_amount", ZERO) or ZERO) > 0:
        return ZERO
    captured = -(
        FundEntry.objects.filter(
            account__partner_id=order.partner_id,
            account__kind=FundAccount.Kind.REBATE,
            kind=FundEntry.Kind.CAPTURE,
            reference=order.number,
        ).aggregate(total=Sum("balance_delta"))["total"]
        or ZERO
    )
    settled = (
        Allocation.objects.filter(invoice__order=order, source=Allocation.Source.REBATE).aggregate(total=Sum("amount"))[
            "total"
        ]
        or ZERO
    )
    left = captured - settled
    if left <= 0:
        return ZERO
    invoices = list(
        Invoice.objects.select_for_update().filter(order=order, status__in=allocation.OPEN_STATUSES).order_by("pk")
    )
    invoices.sort(key=lambda inv: (inv.due_on, inv.issued_on, inv.pk))
    by_rebate = dict(
        Allocation.objects.filter(invoice__in=invoices, source=Allocation.Source.REBATE)
        .values_list("invoice_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    # each invoice first gets its own share of the fund's part (what its shipment took), then
    # whatever is left goes oldest first
    plan: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rest = left
    for invoice in invoices:
        due = _rebate_share(invoice, order) - by_rebate.get(invoice.pk, ZERO)
        take = min(rest, due, invoice.outstanding)
        if take > 0:
            plan[invoice.pk] += take
            rest -= take
    for invoice in invoices:
        take = min(rest, invoice.outstanding - plan[invoice.pk])
        if take > 0:
            plan[invoice.pk] += take
            rest -= take
    used = ZERO
    for invoice in invoices:
        take = plan[invoice.pk]
        if take <= 0:
            continue
        ledger.post(
            partner=invoice.partner,
            book=Book.RECEIVABLE,
            kind=LedgerEntry.Kind.REBATE_USED,
            amount=-take,
            reference=invoice.number,
            note=order.number,
            actor=actor,
            currency=invoice.currency,
        )
        allocation.allocate(
            invoice=invoice, amount=take, source=Allocation.Source.REBATE, reference=order.number, actor=actor
        )
        used += take
    return used


def raise_for_shipment(shipment, actor=None) -> Invoice | None:
    """The invoice of a shipment: what it carries (once; None when it bills nothing)."""
    if Invoice.objects.filter(shipment=shipment).exists():
        return None
    order = shipment.order
    lines = [
        _billed(line.order_line, line.quantity)
        for line in shipment.lines.select_related("order_line__sku").order_by("order_line__line_no")
    ]
    if sum((line.amount for line in lines), ZERO) <= 0:
        return None
    if (getattr(order, "rebate_amount", ZERO) or ZERO) > 0:
        # the lock order (funds before finance): orders takes the rebate fund's share after this
        # shipment's invoice, so take the account now, before the ledger balances and invoices
        from qudao.partners import funds
        from qudao.partners.models import FundAccount

        funds.account_for(order.partner, FundAccount.Kind.REBATE, lock=True)
    issued_on = timezone.localdate(shipment.shipped_at) if shipment.shipped_at else timezone.localdate()
    return _create(
        partner=order.partner,
        source=Invoice.Source.SHIPMENT,
        lines=lines,
        issued_on=issued_on,
        order=order,
        shipment=shipment,
        actor=actor,
    )


def invoiced_quantities(order) -> dict[int, int]:
    """{order_line_id: units invoiced} over the order's invoices (void ones aside)."""
    rows = (
        InvoiceLine.objects.filter(invoice__order=order, order_line__isnull=False)
        .exclude(invoice__status=Invoice.Status.VOID)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {row["order_line_id"]: row["units"] for row in rows}


def raise_for_order(order, actor=None) -> Invoice | None:
    """The invoice of a delivered order: its shipped units not invoiced yet (None when nothing)."""
    done = invoiced_quantities(order)
    lines = []
    for line in order.lines.select_related("sku").order_by("line_no"):
        units = line.shipped_quantity - done.get(line.pk, 0)
        if units > 0:
            lines.append(_billed(line, units))
    if sum((line.amount for line in lines), ZERO) <= 0:
        return None
    return _create(
        partner=order.partner, source=Invoice.Source.ORDER, lines=lines, issued_on=timezone.localdate(), order=order,
        actor=actor,
    )  # fmt: skip


# --- event handlers (subscribed in apps.py) ---------------------------------------------------------


def on_shipment_created(event) -> None:
    from qudao.orders.models import Shipment

    if invoice_on() != "shipment":
        return
    shipment = Shipment.objects.select_related("order__partner").get(number=event.payload["shipment"])
    raise_for_shipment(shipment)


def on_order_delivered(event) -> None:
    from qudao.orders.models import Order

    if invoice_on() != "delivery":
        return
    raise_for_order(Order.objects.select_related("partner").get(number=event.payload["number"]))


def on_return_credited(event) -> None:
    from qudao.orders.models import CreditNote

    note = CreditNote.objects.select_related("partner", "return_request__order").get(
        number=event.payload["credit_note"]
    )
    book_credit_note(note)


FUND_KINDS = {
    ("fund.deposited", "prepayment"): (Book.PREPAYMENT, LedgerEntry.Kind.PREPAYMENT_IN, 1),
    ("fund.captured", "prepayment"): (Book.PREPAYMENT, LedgerEntry.Kind.PREPAYMENT_OUT, -1),
    ("fund.deposited", "rebate"): (Book.REBATE, LedgerEntry.Kind.REBATE_POSTED, 1),
    ("fund.captured", "rebate"): (Book.REBATE, LedgerEntry.Kind.REBATE_USED, -1),
    ("fund.expired", "rebate"): (Book.REBATE, LedgerEntry.Kind.REBATE_EXPIRED, -1),
    # an adjustment's amount is already signed (a rebate true-up below what was posted is negative)
    ("fund.adjusted", "prepayment"): (Book.PREPAYMENT, LedgerEntry.Kind.ADJUSTMENT, 1),
    ("fund.adjusted", "rebate"): (Book.REBATE, LedgerEntry.Kind.ADJUSTMENT, 1),
}


def on_fund_movement(event) -> None:
    """A deposit or capture of a fund account: the entry in its book; a rebate capture for an order
    also settles the order's invoices by that much."""
    from qudao.orders.models import Order

    payload = event.payload
    found = FUND_KINDS.get((event.event_type, payload.get("kind")))
    if found is None:
        return
    book, kind, sign = found
    amount = Decimal(payload["amount"]) * sign
    if amount == 0:
        return
    ledger.post(
        partner=payload["partner"],
        book=book,
        kind=kind,
        amount=amount,
        reference=payload.get("reference", ""),
        currency=payload.get("currency"),
    )
    if (event.event_type, payload.get("kind")) == ("fund.captured", "rebate") and payload.get("reference"):
        order = Order.objects.filter(partner_id=payload["partner"], number=payload["reference"]).first()
        if order is not None:
            settle_from_rebate(order)


# --- credit notes -------------------------------------------------------------------------------


def book_credit_note(note, actor=None) -> list[Allocation]:
    """Post a credit note (receivable, -amount, on its issue date) and allocate it: the open
    invoices of its order first, then the partner's other open invoices oldest first, each
    allocation dated the credit note's issue date (or the invoice's, when later). Booking twice
    books once."""
    if note.amount <= 0:
        return []
    with transaction.atomic():
        if LedgerEntry.objects.filter(
            partner_id=note.partner_id, kind=LedgerEntry.Kind.CREDIT_NOTE, reference=note.number
        ).exists():
            return []
        ledger.post(
            partner=note.partner,
            book=Book.RECEIVABLE,
            kind=LedgerEntry.Kind.CREDIT_NOTE,
            amount=-note.amount,
            occurred_on=note.issued_on,
            reference=note.number,
            actor=actor,
            currency=note.currency,
        )
        return allocation.oldest_first(
            note.partner,
            note.amount,
            source=Allocation.Source.CREDIT_NOTE,
            credit_note=note,
            reference=note.number,
            actor=actor,
            order=note.return_request.order_id,
            currency=note.currency,
            dated_from=note.issued_on,
        )


# --- ERP import ---------------------------------------------------------------------------------


def _date(value, errors: FieldErrors, key: str, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            errors.add(key, _("Enter a date (YYYY-MM-DD)."))
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.add(key, _("Enter a date (YYYY-MM-DD)."))
        return None


def import_invoices(*, rows: list[dict], actor) -> list[dict]:
    """The ERP's invoices: each row {partner (code), external_ref, issued_on, due_on (optional:
    the partner's terms), amount, currency (optional), note}. Idempotent by (partner,
    external_ref): a row already imported answers its invoice ("existing") and writes nothing.
    All or nothing: any wrong row refuses the batch (422, `rows.<i>.<field>`).

    Returns [{row, number, status: "created" | "existing", invoice}]."""
    from qudao.partners.models import Partner

    errors = FieldErrors()
    if not isinstance(rows, list) or not rows:
        raise FieldErrors.single("rows", _("Send at least one row."))
    if len(rows) > MAX_BULK_ROWS:
        raise FieldErrors.single("rows", _("At most %(max)s rows at a time.") % {"max": MAX_BULK_ROWS})
    partners = {p.code: p for p in Partner.objects.filter(code__in=[str(row.get("partner", "")) for row in rows])}
    cleaned = []
    seen = {}
    for index, row in enumerate(rows):
        key = f"rows.{index}"
        partner = partners.get(str(row.get("partner", "")))
        if partner is None:
            errors.add(f"{key}.partner", _("No partner with this code."))
        ref = str(row.get("external_ref") or "").strip()
        if not ref or len(ref) > 64:
            errors.add(f"{key}.external_ref", _("Enter the ERP's reference (at most 64 characters)."))
        elif partner is not None:
            if (partner.pk, ref) in seen:
                errors.add(
                    f"{key}.external_ref",
                    _("The same reference is on row %(row)s.") % {"row": seen[(partner.pk, ref)]},
                )
            seen.setdefault((partner.pk, ref), index)
        issued_on = _date(row.get("issued_on"), errors, f"{key}.issued_on")
        due_on = _date(row.get("due_on"), errors, f"{key}.due_on", required=False)
        if issued_on and due_on and due_on < issued_on:
            errors.add(f"{key}.due_on", _("The due date cannot be before the issue date."))
        if issued_on and issued_on > timezone.localdate():
            errors.add(f"{key}.issued_on", _("An invoice cannot be issued in the future."))
        try:
            amount = parse_amount(row.get("amount"))
        except (TypeError, ValueError):
            amount = None
        if amount is None or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            errors.add(f"{key}.amount", _("Enter an amount above zero, in cents at most."))
        currency = str(row.get("currency") or (partner.credit_currency if partner else "") or "CNY")
        if currency not in SUPPORTED_CURRENCIES:
            errors.add(
                f"{key}.currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(SUPPORTED_CURRENCIES)}
            )
        note = str(row.get("note") or "")
        if len(note) > 300:
            errors.add(f"{key}.note", _("At most %(max)s characters.") % {"max": 300})
        cleaned.append((partner, ref, issued_on, due_on, amount, currency, note))
    if errors.errors:
        errors.detail = NOTHING_WRITTEN
        raise errors
    existing = defaultdict(dict)
    for invoice in Invoice.objects.filter(
        partner__in={p for p, *_rest in cleaned}, external_ref__in={r for _p, r, *_rest in cleaned}
    ):
        existing[invoice.partner_id][invoice.external_ref] = invoice
    for index, (partner, ref, _issued, _due, amount, currency, _note) in enumerate(cleaned):
        found = existing[partner.pk].get(ref)
        if found is not None and (found.amount != amount or found.currency != currency):
            errors.add(
                f"rows.{index}.external_ref",
                _("Invoice %(number)s has this reference with another amount.") % {"number": found.number},
            )
    if errors.errors:
        errors.detail = NOTHING_WRITTEN
        raise errors
    results = []
    try:
        with transaction.atomic():
            for index, (partner, ref, issued_on, due_on, amount, currency, note) in enumerate(cleaned):
                found = existing[partner.pk].get(ref)
                if found is not None:
                    results.append({"row": index, "status": "existing", "invoice": found})
                    continue
                invoice = _create(
                    partner=partner,
                    source=Invoice.Source.ERP,
                    lines=[],
                    amount=amount,
                    issued_on=issued_on,
                    due_on=due_on,
                    currency=currency,
                    external_ref=ref,
                    note=note,
                    actor=actor,
                )
                results.append({"row": index, "status": "created", "invoice": invoice})
    except IntegrityError:  # the same reference imported concurrently: the retry finds it
        raise FieldErrors.single(
            "rows", _("These invoices were being imported at the same time; send again.")
        ) from None
    return results
