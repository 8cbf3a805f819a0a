"""Payments (回款): money received from a partner, booked to its receivable book and allocated to
its invoices (ADR 0009).

- `record_payment`: finance books a payment (or a bank/ERP file row does, see
  `qudao.finance.importing`): status confirmed, number PAY..., a receivable ledger entry of
  -amount (kind payment), the event `payment.received`, then allocation - oldest first (oldest due
  date, then oldest issue date) unless finance names the invoices by hand. What is not allocated
  stays on the payment (`unallocated`), to be allocated later with `allocate_payment`.
- `announce_payment`: the partner says it paid, with a proof (image or PDF): status announced,
  nothing in the ledger until finance confirms it (`confirm_payment`, then as above) or rejects it
  with a reason (`reject_payment`, the partner is told in-app).
- `reverse_payment`: a bounced payment - every allocation undone (negative rows), the ledger
  entry reversed, status reversed, the event `payment.reversed`. Once only (409 after).

Locks (CONTRIBUTING.md): partner -> ledger balance (`ledger.post` locks it) -> invoices in pk
order -> payments in pk order. Every write to a payment runs under its partner's row lock, so the
payment row (new, or moved by a compare-and-set UPDATE) is never contended by another flow that
holds an invoice lock. Numbers are taken before the transaction (`next_number("PAY")`).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qudao.core import idempotency
from qudao.core.audit import acting_as, current_actor, record_change, serialize_for_audit
from qudao.core.errors import Conflict, FieldErrors, NotFound
from qudao.core.events import publish
from qudao.core.money import CENT, parse_amount
from qudao.core.notifications import notify
from qudao.core.numbering import next_number
from qudao.core.numbers import parse_id
from qudao.core.uploads import PHOTOS_AND_PDF, check_upload, stored_name
from qudao.core.validators import check_text, clean_past_date
from qudao.partners.scoping import scope

from . import allocation as allocation_service
from . import ledger
from .models import Allocation, Book, Invoice, LedgerEntry, Payment

ZERO = Decimal("0")
MAX_AMOUNT = Decimal("9999999999999.99")
TEXT_LIMITS = {"bank_reference": 64, "payer_name": 200, "note": 300}
OPEN_STATUSES = (Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID)


# --- checking input ----------------------------------------------------------------------------


def clean_amount(value, errors: FieldErrors, key: str = "amount") -> Decimal | None:
    """A positive amount in whole cents (at most two decimals), or None with an error at `key`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(key, _("Enter the amount."))
        return None
    if isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = parse_amount(value)
        except (ValueError, TypeError):
            errors.add(key, _("Enter an amount such as 12800.00."))
            return None
    if amount <= 0:
        errors.add(key, _("The amount must be greater than zero."))
        return None
    if amount != amount.quantize(CENT):
        errors.add(key, _("The amount has more than two decimals (whole cents only)."))
        return None
    if amount > MAX_AMOUNT:
        errors.add(key, _("The amount is too large."))
        return None
    return amount.quantize(CENT)


def clean_received_on(value, errors: FieldErrors, key: str = "received_on", today: date | None = None) -> date | None:
    """The date the money arrived: required, a date, not in the future."""
    if value in (None, ""):
        errors.add(key, _("Enter the date the money was received."))
        return None
    return clean_past_date(value, errors, key, today=today)


def clean_allocated_on(
    value, errors: FieldErrors, received_on: date | None, key: str = "allocated_on", today: date | None = None
) -> date | None:
    """The business date of a payment's allocations, when finance or the ERP gives one (else None:
    the day they are made): a date, not in the future, not before the money arrived."""
    value = clean_past_date(value, errors, key, today=today)
    if value is None:
        return None
    if received_on is not None and value < received_on:
        errors.add(
            key,
            _("The money arrived on %(date)s: it cannot be allocated before.") % {"date": received_on.isoformat()},
        )
        return None
    return value


