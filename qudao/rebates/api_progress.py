"""The live rebate progress in the API (on the rebates router; see docs/api.md).

GET  /rebates/progress            the partner's progress on every policy that applies to it now, or
                                  in the periods containing ?on=<a past day> (closed periods computed
                                  as the runs compute them) (partner users: their own; HQ:
                                  ?partner=<id>, scoped - 404)
POST /rebates/progress/preview    the same with what a cart (lines priced by the pricing engine)
                                  would add to each policy's basis and rebate
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Schema

from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.core.schemas import Id, IdParam, InputSchema, Quantity, TextSchema, amount_out
from qudao.partners.scoping import get_visible_partner
from qudao.pricing import engine as pricing

from . import progress
from .api import router


def _dec(value: Decimal | None) -> str | None:
    """A basis: money to the cent; units as they are (no trailing zeros)."""
    if value is None:
        return None
    return amount_out(value)


class PolicyRef(Schema):
    id: int
    code: str
    name: str
    basis: str
    period_kind: str
    tier_style: str
    tier_measure: str = Field(description="What the tiers are measured on: basis, attainment or growth_rate.")
    growth: bool
    currency: str


class CartEffectOut(Schema):
    added: str = Field(description="What the cart adds to the basis (units for a quantity basis).")
    basis_after: str
    tier_after: int | None
    earned_after: str
    rebate_added: str
    sentence: str


class ProgressOut(Schema):
    policy: PolicyRef
    period_start: dt.date
    period_end: dt.date
    counted: str = Field(description="The basis so far this period (units for a quantity basis).")
    baseline: str | None = Field(None, description="Growth policies: the same period last year.")
    basis: str = Field(description="What the tiers apply to: counted, less the baseline for growth.")
    units: str
    tier: int | None = Field(None, description="The tier reached (1-based), none below the first.")
    tier_label: str
    earned: str = Field(description="What the tiers give the basis so far (conditions are checked at settlement).")
    next_tier: int | None
    next_bound: str | None = Field(
        None, description="The next tier's lower bound: in the basis' unit, or in percent for tiers on a ratio."
    )
    next_label: str
    missing: str | None = Field(None, description="What the next tier still needs.")
    next_total: str | None = Field(None, description="What the rebate would be on reaching the next tier.")
    next_increase: str | None
    sentence: str
    percent: int = Field(description="Progress to the next tier's lower bound, 0-100.")
    closed: bool = Field(
        False, description="The period is over: its figures are computed as the runs compute them (same SQL)."
    )
    posted: str | None = Field(
        None, description="A closed period: what runs posted for it to the partner's rebate fund (net of true-ups)."
    )
    ratio: str | None = Field(
        None,
        description="Tiers on a ratio: the ratio so far in percent (attainment of the target, or growth rate against "
        "the same days last year); none when it cannot be measured (see reason).",
    )
    target: str | None = Field(None, description="Attainment: the partner's target for the period.")
    last_year: str | None = Field(None, description="Growth rate: the basis of the same days last year.")
    reason: str = Field("", description="No ratio: no_target or no_baseline.")
    ratio_summary: str = ""
    cart: CartEffectOut | None = None


class ProgressListOut(Schema):
    partner: int
    on: dt.date
    policies: list[ProgressOut]


class ProgressQuery(TextSchema):
    partner: IdParam | None = Field(None, description="HQ: the partner (one you may see). Partner users: their own.")
    on: str | None = Field(
        None,
        description="A day (YYYY-MM-DD, not in the future): the periods containing it - a past quarter's progress "
        "with ?on=2025-03-31. Default today.",
    )


class PreviewLineIn(InputSchema):
    sku: Id
    quantity: Quantity
    unit: str | None = None


class PreviewIn(InputSchema):
    partner: Id | None = Field(None, description="HQ: the partner ordering. Partner users: their own.")
    lines: list[PreviewLineIn]


class PreviewOut(ProgressListOut):
    currency: str
    total: str = Field(description="The cart's total as priced.")


def progress_out(item: progress.Progress) -> dict:
    policy = item.policy
    return {
        "policy": {
            "id": policy.pk,
            "code": policy.code,
            "name": policy.name,
            "basis": policy.basis,
            "period_kind": policy.period_kind,
            "tier_style": policy.tier_style,
            "tier_measure": policy.tier_measure,
            "growth": policy.growth,
            "currency": policy.currency,
        },
        "period_start": item.period_start,
        "period_end": item.period_end,
        "counted": _dec(item.counted),
        "baseline": _dec(item.baseline),
        "basis": _dec(item.basis),
        "units": _dec(item.units),
        "tier": item.tier,
        "tier_label": item.tier_label,
        "earned": amount_out(item.earned),
        "next_tier": item.next_tier,
        "next_bound": (None if item.next_bound is None else str(item.next_bound.quantize(Decimal("0.01"))))
        if item.on_ratio
        else _dec(item.next_bound),
        "next_label": item.next_label,
        "missing": _dec(item.missing),
        "next_total": amount_out(item.next_total),
        "next_increase": amount_out(item.next_increase),
        "sentence": item.sentence,
        "percent": item.percent,
        "closed": item.closed,
        "posted": amount_out(item.posted),
        "ratio": None if item.ratio is None else str(item.ratio),
        "target": amount_out(item.target),
        "last_year": _dec(item.last_year),
        "reason": item.reason,
        "ratio_summary": item.ratio_summary,
        "cart": None
        if item.cart is None
        else {
            "added": _dec(item.cart["added"]),
            "basis_after": _dec(item.cart["basis_after"]),
            "tier_after": item.cart["tier_after"],
            "earned_after": amount_out(item.cart["earned_after"]),
            "rebate_added": amount_out(item.cart["rebate_added"]),
            "sentence": item.cart["sentence"],
        },
    }


def _partner(user, partner_id: int | None):
    """The partner asked about: a partner user's own (naming another: 404); HQ names one it may see."""
    if not user.can("rebates.view"):
        raise Forbidden()
    own = user.partner
    if own is not None:
        if partner_id is not None and partner_id != own.pk:
            raise NotFound()
        return get_visible_partner(user, own.pk)
    if partner_id is None:
        raise FieldErrors.single("partner", _("Name the partner."), code="required")
    return get_visible_partner(user, partner_id)


