"""Demo rebate policies and a posted run for `manage.py seed` (after the finance demo: its
shipments, invoices and payments are what the run counts).

Five active policies, each through the approval flow 返利政策审批 (channel manager, then finance):
- DEMO-Q-NET: quarterly net sales shipped, retrospective tiers 0 / 100,000 / 300,000 at 1 / 2 / 3 %,
  distributors and dealers, interim settlements allowed;
- DEMO-PAY: monthly payments collected, marginal tiers 0 / 50,000 / 200,000 at 0.5 / 1 / 1.5 %,
  strategic and gold partners;
- DEMO-UNITS: quarterly units of one product line (the one with most SKUs), 2.00 a unit, 3.00 from
  50 units, capped at 5,000.00;
- DEMO-ATTAIN: quarterly attainment of each distributor's own net sales target (80 % pays 1 %,
  100 % pays 3 % of the whole quarter's net sales): it pays once targets exist (qudao.rebates.ratios;
  analytics registers the source), and says "no target" until then;
- DEMO-GROWTH: quarterly growth rate of dealers' net sales over the same quarter last year (10 %
  pays 1 %, 20 % pays 2 % of the whole quarter's net sales).
The policies are in force since the quarter a year ago began; every full quarter of DEMO-Q-NET since
then is computed, approved and posted to the partners' rebate funds (zeros when there were no
shipments - fine)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone


def _approve(policy, channel, finance) -> None:
    from qudao.core import approvals

    from . import services

    policy = services.submit_policy(policy=policy, actor=channel)
    if policy.status == "pending_approval" and policy.approval_id:
        for actor in (channel, finance, channel, finance):  # as many steps as the flow has
            policy.refresh_from_db()
            if policy.status != "pending_approval":
                break
            request = policy.approval
            request.refresh_from_db()
            if request.current_step is None:
                break
            approver = actor if request.current_step.approver_role in actor.role_codes() else finance
            approvals.decide(request_id=request.pk, actor=approver, decision="approve")
    policy.refresh_from_db()
    if policy.status != "active":  # no approvers in this database: take effect directly
        services.activate_policy(policy=policy, actor=channel)


def _request_goodwill_deposit(finance) -> None:
    """Finance asks to credit 恒通家电's rebate fund by hand (a goodwill credit): it waits for approval."""
    from qudao.core.errors import DomainError
    from qudao.partners.models import Partner

    from . import deposits

    partner = Partner.objects.filter(code="P000001").first()
    if partner is None:
        return
    try:
        deposits.request_deposit(
            partner=partner,
            data={"kind": "goodwill", "amount": "5000.00", "reason": "展会样机支持，按协议补贴返利"},
            actor=finance,
        )
    except DomainError:
        pass  # no approval flow for deposits in this database: manual money is never posted without one


def _submit_launch_policy(channel, line, common) -> None:
    """A launch policy the channel manager has approved: it waits for finance, the flow's last step."""
    from qudao.core import approvals

    from . import services

    policy = services.create_policy(
        data={
            **common,
            "code": "DEMO-LAUNCH",
            "name": f"{line.name}新品上市推广返利",
            "basis": "quantity",
            "product_lines": [line.code],
            "period_kind": "month",
            "tier_style": "retrospective",
            "target_partner_types": ["distributor", "dealer"],
            "tiers": [{"lower_bound": "0", "reward": "per_unit", "value": "5"}],
        },
        actor=channel,
    )
    policy = services.submit_policy(policy=policy, actor=channel)
    request = policy.approval if policy.status == "pending_approval" else None
    if request is not None and request.current_step and request.current_step.approver_role in channel.role_codes():
        approvals.decide(request_id=request.pk, actor=channel, decision="approve", comment="同意，请财务复核预算")


