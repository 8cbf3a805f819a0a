"""Targets: exact splits, breakdowns that sum, refusals, roll-up, approval and versions, actuals,
attainment and time elapsed, and the rebate hook (approved_partner_targets)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.analytics import targets as svc
from qudao.analytics.models import Target, TargetLevel, TargetPeriod, TargetPlan
from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import ApprovalFlow, ApprovalRequest
from qudao.rebates.tests.conftest import books, catalogue  # noqa: F401  (fixtures)

D = Decimal


def plan_of(world, amount="1000000.00", metric="net_sales_shipped", code="T2025", year=2025):
    return svc.create_plan(
        data={"code": code, "name": "2025 年销售目标", "year": year, "metric": metric, "amount": amount},
        actor=world.channel,
    )


def cell(plan, key, kind, start):
    return Target.objects.get(plan=plan, subject_key=key, period_kind=kind, period_start=start)


def test_it_splits_to_the_cent_by_the_largest_remainder():
    # even thirds of 100.00: 33.33 each and the one cent left to the first
    assert svc.split(D("100.00"), [D(1)] * 3) == [D("33.34"), D("33.33"), D("33.33")]
    # 0.05 in three: the two cents left go to the earlier children (equal remainders)
    assert svc.split(D("0.05"), [D(1)] * 3) == [D("0.02"), D("0.02"), D("0.01")]
    # by shares 2:1 of 0.10: 0.0666.. / 0.0333..: the larger remainder (0.666) gets the cent
    assert svc.split(D("0.10"), [D(2), D(1)]) == [D("0.07"), D("0.03")]
    # shares whose half-up rounding would overshoot: 3 x 1/3 of 1.00 is 0.33 x 3 = 0.99 + 1 cent
    assert svc.split(D("1.00"), [D("1"), D("1"), D("1")]) == [D("0.34"), D("0.33"), D("0.33")]
    # shares 1:1:1:1 of 0.02 (half-up would give 0.01 each, 0.04): exactly two cents
    assert svc.split(D("0.02"), [D(1)] * 4) == [D("0.01"), D("0.01"), D("0"), D("0")]
    # whole units for counts; all-zero weights split evenly
    assert svc.split(D("10"), [D(0), D(0), D(0)], D(1)) == [D(4), D(3), D(3)]
    # last year's share: 600/300/100
    assert svc.split(D("1000000.00"), [D(600), D(300), D(100)]) == [D("600000.00"), D("300000.00"), D("100000.00")]
    assert sum(svc.split(D("12345.67"), [D("3.3"), D("1.1"), D("7.7"), D("0.01")])) == D("12345.67")


def test_it_breaks_a_year_into_quarters_and_months_that_sum(world):
    # given a draft plan of 1,000,000.00 for the brand
    plan = plan_of(world)
    brand = svc.brand_target(plan)
    # when the year is broken into quarters and months evenly
    svc.break_down(target=brand, into="quarters_and_months", method="even", actor=world.channel)
    # then each quarter is 250,000.00 and the months of Q1 are 83,333.34 / 83,333.33 / 83,333.33
    quarters = Target.objects.filter(plan=plan, period_kind="quarter").order_by("period_start")
    assert [q.amount for q in quarters] == [D("250000.00")] * 4
    q1_months = Target.objects.filter(plan=plan, period_kind="month", period_start__lt=date(2025, 4, 1))
    assert [m.amount for m in q1_months.order_by("period_start")] == [D("83333.34"), D("83333.33"), D("83333.33")]
    assert Target.objects.filter(plan=plan, period_kind="month").count() == 12
    assert [q.period_end for q in quarters] == [
        date(2025, 3, 31),
        date(2025, 6, 30),
        date(2025, 9, 30),
        date(2025, 12, 31),
    ]
    assert svc.check_plan(plan).errors == {}


def test_it_breaks_the_brand_into_regions_and_partners_by_hand_and_refuses_what_does_not_sum(world):
    # given a plan of 300,000.00
    plan = plan_of(world, amount="300000.00")
    brand = svc.brand_target(plan)
    js, zj = world.regions["jiangsu"], world.regions["zhejiang"]
    # when the amounts by hand do not sum: refused with the sum, nothing written
    with pytest.raises(FieldErrors) as error:
        svc.break_down(
            target=brand,
            into="regions",
            method="by_hand",
            subjects=[js.pk, zj.pk],
            amounts={str(js.pk): "200000.00", str(zj.pk): "99999.99"},
        )
    assert error.value.errors == {
        "amounts": ["The amounts sum to CNY 299,999.99; they must sum to the target, CNY 300,000.00."]
    }
    # and a three-decimal or negative amount is refused at its row
    with pytest.raises(FieldErrors) as error:
        svc.break_down(
            target=brand,
            into="regions",
            method="by_hand",
            subjects=[js.pk, zj.pk],
            amounts={str(js.pk): "200000.001", str(zj.pk): "-1"},
        )
    assert error.value.errors == {
        f"amounts.{js.pk}": ["Enter at most two decimal places."],
        f"amounts.{zj.pk}": ["A target cannot be negative."],
    }
    assert Target.objects.filter(plan=plan).count() == 1
    # when they sum
    svc.break_down(
        target=brand,
        into="regions",
        method="by_hand",
        subjects=[js.pk, zj.pk],
        amounts={str(js.pk): "200000.00", str(zj.pk): "100000.00"},
    )
    # and Jiangsu goes to its partners evenly (default: the partners of the region)
    region_js = cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1))
    svc.break_down(target=region_js, into="partners", method="even")
    # then dist_js and sub_js have 100,000.00 each, under Jiangsu
    partners = Target.objects.filter(plan=plan, level="partner").order_by("partner__code")
    assert {(t.partner_id, t.amount, t.parent_id) for t in partners} == {
        (world.dist_js.pk, D("100000.00"), region_js.pk),
        (world.sub_js.pk, D("100000.00"), region_js.pk),
    }
    # a partner of another region is refused under Jiangsu
    with pytest.raises(FieldErrors) as error:
        svc.break_down(target=region_js, into="partners", method="even", subjects=[world.dealer_zj.pk])
    assert list(error.value.errors) == ["subjects"]
    assert svc.check_plan(plan).errors == {}


def test_it_links_periods_across_levels_and_checks_and_rolls_up(world):
    # given brand -> two partners of Jiangsu, then every subject's year into quarters
    plan = plan_of(world, amount="1000.00")
    brand = svc.brand_target(plan)
    js = world.regions["jiangsu"]
    svc.break_down(target=brand, into="regions", method="even", subjects=[js.pk])
    region = cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1))
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk, world.sub_js.pk])
    # the partner first, then the brand and the region: links follow whatever the order
    dist_year = cell(plan, f"partner:{world.dist_js.pk}", "year", date(2025, 1, 1))
    svc.break_down(target=dist_year, into="quarters", method="even")
    for key in ("brand", f"region:{js.pk}", f"partner:{world.sub_js.pk}"):
        svc.break_down(target=cell(plan, key, "year", date(2025, 1, 1)), into="quarters", method="even")
    q1 = date(2025, 1, 1)
    assert cell(plan, f"partner:{world.dist_js.pk}", "quarter", q1).parent == cell(
        plan, f"region:{js.pk}", "quarter", q1
    )
    assert cell(plan, f"region:{js.pk}", "quarter", q1).parent == cell(plan, "brand", "quarter", q1)
    assert svc.check_plan(plan).errors == {}
    # when one quarter is changed by hand so that things no longer sum: refused per row, unchanged
    dist_q1 = cell(plan, f"partner:{world.dist_js.pk}", "quarter", q1)
    with pytest.raises(FieldErrors) as error:
        svc.set_amounts(plan=plan, amounts={dist_q1.pk: "200.00"})
    region_q1 = cell(plan, f"region:{js.pk}", "quarter", q1)
    assert error.value.errors == {
        f"targets.{region_q1.pk}": ["Jiangsu Q1 2025: the targets below it sum to CNY 325.00, not CNY 250.00."],
        f"targets.{dist_year.pk}": ["金陵商贸 2025: its periods sum to CNY 575.00, not CNY 500.00."],
    }
    dist_q1.refresh_from_db()
    assert dist_q1.amount == D("125.00")
    # when the partner's quarter changes and the plan is rolled up instead
    Target.objects.filter(pk=dist_q1.pk).update(amount=D("200.00"))
    svc.roll_up(plan=plan)
    # then every parent is the sum of its children
    assert cell(plan, f"partner:{world.dist_js.pk}", "year", q1).amount == D("575.00")
    assert cell(plan, f"region:{js.pk}", "quarter", q1).amount == D("325.00")
    assert cell(plan, f"region:{js.pk}", "year", q1).amount == D("1075.00")
    assert cell(plan, "brand", "quarter", q1).amount == D("325.00")
    assert cell(plan, "brand", "year", q1).amount == D("1075.00")
    assert svc.check_plan(plan).errors == {}


def test_it_breaks_down_by_last_years_share(world, books):  # noqa: F811
    # given 2024 shipments: dist_js 300.00 in Q1 (100.00 of it returned in April) and 100.00 in Q3,
    # sub_js 100.00 in Q2
    line = books.sale(world.dist_js, "hood_a", 3, "100.00", date(2024, 2, 10))
    books.credit(line, 1, date(2024, 4, 2))  # 100.00 back: counts in Q1 (the sale's period)
    books.sale(world.dist_js, "hood_a", 1, "100.00", date(2024, 8, 10))
    books.sale(world.sub_js, "hood_a", 1, "100.00", date(2024, 5, 10))
    plan = plan_of(world, amount="1000.00")
    brand = svc.brand_target(plan)
    # when the brand's year goes into quarters by last year's share (200 / 100 / 100 / 0)
    svc.break_down(target=brand, into="quarters", method="last_year")
    quarters = Target.objects.filter(plan=plan, period_kind="quarter").order_by("period_start")
    assert [q.amount for q in quarters] == [D("500.00"), D("250.00"), D("250.00"), D("0.00")]
    # and the brand into regions: Jiangsu had everything, Zhejiang nothing
    js, zj = world.regions["jiangsu"], world.regions["zhejiang"]
    svc.break_down(target=brand, into="regions", method="last_year", subjects=[js.pk, zj.pk])
    region = cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1))
    assert region.amount == D("1000.00")
    assert cell(plan, f"region:{zj.pk}", "year", date(2025, 1, 1)).amount == D("0.00")
    # and Jiangsu into its partners: 300 : 100
    svc.break_down(target=region, into="partners", method="last_year")
    assert {t.partner_id: t.amount for t in Target.objects.filter(plan=plan, level="partner")} == {
        world.dist_js.pk: D("750.00"),
        world.sub_js.pk: D("250.00"),
    }
    # Zhejiang had nothing last year: even (its one partner gets all)
    svc.break_down(target=cell(plan, f"region:{zj.pk}", "year", date(2025, 1, 1)), into="partners", method="last_year")
    assert Target.objects.get(plan=plan, partner=world.dealer_zj).amount == D("0.00")


def test_it_refuses_bad_plans_and_bad_steps(world):
    with pytest.raises(FieldErrors) as error:
        svc.create_plan(data={"code": "bad code", "name": "", "year": 1990, "metric": "line_units", "amount": "1e30"})
    assert error.value.errors == {
        "code": ["Use 1 to 40 letters, digits, - or _."],
        "name": ["Enter a name."],
        "year": ["Enter a year from 2000 to 2100."],
        "product_line": ["Choose the product line this metric counts."],
        "amount": ["Enter a number."],
    }
    with pytest.raises(FieldErrors) as error:
        svc.create_plan(data={"code": "N", "name": "新伙伴", "year": 2025, "metric": "new_partners", "amount": "2.5"})
    assert error.value.errors == {"amount": ["Enter a whole number."]}
    plan = plan_of(world)
    brand = svc.brand_target(plan)
    with pytest.raises(FieldErrors) as error:
        svc.break_down(target=brand, into="months", method="even")
    assert error.value.errors == {"into": ["Only a quarter breaks down into months."]}
    with pytest.raises(FieldErrors) as error:
        svc.break_down(target=brand, into="partners", method="even")
    assert error.value.errors == {"into": ["A Brand target does not break down into Partner."]}
    assert TargetPlan.objects.count() == 1
    assert Target.objects.count() == 1


def test_it_approves_plans_through_the_flow_and_versions_them(world):
    # given a plan broken into quarters
    plan = plan_of(world, amount="400.00")
    svc.break_down(target=svc.brand_target(plan), into="quarters", method="even")
    # when submitted: the default flow asks the administrator
    plan = svc.submit_plan(plan=plan, actor=world.channel)
    assert plan.status == TargetPlan.Status.PENDING_APPROVAL
    with pytest.raises(Conflict):
        svc.break_down(target=svc.brand_target(plan), into="quarters", method="even")
    from qudao.core import approvals

    request = ApprovalRequest.objects.get(subject_kind="target_plan", subject_id=str(plan.pk))
    approvals.decide(request_id=request.pk, actor=world.admin, decision="approve")
    plan.refresh_from_db()
    assert plan.status == TargetPlan.Status.APPROVED
    assert Target.objects.filter(plan=plan, approved=True).count() == 5
    # an approved plan is immutable
    with pytest.raises(Conflict):
        svc.set_amounts(plan=plan, amounts={})
    # a second plan with the same cells cannot be submitted
    other = plan_of(world, amount="400.00", code="OTHER")
    with pytest.raises(FieldErrors) as error:
        svc.submit_plan(plan=other, actor=world.channel)
    assert error.value.errors == {
        "plan": ["Approved plans T2025 already hold targets for the same metric, subjects and periods."]
    }
    # a new version is a draft copy that supersedes it on approval
    copy = svc.new_version(plan=plan, actor=world.channel)
    assert (copy.version, copy.status, copy.supersedes_id) == (2, "draft", plan.pk)
    assert Target.objects.filter(plan=copy).count() == 5
    assert all(t.parent_id is None for t in Target.objects.filter(plan=copy))
    with pytest.raises(Conflict):
        svc.new_version(plan=plan)
    ApprovalFlow.objects.filter(subject_kind="target_plan").update(is_active=False)
    copy = svc.submit_plan(plan=copy, actor=world.channel)
    plan.refresh_from_db()
    assert (copy.status, plan.status) == ("approved", "superseded")
    assert Target.objects.filter(approved=True).count() == 5
    assert set(Target.objects.filter(approved=True).values_list("plan", flat=True)) == {copy.pk}


def test_time_elapsed_attainment_and_status():
    # on 9 December 9/31 of the month has passed (today counts)
    assert svc.elapsed_percent(date(2025, 12, 1), date(2025, 12, 31), date(2025, 12, 9)) == D("29.0")
    assert svc.elapsed_percent(date(2025, 12, 1), date(2025, 12, 31), date(2025, 11, 30)) == D("0.0")
    assert svc.elapsed_percent(date(2025, 12, 1), date(2025, 12, 31), date(2026, 1, 5)) == D("100.0")
    assert svc.elapsed_percent(date(2025, 1, 1), date(2025, 12, 31), date(2025, 7, 2)) == D("50.1")
    assert svc.attainment_percent(D("2345.00"), D("10000.00")) == D("23.5")
    assert svc.attainment_percent(D("1"), D("3")) == D("33.3")
    assert svc.attainment_percent(D("5"), D("0")) is None
    # the band: 5 points either side of the time elapsed
    assert svc.status_of(D("34.0"), D("29.0"), True) == "ahead"
    assert svc.status_of(D("33.9"), D("29.0"), True) == "on_track"
    assert svc.status_of(D("24.0"), D("29.0"), True) == "on_track"
    assert svc.status_of(D("23.9"), D("29.0"), True) == "behind"
    assert svc.status_of(D("99.0"), D("100.0"), True) == "on_track"
    assert svc.status_of(D("94.9"), D("100.0"), True) == "behind"
    assert svc.status_of(None, D("0"), False) == "not_started"


def test_it_reports_attainment_at_every_level(world, books):  # noqa: F811
    # given a plan: brand 12,000.00 into quarters and months; Jiangsu 9,000 / Zhejiang 3,000; Jiangsu's partners
    plan = plan_of(world, amount="12000.00")
    js, zj = world.regions["jiangsu"], world.regions["zhejiang"]
    brand = svc.brand_target(plan)
    svc.break_down(target=brand, into="quarters_and_months", method="even")
    svc.break_down(target=brand, into="regions", method="by_hand", subjects=[js.pk, zj.pk],
                   amounts={str(js.pk): "9000.00", str(zj.pk): "3000.00"})  # fmt: skip
    svc.break_down(target=cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1)), into="partners", method="even")
    # and sales: dist_js 600.00 on 3 December, sub_js 200.00 on 8 December, dealer_zj 100.00 in November
    books.sale(world.dist_js, "hood_a", 6, "100.00", date(2025, 12, 3))
    books.sale(world.sub_js, "hood_a", 2, "100.00", date(2025, 12, 8))
    books.sale(world.dealer_zj, "hood_a", 1, "100.00", date(2025, 11, 20))
    # when the plan is read on 9 December 2025
    rows = svc.attainment_rows(plan, Target.objects.filter(plan=plan), today=date(2025, 12, 9))
    by_cell = {(r.target.subject_key, r.target.period_kind, r.target.period_start): r for r in rows}
    december = by_cell[("brand", "month", date(2025, 12, 1))]
    # then the brand's December: 800.00 of 1,000.00 = 80.0%, 29.0% of the month elapsed: ahead
    assert (december.actual, december.attainment, december.elapsed, december.status) == (
        D("800.00"), D("80.0"), D("29.0"), "ahead"
    )  # fmt: skip
    year = by_cell[("brand", "year", date(2025, 1, 1))]
    assert (year.actual, year.attainment, year.elapsed, year.status) == (D("900.00"), D("7.5"), D("94.0"), "behind")
    region = by_cell[(f"region:{js.pk}", "year", date(2025, 1, 1))]
    assert (region.actual, region.attainment) == (D("800.00"), D("8.9"))
    dist = by_cell[(f"partner:{world.dist_js.pk}", "year", date(2025, 1, 1))]
    assert (dist.target.amount, dist.actual, dist.attainment) == (D("4500.00"), D("600.00"), D("13.3"))
    q4 = by_cell[("brand", "quarter", date(2025, 10, 1))]
    assert (q4.actual, q4.elapsed) == (D("900.00"), D("76.1"))  # 70 of 92 days
    # a finished month compares with 100%
    november = by_cell[("brand", "month", date(2025, 11, 1))]
    assert (november.actual, november.attainment, november.elapsed, november.status) == (
        D("100.00"), D("10.0"), D("100.0"), "behind"
    )  # fmt: skip
    # a regional manager sees Jiangsu and its partners only
    seen = set(svc.visible_targets(world.regional_js, plan).values_list("subject_key", flat=True))
    assert seen == {f"region:{js.pk}", f"partner:{world.dist_js.pk}", f"partner:{world.sub_js.pk}"}
    assert set(svc.visible_targets(world.sales, plan).values_list("subject_key", flat=True)) == set()


def test_it_counts_new_and_active_partners_and_payments(world, books):  # noqa: F811
    from qudao.analytics import actuals
    from qudao.orders.models import Order
    from qudao.partners.models import Partner

    # given dist_js created in March 2025, a submitted order of sub_js in May, a draft of dealer_zj
    Partner.objects.filter(pk=world.dist_js.pk).update(created_at=books_at(date(2025, 3, 5)))
    Partner.objects.filter(pk__in=[world.sub_js.pk, world.dealer_zj.pk]).update(created_at=books_at(date(2024, 3, 5)))
    Order.objects.create(
        number="SO-A1", partner=world.sub_js, status="confirmed", submitted_at=books_at(date(2025, 5, 2))
    )
    Order.objects.create(
        number="SO-A2", partner=world.dealer_zj, status="draft", submitted_at=books_at(date(2025, 5, 2))
    )
    books.payment(world.dist_js, "300.00", date(2025, 5, 3))
    books.payment(world.dist_js, "50.00", date(2025, 5, 4), status="bounced")
    q2 = (date(2025, 4, 1), date(2025, 6, 30))
    assert actuals.partner_actuals("new_partners", None, date(2025, 1, 1), date(2025, 3, 31)) == {world.dist_js.pk: 1}
    assert actuals.partner_actuals("active_partners", None, *q2) == {world.sub_js.pk: 1}
    assert actuals.partner_actuals("payments", None, *q2) == {world.dist_js.pk: D("300.00")}


def books_at(day):
    from qudao.rebates.tests.conftest import at

    return at(day)


def test_approved_partner_targets_for_the_rebate_ratio(world):
    # given an approved plan: dist_js's year 1,200.00 into quarters 300.00 and its Q1 into months
    ApprovalFlow.objects.filter(subject_kind="target_plan").update(is_active=False)
    plan = plan_of(world, amount="1200.00")
    brand = svc.brand_target(plan)
    svc.break_down(target=brand, into="regions", method="even", subjects=[world.regions["jiangsu"].pk])
    region = cell(plan, f"region:{world.regions['jiangsu'].pk}", "year", date(2025, 1, 1))
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk])
    dist = cell(plan, f"partner:{world.dist_js.pk}", "year", date(2025, 1, 1))
    for target in (brand, region, dist):
        svc.break_down(target=target, into="quarters", method="even")
    for key in ("brand", f"region:{world.regions['jiangsu'].pk}", f"partner:{world.dist_js.pk}"):
        svc.break_down(target=cell(plan, key, "quarter", date(2025, 1, 1)), into="months", method="even")
    svc.submit_plan(plan=plan, actor=world.channel)
    get = svc.approved_partner_targets
    # exactly one target's period
    assert get("net_sales_shipped", None, date(2025, 1, 1), date(2025, 12, 31)) == {world.dist_js.pk: D("1200.00")}
    assert get("net_sales_shipped", [world.dist_js.pk], date(2025, 4, 1), date(2025, 6, 30)) == {
        world.dist_js.pk: D("300.00")
    }
    assert get("net_sales_shipped", None, date(2025, 2, 1), date(2025, 2, 28)) == {world.dist_js.pk: D("100.00")}
    # tiled: February + March (months), January to June (quarter 1 + quarter 2)
    assert get("net_sales_shipped", None, date(2025, 2, 1), date(2025, 3, 31)) == {world.dist_js.pk: D("200.00")}
    assert get("net_sales_shipped", None, date(2025, 1, 1), date(2025, 6, 30)) == {world.dist_js.pk: D("600.00")}
    assert get("net_sales_shipped", None, date(2025, 3, 1), date(2025, 6, 30)) == {world.dist_js.pk: D("400.00")}
    # not tiled: April and May (no month targets in Q2), half a month; another metric, partner
    assert get("net_sales_shipped", None, date(2025, 4, 1), date(2025, 5, 31)) == {}
    assert get("net_sales_shipped", None, date(2025, 1, 1), date(2025, 1, 15)) == {}
    assert get("payments", None, date(2025, 1, 1), date(2025, 12, 31)) == {}
    assert get("net_sales_shipped", [world.sub_js.pk], date(2025, 1, 1), date(2025, 12, 31)) == {}
    assert TargetLevel.PARTNER == "partner" and TargetPeriod.YEAR == "year"


def test_a_balanced_split_sums_both_ways():
    # rows 600 / 400, columns 333.33 / 333.33 / 333.34: every row and every column exact
    table = svc.balanced_split([D("600.00"), D("400.00")], [D("333.33"), D("333.33"), D("333.34")])
    assert table == [[D("200.00"), D("200.00"), D("200.00")], [D("133.33"), D("133.33"), D("133.34")]]
    assert [sum(row) for row in table] == [D("600.00"), D("400.00")]
    table = svc.balanced_split([D("0.01")] * 3, [D("0.01"), D("0.02")])
    assert [sum(row) for row in table] == [D("0.01")] * 3
    assert [sum(column) for column in zip(*table, strict=True)] == [D("0.01"), D("0.02")]


def test_it_breaks_every_year_into_quarters_and_months_at_once(world, books):  # noqa: F811
    # given last year's shipments: dist_js 300.00 in January 2024 and 100.00 in May 2024
    books.sale(world.dist_js, "hood_a", 3, "100.00", date(2024, 1, 10))
    books.sale(world.dist_js, "hood_a", 1, "100.00", date(2024, 5, 10))
    plan = plan_of(world, amount="1000.00")
    js = world.regions["jiangsu"]
    svc.break_down(target=svc.brand_target(plan), into="regions", method="even", subjects=[js.pk])
    region = cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1))
    shares = {str(world.dist_js.pk): "600.00", str(world.sub_js.pk): "400.00"}
    svc.break_down(target=region, into="partners", method="by_hand", amounts=shares)
    # when every year goes into quarters and months by last year's share
    written = svc.break_down_every_year(plan=plan, method="last_year")
    # then 4 subjects (brand, Jiangsu, two partners) x 16 periods
    assert written == 64
    # the brand by its last year: Q1 750.00 (all in January), Q2 250.00 (all in May)
    brand_quarters = Target.objects.filter(plan=plan, subject_key="brand", period_kind="quarter")
    assert [t.amount for t in brand_quarters.order_by("period_start")] == [D("750.00"), D("250.00"), D("0"), D("0")]
    assert cell(plan, "brand", "month", date(2025, 1, 1)).amount == D("750.00")
    # the partners share each of Jiangsu's periods 600 : 400
    dist, sub = f"partner:{world.dist_js.pk}", f"partner:{world.sub_js.pk}"
    assert cell(plan, dist, "quarter", date(2025, 1, 1)).amount == D("450.00")
    assert cell(plan, sub, "quarter", date(2025, 1, 1)).amount == D("300.00")
    assert cell(plan, dist, "month", date(2025, 5, 1)).amount == D("150.00")
    assert cell(plan, sub, "month", date(2025, 2, 1)).amount == D("0.00")
    assert cell(plan, dist, "month", date(2025, 5, 1)).parent == cell(
        plan, f"region:{js.pk}", "month", date(2025, 5, 1)
    )
    # and the whole plan sums, both ways
    assert svc.check_plan(plan).errors == {}


def test_owner_targets_and_their_attainment(world, books):  # noqa: F811
    # given dealer_zj owned by the sales user (regional owner), who sells 700.00 in March 2025
    books.sale(world.dealer_zj, "hood_a", 7, "100.00", date(2025, 3, 5))
    plan = plan_of(world, amount="2000.00")
    # when the brand breaks down into owners (default: the owners of the partners: sales)
    svc.break_down(target=svc.brand_target(plan), into="owners", method="even")
    owner = cell(plan, f"owner:{world.sales.pk}", "year", date(2025, 1, 1))
    assert owner.amount == D("2000.00")
    # and the owner into its partners (default: dealer_zj)
    svc.break_down(target=owner, into="partners", method="even")
    assert cell(plan, f"partner:{world.dealer_zj.pk}", "year", date(2025, 1, 1)).parent == owner
    # then the owner's attainment is its partners' sales: 700 / 2,000 = 35.0%
    rows = svc.attainment_rows(plan, Target.objects.filter(plan=plan, level="owner"), today=date(2025, 12, 31))
    assert [(r.actual, r.attainment, r.elapsed, r.status) for r in rows] == [
        (D("700.00"), D("35.0"), D("100.0"), "behind")
    ]
    # the sales user sees its own owner target and its partner's, not the brand's
    seen = set(svc.visible_targets(world.sales, plan).values_list("subject_key", flat=True))
    assert seen == {f"owner:{world.sales.pk}", f"partner:{world.dealer_zj.pk}"}
    # a user who owns nothing is refused under the brand
    with pytest.raises(FieldErrors) as error:
        svc.break_down(target=svc.brand_target(plan), into="owners", method="even", subjects=[world.finance.pk])
    assert list(error.value.errors) == ["subjects"]
