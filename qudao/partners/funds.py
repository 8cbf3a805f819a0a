"""A partner's fund accounts (prepayment now; the rebate fund with the rebates context): deposits
by finance, and the hold / release / capture cycle of an order paid from an account.

Never overdrawn, however many orders arrive at once: the account row is locked (SELECT ... FOR
UPDATE) before it is read, the counters move with a conditional UPDATE (`held + amount <= balance`),
and the database refuses `held > balance` (a check constraint). Every movement is a FundEntry in the
same transaction. Lock order: partner -> order -> funds -> promotion -> stock.

Deposits and captures move money, so they publish `fund.deposited` / `fund.captured` (payload:
partner, kind, currency, amount, reference, entry) in the same transaction; finance books them in
the partner ledger from its subscription. Holds and releases only set money aside and publish
nothing.

Rebate money can expire (settings.REBATE_EXPIRY_DAYS, 0: never): `expire_rebates` (a daily job)
takes, oldest deposit first, what is left unused of the rebate deposits older than that many days,
never money held by open orders; each expiry is an `expiry` entry and publishes `fund.expired`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors
from qudao.core.events import publish
from qudao.core.money import parse_amount

from .models import FundAccount, FundEntry

ZERO = Decimal("0")


def _publish(event_type: str, account: FundAccount, entry: FundEntry, amount: Decimal) -> None:
    publish(
        event_type,
        "partner",
        account.partner_id,
        {
            "partner": account.partner_id,
            "kind": account.kind,
            "currency": account.currency,
            "amount": str(amount),
            "reference": entry.reference,
            "entry": entry.pk,
        },
    )


def account_for(partner, kind: str = FundAccount.Kind.PREPAYMENT, *, lock: bool = False) -> FundAccount:
    """The partner's account of `kind` in its currency (created empty the first time)."""
    currency = partner.credit_currency or "CNY"
    account, _created = FundAccount.objects.get_or_create(partner=partner, kind=kind, currency=currency)
    if lock:
        account = FundAccount.objects.select_for_update().get(pk=account.pk)
    return account


def _positive(amount, field: str = "amount") -> Decimal:
    try:
        value = parse_amount(amount)
    except (TypeError, ValueError):
        raise FieldErrors.single(field, _("Enter an amount, e.g. 1299.00.")) from None
    if value <= 0 or value.as_tuple().exponent < -2:
        raise FieldErrors.single(field, _("Enter an amount above zero, in cents at most."))
    return value


