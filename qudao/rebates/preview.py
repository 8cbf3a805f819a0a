"""The live preview of a rebate policy being typed: what the partners it targets would have earned
in the last complete period, had it been in force as typed.

It is the runs' own computation (`runs.compute_lines`: the set-based basis SQL of
qudao.rebates.basis, the conditions and the tier engine) on an unsaved policy, so it writes nothing:
no policy, run, line or progress row, no event. It sees only the partners the user may see (the
scoping rule): the figures are those partners', the total too.

The last complete period is the policy's period (month, quarter, half, year) before the one
containing today; a custom period counts its own dates once over, and until then its days up to
yesterday ("so far").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors
from qudao.partners.models import Partner
from qudao.partners.scoping import visible_partners

from . import basis as B
from . import runs, services
from .models import BasisKind, PeriodKind, RebatePolicy

ZERO = Decimal("0")
SHOWN_PARTNERS = 8
MIN_YEAR = 1900


@dataclass(frozen=True)
class PreviewRow:
    partner: Partner
    basis: Decimal
    tier: int | None  # 1-based, None when no tier is reached
    reward: str
    value: Decimal | None
    conditions_met: bool
    amount: Decimal
    ratio: Decimal | None = None  # a ratio measure: the ratio in percent (None: no ratio)
    target: Decimal | None = None  # attainment: the partner's target
    reason: str = ""  # no ratio: "no_target" or "no_baseline"


@dataclass(frozen=True)
class Preview:
    start: date
    end: date
    complete: bool  # False: a custom period not over yet, counted up to `end` (yesterday)
    period_kind: str
    tier_measure: str
    counts_units: bool
    currency: str
    rows: list[PreviewRow]  # at most SHOWN_PARTNERS, the largest basis first
    partner_count: int  # every targeted partner in the user's scope
    earning_count: int  # of those, how many earn a rebate
    basis_total: Decimal
    amount_total: Decimal


def last_complete_period(policy: RebatePolicy, today: date) -> tuple[date, date, bool] | None:
    """(first day, last day counted, complete) of the period to preview; None when a custom period
    has not begun."""
    if policy.period_kind == PeriodKind.CUSTOM:
        if policy.custom_end < today:
            return policy.custom_start, policy.custom_end, True
        if policy.custom_start >= today:
            return None
        return policy.custom_start, today - timedelta(days=1), False
    current_start, _end = B.period_of(policy, today)
    start, end = B.period_of(policy, current_start - timedelta(days=1))
    return start, end, True


def preview_policy(*, user, data: dict, today: date | None = None, shown: int = SHOWN_PARTNERS) -> Preview | None:
    """What the policy typed in `data` (the form's fields and tiers, as `services.clean_policy`
    reads them) would have paid the targeted partners `user` may see in the last complete period.
    None when there is no such period yet (a custom period not begun).

    :raises FieldErrors: the fields that decide what it pays are wrong (nothing computed)."""
    values, tiers = services.clean_policy(data, for_preview=True)
    values.pop("code", None)
    policy = RebatePolicy(code="", **values)  # never saved
    period = last_complete_period(policy, today or timezone.localdate())
    if period is None:
        return None
    start, end, complete = period
    if start.year < MIN_YEAR:  # a custom period of year 1 cannot be compared with the year before it
        raise FieldErrors.single("custom_start", _("Enter a date as YYYY-MM-DD."))
    partners = Partner.objects.filter(pk__in=B.target_partners(policy).values("pk")).filter(
        pk__in=visible_partners(user).values("pk")
    )
    lines = runs.compute_lines(policy, start, end, tiers=tiers, partners=partners)
    ranked = sorted(lines, key=lambda line: (-line["basis"], -line["amount"], line["partner_id"]))[:shown]
    names = Partner.objects.in_bulk([line["partner_id"] for line in ranked])
    return Preview(
        start=start,
        end=end,
        complete=complete,
        period_kind=policy.period_kind,
        tier_measure=policy.tier_measure,
        counts_units=policy.basis == BasisKind.QUANTITY,
        currency=policy.currency,
        rows=[
            PreviewRow(
                partner=names[line["partner_id"]],
                basis=line["basis"],
                tier=line["tier_index"],
                reward=line["tier_reward"],
                value=line["tier_value"],
                conditions_met=line["conditions_met"],
                amount=line["amount"],
                ratio=line["ratio"],
                target=line["target"],
                reason=(line["explanation"].get("measure") or {}).get("reason", ""),
            )
            for line in ranked
        ],
        partner_count=len(lines),
        earning_count=sum(1 for line in lines if line["amount"] > 0),
        basis_total=sum((line["basis"] for line in lines), ZERO),
        amount_total=sum((line["amount"] for line in lines), ZERO),
    )
