"""End to end: a rebate policy whose tiers are on attainment (tier_measure="attainment") pays on
the partners' APPROVED quarter targets of a target plan, read through the source that
AnalyticsConfig.ready() registers with qudao.rebates.ratios (targets.approved_partner_targets), not
a test source."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from qudao.analytics import targets as svc
from qudao.analytics.models import Target
from qudao.core.models import ApprovalFlow
from qudao.rebates import ratios, runs
from qudao.rebates.models import RebateLine
from qudao.rebates.tests.conftest import books, catalogue  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

D = Decimal
Q1 = date(2025, 2, 1)
# 80 % to 100 % pays 1 %, 100 % and more pays 3 % (of the whole basis)
ATTAINMENT_TIERS = [{"lower_bound": "80", "value": "1"}, {"lower_bound": "100", "value": "3"}]


@pytest.fixture
def real_source():
    """The source as the application starts with it. Another test may have unregistered the
    registry's source (ratios holds one, process-wide): AnalyticsConfig.ready() registers it
    again, as at start-up."""
    apps.get_app_config("analytics").ready()
    assert ratios._source is svc.approved_partner_targets
    return ratios._source


def cell(plan, key, kind, start):
    return Target.objects.get(plan=plan, subject_key=key, period_kind=kind, period_start=start)


def test_attainment_tiers_pay_on_the_approved_quarter_targets(world, books, real_source):  # noqa: F811
    # given an approved 2025 plan: Jiangsu 4,800,000.00 for dist_js 4,000,000.00 and sub_js
    # 800,000.00, each year evenly into quarters (Q1: 1,000,000.00 and 200,000.00); dealer_zj none
    ApprovalFlow.objects.filter(subject_kind="target_plan").update(is_active=False)
    plan = svc.create_plan(
        data={"code": "T2025", "name": "2025 年销售目标", "year": 2025, "metric": "net_sales_shipped",
              "amount": "4800000.00"},
        actor=world.channel,
    )  # fmt: skip
    js = world.regions["jiangsu"]
    brand = svc.brand_target(plan)
    svc.break_down(target=brand, into="regions", method="even", subjects=[js.pk])
    region = cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1))
    svc.break_down(target=region, into="partners", method="by_hand", subjects=[world.dist_js.pk, world.sub_js.pk],
                   amounts={str(world.dist_js.pk): "4000000.00", str(world.sub_js.pk): "800000.00"})  # fmt: skip
    for key in ("brand", f"region:{js.pk}", f"partner:{world.dist_js.pk}", f"partner:{world.sub_js.pk}"):
        svc.break_down(target=cell(plan, key, "year", date(2025, 1, 1)), into="quarters", method="even")
    assert svc.submit_plan(plan=plan, actor=world.channel).status == "approved"
    # and a quarterly policy with tiers on attainment for the three partners
    partners = [world.dist_js, world.sub_js, world.dealer_zj]
    policy = books.policy(tier_measure="attainment", tiers=ATTAINMENT_TIERS, target_partners=[p.code for p in partners])
    # and Q1 shipments: dist_js 1,040,000 (104 %), sub_js 170,000 (85 %), dealer_zj 500,000
    books.sale(world.dist_js, "hood_a", 1040, "1000", date(2025, 2, 10))
    books.sale(world.sub_js, "hood_a", 170, "1000", date(2025, 3, 10))
    books.sale(world.dealer_zj, "hood_a", 500, "1000", date(2025, 1, 20))
    # when Q1 is computed
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then 104 % pays 3 % of the whole 1,040,000 = 31,200.00; 85 % pays 1 % of 170,000 = 1,700.00;
    # dealer_zj has no target: no tier, nothing
    dist, sub, zj = (RebateLine.objects.get(run=run, partner=p) for p in partners)
    assert (dist.basis, dist.ratio, dist.target, dist.tier_index, dist.amount) == (
        D("1040000"), D("104"), D("1000000"), 2, D("31200.00")
    )  # fmt: skip
    assert (sub.basis, sub.ratio, sub.target, sub.tier_index, sub.amount) == (
        D("170000"), D("85"), D("200000"), 1, D("1700.00")
    )  # fmt: skip
    assert (zj.ratio, zj.target, zj.tier_index, zj.amount) == (None, None, None, D("0"))
    assert zj.explanation["measure"]["reason"] == "no_target"
    assert run.amount_total == D("32900.00")
    assert ratios.line_text(dist) == "Attainment 104% (target ¥1,000,000.00) → 3%"


def test_a_draft_or_superseded_plan_gives_no_target(world, books, real_source):  # noqa: F811
    # given the same target for dist_js, in a plan not yet submitted
    plan = svc.create_plan(
        data={"code": "T2025", "name": "草稿", "year": 2025, "metric": "net_sales_shipped", "amount": "4000000.00"},
        actor=world.channel,
    )
    js = world.regions["jiangsu"]
    svc.break_down(target=svc.brand_target(plan), into="regions", method="even", subjects=[js.pk])
    region = cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1))
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk])
    policy = books.policy(tier_measure="attainment", tiers=ATTAINMENT_TIERS)
    books.sale(world.dist_js, "hood_a", 1040, "1000", date(2025, 2, 10))
    # when the year is asked for (a draft target is no target)
    assert ratios.targets("net_sales_shipped", [world.dist_js.pk], date(2025, 1, 1), date(2025, 12, 31)) == {}
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    line = RebateLine.objects.get(run=run, partner=world.dist_js)
    # then no ratio and nothing paid
    assert (line.ratio, line.amount, line.explanation["measure"]["reason"]) == (None, D("0"), "no_target")
