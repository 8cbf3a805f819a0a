"""Allocations: which payment, credit note or fund settlement paid which invoice (ADR 0009).

The one primitive that moves `Invoice.settled` (and `Payment.allocated`):

- `allocate(invoice=, amount=, source=, ...)` locks the invoice (and the payment, after it),
  checks the amount against what is outstanding (and what the payment has left), moves the
  counters and writes the Allocation row;
- `unallocate(allocation, actor)` undoes one with a negative row naming it (append-only);
- `oldest_first(partner, amount, ...)` spreads an amount over the partner's open invoices, oldest
  due date first (optionally the invoices of one order first), and returns the rows written.

None of these writes ledger entries: the receivable book moves when the money document is booked
(a payment when it is confirmed, a credit note when it is issued), whatever it pays.

Business date (`allocated_on`): the day the settlement counts from (a statement's open invoices, the
rebates' overdue condition). By default the day it is made; finance or the ERP may give the day it
was settled, never in the future and never before the invoice was issued, the money arrived (a
payment's received date) or the credit note was issued. With a date given, oldest first only pays
the invoices issued by then; a credit note's allocations are dated its issue date, or the
invoice's when that came later (the credit waited for it).

Locks (CONTRIBUTING.md): ... funds -> promotion -> stock -> finance (ledger balances, then
invoices in pk order, then payments in pk order). `oldest_first` locks every candidate invoice in pk order before it
allocates in due-date order.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qudao.core.errors import Conflict, FieldErrors

from .models import Allocation, Invoice, Payment

ZERO = Decimal("0")
OPEN_STATUSES = (Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID)


def _status_for(amount: Decimal, settled: Decimal) -> str:
    if settled <= 0:
        return Invoice.Status.OPEN
    if settled >= amount:
        return Invoice.Status.PAID
    return Invoice.Status.PARTIALLY_PAID


def _move_invoice(invoice: Invoice, delta: Decimal) -> None:
    # The row is locked (select_for_update) and the sum is made here, in Decimal: SQLite keeps
    # decimals as floating point, where "settled + delta" in SQL can land a hair above the amount
    # and break the check constraint (0.1 + 0.2 > 0.3).
    invoice.settled += delta
    invoice.status = _status_for(invoice.amount, invoice.settled)
    Invoice.objects.filter(pk=invoice.pk).update(settled=invoice.settled, status=invoice.status)


def date_errors(day: date, *, invoice: Invoice, payment: Payment | None = None, credit_note=None) -> list[str]:
    """Why `day` cannot be the business date of an allocation to `invoice` (empty: it can)."""
    problems = []
    if day > timezone.localdate():
        problems.append(_("The date cannot be in the future."))
    if day < invoice.issued_on:
        problems.append(
            _("Invoice %(number)s was issued on %(date)s: it cannot be settled before.")
            % {"number": invoice.number, "date": invoice.issued_on.isoformat()}
        )
    if payment is not None and day < payment.received_on:
        problems.append(
            _("The money of payment %(number)s arrived on %(date)s: it cannot be allocated before.")
            % {"number": payment.number, "date": payment.received_on.isoformat()}
        )
    if credit_note is not None and day < credit_note.issued_on:
        problems.append(
            _("Credit note %(number)s was issued on %(date)s: it cannot be allocated before.")
            % {"number": credit_note.number, "date": credit_note.issued_on.isoformat()}
        )
    return problems


def allocate(
    *,
    invoice: Invoice,
    amount: Decimal,
    source: str,
    payment: Payment | None = None,
    credit_note=None,
    reference: str = "",
    actor=None,
    allocated_on: date | None = None,
) -> Allocation:
    """Allocate `amount` (> 0) of `source` (payment / credit_note / prepayment / rebate) to
    `invoice`, in (or opening) one transaction, as of `allocated_on` (the business date; default
    today).

    :raises FieldErrors: the amount is not positive, exceeds what the invoice has outstanding or
        what the payment has left, the source does not match its document, or the date is in the
        future or before the invoice, the money or the credit note (`allocated_on`); nothing is
        written.
    :raises Conflict: the invoice is void, or the payment is not confirmed."""
    amount = Decimal(amount)
    errors = FieldErrors()
    if source not in Allocation.Source.values:
        errors.add("source", _("Unknown allocation source."))
    if source == Allocation.Source.PAYMENT and payment is None:
        errors.add("payment", _("A payment allocation needs a payment."))
    if source == Allocation.Source.CREDIT_NOTE and credit_note is None:
        errors.add("credit_note", _("A credit note allocation needs a credit note."))
    if amount <= 0:
        errors.add("amount", _("The amount must be greater than zero."))
    if errors.errors:
        raise errors
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if payment is not None:
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if invoice.status == Invoice.Status.VOID:
            raise Conflict(_("Invoice %(number)s is void.") % {"number": invoice.number})
        if amount > invoice.outstanding:
            errors.add(
                "amount",
                _("The amount %(amount)s exceeds what invoice %(number)s has outstanding (%(outstanding)s).")
                % {"amount": f"{amount:,.2f}", "number": invoice.number, "outstanding": f"{invoice.outstanding:,.2f}"},
            )
        if payment is not None:
            if payment.status != Payment.Status.CONFIRMED:
                raise Conflict(_("Payment %(number)s is not confirmed.") % {"number": payment.number})
            if payment.partner_id != invoice.partner_id or payment.currency != invoice.currency:
                errors.add("payment", _("The payment and the invoice belong to different partners or currencies."))
            elif amount > payment.unallocated:
                errors.add(
                    "amount",
                    _("The amount %(amount)s exceeds what payment %(number)s has left (%(left)s).")
                    % {"amount": f"{amount:,.2f}", "number": payment.number, "left": f"{payment.unallocated:,.2f}"},
                )
        if credit_note is not None and (
            credit_note.partner_id != invoice.partner_id or credit_note.currency != invoice.currency
        ):
            errors.add("credit_note", _("The credit note and the invoice belong to different partners or currencies."))
        allocated_on = allocated_on or timezone.localdate()
        for problem in date_errors(allocated_on, invoice=invoice, payment=payment, credit_note=credit_note):
            errors.add("allocated_on", problem)
        if errors.errors:
            raise errors
        _move_invoice(invoice, amount)
        if payment is not None:
            # locked above; summed in Decimal, not in SQL (see _move_invoice)
            Payment.objects.filter(pk=payment.pk).update(allocated=payment.allocated + amount)
        return Allocation.objects.create(
            invoice=invoice,
            source=source,
            payment=payment,
            credit_note=credit_note,
            reference=(reference or "")[:64],
            amount=amount,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            allocated_on=allocated_on,
        )


def unallocate(allocation: Allocation, actor=None) -> Allocation:
    """Undo `allocation` with a negative row naming it: the invoice owes it again (and the payment
    has it back to allocate). The undo is dated today (never before the row it undoes).

    :raises Conflict: the allocation is already undone, or is itself an undo."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=allocation.invoice_id)
        payment = None
        if allocation.payment_id:
            payment = Payment.objects.select_for_update().get(pk=allocation.payment_id)
        allocation = Allocation.objects.get(pk=allocation.pk)
        if allocation.amount < 0 or Allocation.objects.filter(reverses=allocation).exists():
            raise Conflict(_("This allocation is already undone or is itself an undo."))
        _move_invoice(invoice, -allocation.amount)
        if payment is not None:
            Payment.objects.filter(pk=payment.pk).update(allocated=payment.allocated - allocation.amount)
        return Allocation.objects.create(
            invoice=invoice,
            source=allocation.source,
            payment=payment,
            credit_note=allocation.credit_note,
            reference=allocation.reference,
            amount=-allocation.amount,
            reverses=allocation,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            allocated_on=max(timezone.localdate(), allocation.allocated_on),
        )