def seed_rebates(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Create the demo policies and post one run, once (nothing when policies exist)."""
    from qudao.accounts.models import User
    from qudao.accounts.roles import HQRole
    from qudao.catalog.models import ProductLine

    from . import runs, services
    from .models import RebatePolicy

    if RebatePolicy.objects.exists():
        return {}
    channel = User.objects.filter(role_assignments__role=HQRole.CHANNEL_MANAGER, is_active=True).first()
    finance = User.objects.filter(role_assignments__role=HQRole.FINANCE, is_active=True).first()
    line = ProductLine.objects.annotate(skus=Count("products__skus")).order_by("-skus", "pk").first()
    if channel is None or finance is None or line is None:
        return {}
    log("Writing demo rebate policies and posting a run ...")
    today = timezone.localdate()
    last_quarter = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1) - timedelta(days=1)
    # in force since the quarter a year ago began: the demo's year of orders counts
    year_ago = today - timedelta(days=365)
    first_start = year_ago.replace(month=3 * ((year_ago.month - 1) // 3) + 1, day=1)
    common = {"effective_from": first_start.isoformat(), "description": "演示政策"}
    policies = [
        {
            "code": "DEMO-Q-NET",
            "name": "季度净销售阶梯返利",
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "allow_interim": True,
            "target_partner_types": ["distributor", "dealer"],
            "tiers": [
                {"lower_bound": "0", "value": "1"},
                {"lower_bound": "100000", "value": "2"},
                {"lower_bound": "300000", "value": "3"},
            ],
        },
        {
            "code": "DEMO-PAY",
            "name": "月度回款超额累进返利",
            "basis": "payments",
            "period_kind": "month",
            "tier_style": "marginal",
            "target_tiers": ["strategic", "gold"],
            "tiers": [
                {"lower_bound": "0", "value": "0.5"},
                {"lower_bound": "50000", "value": "1"},
                {"lower_bound": "200000", "value": "1.5"},
            ],
        },
        {
            "code": "DEMO-UNITS",
            "name": f"{line.name}按台返利",
            "basis": "quantity",
            "product_lines": [line.code],
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "cap": "5000",
            "target_partner_types": ["distributor", "dealer", "agent"],
            "tiers": [
                {"lower_bound": "0", "reward": "per_unit", "value": "2"},
                {"lower_bound": "50", "reward": "per_unit", "value": "3"},
            ],
        },
        {
            "code": "DEMO-ATTAIN",
            "name": "季度目标达成率返利",
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "tier_measure": "attainment",
            "target_partner_types": ["distributor"],
            "tiers": [{"lower_bound": "80", "value": "1"}, {"lower_bound": "100", "value": "3"}],
        },
        {
            "code": "DEMO-GROWTH",
            "name": "季度同比增长返利",
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "tier_measure": "growth_rate",
            "target_partner_types": ["dealer"],
            "tiers": [{"lower_bound": "10", "value": "1"}, {"lower_bound": "20", "value": "2"}],
        },
    ]
    created = []
    for data in policies:
        policy = services.create_policy(data={**common, **data}, actor=channel)
        _approve(policy, channel, finance)
        created.append(policy)
    # every full quarter since the policy took effect, settled finally and posted
    first = RebatePolicy.objects.get(code="DEMO-Q-NET")
    posted = []
    quarter_end = (first_start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    while quarter_end <= last_quarter:
        run = runs.compute_run(policy=first, period=quarter_end, kind="final", actor=finance)
        runs.approve_run(run=run, actor=finance)
        posted.append(runs.post_run(run=run, actor=finance))
        quarter_end = (quarter_end + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    # the partners' live progress this period (qudao.rebates.progress), from everything seeded
    from . import progress

    rows = sum(progress.recompute(policy) for policy in created if progress.period_for(policy, today))
    _request_goodwill_deposit(finance)
    _submit_launch_policy(channel, line, common)
    run = posted[-1]
    return {
        "policies": len(created),
        "runs": len(posted),
        "run": run.number,
        "posted": str(run.posted_total),
        "progress_rows": rows,
    }