def deposit(*, partner, amount, note: str = "", reference: str = "", actor=None, kind=FundAccount.Kind.PREPAYMENT):
    """Money received into the partner's account (finance records a prepayment)."""
    amount = _positive(amount)
    with transaction.atomic():
        account = account_for(partner, kind, lock=True)
        FundAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
        entry = FundEntry.objects.create(
            account=account, kind=FundEntry.Kind.DEPOSIT, balance_delta=amount, reference=reference[:64],
            note=note[:300], actor=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip
        _publish("fund.deposited", account, entry, amount)
        return entry


def adjust(*, partner, amount, note: str, reference: str = "", actor=None, kind=FundAccount.Kind.PREPAYMENT):
    """Correct the balance by a signed `amount` with a reason (an `adjustment` entry; publishes
    `fund.adjusted` with the signed amount). A negative adjustment never takes money that is held
    by open orders or not there: the account is never overdrawn.

    :raises FieldErrors: amount: zero, more than cents, or more than is available to take."""
    try:
        amount = parse_amount(amount)
    except (TypeError, ValueError):
        raise FieldErrors.single("amount", _("Enter an amount, e.g. 1299.00.")) from None
    if amount == 0 or amount.as_tuple().exponent < -2:
        raise FieldErrors.single("amount", _("Enter an amount other than zero, in cents at most."))
    with transaction.atomic():
        account = account_for(partner, kind, lock=True)
        moved = FundAccount.objects.filter(pk=account.pk, balance__gte=F("held") - amount).update(
            balance=F("balance") + amount
        )
        if not moved:
            raise FieldErrors.single(
                "amount",
                gettext("Only %(available)s is available to take.") % {"available": f"{account.available:,.2f}"},
            )
        entry = FundEntry.objects.create(
            account=account, kind=FundEntry.Kind.ADJUSTMENT, balance_delta=amount, reference=reference[:64],
            note=note[:300], actor=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip
        _publish("fund.adjusted", account, entry, amount)
        return entry


def hold(*, partner, amount: Decimal, reference: str, actor=None, kind=FundAccount.Kind.PREPAYMENT) -> FundEntry:
    """Set `amount` aside for order `reference`.

    :raises FieldErrors: payment: not enough available in the account."""
    with transaction.atomic():
        account = account_for(partner, kind, lock=True)
        updated = FundAccount.objects.filter(pk=account.pk, held__lte=F("balance") - amount).update(
            held=F("held") + amount
        )
        if not updated:
            raise FieldErrors.single(
                "payment",
                gettext("Not enough prepayment: %(available)s available, %(amount)s needed.")
                % {"available": f"{account.available:,.2f}", "amount": f"{amount:,.2f}"},
            )
        return FundEntry.objects.create(
            account=account, kind=FundEntry.Kind.HOLD, held_delta=amount, reference=reference,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip


def held_for(account: FundAccount, reference: str) -> Decimal:
    """What `reference` still holds in `account` (holds less releases and captures)."""
    total = FundEntry.objects.filter(account=account, reference=reference).aggregate(held=Sum("held_delta"))["held"]
    return total or ZERO


def release(*, partner, reference: str, actor=None, kind=FundAccount.Kind.PREPAYMENT) -> FundEntry | None:
    """Give back what order `reference` still holds (cancelled, rejected). Twice releases once."""
    with transaction.atomic():
        account = account_for(partner, kind, lock=True)
        amount = held_for(account, reference)
        if amount <= 0:
            return None
        FundAccount.objects.filter(pk=account.pk).update(held=F("held") - amount)
        return FundEntry.objects.create(
            account=account, kind=FundEntry.Kind.RELEASE, held_delta=-amount, reference=reference,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip


def capture(
    *, partner, reference: str, amount: Decimal | None = None, actor=None, kind=FundAccount.Kind.PREPAYMENT
) -> FundEntry | None:
    """Take held money for what shipped (all that `reference` holds, or `amount` of it)."""
    with transaction.atomic():
        account = account_for(partner, kind, lock=True)
        holding = held_for(account, reference)
        amount = holding if amount is None else min(amount, holding)
        if amount <= 0:
            return None
        FundAccount.objects.filter(pk=account.pk).update(held=F("held") - amount, balance=F("balance") - amount)
        entry = FundEntry.objects.create(
            account=account, kind=FundEntry.Kind.CAPTURE, held_delta=-amount, balance_delta=-amount,
            reference=reference, actor=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip
        _publish("fund.captured", account, entry, amount)
        return entry


def expirable(account: FundAccount, cutoff) -> Decimal:
    """What is left unused of `account`'s money paid in before `cutoff`, first in first out: the
    money paid in (deposits, positive adjustments) before `cutoff`, less everything that has left
    the account (captures, expiries, negative adjustments), which takes the oldest money first;
    at most what is available (money held by open orders never expires)."""
    entries = FundEntry.objects.filter(account=account)
    old_in = entries.filter(balance_delta__gt=0, created_at__lt=cutoff).aggregate(total=Sum("balance_delta"))["total"]
    gone = entries.filter(balance_delta__lt=0).aggregate(total=Sum("balance_delta"))["total"]
    unused = (old_in or ZERO) + (gone or ZERO)
    return max(min(unused, account.available), ZERO)


def expire_rebates(*, days: int | None = None, now=None) -> list[FundEntry]:
    """Expire the unused rebate money older than `days` (settings.REBATE_EXPIRY_DAYS; 0: never),
    account by account, each in its own short transaction under the account's row lock. Running it
    twice expires nothing more. Returns the expiry entries written."""
    days = int(getattr(settings, "REBATE_EXPIRY_DAYS", 0) if days is None else days)
    if days <= 0:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=days)
    candidates = FundAccount.objects.filter(kind=FundAccount.Kind.REBATE, balance__gt=F("held")).order_by("pk")
    written = []
    for account_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            account = FundAccount.objects.select_for_update().get(pk=account_id)
            amount = expirable(account, cutoff)
            if amount <= 0:
                continue
            if not FundAccount.objects.filter(pk=account.pk, held__lte=F("balance") - amount).update(
                balance=F("balance") - amount
            ):  # pragma: no cover - the row is locked and `amount` is at most what is available
                continue
            entry = FundEntry.objects.create(
                account=account,
                kind=FundEntry.Kind.EXPIRY,
                balance_delta=-amount,
                note=(
                    gettext("Unused rebate money paid in before %(date)s expired (after %(days)s days).")
                    % {"date": timezone.localtime(cutoff).date().isoformat(), "days": days}
                )[:300],
            )
            _publish("fund.expired", account, entry, amount)
            written.append(entry)
    return written