def oldest_first(
    partner,
    amount: Decimal,
    *,
    source: str,
    payment: Payment | None = None,
    credit_note=None,
    reference: str = "",
    actor=None,
    order=None,
    currency: str | None = None,
    allocated_on: date | None = None,
    dated_from: date | None = None,
) -> list[Allocation]:
    """Allocate up to `amount` to the partner's open invoices (in `currency`, by default the
    partner's), the invoices of `order` first when given, then by due date, oldest first (then
    issue date, then pk). Returns the allocations written; what does not fit stays unallocated
    (sum the rows to know how much was used).

    Business dates: `allocated_on` dates every row and only the invoices issued by then are paid;
    `dated_from` (a credit note's issue date) dates each row that day or the invoice's issue date
    when later; neither: today."""
    amount = Decimal(amount)
    if amount <= 0:
        return []
    currency = currency or getattr(partner, "credit_currency", None) or "CNY"
    partner_id = getattr(partner, "pk", partner)
    with transaction.atomic():
        open_invoices = Invoice.objects.select_for_update().filter(
            partner_id=partner_id, currency=currency, status__in=OPEN_STATUSES
        )
        if allocated_on is not None:
            open_invoices = open_invoices.filter(issued_on__lte=allocated_on)
        candidates = list(open_invoices.order_by("pk"))
        order_id = getattr(order, "pk", order)
        candidates.sort(
            key=lambda inv: (0 if order_id and inv.order_id == order_id else 1, inv.due_on, inv.issued_on, inv.pk)
        )
        rows = []
        left = amount
        if payment is not None:
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            left = min(left, payment.unallocated)
        for invoice in candidates:
            if left <= 0:
                break
            take = min(left, invoice.outstanding)
            if take <= 0:
                continue
            rows.append(
                allocate(
                    invoice=invoice,
                    amount=take,
                    source=source,
                    payment=payment,
                    credit_note=credit_note,
                    reference=reference,
                    actor=actor,
                    allocated_on=allocated_on or (max(dated_from, invoice.issued_on) if dated_from else None),
                )
            )
            left -= take
        return rows
