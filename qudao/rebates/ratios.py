"""Tiers on a ratio (返利档位按比率): what a policy's tiers are measured on when its `tier_measure`
is not the basis itself.

- attainment (达成率): the partner's basis / its own target for the period, in percent. The
  target comes from a higher context (analytics: approved targets) through the registry below;
  rebates never imports it. Only the bases a target is set on: net sales shipped, net sales
  invoiced, payments collected.
- growth_rate (增长率): (basis - the basis of the same window last year) / that, in percent.

The tier reached is the highest whose lower bound (a percentage, 0-1000) the ratio reaches, and its
reward applies to the WHOLE basis (a rate: percent of the whole period's basis, not of the growth;
fixed: that amount; per unit: per unit of a quantity basis) - retrospective only
(qudao.rebates.engine.compute_on_ratio).

No ratio, no tier: no target source registered, no target for the partner, a target of zero or
less (attainment); nothing (zero or less) in the same window last year (growth rate). The line
says why (`reason`: "no_target" / "no_baseline").

A ratio is floored to 0.01 % (ROUND_FLOOR): it reaches a bound only when it truly reaches it, and
the figure shown is the one the tier was chosen on (99.996 % shows 99.99 % and does not reach
100 %). It is capped at RATIO_CEILING (far above any bound) so that a tiny target cannot overflow
the column.

See docs/decisions/0017-ratio-tiers.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

from .models import BasisKind, TierMeasure

ZERO = Decimal("0")
HUNDRED = Decimal("100")
PERCENT_STEP = Decimal("0.01")
RATIO_CEILING = Decimal("99999999.99")  # percent; fits the column (20 digits, 4 places)
MAX_BOUND = Decimal("1000")  # the highest tier bound of a ratio measure, percent
ATTAINMENT_BASES = (BasisKind.NET_SALES_SHIPPED, BasisKind.NET_SALES_INVOICED, BasisKind.PAYMENTS)
RATIO_MEASURES = (TierMeasure.ATTAINMENT, TierMeasure.GROWTH_RATE)
NO_TARGET, NO_BASELINE = "no_target", "no_baseline"

TargetSource = Callable[[str, list[int] | None, date, date], dict[int, Decimal]]
_source: TargetSource | None = None


# --- the target registry ---------------------------------------------------------------------------


def register_target_source(fn: TargetSource) -> TargetSource:
    """Register where partners' targets come from: `fn(metric, partner_ids, start, end)` returns
    {partner id: the partner's approved target for exactly the window [start, end]} for the metric
    (a policy's basis code: "net_sales_shipped", "net_sales_invoiced" or "payments"); `partner_ids`
    None means every partner. One source: registering again replaces it. Usable as a decorator."""
    global _source
    _source = fn
    return fn


def unregister_target_source(fn: TargetSource | None = None) -> None:
    """Forget the source (only if it is `fn`, when given)."""
    global _source
    if fn is None or _source is fn:
        _source = None


def has_target_source() -> bool:
    return _source is not None


def targets(metric: str, partner_ids: list[int] | None, start: date, end: date) -> dict[int, Decimal]:
    """{partner id: target} from the registered source; targets that are not positive numbers are
    left out (no target), and so are partners not asked for. {} without a source."""
    if _source is None:
        return {}
    wanted = None if partner_ids is None else set(partner_ids)
    out: dict[int, Decimal] = {}
    for pid, value in (_source(metric, None if partner_ids is None else list(partner_ids), start, end) or {}).items():
        if wanted is not None and pid not in wanted:
            continue
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value))
        except (InvalidOperation, ValueError):
            continue
        if amount.is_finite() and amount > 0:
            out[pid] = amount
    return out


# --- the ratio -------------------------------------------------------------------------------------


def is_ratio(policy) -> bool:
    return getattr(policy, "tier_measure", TierMeasure.BASIS) in RATIO_MEASURES


def percent_of(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator in percent, floored to 0.01, at most RATIO_CEILING."""
    ratio = (numerator * HUNDRED / denominator).quantize(PERCENT_STEP, rounding=ROUND_FLOOR)
    return min(ratio, RATIO_CEILING)


@dataclass(frozen=True)
class Measured:
    """A partner's ratio under a ratio policy: `ratio` None when there is none (`reason` says why)."""

    ratio: Decimal | None
    target: Decimal | None = None  # attainment
    baseline: Decimal | None = None  # growth rate: the same window last year
    reason: str = ""


def measure(policy, basis: Decimal, *, target: Decimal | None = None, baseline: Decimal | None = None) -> Measured:
    """The ratio of `basis` under `policy`'s measure: attainment of `target`, or growth over
    `baseline` (the same window last year)."""
    if policy.tier_measure == TierMeasure.ATTAINMENT:
        if target is None or target <= 0:
            return Measured(None, reason=NO_TARGET)
        return Measured(percent_of(basis, target), target=target)
    if baseline is None or baseline <= 0:
        return Measured(None, baseline=baseline, reason=NO_BASELINE)
    return Measured(percent_of(basis - baseline, baseline), baseline=baseline)


def basis_needed(policy, bound: Decimal, measured: Measured) -> Decimal | None:
    """The basis at which the ratio reaches `bound` (percent), rounded up to the cent (a quantity
    basis: up to the whole unit): target x bound (attainment), baseline x (1 + bound) (growth)."""
    if measured.ratio is None:
        return None
    if policy.tier_measure == TierMeasure.ATTAINMENT:
        exact = measured.target * bound / HUNDRED
    else:
        exact = measured.baseline * (HUNDRED + bound) / HUNDRED
    step = Decimal("1") if policy.basis == BasisKind.QUANTITY else PERCENT_STEP
    return exact.quantize(step, rounding=ROUND_CEILING)


def percent_text(value: Decimal | None) -> str:
    """104.2% / 100% / 99.99% (no trailing zeros)."""
    if value is None:
        return ""
    text = f"{value.quantize(PERCENT_STEP):,f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text}%"


# --- how a line says it ----------------------------------------------------------------------------


def explained_text(measure: dict | None, reward: str, value, *, basis_kind: str = "", currency: str = "CNY") -> str:
    """A ratio line in one sentence, from its explanation's "measure": "达成率 104.2%（目标
    ¥1,200,000.00）→ 3%", "增长率 25%（去年同期 ¥400,000.00）→ 2%", or why there is no tier. "" for
    a line not measured on a ratio."""
    from django.utils.translation import gettext

    from . import engine
    from .progress import tier_text, units_text

    if not measure:
        return ""
    kind, ratio = measure.get("kind"), measure.get("ratio")
    if ratio in (None, ""):
        if kind == TierMeasure.ATTAINMENT:
            return gettext("Attainment: no target for this period → no tier")
        return gettext("Growth rate: nothing in the same period last year → no tier")
    result = tier_text(engine.Tier(ZERO, reward, Decimal(str(value))), currency) if reward else gettext("no tier")

    def figure(text) -> str:
        amount = Decimal(str(text or "0"))
        if basis_kind == BasisKind.QUANTITY:
            return units_text(amount)
        return _money_cents(amount, currency)

    if kind == TierMeasure.ATTAINMENT:
        return gettext("Attainment %(ratio)s (target %(target)s) → %(reward)s") % {
            "ratio": percent_text(Decimal(ratio)),
            "target": figure(measure.get("target")),
            "reward": result,
        }
    return gettext("Growth rate %(ratio)s (same period last year %(last)s) → %(reward)s") % {
        "ratio": percent_text(Decimal(ratio)),
        "last": figure(measure.get("last_year")),
        "reward": result,
    }


def _money_cents(amount: Decimal, currency: str) -> str:
    """¥1,200,000.00: an amount always with its cents (a target, last year's figure)."""
    from qudao.core.money import quantize

    from .progress import SYMBOLS

    value = quantize(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{abs(value):,.2f}"


def line_text(line) -> str:
    """`explained_text` of a RebateLine."""
    explanation = line.explanation or {}
    return explained_text(
        explanation.get("measure"),
        line.tier_reward,
        line.tier_value,
        basis_kind=(explanation.get("basis") or {}).get("kind", ""),
        currency=line.policy.currency,
    )
