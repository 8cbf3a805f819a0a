"""The demo target plan for `manage.py seed` (after the trade history and the rebates: last year's
shipments are what the plan is broken down by, and this year's are its actuals).

DEMO-TARGETS: net sales shipped for the current year, approved through its flow (目标计划审批):
- the brand's year: the last twelve months' net sales shipped plus 20%, rounded up to 10,000;
- the brand into the provinces of the partners, and each province into its partners, by hand, in
  proportion to the last twelve months (split to the cent by the service's own largest remainder
  method): the demo's history is those twelve months, so "the same period last year" would see only
  its first month;
- every year into quarters and months evenly, every subject below the brand following its parent
  (so the plan sums both ways). Evenly, not by last year: the demo's history is the last twelve
  months, so most months of last year are empty and their share would pile the year into the few
  that are not.
So the demo shows attainment and ahead / on track / behind at every level and period."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone

CODE = "DEMO-TARGETS"


def seed_targets(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Write and approve the demo plan, once (nothing when a target plan exists)."""
    from qudao.accounts.models import User
    from qudao.accounts.roles import HQRole
    from qudao.core import approvals

    from . import actuals, targets
    from .models import Target, TargetLevel, TargetPlan

    if TargetPlan.objects.exists():
        return {}
    channel = User.objects.filter(role_assignments__role=HQRole.CHANNEL_MANAGER, is_active=True).first()
    admin = User.objects.filter(role_assignments__role=HQRole.ADMIN, is_active=True).first()
    if channel is None:
        return {}
    today = timezone.localdate()
    sold = sum(
        actuals.partner_actuals("net_sales_shipped", None, today - timedelta(days=365), today).values(), Decimal(0)
    )
    if sold <= 0:
        return {}
    log("Writing the demo target plan ...")
    amount = (sold * Decimal("1.2") / 10000).to_integral_value(rounding=ROUND_CEILING) * 10000
    plan = targets.create_plan(
        data={
            "code": CODE,
            "name": f"{today.year} 年净销售目标",
            "year": today.year,
            "metric": "net_sales_shipped",
            "amount": str(amount),
        },
        actor=channel,
    )
    # the last twelve months of every subject (one grouped query set), as by-hand shares
    twelve_months = targets._subject_sums(
        actuals.partner_actuals("net_sales_shipped", None, today - timedelta(days=365), today),
        targets._partner_facts(),
    )

    def by_twelve_months(target, level, into):
        ids = targets._default_children(target, level)
        weights = [twelve_months.get(targets.subject_key(level, i), Decimal(0)) for i in ids]
        shares = targets.split(target.amount, weights)
        amounts = {str(i): str(share) for i, share in zip(ids, shares, strict=True)}
        targets.break_down(target=target, into=into, method="by_hand", subjects=ids, amounts=amounts, actor=channel)

    by_twelve_months(targets.brand_target(plan), TargetLevel.REGION, "regions")
    for region in Target.objects.filter(plan=plan, level=TargetLevel.REGION).select_related("region"):
        by_twelve_months(region, TargetLevel.PARTNER, "partners")
    targets.break_down_every_year(plan=plan, method="even", actor=channel)
    plan = targets.submit_plan(plan=plan, actor=channel)
    if plan.status == TargetPlan.Status.PENDING_APPROVAL and plan.approval_id and admin is not None:
        approvals.decide(request_id=plan.approval_id, actor=admin, decision="approve")
        plan.refresh_from_db()
    if plan.status != TargetPlan.Status.APPROVED:  # no approvers in this database: approve directly
        targets.approve_plan(plan=plan, actor=channel)
    return {"target_plans": 1, "targets": Target.objects.filter(plan=plan).count()}