def clean_payment(data: dict, errors: FieldErrors | None = None, prefix: str = "") -> dict:
    """Check a payment's fields (amount, received_on, method, bank_reference, payer_name, note, and
    allocated_on: the business date of its allocations, optional); every wrong field is added to
    `errors` (raised when none was given)."""
    own = errors is None
    errors = errors if errors is not None else FieldErrors()
    cleaned = {
        "amount": clean_amount(data.get("amount"), errors, f"{prefix}amount"),
        "received_on": clean_received_on(data.get("received_on"), errors, f"{prefix}received_on"),
    }
    cleaned["allocated_on"] = clean_allocated_on(
        data.get("allocated_on"), errors, cleaned["received_on"], f"{prefix}allocated_on"
    )
    method = (data.get("method") or Payment.Method.BANK_TRANSFER).strip()
    if method not in Payment.Method.values:
        errors.add(f"{prefix}method", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Payment.Method.values)})
    cleaned["method"] = method
    for name, limit in TEXT_LIMITS.items():
        text = " ".join(str(data.get(name) or "").split()) if name != "note" else str(data.get(name) or "").strip()
        if len(text) > limit:
            errors.add(f"{prefix}{name}", _("At most %(limit)s characters.") % {"limit": limit})
        else:
            check_text(errors, f"{prefix}{name}", text)
        cleaned[name] = text[:limit]
    if own and errors.errors:
        raise errors
    return cleaned


def booked_reference(partner_id: int, bank_reference: str) -> Payment | None:
    """The payment of this partner already carrying `bank_reference` (rejected ones do not count)."""
    if not bank_reference:
        return None
    return (
        Payment.objects.filter(partner_id=partner_id, bank_reference=bank_reference)
        .exclude(status=Payment.Status.REJECTED)
        .first()
    )


def _duplicate_reference_message(payment: Payment) -> str:
    return _("This bank reference is already booked for this partner (payment %(number)s).") % {
        "number": payment.number
    }


def validate_proof(upload, errors: FieldErrors, key: str = "proof") -> None:
    """A proof of payment: PDF, JPG, PNG or WebP by extension AND content, not empty, at most
    settings.PAYMENT_PROOF_MAX_BYTES."""
    from django.conf import settings

    if upload is None:
        errors.add(key, _("Upload the proof of payment (a photo or a PDF)."))
        return
    check_upload(
        upload,
        errors,
        key,
        kinds=PHOTOS_AND_PDF,
        max_bytes=settings.PAYMENT_PROOF_MAX_BYTES,
        wrong_kind=_("Upload a PDF, JPG, PNG or WebP file."),
        not_genuine=_("The file is not a real PDF, JPG, PNG or WebP file."),
    )


@dataclass
class Split:
    invoice: Invoice
    amount: Decimal


