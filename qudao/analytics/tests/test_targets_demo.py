"""The demo target plan: approved through its flow, summing both ways, and showing attainment."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal as D

from django.utils import timezone

from qudao.analytics import targets as svc
from qudao.analytics.demo import seed_targets
from qudao.analytics.models import Target, TargetPlan
from qudao.rebates.tests.conftest import books, catalogue  # noqa: F401  (fixtures)


def test_it_seeds_an_approved_plan_for_the_year_once(books, world):  # noqa: F811
    # given 30,000.00 shipped to dist_js and 10,000.00 to dealer_zj in the last twelve months
    today = timezone.localdate()
    books.sale(world.dist_js, "hood_a", 30, "1000", today - timedelta(days=200))
    books.sale(world.dealer_zj, "hood_a", 10, "1000", today - timedelta(days=2))
    # when
    report = seed_targets(random.Random(1))
    # then one plan, approved by the administrator through its flow: 40,000 x 1.2 = 48,000.00,
    plan = TargetPlan.objects.get()
    assert (plan.code, plan.year, plan.status, plan.approval.status) == (
        "DEMO-TARGETS",
        today.year,
        "approved",
        "approved",
    )
    assert svc.brand_target(plan).amount == D("50000.00")  # rounded up to 10,000
    # the brand, two provinces, three partners, each with its year, 4 quarters and 12 months
    assert report == {"target_plans": 1, "targets": 6 * 17}
    assert Target.objects.filter(plan=plan, approved=True).count() == 6 * 17
    assert svc.check_plan(plan).errors == {}
    # shared by the last twelve months: Jiangsu 3/4 (all of it dist_js's), Zhejiang 1/4
    years = {t.subject_key: t.amount for t in Target.objects.filter(plan=plan, period_kind="year")}
    assert years[f"region:{world.regions['jiangsu'].pk}"] == D("37500.00")
    assert years[f"partner:{world.dist_js.pk}"] == D("37500.00")
    assert years[f"partner:{world.sub_js.pk}"] == D("0.00")
    assert years[f"partner:{world.dealer_zj.pk}"] == D("12500.00")
    december = Target.objects.get(plan=plan, subject_key="brand", period_kind="month", period_start__month=12)
    assert december.amount == D("4166.66")  # 50,000.00 / 4 = 12,500.00 a quarter, 4,166.67 + 4,166.67 + 4,166.66
    # and seeding again does nothing
    assert seed_targets(random.Random(1)) == {}
