"""The demo: five policies (two on a ratio) through the approval flow and every full quarter of the last year posted."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal as D

from django.utils import timezone

from qudao.rebates.demo import seed_rebates
from qudao.rebates.models import RebatePolicy, RebateRun
from qudao.rebates.tests.conftest import rebate_balance


def test_it_seeds_active_policies_and_posts_the_last_quarter_once(books, world):
    # given 100,000.00 shipped to dist_js in the last full quarter
    today = timezone.localdate()
    last_quarter = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1) - timedelta(days=1)
    books.sale(world.dist_js, "hood_a", 100, "1000", last_quarter - timedelta(days=10))
    # when
    report = seed_rebates(random.Random(1))
    # then five active policies, approved by the channel manager then finance (two on a ratio)
    assert sorted(RebatePolicy.objects.values_list("code", "status")) == [
        ("DEMO-ATTAIN", "active"),
        ("DEMO-GROWTH", "active"),
        ("DEMO-LAUNCH", "pending_approval"),
        ("DEMO-PAY", "active"),
        ("DEMO-Q-NET", "active"),
        ("DEMO-UNITS", "active"),
    ]
    # and a fourth, approved by the channel manager, waits for finance
    launch = RebatePolicy.objects.get(code="DEMO-LAUNCH").approval
    assert (launch.status, launch.current_step.approver_role) == ("pending", "finance")
    assert RebatePolicy.objects.get(code="DEMO-Q-NET").approval.status == "approved"
    assert dict(
        RebatePolicy.objects.filter(code__in=["DEMO-ATTAIN", "DEMO-GROWTH"]).values_list("code", "tier_measure")
    ) == {
        "DEMO-ATTAIN": "attainment",
        "DEMO-GROWTH": "growth_rate",
    }
    # every full quarter since the quarter a year ago began is posted, the last one last
    runs = list(RebateRun.objects.order_by("period_end"))
    assert [run.status for run in runs] == ["posted"] * 4 == ["posted"] * report["runs"]
    run = runs[-1]
    assert (report["run"], run.period_end) == (run.number, last_quarter)
    assert rebate_balance(world.dist_js) == D("2000.00")
    # and seeding again does nothing
    assert seed_rebates(random.Random(1)) == {}
    assert RebateRun.objects.count() == 4