def clean_allocations(
    partner, currency: str, pairs, available: Decimal | None, errors: FieldErrors, allocated_on: date | None = None
) -> list[Split]:
    """Check finance's choice of invoices: a list of (invoice or invoice id or number, amount).
    Each invoice must be the partner's, open, in the payment's currency, named once, issued by
    `allocated_on` when given; each amount positive, in cents and at most what the invoice has
    outstanding; the sum at most `available` (the payment's amount, or what it has left). Errors
    at allocations.<i>.invoice / .amount and allocations (the sum)."""
    splits: list[Split] = []
    seen: set[int] = set()
    total = ZERO
    for index, pair in enumerate(pairs or []):
        key = f"allocations.{index}"
        try:
            reference, raw_amount = pair
        except (TypeError, ValueError):
            errors.add(key, _("Give an invoice and an amount."))
            continue
        invoice = _find_invoice(partner, reference)
        if invoice is None:
            errors.add(f"{key}.invoice", _("No open invoice of this partner has this number."))
        amount = clean_amount(raw_amount, errors, f"{key}.amount")
        if invoice is None:
            continue
        if invoice.pk in seen:
            errors.add(f"{key}.invoice", _("Invoice %(number)s is named twice.") % {"number": invoice.number})
            continue
        seen.add(invoice.pk)
        if invoice.status not in OPEN_STATUSES:
            errors.add(f"{key}.invoice", _("Invoice %(number)s is not open.") % {"number": invoice.number})
            continue
        if invoice.currency != currency:
            errors.add(
                f"{key}.invoice",
                _("Invoice %(number)s is in %(currency)s.") % {"number": invoice.number, "currency": invoice.currency},
            )
            continue
        if allocated_on is not None and invoice.issued_on > allocated_on:
            errors.add(
                f"{key}.invoice",
                _("Invoice %(number)s was issued on %(date)s: it cannot be settled before.")
                % {"number": invoice.number, "date": invoice.issued_on.isoformat()},
            )
            continue
        if amount is None:
            continue
        if amount > invoice.outstanding:
            errors.add(
                f"{key}.amount",
                _("Invoice %(number)s has %(outstanding)s outstanding; %(amount)s is more.")
                % {"number": invoice.number, "outstanding": f"{invoice.outstanding:,.2f}", "amount": f"{amount:,.2f}"},
            )
            continue
        total += amount
        splits.append(Split(invoice, amount))
    if available is not None and total > available:
        errors.add(
            "allocations",
            _("The allocations add up to %(total)s, more than the %(available)s to allocate.")
            % {"total": f"{total:,.2f}", "available": f"{available:,.2f}"},
        )
    return splits


def _find_invoice(partner, reference) -> Invoice | None:
    if isinstance(reference, Invoice):
        return reference if reference.partner_id == partner.pk else None
    invoices = Invoice.objects.filter(partner_id=partner.pk)
    text = str(reference or "").strip()
    if not text:
        return None
    if parse_id(text) is not None:
        found = invoices.filter(pk=parse_id(text)).first()
        if found is not None:
            return found
    return invoices.filter(number=text).first()


# --- writing -----------------------------------------------------------------------------------


def _lock_partner(partner):
    from qudao.partners.models import Partner

    return Partner.objects.select_for_update(of=("self",)).get(pk=getattr(partner, "pk", partner))


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _payload(payment: Payment, **extra) -> dict:
    return {
        "number": payment.number,
        "partner_id": payment.partner_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "received_on": payment.received_on.isoformat(),
        "source": payment.source,
        "bank_reference": payment.bank_reference,
        **extra,
    }


def _book(payment: Payment, *, partner, actor) -> None:
    """In the caller's transaction, under the partner lock: the receivable entry (-amount) and
    the event `payment.received`."""
    ledger.post(
        partner=partner,
        book=Book.RECEIVABLE,
        kind=LedgerEntry.Kind.PAYMENT,
        amount=-payment.amount,
        occurred_on=payment.received_on,
        reference=payment.number,
        note=payment.bank_reference or payment.note,
        actor=actor,
        currency=payment.currency,
    )
    publish("payment.received", "payment", payment.pk, _payload(payment))


def _allocate(
    payment: Payment, *, partner, splits: list[Split] | None, actor, allocated_on: date | None = None
) -> list[Allocation]:
    if splits is None:
        return allocation_service.oldest_first(
            partner,
            payment.unallocated,
            source=Allocation.Source.PAYMENT,
            payment=payment,
            reference=payment.number,
            actor=actor,
            currency=payment.currency,
            allocated_on=allocated_on,
        )
    rows = []
    by_pk = sorted(splits, key=lambda split: split.invoice.pk)
    # lock the chosen invoices in pk order, then check again what each has outstanding now
    locked = {
        inv.pk: inv
        for inv in Invoice.objects.select_for_update().filter(pk__in=[s.invoice.pk for s in by_pk]).order_by("pk")
    }
    errors = FieldErrors()
    for index, split in enumerate(splits):
        invoice = locked[split.invoice.pk]
        if invoice.status not in OPEN_STATUSES or split.amount > invoice.outstanding:
            errors.add(
                f"allocations.{index}.amount",
                _("Invoice %(number)s has %(outstanding)s outstanding; %(amount)s is more.")
                % {
                    "number": invoice.number,
                    "outstanding": f"{invoice.outstanding:,.2f}",
                    "amount": f"{split.amount:,.2f}",
                },
            )
    if errors.errors:
        raise errors
    for split in by_pk:
        rows.append(
            allocation_service.allocate(
                invoice=locked[split.invoice.pk],
                amount=split.amount,
                source=Allocation.Source.PAYMENT,
                payment=payment,
                reference=payment.number,
                actor=actor,
                allocated_on=allocated_on,
            )
        )
    return rows


