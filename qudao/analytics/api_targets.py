"""The targets API (docs/targets.md). Plans are HQ records (partner users: 403); a plan's targets
follow the scoping rule (a regional manager reads its regions' and partners' targets only).

GET   /analytics/targets                           target plans (every version)
POST  /analytics/targets                           a new plan with the brand's year target, as a draft (targets.manage)
GET   /analytics/targets/{id}                      a plan with its targets, actuals and attainment (?as_of=)
POST  /analytics/targets/{id}/breakdown            break one of its targets down (targets.manage)
POST  /analytics/targets/{id}/spread              every year into quarters and months at once (targets.manage)
POST  /analytics/targets/{id}/roll-up              every parent becomes the sum of its children (targets.manage)
POST  /analytics/targets/{id}/submit               send a draft for approval (targets.manage)
POST  /analytics/targets/{id}/versions             the next version of an approved plan, as a draft (targets.manage)
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from qudao.core.errors import FieldErrors, Forbidden
from qudao.core.schemas import (
    Id,
    IdParam,
    InputSchema,
    PageParams,
    TextSchema,
    amount_out,
    page_of,
    paginate,
    whole_number,
)
from qudao.partners.scoping import partner_q

from . import targets as services
from .models import COUNT_METRICS, Target, TargetPlan

router = Router(tags=["analytics"])

MAX_CHILDREN_IN = services.MAX_CHILDREN


def _require(user, permission: str = "targets.view") -> None:
    if not (user.is_authenticated and user.is_hq and user.can(permission)):
        raise Forbidden()


def _plan(user, plan_id) -> TargetPlan:
    _require(user)
    return services.get_plan(plan_id)


def _amount(plan: TargetPlan, value: Decimal | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if plan.metric in COUNT_METRICS else amount_out(value)


# --- schemas -------------------------------------------------------------------------------------


class TargetPlanIn(InputSchema):
    code: str = Field(description="Names the plan across its versions: 1-40 letters, digits, - or _.")
    name: str
    year: whole_number(services.MIN_YEAR, services.MAX_YEAR)
    metric: str = Field(
        description="net_sales_shipped, net_sales_invoiced, payments, line_units, line_amount, new_partners or "
        "active_partners."
    )
    product_line: str | None = Field(None, description="A product line's code (line_units and line_amount only).")
    currency: str | None = None
    amount: str = Field(
        description="The brand's target for the year: money with at most 2 decimals, or a whole number for "
        "units and partners.",
        examples=["12000000.00"],
    )


class TargetBreakdownIn(InputSchema):
    target: Id = Field(description="The id of the plan's target to break down.")
    into: str = Field(description="quarters, months, quarters_and_months, regions, owners or partners.")
    method: str = Field(description="even, last_year (last year's share) or by_hand.")
    subjects: list[Id] | None = Field(
        None,
        max_length=MAX_CHILDREN_IN,
        description="Ids of the regions, owners (users) or partners (default: all under the target).",
    )
    amounts: dict[str, str] | None = Field(
        None,
        max_length=MAX_CHILDREN_IN,
        description="By hand: {child key: amount}; a child's key is its period start (2026-04-01) or its "
        "subject's id. They must sum to the target exactly.",
    )


class TargetSpreadIn(InputSchema):
    method: str = Field(description="even or last_year (the top subjects' last year; the others follow their parent).")


class TargetPlanOut(Schema):
    id: int
    code: str
    name: str
    year: int
    metric: str
    metric_label: str
    product_line: str | None
    currency: str
    status: str
    status_label: str
    version: int
    supersedes: int | None
    amount: str | None = Field(
        description="The brand's target for the year (none for readers who do not see every partner)."
    )


class TargetRowOut(Schema):
    id: int
    parent: int | None
    level: str
    subject_id: int | None
    subject: str
    period_kind: str
    period_start: str
    period_end: str
    period: str
    target: str
    actual: str
    attainment: str | None = Field(description="Actual / target, percent to one place (none for a zero target).")
    elapsed: str = Field(description="Share of the period elapsed, percent to one place (today counts).")
    status: str = Field(description="ahead, on_track, behind, not_started (empty for a zero target).")
    status_label: str


class TargetPlanDetailOut(TargetPlanOut):
    as_of: str
    targets: list[TargetRowOut]


class TargetPlanFilters(TextSchema):
    status: str | None = None
    year: whole_number(services.MIN_YEAR, services.MAX_YEAR, in_text=True) | None = None
    code: str | None = None


def plan_out(plan: TargetPlan, user) -> dict:
    # the brand's target is read by those who see every partner (not a regional manager)
    brand = services.brand_target(plan) if partner_q(user) is None else None
    return {
        "id": plan.pk,
        "code": plan.code,
        "name": plan.name,
        "year": plan.year,
        "metric": plan.metric,
        "metric_label": str(plan.get_metric_display()),
        "product_line": plan.product_line.code if plan.product_line_id else None,
        "currency": plan.currency,
        "status": plan.status,
        "status_label": str(plan.get_status_display()),
        "version": plan.version,
        "supersedes": plan.supersedes_id,
        "amount": _amount(plan, brand.amount) if brand else None,
    }


def detail_out(plan: TargetPlan, user, as_of) -> dict:
    rows = services.attainment_rows(plan, services.visible_targets(user, plan), as_of)
    return {
        **plan_out(plan, user),
        "as_of": as_of.isoformat(),
        "targets": [
            {
                "id": row.target.pk,
                "parent": row.target.parent_id,
                "level": row.target.level,
                "subject_id": services.subject_id_of(row.target),
                "subject": row.target.subject_name,
                "period_kind": row.target.period_kind,
                "period_start": row.target.period_start.isoformat(),
                "period_end": row.target.period_end.isoformat(),
                "period": row.period_label,
                "target": _amount(plan, row.target.amount),
                "actual": _amount(plan, row.actual),
                "attainment": None if row.attainment is None else str(row.attainment),
                "elapsed": str(row.elapsed),
                "status": row.status,
                "status_label": row.status_label,
            }
            for row in rows
        ],
    }


# --- endpoints ------------------------------------------------------------------------------------


@router.get("/analytics/targets", response=page_of(TargetPlanOut))
def target_plan_list(request, filters: Query[TargetPlanFilters], page: Query[PageParams]):
    """Every version of every target plan (HQ users), newest year first."""
    _require(request.auth)
    rows = TargetPlan.objects.select_related("product_line")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.year:
        rows = rows.filter(year=filters.year)
    if filters.code:
        rows = rows.filter(code=filters.code)
    return paginate(rows.order_by("-year", "code", "-version"), page, lambda plan: plan_out(plan, request.auth))


@router.post("/analytics/targets", response={201: TargetPlanDetailOut})
def target_plan_create(request, body: TargetPlanIn):
    """A new plan (version 1) as a draft holding the brand's target for the year. 422 with every
    wrong field; nothing is written."""
    _require(request.auth, "targets.manage")
    plan = services.create_plan(data=body.dict(), actor=request.auth)
    return Status(201, detail_out(plan, request.auth, _today(None)))


@router.get("/analytics/targets/{plan_id}", response=TargetPlanDetailOut)
def target_plan_detail(request, plan_id: IdParam, as_of: str | None = None):
    """The plan's targets the caller may see, each with its actual, attainment, the time elapsed in
    its period and its status (ahead / on track / behind: 5 points either side of the time elapsed),
    on `as_of` (a date, default today)."""
    plan = _plan(request.auth, plan_id)
    return detail_out(plan, request.auth, _today(as_of))


def _today(value):
    from django.utils import timezone

    if not value:
        return timezone.localdate()
    try:
        day = parse_date(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:  # well formed but not a day (2025-13-01)
        day = None
    if day is None:
        raise FieldErrors.single("as_of", _("Enter a date (YYYY-MM-DD)."))
    return day


@router.post("/analytics/targets/{plan_id}/breakdown", response=TargetPlanDetailOut)
def target_plan_breakdown(request, plan_id: IdParam, body: TargetBreakdownIn):
    """Break one target of a draft down (children replace what was below it). 422: amounts by hand
    that do not sum to the target (`amounts`), a wrong row (`amounts.<key>`), a child that does not
    belong under it (`subjects`); 409: the plan is not a draft."""
    plan = _plan(request.auth, plan_id)
    _require(request.auth, "targets.manage")
    target = Target.objects.filter(plan=plan, pk=body.target).first()
    if target is None:
        raise FieldErrors.single("target", _("No such target in this plan."))
    services.break_down(
        target=target,
        into=body.into,
        method=body.method,
        subjects=body.subjects,
        amounts=body.amounts,
        actor=request.auth,
    )
    return detail_out(plan, request.auth, _today(None))


@router.post("/analytics/targets/{plan_id}/spread", response=TargetPlanDetailOut)
def target_plan_spread(request, plan_id: IdParam, body: TargetSpreadIn):
    """Break every subject's year into quarters and months at once; the plan then sums both ways.
    422 per row (`targets.<id>`) when the years do not sum yet."""
    plan = _plan(request.auth, plan_id)
    _require(request.auth, "targets.manage")
    services.break_down_every_year(plan=plan, method=body.method, actor=request.auth)
    return detail_out(plan, request.auth, _today(None))


@router.post("/analytics/targets/{plan_id}/roll-up", response=TargetPlanDetailOut)
def target_plan_roll_up(request, plan_id: IdParam):
    """Every parent of a draft becomes the sum of its children (bottom-up planning)."""
    plan = _plan(request.auth, plan_id)
    _require(request.auth, "targets.manage")
    services.roll_up(plan=plan, actor=request.auth)
    return detail_out(plan, request.auth, _today(None))


@router.post("/analytics/targets/{plan_id}/submit", response=TargetPlanOut)
def target_plan_submit(request, plan_id: IdParam):
    """Send a draft that sums for approval (flow 目标计划审批); 422 per row (`targets.<id>`) when it
    does not sum."""
    plan = _plan(request.auth, plan_id)
    _require(request.auth, "targets.manage")
    return plan_out(services.submit_plan(plan=plan, actor=request.auth), request.auth)


@router.post("/analytics/targets/{plan_id}/versions", response={201: TargetPlanOut})
def target_plan_new_version(request, plan_id: IdParam):
    """The next version of an approved plan, as a draft copy; approved, it supersedes this one."""
    plan = _plan(request.auth, plan_id)
    _require(request.auth, "targets.manage")
    return Status(201, plan_out(services.new_version(plan=plan, actor=request.auth), request.auth))
