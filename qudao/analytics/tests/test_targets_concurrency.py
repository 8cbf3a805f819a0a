"""Real concurrency on PostgreSQL: two plans over the same cells submitted at the same moment, and
two breakdowns of one plan at once (skipped on SQLite, whose writers are serialised anyway)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qudao.analytics import targets as svc
from qudao.analytics.models import Target, TargetPlan
from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import ApprovalFlow
from qudao.partners.tests.test_concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_only_one_of_two_plans_over_the_same_cells_is_approved(world):
    # given two drafts over the brand's 2025 net sales, and no approval flow (approved at once)
    ApprovalFlow.objects.filter(subject_kind="target_plan").update(is_active=False)
    plans = [
        svc.create_plan(
            data={"code": f"C{i}", "name": "并发", "year": 2025, "metric": "net_sales_shipped", "amount": "100.00"},
            actor=world.channel,
        )
        for i in range(2)
    ]
    # when both are submitted at once
    results = run_concurrently(2, lambda i: svc.submit_plan(plan=TargetPlan.objects.get(pk=plans[i].pk)))
    # then one is approved, the other refused (by the check or by the unique constraint), and
    # exactly one approved target holds the cell
    outcomes = sorted(status for status, _value in results)
    assert outcomes == ["error", "ok"]
    error = next(value for status, value in results if status == "error")
    assert isinstance(error, Conflict | FieldErrors)
    assert TargetPlan.objects.filter(status="approved").count() == 1
    assert TargetPlan.objects.filter(status="draft").count() == 1
    assert Target.objects.filter(approved=True).count() == 1


def test_two_breakdowns_of_one_target_at_once_leave_one_breakdown(world):
    plan = svc.create_plan(
        data={"code": "B", "name": "并发", "year": 2025, "metric": "payments", "amount": "90.00"}, actor=world.channel
    )
    brand = svc.brand_target(plan)
    results = run_concurrently(
        2, lambda i: svc.break_down(target=Target.objects.get(pk=brand.pk), into="quarters", method="even")
    )
    assert [status for status, _value in results] == ["ok", "ok"]  # one after the other (the plan row lock)
    quarters = Target.objects.filter(plan=plan, period_kind="quarter").order_by("period_start")
    assert [q.amount for q in quarters] == [Decimal("22.50")] * 4