def _allocation_key(reference):
    """An allocation's invoice as the request named it (an invoice, its id or its number)."""
    if isinstance(reference, Invoice):
        return reference.number
    return reference if isinstance(reference, (int, str)) else str(reference)


def _amount_key(raw):
    try:
        return parse_amount(raw)
    except (TypeError, ValueError):
        return str(raw)


def payment_fingerprint(partner, cleaned: dict, *, allocations=None, proof=None) -> str:
    """The Idempotency-Key fingerprint of a payment request, from its cleaned fields, the
    allocations as asked (invoice and amount, in the order given) and the proof's SHA-256."""
    import hashlib

    request = {"partner": partner.pk, **cleaned}
    if allocations:
        request["allocations"] = [
            [_allocation_key(pair[0]), _amount_key(pair[1])]
            if isinstance(pair, (list, tuple)) and len(pair) == 2
            else str(pair)
            for pair in allocations
        ]
    if proof is not None:
        digest = hashlib.sha256()
        for chunk in proof.chunks():
            digest.update(chunk)
        proof.seek(0)
        request["proof"] = digest.hexdigest()
    return idempotency.fingerprint(request)


def _retry_of(partner_id: int, key: str | None, request_fingerprint: str) -> Payment | None:
    """The payment an earlier request with this key booked, when this one is its retry.

    :raises FieldErrors: idempotency_key (`idempotency_key_reused`): the key booked a payment
        from a different request."""
    if key is None:
        return None
    existing = Payment.objects.filter(partner_id=partner_id, idempotency_key=key).first()
    if existing is not None:
        idempotency.check_retry(existing.idempotency_fingerprint, request_fingerprint, existing.number)
    return existing


