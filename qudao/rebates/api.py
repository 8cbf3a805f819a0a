"""The rebates API (see docs/api.md). Policies and runs are HQ records (partner users: 403);
rebate lines follow the scoping rule (another partner's line: 404; partner users see posted lines
only).

GET   /rebates/policies                     policies (every version), newest version first per code
POST  /rebates/policies                     a new policy, as a draft (rebates.manage)
GET   /rebates/policies/{id}                a policy with its tiers
PATCH /rebates/policies/{id}                change a draft (rebates.manage)
POST  /rebates/policies/{id}/submit         send a draft for approval (rebates.manage)
POST  /rebates/policies/{id}/versions       the next version of an active policy, as a draft
GET   /rebates/runs                         runs
POST  /rebates/runs                         compute a preview as a job (rebates.manage or settle): 202
GET   /rebates/runs/{id}                    a run with its totals
POST  /rebates/runs/{id}/approve            approve a preview (rebates.settle)
POST  /rebates/runs/{id}/post               post an approved run as a job (rebates.settle): 202
GET   /rebates/runs/{id}/lines              a run's lines
GET   /rebates/lines                        rebate lines in scope (partner users: posted ones)
GET   /rebates/lines/{id}                   a line with its explanation
GET   /rebates/lines/{id}/sources           what a line counted (kind=shipments, credit_notes, ...)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from qudao.core import jobs
from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.core.schemas import (
    DecimalIn,
    Id,
    IdParam,
    InputSchema,
    MoneyIn,
    MultilineText,
    PageParams,
    SmallInt,
    TextSchema,
    amount_out,
    page_of,
    paginate,
)
from qudao.partners.api_imports import JobOut

from . import engine, ratios, selectors, services
from . import runs as run_services
from .models import BasisKind, RebateLine, RebatePolicy, RebateRun

router = Router(tags=["rebates"])


# --- schemas -------------------------------------------------------------------------------------


class RebateTierIn(InputSchema):
    lower_bound: DecimalIn = Field(
        description="From (inclusive). The first tier starts at 0. A quantity basis counts whole units: 201 = from "
        "the 201st unit on (the tier before ends with the 200th)."
    )
    upper_bound: DecimalIn | None = Field(
        None,
        description="Optional check (a gap or overlap is refused): for an amount, the next tier's lower bound "
        "(not included); for a quantity basis, the tier's last unit (200 when the next tier starts at 201).",
    )
    reward: str = Field("rate", description="rate (percent of the basis), fixed, or per_unit (quantity basis).")
    value: DecimalIn


class PolicyFields(InputSchema):
    name: str | None = None
    description: MultilineText | None = None
    currency: str | None = None
    basis: str | None = Field(
        None,
        description="net_sales_shipped, net_sales_invoiced, payments, payments_on_time, quantity or amount.",
    )
    product_lines: list[str] | None = Field(None, description="Product line codes (with the lines below them).")
    skus: list[str] | None = Field(None, description="SKU codes counted (besides the product lines).")
    excluded_skus: list[str] | None = None
    excluded_promotions: list[str] | None = Field(
        None, description="Promotion codes: lines they applied to do not count."
    )
    growth: bool | None = Field(None, description="Count the growth over the same period of the previous year.")
    returns_count_in: str | None = Field(
        None,
        description="Which period a return reduces: shipment_period (default: the period of the sale it reverses - "
        "its shipment, or its invoice for an invoiced basis; a re-run of a settled period posts the negative delta) "
        "or credit_note_period (the period of the credit note).",
    )
    period_kind: str | None = Field(None, description="month, quarter, half, year or custom.")
    custom_start: str | None = None
    custom_end: str | None = None
    allow_interim: bool | None = None
    effective_from: str | None = None
    tier_style: str | None = Field(None, description="retrospective (全额累进) or marginal (超额累进).")
    tier_measure: str | None = Field(
        None,
        description="What the tier bounds are measured on: basis (default: the basis itself), attainment (the "
        "partner's basis / its own target for the period, percent; net_sales_shipped, net_sales_invoiced or payments "
        "only) or growth_rate ((basis - the same period last year) / last year, percent). With a ratio the bounds are "
        "percentages (0-1000, two decimals), the tiers are retrospective and the reward applies to the whole basis; "
        "growth must be false.",
    )
    cap: MoneyIn | None = Field(None, description="At most this per partner and period (>= 0).")
    focus_product_line: str | None = None
    focus_min_share: DecimalIn | None = Field(None, description="Percent of net sales in the focus line, at least.")
    min_payment_ratio: DecimalIn | None = Field(None, description="Payments / net invoiced in the period, percent.")
    max_overdue_days: SmallInt | None = Field(
        None, description="Nothing overdue more than this many days at period end."
    )
    target_tiers: list[str] | None = None
    target_regions: list[str] | None = None
    target_partner_types: list[str] | None = None
    target_partners: list[str] | None = Field(None, description="Partner codes.")
    tiers: list[RebateTierIn] | None = None


class PolicyIn(PolicyFields):
    code: str


class RebateTierOut(Schema):
    lower_bound: str = Field(description="From (inclusive); for a quantity basis, the tier's first unit.")
    upper_bound: str | None = Field(
        description="Up to: the next tier's lower bound (not included) for an amount, the tier's last unit for a "
        "quantity basis; none for the top tier."
    )
    reward: str
    value: str


class PolicyOut(Schema):
    id: int
    code: str
    name: str
    description: str
    version: int
    supersedes: int | None
    status: str
    status_label: str
    approval_id: int | None
    currency: str
    basis: str
    product_lines: list[str]
    skus: list[str]
    excluded_skus: list[str]
    excluded_promotions: list[str]
    growth: bool
    returns_count_in: str
    period_kind: str
    custom_start: dt.date | None
    custom_end: dt.date | None
    allow_interim: bool
    effective_from: dt.date
    effective_to: dt.date | None
    tier_style: str
    tier_measure: str
    cap: str | None
    focus_product_line: str
    focus_min_share: str | None
    min_payment_ratio: str | None
    max_overdue_days: SmallInt | None
    target_tiers: list[str]
    target_regions: list[str]
    target_partner_types: list[str]
    target_partners: list[str] = Field(..., description="The codes of the target partners in your scope.")
    target_partners_hidden: int = Field(
        0, description="How many more target partners the policy has, outside your scope (regions)."
    )
    tiers: list[RebateTierOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class PolicyFilters(TextSchema):
    status: str | None = Field(None, description="draft, pending_approval, active, superseded or retired.")
    code: str | None = None


class RunIn(InputSchema):
    policy: Id = Field(description="The policy's id.")
    period: str | None = Field(None, description="Any day of the period (YYYY-MM-DD); a custom policy has one.")
    kind: str = Field(description="interim or final.")
    as_of: str | None = Field(None, description="Interim runs: the last day counted (default yesterday).")


class RunOut(Schema):
    id: int
    number: str
    policy: int
    policy_code: str
    policy_version: int
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    kind: str
    status: str
    status_label: str
    job_id: int | None
    partner_count: int
    posted_count: int
    basis_total: str
    amount_total: str
    delta_total: str
    posted_total: str
    created_at: dt.datetime
    approved_at: dt.datetime | None
    posted_at: dt.datetime | None


class RunJobOut(Schema):
    job: JobOut
    run: RunOut | None


class RunFilters(TextSchema):
    policy: IdParam | None = None
    status: str | None = Field(None, description="preview, approved, posted or superseded.")


class RebateLineOut(Schema):
    id: int
    run: str
    run_id: int
    policy: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    partner: dict[str, Any]
    basis: str
    units: str
    tier_reached: int | None
    reward: str
    rate_or_value: str | None
    ratio: str | None = Field(
        None,
        description="Tiers on a ratio: the ratio in percent the tier was chosen on (none: no target, or nothing "
        "last year - explanation.measure.reason).",
    )
    target: str | None = Field(None, description="Attainment: the partner's target for the period.")
    computed_amount: str
    capped_amount: str
    conditions_met: bool
    amount: str
    already_posted: str
    delta: str
    posted_amount: str | None
    posted_at: dt.datetime | None
    explanation: dict[str, Any]


class LineFilters(TextSchema):
    partner: IdParam | None = Field(None, description="A partner's id.")


class SourceFilters(TextSchema):
    kind: str | None = Field(
        None, description="shipments, credit_notes, invoices, payments or allocations (default: the basis' first)."
    )


class RebateSourceOut(Schema):
    id: int
    kind: str
    document: str
    at: dt.datetime | dt.date
    order: str | None = None
    line_no: int | None = None
    sku: str | None = None
    quantity: int | None = None
    unit_price: str | None = None
    invoice: str | None = None
    due_on: dt.date | None = None
    amount: str


class SourcePageOut(Schema):
    kind: str
    kinds: list[str]
    count: int
    items: list[RebateSourceOut]


# --- output --------------------------------------------------------------------------------------


def _dec(value) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def policy_out(policy: RebatePolicy, user) -> dict:
    """The policy as `user` reads it: target partners outside its scope are only counted."""
    tiers = list(policy.tiers.all())
    units = policy.basis == BasisKind.QUANTITY and not ratios.is_ratio(policy)  # a ratio's bounds: percentages
    target_partners, hidden = selectors.visible_targets(user, policy.target_partners)
    return {
        **{
            field: getattr(policy, field)
            for field in (
                "id",
                "code",
                "name",
                "description",
                "version",
                "status",
                "currency",
                "basis",
                *services.LIST_FIELDS,
                "growth",
                "returns_count_in",
                "period_kind",
                "custom_start",
                "custom_end",
                "allow_interim",
                "effective_from",
                "effective_to",
                "tier_style",
                "tier_measure",
                "focus_product_line",
                "max_overdue_days",
                "created_at",
                "updated_at",
            )
        },
        "target_partners": target_partners,
        "target_partners_hidden": hidden,
        "supersedes": policy.supersedes_id,
        "status_label": str(policy.get_status_display()),
        "approval_id": policy.approval_id,
        "cap": amount_out(policy.cap),
        "focus_min_share": _dec(policy.focus_min_share),
        "min_payment_ratio": _dec(policy.min_payment_ratio),
        "tiers": [
            {
                "lower_bound": amount_out(tier.lower_bound),
                "upper_bound": amount_out(engine.upper_bound(tiers, index, counts_units=units)),
                "reward": tier.reward,
                "value": _dec(tier.value),
            }
            for index, tier in enumerate(tiers)
        ],
    }


def run_out(run: RebateRun) -> dict:
    return {
        "id": run.pk,
        "number": run.number,
        "policy": run.policy_id,
        "policy_code": run.policy.code,
        "policy_version": run.policy.version,
        "period_start": run.period_start,
        "period_end": run.period_end,
        "as_of": run.as_of,
        "kind": run.kind,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "job_id": run.job_id,
        "partner_count": run.partner_count,
        "posted_count": run.posted_count,
        "basis_total": amount_out(run.basis_total),
        "amount_total": amount_out(run.amount_total),
        "delta_total": amount_out(run.delta_total),
        "posted_total": amount_out(run.posted_total),
        "created_at": run.created_at,
        "approved_at": run.approved_at,
        "posted_at": run.posted_at,
    }


def line_out(line: RebateLine) -> dict:
    run = line.run
    return {
        "id": line.pk,
        "run": run.number,
        "run_id": run.pk,
        "policy": line.policy.code,
        "period_start": run.period_start,
        "period_end": run.period_end,
        "as_of": run.as_of,
        "partner": {"id": line.partner_id, "code": line.partner.code, "name": str(line.partner)},
        "basis": amount_out(line.basis),
        "units": _dec(line.units),
        "tier_reached": line.tier_index,
        "reward": line.tier_reward,
        "rate_or_value": _dec(line.tier_value),
        "ratio": None if line.ratio is None else str(line.ratio.quantize(Decimal("0.01"))),
        "target": amount_out(line.target),
        "computed_amount": amount_out(line.computed_amount),
        "capped_amount": amount_out(line.capped_amount),
        "conditions_met": line.conditions_met,
        "amount": amount_out(line.amount),
        "already_posted": amount_out(line.already_posted),
        "delta": amount_out(line.delta),
        "posted_amount": amount_out(line.posted_amount),
        "posted_at": line.posted_at,
        "explanation": line.explanation,
    }


def _job_out(job) -> dict:
    number = (job.result or {}).get("run")
    return jobs.job_payload(job) | {"url": f"/rebates/runs/{number}/" if number else "/rebates/runs/"}


def _can_compute(user) -> bool:
    return user.can("rebates.manage") or user.can("rebates.settle")


def _require(user, permission: str) -> None:
    selectors.require_hq(user)
    if not user.can(permission):
        raise Forbidden()


def _data(body: InputSchema) -> dict:
    data = body.model_dump(exclude_unset=True)
    if data.get("tiers") is not None:
        data["tiers"] = [dict(row) for row in data["tiers"]]
    return data


# --- policies ------------------------------------------------------------------------------------


@router.get("/rebates/policies", response=page_of(PolicyOut))
def policy_list(request, filters: Query[PolicyFilters], page: Query[PageParams]):
    """Every version of every policy (HQ users)."""
    rows = selectors.policies(request.auth, status=filters.status or "", code=filters.code or "")
    return paginate(rows.prefetch_related("tiers"), page, lambda policy: policy_out(policy, request.auth))


@router.post("/rebates/policies", response={201: PolicyOut})
def policy_create(request, body: PolicyIn):
    """A new policy (version 1) as a draft. 422 with every wrong field: overlapping or gapped tiers
    (`tiers.<i>.lower_bound` / `upper_bound`), a first tier not at 0, a negative cap, no target
    (`targets`), unknown codes; nothing is written."""
    _require(request.auth, "rebates.manage")
    policy = services.create_policy(data=_data(body), actor=request.auth)
    return Status(201, policy_out(policy, request.auth))


@router.get("/rebates/policies/{policy_id}", response=PolicyOut)
def policy_detail(request, policy_id: IdParam):
    return policy_out(selectors.get_policy(request.auth, policy_id), request.auth)


@router.patch("/rebates/policies/{policy_id}", response=PolicyOut)
def policy_update(request, policy_id: IdParam, body: PolicyFields):
    """Change a draft (the fields sent; `tiers` replace all tiers). 409 for any other status."""
    policy = selectors.get_policy(request.auth, policy_id)
    _require(request.auth, "rebates.manage")
    return policy_out(services.update_policy(policy=policy, data=_data(body), actor=request.auth), request.auth)


@router.post("/rebates/policies/{policy_id}/submit", response=PolicyOut)
def policy_submit(request, policy_id: IdParam):
    """Send a draft for approval (flow 返利政策审批); it takes effect when approved."""
    policy = selectors.get_policy(request.auth, policy_id)
    _require(request.auth, "rebates.manage")
    return policy_out(services.submit_policy(policy=policy, actor=request.auth), request.auth)


@router.post("/rebates/policies/{policy_id}/versions", response={201: PolicyOut})
def policy_new_version(request, policy_id: IdParam):
    """The next version of an active policy, as a draft copy; approved, it supersedes this one."""
    policy = selectors.get_policy(request.auth, policy_id)
    _require(request.auth, "rebates.manage")
    return Status(201, policy_out(services.new_version(policy=policy, actor=request.auth), request.auth))


# --- runs ----------------------------------------------------------------------------------------


def _run_job(job) -> dict:
    run_id = (job.result or {}).get("run_id")
    run = RebateRun.objects.select_related("policy").filter(pk=run_id).first() if run_id else None
    return {"job": _job_out(job), "run": run_out(run) if run else None}


@router.get("/rebates/runs", response=page_of(RunOut))
def run_list(request, filters: Query[RunFilters], page: Query[PageParams]):
    rows = selectors.runs(request.auth, policy_id=filters.policy, status=filters.status or "")
    return paginate(rows, page, run_out)


@router.post("/rebates/runs", response={202: RunJobOut})
def run_create(request, body: RunIn):
    """Compute a preview (a simulation: nothing is posted) as a job; the answer names the job and,
    once it is done (at once when jobs run in-process), the run."""
    selectors.require_hq(request.auth)
    if not _can_compute(request.auth):
        raise Forbidden()
    policy = RebatePolicy.objects.filter(pk=body.policy).first()
    if policy is None:
        raise FieldErrors.single("policy", _("No such policy."))
    job = run_services.start_compute(
        policy=policy, period=body.period, kind=body.kind, as_of=body.as_of, user=request.auth
    )
    return Status(202, _run_job(job))


@router.get("/rebates/runs/{run_id}", response=RunOut)
def run_detail(request, run_id: IdParam):
    return run_out(selectors.get_run(request.auth, run_id))


@router.post("/rebates/runs/{run_id}/approve", response=RunOut)
def run_approve(request, run_id: IdParam):
    run = selectors.get_run(request.auth, run_id)
    _require(request.auth, "rebates.settle")
    return run_out(run_services.approve_run(run=run, actor=request.auth))


@router.post("/rebates/runs/{run_id}/post", response={202: RunJobOut})
def run_post(request, run_id: IdParam):
    """Post an approved run to the partners' rebate funds, as a job (progress per partner). Posting
    again after an interruption posts the partners left; a posted run answers 409."""
    run = selectors.get_run(request.auth, run_id)
    _require(request.auth, "rebates.settle")
    job = run_services.start_post(run=run, user=request.auth)
    return Status(202, _run_job(job))


@router.get("/rebates/runs/{run_id}/lines", response=page_of(RebateLineOut))
def run_lines(request, run_id: IdParam, page: Query[PageParams]):
    run = selectors.get_run(request.auth, run_id)
    return paginate(selectors.lines(request.auth, run=run), page, line_out)


# --- lines ---------------------------------------------------------------------------------------


@router.get("/rebates/lines", response=page_of(RebateLineOut))
def line_list(request, filters: Query[LineFilters], page: Query[PageParams]):
    """Rebate lines in the caller's scope; partner users see the lines posted to them."""
    if not request.auth.can("rebates.view"):
        raise Forbidden()
    return paginate(selectors.lines(request.auth, partner_id=filters.partner), page, line_out)


@router.get("/rebates/lines/{line_id}", response=RebateLineOut)
def line_detail(request, line_id: IdParam):
    return line_out(selectors.get_line(request.auth, line_id))


@router.get("/rebates/lines/{line_id}/sources", response=SourcePageOut)
def line_sources(request, line_id: IdParam, filters: Query[SourceFilters], page: Query[PageParams]):
    """The order lines, credit note lines, invoice lines, payments or allocations a line counted,
    with the run's filters and window, in a stable order (one kind a page)."""
    line = selectors.get_line(request.auth, line_id)
    kinds = selectors.source_kinds(line.policy)
    kind = filters.kind or kinds[0]
    if kind not in kinds:
        raise NotFound()
    result = paginate(selectors.sources(line, kind), page, lambda row: selectors.source_out(row, kind))
    return {"kind": kind, "kinds": kinds, **result}


# the live progress endpoints (/rebates/progress, /rebates/progress/preview) and the manual rebate
# fund deposits (/rebates/fund-deposits) on this router
from . import api_deposits, api_progress  # noqa: E402, F401
