"""The partner ledger (往来账): every money movement of a partner, append-only, in three books
(receivable, prepayment, rebate; see qudao.finance.models).

`post` is the one way in: it locks the book's balance row, moves it and writes the entry with the
balance after it, in the caller's transaction. `reverse` corrects an entry with its opposite.
`reconcile` proves, set-based, that every balance equals the sum of its entries.

Sign convention: an entry's amount is signed in its book's direction - receivable: + the partner
owes more (an invoice), - it owes less (a payment, a credit note, a settlement from a fund);
prepayment and rebate: + the partner has more there, - less.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qudao.core.errors import Conflict

from .models import Book, LedgerBalance, LedgerEntry

ZERO = Decimal("0")
STORED = Decimal("0.0001")  # amounts are stored to four places


def _balance_row(partner_id: int, currency: str, book: str) -> LedgerBalance:
    LedgerBalance.objects.get_or_create(partner_id=partner_id, currency=currency, book=book)
    return LedgerBalance.objects.select_for_update().get(partner_id=partner_id, currency=currency, book=book)


def post(
    *,
    partner,
    book: str,
    kind: str,
    amount: Decimal,
    occurred_on: date | None = None,
    reference: str = "",
    note: str = "",
    actor=None,
    currency: str | None = None,
    reverses: LedgerEntry | None = None,
) -> LedgerEntry:
    """Write one entry of `amount` (signed, in the book's direction) to the partner's `book` and
    move the book's balance with it. Runs in (or opens) a transaction; takes the balance row lock
    (lock order: after funds and stock, before invoices and payments)."""
    if book not in Book.values:
        raise ValueError(f"unknown book {book!r}")
    amount = Decimal(amount)
    if amount == 0:
        raise ValueError("a ledger entry moves money: amount must not be zero")
    currency = currency or getattr(partner, "credit_currency", None) or "CNY"
    partner_id = getattr(partner, "pk", partner)
    with transaction.atomic():
        balance = _balance_row(partner_id, currency, book)
        balance.balance += amount
        balance.save(update_fields=["balance", "updated_at"])
        return LedgerEntry.objects.create(
            partner_id=partner_id,
            currency=currency,
            book=book,
            kind=kind,
            amount=amount,
            balance_after=balance.balance,
            occurred_on=occurred_on or timezone.localdate(),
            reference=(reference or "")[:64],
            note=(note or "")[:300],
            reverses=reverses,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )


def reverse(*, entry: LedgerEntry, note: str, actor=None, occurred_on: date | None = None) -> LedgerEntry:
    """Correct `entry` with an entry of the opposite amount that names it (once only).

    :raises Conflict: the entry is already reversed, or is itself a reversal."""
    with transaction.atomic():
        entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.reverses_id is not None or LedgerEntry.objects.filter(reverses=entry).exists():
            raise Conflict(_("This entry is already reversed or is itself a reversal."))
        return post(
            partner=entry.partner_id,
            book=entry.book,
            kind=LedgerEntry.Kind.REVERSAL,
            amount=-entry.amount,
            occurred_on=occurred_on,
            reference=entry.reference,
            note=note,
            actor=actor,
            currency=entry.currency,
            reverses=entry,
        )


def balance_of(partner, book: str, currency: str | None = None) -> Decimal:
    currency = currency or getattr(partner, "credit_currency", None) or "CNY"
    row = LedgerBalance.objects.filter(partner=partner, currency=currency, book=book).first()
    return row.balance if row else ZERO


@dataclass(frozen=True)
class Mismatch:
    partner_id: int
    currency: str
    book: str
    balance: Decimal
    entries: Decimal


def reconcile(partner_ids=None) -> list[Mismatch]:
    """Every book whose balance differs from the sum of its entries (empty: all reconcile). Two
    grouped queries, whatever the number of partners."""
    entries = LedgerEntry.objects.all()
    balances = LedgerBalance.objects.all()
    if partner_ids is not None:
        entries = entries.filter(partner_id__in=partner_ids)
        balances = balances.filter(partner_id__in=partner_ids)
    sums = {
        (row["partner_id"], row["currency"], row["book"]): row["total"]
        for row in entries.values("partner_id", "currency", "book").annotate(total=Sum("amount")).order_by()
    }
    found = {(row.partner_id, row.currency, row.book): row.balance for row in balances}
    mismatches = []
    for key in sorted(set(sums) | set(found)):
        # to the stored precision: SQLite sums decimals in floating point (4440.00000000003)
        balance, total = found.get(key, ZERO), sums.get(key, ZERO).quantize(STORED)
        if balance != total:
            mismatches.append(Mismatch(*key, balance=balance, entries=total))
    return mismatches