def record_payment(
    *,
    partner,
    data: dict,
    actor,
    allocations=None,
    idempotency_key: str | None = None,
    source: str = Payment.Source.FINANCE,
) -> tuple[Payment, bool]:
    """Book a payment finance received (confirmed at once) and allocate it: to the invoices in
    `allocations` ([(invoice or id or number, amount), ...]) when given, else oldest first.
    Returns (payment, created): a retry with the same Idempotency-Key and the same request returns
    the first payment and False.

    :raises FieldErrors: amount, received_on, method, bank_reference (also: already booked for
        this partner), payer_name, note, allocations.<i>.invoice / .amount, allocations,
        idempotency_key (too long; `idempotency_key_reused`: the key booked a payment from a
        different request); nothing is written.
    """
    errors = FieldErrors()
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 100:
        errors.add("idempotency_key", _("An Idempotency-Key has at most 100 characters."))
    cleaned = clean_payment(data, errors)
    allocated_on = cleaned.pop("allocated_on")
    currency = partner.credit_currency or "CNY"
    request_fingerprint = payment_fingerprint(partner, cleaned, allocations=allocations)
    # a retry is known before its allocations are checked (the first payment took what they allocate)
    existing = None if errors.errors else _retry_of(partner.pk, key, request_fingerprint)
    if existing is not None:
        return existing, False
    splits = None
    if allocations:
        splits = clean_allocations(partner, currency, allocations, cleaned["amount"], errors, allocated_on)
    duplicate = booked_reference(partner.pk, cleaned["bank_reference"])
    if duplicate is not None:
        errors.add("bank_reference", _duplicate_reference_message(duplicate))
    if errors.errors:
        raise errors
    number = next_number("PAY")
    try:
        with transaction.atomic():
            partner = _lock_partner(partner)
            existing = _retry_of(partner.pk, key, request_fingerprint)
            if existing is not None:
                return existing, False
            duplicate = booked_reference(partner.pk, cleaned["bank_reference"])
            if duplicate is not None:
                raise FieldErrors.single("bank_reference", _duplicate_reference_message(duplicate), code="duplicate")
            payment = Payment.objects.create(
                number=number,
                partner=partner,
                currency=currency,
                source=source,
                status=Payment.Status.CONFIRMED,
                created_by=_actor(actor),
                decided_by=_actor(actor),
                decided_at=timezone.now(),
                idempotency_key=key,
                idempotency_fingerprint=request_fingerprint if key is not None else "",
                **cleaned,
            )
            _book(payment, partner=partner, actor=actor)
            _allocate(payment, partner=partner, splits=splits, actor=actor, allocated_on=allocated_on)
    except IntegrityError:
        # another request booked the same reference or key between our check and our write
        existing = _retry_of(partner.pk, key, request_fingerprint)
        if existing is not None:
            return existing, False
        duplicate = booked_reference(partner.pk, cleaned["bank_reference"])
        if duplicate is not None:
            raise FieldErrors.single(
                "bank_reference", _duplicate_reference_message(duplicate), code="duplicate"
            ) from None
        raise
    payment.refresh_from_db()
    return payment, True


def announce_payment(*, partner, data: dict, proof, actor, idempotency_key: str | None = None) -> tuple[Payment, bool]:
    """The partner says it paid (amount, date, bank reference, proof): status announced, nothing
    in the ledger until finance confirms it. Finance is told in-app.

    Returns (payment, created): a retry with the same Idempotency-Key and the same request (the
    same proof file too) returns the first payment and False.

    :raises FieldErrors: amount, received_on, method, bank_reference, payer_name, note, proof,
        idempotency_key (too long; `idempotency_key_reused`: the key announced a payment from a
        different request).
    """
    errors = FieldErrors()
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 100:
        errors.add("idempotency_key", _("An Idempotency-Key has at most 100 characters."))
    cleaned = clean_payment(data, errors)
    cleaned.pop("allocated_on")  # allocated when finance confirms it
    validate_proof(proof, errors)
    request_fingerprint = payment_fingerprint(partner, cleaned, proof=proof) if proof is not None else ""
    existing = None if errors.errors else _retry_of(partner.pk, key, request_fingerprint)
    if existing is not None:
        return existing, False
    duplicate = booked_reference(partner.pk, cleaned["bank_reference"])
    if duplicate is not None:
        errors.add("bank_reference", _duplicate_reference_message(duplicate))
    if errors.errors:
        raise errors
    number = next_number("PAY")
    with transaction.atomic():
        partner = _lock_partner(partner)
        existing = _retry_of(partner.pk, key, request_fingerprint)  # a retry that waited for the first
        if existing is not None:
            return existing, False
        duplicate = booked_reference(partner.pk, cleaned["bank_reference"])
        if duplicate is not None:
            raise FieldErrors.single("bank_reference", _duplicate_reference_message(duplicate), code="duplicate")
        payment = Payment(
            number=number,
            partner=partner,
            currency=partner.credit_currency or "CNY",
            source=Payment.Source.PARTNER,
            status=Payment.Status.ANNOUNCED,
            created_by=_actor(actor),
            idempotency_key=key,
            idempotency_fingerprint=request_fingerprint if key is not None else "",
            **cleaned,
        )
        payment.proof.save(stored_name(proof, "proof"), proof, save=False)
        payment.save()
        publish("payment.announced", "payment", payment.pk, _payload(payment))
        notify(
            get_user_model().objects.approvers_for("finance"),
            kind="payment.announced",
            title=gettext_lazy("Payment %(number)s announced by %(partner)s"),
            body=gettext_lazy("%(amount)s %(currency)s received on %(date)s, bank reference %(reference)s."),
            params={
                "number": payment.number,
                "partner": str(partner),
                "amount": f"{payment.amount:,.2f}",
                "currency": payment.currency,
                "date": payment.received_on.isoformat(),
                "reference": payment.bank_reference or "-",
            },
            url=f"/finance/payments/{payment.number}/",
        )
    return payment, True


