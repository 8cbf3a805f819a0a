"""The tier engine: pure functions, exact Decimals, no database.

Tiers are (lower bound, reward, value), sorted, the first starting at 0; a tier runs up to the next
tier's lower bound. A reward is a rate (percent of the basis), a fixed amount, or an amount per unit
(then the basis is a number of units).

- Retrospective (全额累进): the whole basis at the reward of the highest tier reached.
- Marginal (超额累进): each slice of the basis at its own tier's reward; a fixed amount is earned
  once by each tier the basis enters.

**A bound means the same in both styles**: a tier holds the basis from its lower bound on, and the
tier a basis has reached (retrospective) is the tier its last part falls in (marginal).

- An amount is continuous: a tier "from 100,000.00" holds every yuan from 100,000.00 on; a basis of
  exactly 100,000.00 has reached it (lower bounds inclusive) and its marginal slice there is empty.
- A number of units (`counts_units`, a quantity basis) counts whole units: a tier "from 201" holds
  the 201st unit and every one after it, so the tier before it ends with the 200th unit ("up to
  200"). With "up to 200 units 2.00 a unit, from 201 units 5.00 a unit": 200 units earn 400.00 in
  both styles; 201 units reach the second tier (1,005.00 retrospective, 405.00 marginal); 250 units
  earn 1,250.00 retrospective and 650.00 marginal (200 x 2 + 50 x 5). The first tier of units
  starts at 0 or 1 (both: the first unit).

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
MAX_RATIO_BOUND = Decimal("1000")  # percent: a ratio tier's highest bound


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


def slice_start(tier: Tier, *, counts_units: bool = False) -> Decimal:
    """Where a tier's slice of the basis begins: its lower bound for an amount; for whole units,
    after the unit before it (a tier from the 201st unit begins after the 200th)."""
    if counts_units:
        return max(tier.lower_bound - 1, ZERO)
    return tier.lower_bound


def compute(
    basis: Decimal,
    tiers: list[Tier] | tuple[Tier, ...],
    style: str,
    cap: Decimal | None = None,
    *,
    counts_units: bool = False,
) -> Outcome:
    """The rebate earned by `basis` under `tiers` (already validated: see `clean_tiers`);
    `counts_units` when the basis is a number of units (the bounds then count whole units)."""
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
            start = slice_start(tiers[index], counts_units=counts_units)
            upper = slice_start(tiers[index + 1], counts_units=counts_units) if index + 1 < len(tiers) else None
            size = (min(basis, upper) if upper is not None else basis) - start
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


def compute_on_ratio(
    ratio: Decimal | None,
    basis: Decimal,
    tiers: list[Tier] | tuple[Tier, ...],
    cap: Decimal | None = None,
) -> Outcome:
    """The rebate of a policy whose tiers are measured on a ratio (qudao.rebates.ratios): the tier
    reached is the highest whose lower bound (percent) `ratio` reaches, and its reward applies to
    the WHOLE `basis` (a rate: percent of the basis; fixed: the amount; per unit: per unit of a
    quantity basis). Retrospective only. No ratio (None), or a basis of zero or less, reaches no
    tier. `next_bound` is the next tier's bound (percent) above the ratio."""
    tiers = sorted(tiers, key=lambda tier: tier.lower_bound)
    reached = [
        index for index, tier in enumerate(tiers) if ratio is not None and basis > 0 and ratio >= tier.lower_bound
    ]
    if not reached:
        following = next((t.lower_bound for t in tiers if ratio is None or t.lower_bound > ratio), None)
        return Outcome(None, "", None, ZERO, ZERO, ZERO, False, (), following)
    top = reached[-1]
    exact = _reward(tiers[top], basis)
    capped = exact if cap is None else min(exact, cap)
    return Outcome(
        tier=top + 1,
        reward=tiers[top].reward,
        value=tiers[top].value,
        exact=exact,
        capped=capped,
        amount=quantize(capped),
        cap_applied=cap is not None and exact > cap,
        slices=(Slice(top + 1, basis, exact),),
        next_bound=_bound(tiers, top + 1),
    )


def _bound(tiers, index: int) -> Decimal | None:
    return tiers[index].lower_bound if index < len(tiers) else None