@router.get("/rebates/progress", response=ProgressListOut)
def progress_list(request, filters: Query[ProgressQuery]):
    """The partner's progress on every policy that applies to it this period (or in the periods
    containing `on`): basis so far, tier reached, earned so far, the next tier and what reaching it
    would pay; a period already over is computed as the runs compute it, with what was posted.
    422 on `on` for a day that is not a date or lies ahead."""
    partner = _partner(request.auth, filters.partner)
    day = progress.clean_progress_day(filters.on)
    items = progress.progress_for(partner, day)
    return {"partner": partner.pk, "on": day, "policies": [progress_out(i) for i in items]}


@router.post("/rebates/progress/preview", response=PreviewOut)
def progress_preview(request, body: PreviewIn):
    """What a cart would add: the lines are priced by the pricing engine (its errors are 422 on
    lines.<i>.*) and each policy shows the basis and rebate after the cart. Nothing is written."""
    partner = _partner(request.auth, body.partner)
    if not body.lines:
        raise FieldErrors.single("lines", _("Add at least one line."), code="required")
    today = timezone.localdate()
    cart = pricing.quote(
        partner,
        [pricing.CartLine(sku=line.sku, quantity=line.quantity, unit=line.unit or None) for line in body.lines],
        today,
    )
    items = progress.progress_for(partner, today, cart=cart)
    return {
        "partner": partner.pk,
        "on": today,
        "currency": cart.currency,
        "total": amount_out(cart.total),
        "policies": [progress_out(i) for i in items],
    }