def _moved(payment: Payment, status_from: str, *, actor=None, message: str = "", **values) -> None:
    """Compare-and-set: move the payment only if it is still in `status_from`; the move is
    recorded in the audit trail (with the reason as its message)."""
    before = serialize_for_audit(payment)
    updated = Payment.objects.filter(pk=payment.pk, status=status_from).update(updated_at=timezone.now(), **values)
    if updated != 1:
        raise Conflict(_("Payment %(number)s was changed by someone else. Reload it.") % {"number": payment.number})
    for name, value in values.items():
        setattr(payment, name, value)
    with acting_as(actor) if _actor(actor) and current_actor() is None else nullcontext():
        record_change(payment, "update", before, serialize_for_audit(payment), message)


def confirm_payment(*, payment: Payment, actor, allocations=None, allocated_on=None) -> Payment:
    """Finance confirms an announced payment: booked and allocated as `record_payment` does
    (`allocated_on`: the allocations' business date, default today).

    :raises Conflict: the payment is not announced (already confirmed, rejected or reversed).
    :raises FieldErrors: allocations.<i>.invoice / .amount, allocations, allocated_on.
    """
    if payment.status != Payment.Status.ANNOUNCED:
        raise Conflict(_("Only an announced payment can be confirmed."))
    errors = FieldErrors()
    allocated_on = clean_allocated_on(allocated_on, errors, payment.received_on)
    splits = None
    if allocations:
        splits = clean_allocations(payment.partner, payment.currency, allocations, payment.amount, errors, allocated_on)
    if errors.errors:
        raise errors
    with transaction.atomic():
        partner = _lock_partner(payment.partner_id)
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status != Payment.Status.ANNOUNCED:
            raise Conflict(_("Only an announced payment can be confirmed."))
        _book(payment, partner=partner, actor=actor)  # the lock order: ledger balance before payments
        _moved(
            payment,
            Payment.Status.ANNOUNCED,
            actor=actor,
            status=Payment.Status.CONFIRMED,
            decided_by=_actor(actor),
            decided_at=timezone.now(),
        )
        _allocate(payment, partner=partner, splits=splits, actor=actor, allocated_on=allocated_on)
        _tell_partner(
            payment,
            kind="payment.confirmed",
            title=gettext_lazy("Payment %(number)s confirmed"),
            body=gettext_lazy("%(amount)s %(currency)s received on %(date)s is booked to your account."),
        )
    payment.refresh_from_db()
    return payment


def reject_payment(*, payment: Payment, actor, reason: str) -> Payment:
    """Finance rejects an announced payment with a reason; the partner is told in-app.

    :raises FieldErrors: reason (required, at most 500 characters).
    :raises Conflict: the payment is not announced.
    """
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors.single("reason", _("Give the reason."), code="required")
    if len(reason) > 500:
        raise FieldErrors.single("reason", _("At most %(limit)s characters.") % {"limit": 500})
    errors = FieldErrors()
    if not check_text(errors, "reason", reason):
        raise errors
    if payment.status != Payment.Status.ANNOUNCED:
        raise Conflict(_("Only an announced payment can be rejected."))
    with transaction.atomic():
        _lock_partner(payment.partner_id)
        _moved(
            payment,
            Payment.Status.ANNOUNCED,
            actor=actor,
            message=reason,
            status=Payment.Status.REJECTED,
            decided_by=_actor(actor),
            decided_at=timezone.now(),
            decision_note=reason,
        )
        publish("payment.rejected", "payment", payment.pk, _payload(payment, reason=reason))
        _tell_partner(
            payment,
            kind="payment.rejected",
            title=gettext_lazy("Payment %(number)s rejected"),
            body=gettext_lazy("%(amount)s %(currency)s of %(date)s was not confirmed: %(reason)s"),
            reason=reason,
        )
    payment.refresh_from_db()
    return payment