def clean_tiers(rows, *, basis_counts_units: bool, field: str = "tiers", ratio: bool = False) -> list[Tier]:
    """Check tier rows (dicts with lower_bound, reward, value) and return them as Tiers, sorted.

    A row may give an `upper_bound`, checked against the next tier: for an amount it is the next
    tier's lower bound (100,000-300,000 then 300,000 and more); for units, whole units, it is the
    tier's last unit (up to 200, then from 201). Below it is a gap, above it an overlap; the top
    tier has none. Rows may come in any order.

    Errors (all at once, keyed `tiers.<i>.<field>`): no tiers; a bound or value that is not a number
    or is negative; a bound of units that is not a whole number; a first tier not starting at 0 (or
    1, the first unit, for units); two tiers with the same lower bound (overlap); a gap or overlap
    with the next tier; an unknown reward; an amount per unit when the basis is not a quantity.

    `ratio`: the bounds are percentages of a ratio (qudao.rebates.ratios): 0 to 1,000, at most two
    decimals, and the first tier may start anywhere (below it no tier is reached).

    :raises FieldErrors:
    """
    errors = FieldErrors()
    per_unit_allowed = basis_counts_units
    if ratio:  # a percentage is continuous, whatever the basis counts
        basis_counts_units = False
    if not rows:
        errors.add(field, _("Add at least one tier."))
        raise errors
    entered: list[tuple[int, Tier, Decimal | None]] = []
    for index, row in enumerate(rows):
        key = f"{field}.{index}"
        bound = _number(row.get("lower_bound"), f"{key}.lower_bound", errors, whole=basis_counts_units)
        value = _number(row.get("value"), f"{key}.value", errors)
        upper_raw = row.get("upper_bound")
        upper = None
        if upper_raw is not None and str(upper_raw).strip():
            upper = _number(upper_raw, f"{key}.upper_bound", errors, whole=basis_counts_units)
        reward = row.get("reward") or RATE
        if reward not in REWARDS:
            errors.add(f"{key}.reward", _("Choose rate, fixed or per_unit."))
        elif reward == PER_UNIT and not per_unit_allowed:
            errors.add(f"{key}.reward", _("An amount per unit needs a quantity basis."))
        if ratio:
            for key_cell, number in ((f"{key}.lower_bound", bound), (f"{key}.upper_bound", upper)):
                _percentage(number, key_cell, errors)
        if bound is not None and value is not None and reward in REWARDS:
            entered.append((index, Tier(bound, reward, value), upper))
    if not errors.errors:
        entered.sort(key=lambda item: item[1].lower_bound)
        first_bounds = (0, 1) if basis_counts_units else (0,)
        if not ratio and entered[0][1].lower_bound not in first_bounds:
            errors.add(
                f"{field}.{entered[0][0]}.lower_bound",
                _("The first tier must start at 0 or 1 (the first unit).")
                if basis_counts_units
                else _("The first tier must start at 0."),
            )
        for position, (index, tier, upper) in enumerate(entered):
            following = entered[position + 1][1].lower_bound if position + 1 < len(entered) else None
            if position and _same_start(tier, entered[position - 1][1], basis_counts_units):
                errors.add(f"{field}.{index}.lower_bound", _("Two tiers start at the same amount: the tiers overlap."))
            if upper is None:
                continue
            # units: "up to 200" includes the 200th unit and the next tier starts at 201
            last = following - 1 if basis_counts_units and following is not None else following
            if upper < tier.lower_bound or (upper == tier.lower_bound and not basis_counts_units):
                errors.add(f"{field}.{index}.upper_bound", _("The upper bound must be above the lower bound."))
            elif following is None:
                errors.add(f"{field}.{index}.upper_bound", _("The top tier has no upper bound: leave it empty."))
            elif upper < last:
                gap_from = upper + 1 if basis_counts_units else upper
                errors.add(
                    f"{field}.{index}.upper_bound",
                    _("Gap: nothing covers %(from)s to %(to)s.") % {"from": f"{gap_from:,}", "to": f"{last:,}"},
                )
            elif upper > last:
                errors.add(
                    f"{field}.{index}.upper_bound",
                    _("Overlap: the next tier starts at %(to)s, below this upper bound.") % {"to": f"{following:,}"},
                )
    if errors.errors:
        raise errors
    return [tier for _index, tier, _upper in entered]


def _percentage(value: Decimal | None, key: str, errors: FieldErrors) -> None:
    """A ratio's bound: a percentage from 0 to 1,000 with at most two decimals."""
    if value is None:
        return
    if value > MAX_RATIO_BOUND:
        errors.add(key, _("Enter a percentage from 0 to 1,000."))
    elif value != value.quantize(Decimal("0.01")):  # 80.005; 80.0000 as stored is two decimals
        errors.add(key, _("Use at most 2 decimal places for a percentage."))


def _same_start(tier: Tier, before: Tier, counts_units: bool) -> bool:
    """Two tiers start at the same place: the same bound, or for units 0 and 1 (the first unit)."""
    if counts_units:
        return slice_start(tier, counts_units=True) == slice_start(before, counts_units=True)
    return tier.lower_bound == before.lower_bound


def upper_bound(tiers, index: int, *, counts_units: bool = False) -> Decimal | None:
    """What tier `index` (0-based, of sorted tiers) runs up to, as users say it: the next tier's
    lower bound for an amount (not included), the tier's last unit for units; None at the top."""
    if index + 1 >= len(tiers):
        return None
    following = tiers[index + 1].lower_bound
    return following - 1 if counts_units else following


def _number(raw, key: str, errors: FieldErrors, *, whole: bool = False) -> Decimal | None:
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
    if whole and value != value.to_integral_value():
        errors.add(key, _("Enter a whole number of units."))
        return None
    return value
