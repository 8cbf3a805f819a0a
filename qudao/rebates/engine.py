"""The tier engine: pure functions, exact Decimals, no database.

Tiers are (lower bound inclusive, reward, value), sorted, the first starting at 0; a tier runs up
to the next tier's lower bound. A reward is a rate (percent of the basis), a fixed amount, or an
amount per unit (then the basis is a number of units).

- Retrospective (全额累进): the whole basis at the reward of the highest tier reached.
- Marginal (超额累进): each slice of the basis at its own tier's reward; a fixed amount is earned
  once by each tier the basis enters.

A basis of zero or less reaches no tier and earns nothing (a fixed amount is never paid for no
sales). The cap (per partner and period) applies to the exact amount; the result is rounded
ROUND_HALF_UP to the cent once, at the end.

Worked example (tiers 0 / 100,000 / 300,000 at 1 / 2 / 3 %): a basis of 350,000 earns 10,500.00
retrospective and 6,500.00 marginal; a basis of 100,000 earns 2,000.00 and 1,000.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors
from qudao.core.money import parse_amount, quantize

ZERO = Decimal("0")
HUNDRED = Decimal("100")
RATE, FIXED, PER_UNIT = "rate", "fixed", "per_unit"
REWARDS = (RATE, FIXED, PER_UNIT)
RETROSPECTIVE, MARGINAL = "retrospective", "marginal"


@dataclass(frozen=True)
class Tier:
    lower_bound: Decimal
    reward: str
    value: Decimal


@dataclass(frozen=True)
class Slice:
    tier: int  # 1-based
    size: Decimal
    amount: Decimal  # exact


@dataclass(frozen=True)
class Outcome:
    tier: int | None  # the highest tier reached (1-based), None when none
    reward: str
    value: Decimal | None
    exact: Decimal  # before the cap, not rounded
    capped: Decimal  # after the cap, not rounded
    amount: Decimal  # after the cap, rounded to the cent
    cap_applied: bool
    slices: tuple[Slice, ...]
    next_bound: Decimal | None  # the next tier's lower bound, None at the top


def _reward(tier: Tier, size: Decimal) -> Decimal:
    if tier.reward == RATE:
        return size * tier.value / HUNDRED
    if tier.reward == PER_UNIT:
        return size * tier.value
    return tier.value


def compute(basis: Decimal, tiers: list[Tier] | tuple[Tier, ...], style: str, cap: Decimal | None = None) -> Outcome:
    """The rebate earned by `basis` under `tiers` (already validated: see `clean_tiers`)."""
    tiers = sorted(tiers, key=lambda tier: tier.lower_bound)
    reached = [index for index, tier in enumerate(tiers) if basis > 0 and basis >= tier.lower_bound]
    if not reached:
        first = tiers[0].lower_bound if tiers else None
        return Outcome(None, "", None, ZERO, ZERO, ZERO, False, (), first if first and first > 0 else _bound(tiers, 1))
    top = reached[-1]
    slices: list[Slice] = []
    if style == RETROSPECTIVE:
        exact = _reward(tiers[top], basis)
        slices.append(Slice(top + 1, basis, exact))
    else:
        exact = ZERO
        for index in reached:
            upper = tiers[index + 1].lower_bound if index + 1 < len(tiers) else None
            size = (min(basis, upper) if upper is not None else basis) - tiers[index].lower_bound
            if size <= 0 and tiers[index].reward != FIXED:
                continue
            amount = _reward(tiers[index], size)
            slices.append(Slice(index + 1, size, amount))
            exact += amount
    capped = exact if cap is None else min(exact, cap)
    return Outcome(
        tier=top + 1,
        reward=tiers[top].reward,
        value=tiers[top].value,
        exact=exact,
        capped=capped,
        amount=quantize(capped),
        cap_applied=cap is not None and exact > cap,
        slices=tuple(slices),
        next_bound=_bound(tiers, top + 1),
    )


def _bound(tiers, index: int) -> Decimal | None:
    return tiers[index].lower_bound if index < len(tiers) else None


def clean_tiers(rows, *, basis_counts_units: bool, field: str = "tiers") -> list[Tier]:
    """Check tier rows (dicts with lower_bound, reward, value) and return them as Tiers, sorted.

    A row may give an `upper_bound` (exclusive): it must then be the next tier's lower bound - below
    it is a gap, above it an overlap; the top tier has none. Rows may come in any order.

    Errors (all at once, keyed `tiers.<i>.<field>`): no tiers; a bound or value that is not a number
    or is negative; a first tier not starting at 0; two tiers with the same lower bound (overlap); a
    gap or overlap with the next tier; an unknown reward; an amount per unit when the basis is not a
    quantity.

    :raises FieldErrors:
    """
    errors = FieldErrors()
    if not rows:
        errors.add(field, _("Add at least one tier."))
        raise errors
    entered: list[tuple[int, Tier, Decimal | None]] = []
    for index, row in enumerate(rows):
        key = f"{field}.{index}"
        bound = _number(row.get("lower_bound"), f"{key}.lower_bound", errors)
        value = _number(row.get("value"), f"{key}.value", errors)
        upper_raw = row.get("upper_bound")
        upper = None
        if upper_raw is not None and str(upper_raw).strip():
            upper = _number(upper_raw, f"{key}.upper_bound", errors)
        reward = row.get("reward") or RATE
        if reward not in REWARDS:
            errors.add(f"{key}.reward", _("Choose rate, fixed or per_unit."))
        elif reward == PER_UNIT and not basis_counts_units:
            errors.add(f"{key}.reward", _("An amount per unit needs a quantity basis."))
        if bound is not None and value is not None and reward in REWARDS:
            entered.append((index, Tier(bound, reward, value), upper))
    if not errors.errors:
        entered.sort(key=lambda item: item[1].lower_bound)
        if entered[0][1].lower_bound != 0:
            errors.add(f"{field}.{entered[0][0]}.lower_bound", _("The first tier must start at 0."))
        for position, (index, tier, upper) in enumerate(entered):
            following = entered[position + 1][1].lower_bound if position + 1 < len(entered) else None
            if position and tier.lower_bound == entered[position - 1][1].lower_bound:
                errors.add(f"{field}.{index}.lower_bound", _("Two tiers start at the same amount: the tiers overlap."))
            if upper is None:
                continue
            if upper <= tier.lower_bound:
                errors.add(f"{field}.{index}.upper_bound", _("The upper bound must be above the lower bound."))
            elif following is None:
                errors.add(f"{field}.{index}.upper_bound", _("The top tier has no upper bound: leave it empty."))
            elif upper < following:
                errors.add(
                    f"{field}.{index}.upper_bound",
                    _("Gap: nothing covers %(from)s to %(to)s.") % {"from": f"{upper:,}", "to": f"{following:,}"},
                )
            elif upper > following:
                errors.add(
                    f"{field}.{index}.upper_bound",
                    _("Overlap: the next tier starts at %(to)s, below this upper bound.") % {"to": f"{following:,}"},
                )
    if errors.errors:
        raise errors
    return [tier for _index, tier, _upper in entered]


def _number(raw, key: str, errors: FieldErrors) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.add(key, _("Enter a number."))
        return None
    try:
        value = parse_amount(raw)
    except (TypeError, ValueError):
        errors.add(key, _("Enter a number."))
        return None
    if value < 0:
        errors.add(key, _("Enter zero or more."))
        return None
    if value.as_tuple().exponent < -4:
        errors.add(key, _("Use at most 4 decimal places."))
        return None
    return value