def reverse_payment(*, payment: Payment, actor, reason: str) -> Payment:
    """A confirmed payment bounced: every allocation is undone (negative rows), its receivable
    entry reversed (the partner owes it again), status reversed, `payment.reversed` published.

    :raises FieldErrors: reason (required).
    :raises Conflict: the payment is not confirmed (e.g. already reversed).
    """
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors.single("reason", _("Give the reason."), code="required")
    if len(reason) > 500:
        raise FieldErrors.single("reason", _("At most %(limit)s characters.") % {"limit": 500})
    errors = FieldErrors()
    if not check_text(errors, "reason", reason):
        raise errors
    if payment.status != Payment.Status.CONFIRMED:
        raise Conflict(_("Only a confirmed payment can be reversed."))
    with transaction.atomic():
        _lock_partner(payment.partner_id)
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status != Payment.Status.CONFIRMED:
            raise Conflict(_("Only a confirmed payment can be reversed."))
        entry = (
            LedgerEntry.objects.filter(
                partner_id=payment.partner_id,
                book=Book.RECEIVABLE,
                kind=LedgerEntry.Kind.PAYMENT,
                reference=payment.number,
            )
            .order_by("pk")
            .first()
        )
        if entry is not None:
            ledger.reverse(entry=entry, note=reason, actor=actor)
        open_rows = (
            Allocation.objects.filter(payment=payment, amount__gt=0, reversed_by__isnull=True)
            .select_related("invoice")
            .order_by("invoice_id", "pk")
        )
        for row in list(open_rows):
            allocation_service.unallocate(row, actor)
        _moved(
            payment,
            Payment.Status.CONFIRMED,
            actor=actor,
            message=reason,
            status=Payment.Status.REVERSED,
            decided_by=_actor(actor),
            decided_at=timezone.now(),
            decision_note=reason,
        )
        publish("payment.reversed", "payment", payment.pk, _payload(payment, reason=reason))
        _tell_partner(
            payment,
            kind="payment.reversed",
            title=gettext_lazy("Payment %(number)s reversed"),
            body=gettext_lazy("%(amount)s %(currency)s of %(date)s was reversed: %(reason)s"),
            reason=reason,
        )
    payment.refresh_from_db()
    return payment


def allocate_payment(*, payment: Payment, actor, allocations=None, allocated_on=None) -> list[Allocation]:
    """Allocate what a confirmed payment has left: to the invoices named (by hand) or oldest first,
    as of `allocated_on` (the business date; default today). Publishes `payment.allocated` (the
    payment, what was allocated, the date) when anything was.

    :raises Conflict: the payment is not confirmed.
    :raises FieldErrors: allocations.<i>.invoice / .amount, allocations (more than is left, or
        nothing left to allocate), allocated_on.
    """
    if payment.status != Payment.Status.CONFIRMED:
        raise Conflict(_("Only a confirmed payment can be allocated."))
    errors = FieldErrors()
    if payment.unallocated <= 0:
        raise FieldErrors.single("allocations", _("This payment has nothing left to allocate."))
    allocated_on = clean_allocated_on(allocated_on, errors, payment.received_on)
    splits = None
    if allocations:
        splits = clean_allocations(
            payment.partner, payment.currency, allocations, payment.unallocated, errors, allocated_on
        )
    if errors.errors:
        raise errors
    with transaction.atomic():
        partner = _lock_partner(payment.partner_id)
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status != Payment.Status.CONFIRMED:
            raise Conflict(_("Only a confirmed payment can be allocated."))
        if splits is not None and sum((s.amount for s in splits), ZERO) > payment.unallocated:
            raise FieldErrors.single("allocations", _("This payment has less left to allocate. Reload it."))
        rows = _allocate(payment, partner=partner, splits=splits, actor=actor, allocated_on=allocated_on)
        if rows:
            publish(
                "payment.allocated",
                "payment",
                payment.pk,
                _payload(
                    payment,
                    allocated=str(sum((row.amount for row in rows), ZERO)),
                    allocated_on=(allocated_on or timezone.localdate()).isoformat(),
                    invoices=[row.invoice.number for row in rows],
                ),
            )
        return rows


def _tell_partner(payment: Payment, *, kind: str, title, body, reason: str = "") -> None:
    from qudao.partners.models import PartnerMember

    members = PartnerMember.objects.filter(partner_id=payment.partner_id, is_active=True).select_related("user")
    notify(
        [member.user for member in members if member.user.is_active],
        kind=kind,
        title=title,
        body=body,
        params={
            "number": payment.number,
            "amount": f"{payment.amount:,.2f}",
            "currency": payment.currency,
            "date": payment.received_on.isoformat(),
            "reason": reason,
        },
        url="/portal/finance/payments/",
    )


# --- reads -------------------------------------------------------------------------------------


def payments_for(user):
    """Payments `user` may see (the partner scoping rule)."""
    return scope(Payment.objects.select_related("partner", "created_by", "decided_by"), user)


def payment_list(user, filters: dict | None = None):
    """Filters: partner (id), status, source, method, received_from, received_to, q (number, bank
    reference or payer). Announced payments first (they wait for finance), then newest."""
    from django.db.models import Case, IntegerField, Q, Value, When

    filters = filters or {}
    payments = payments_for(user)
    if filters.get("partner"):
        payments = payments.filter(partner_id=getattr(filters["partner"], "pk", filters["partner"]))
    for name in ("status", "source", "method"):
        if filters.get(name):
            payments = payments.filter(**{name: filters[name]})
    if filters.get("received_from"):
        payments = payments.filter(received_on__gte=filters["received_from"])
    if filters.get("received_to"):
        payments = payments.filter(received_on__lte=filters["received_to"])
    if filters.get("q"):
        q = str(filters["q"]).strip()
        payments = payments.filter(Q(number__icontains=q) | Q(bank_reference__icontains=q) | Q(payer_name__icontains=q))
    return payments.annotate(
        waiting=Case(
            When(status=Payment.Status.ANNOUNCED, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("waiting", "-received_on", "-pk")


def get_payment(user, key) -> Payment:
    """One payment by number or id, if `user` may see it. :raises NotFound: otherwise."""
    payments = payments_for(user)
    text = str(key or "").strip()
    payment = None
    if parse_id(text) is not None:
        payment = payments.filter(pk=parse_id(text)).first()
    if payment is None and text:
        payment = payments.filter(number=text).first()
    if payment is None:
        raise NotFound()
    return payment


def allocations_of(payment: Payment) -> list[Allocation]:
    return list(payment.allocations.select_related("invoice", "actor").order_by("created_at", "pk"))


def open_invoices(partner, currency: str | None = None):
    """The partner's open invoices, oldest due first (the order oldest-first allocation uses)."""
    return Invoice.objects.filter(
        partner_id=getattr(partner, "pk", partner),
        currency=currency or getattr(partner, "credit_currency", None) or "CNY",
        status__in=OPEN_STATUSES,
    ).order_by("due_on", "issued_on", "pk")


def require_visible_partner(user, partner_id):
    from qudao.partners.scoping import get_visible_partner

    return get_visible_partner(user, partner_id)
