"""Tiers on a ratio (qudao.rebates.ratios): attainment of the partner's own target and growth rate
over the same period last year, each tier paying on the WHOLE basis - runs, the policy preview,
the statement's line, validation and the API, with exact figures.

Targets come from the registry a higher context (analytics) fills: these tests register a real
small source that reads a fixture table (the registry's contract, not a mock of a running
component)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from qudao.core.errors import FieldErrors
from qudao.rebates import engine, ratios, runs, services, statements
from qudao.rebates.engine import Tier
from qudao.rebates.models import RebateLine, RebatePolicy

Q1 = date(2025, 2, 1)
Q1_START, Q1_END = date(2025, 1, 1), date(2025, 3, 31)
# 80 % to 100 % pays 1 %, 100 % and more pays 3 % (of the whole basis)
ATTAINMENT_TIERS = [{"lower_bound": "80", "value": "1"}, {"lower_bound": "100", "value": "3"}]
# growth of 10 % pays 1 %, of 20 % and more 2 % (of the whole period's sales)
GROWTH_TIERS = [{"lower_bound": "10", "value": "1"}, {"lower_bound": "20", "value": "2"}]


def line_of(run, partner) -> RebateLine:
    return RebateLine.objects.get(run=run, partner=partner)


# --- the engine --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "basis", "tier", "amount"),
    [
        ("104", "1040000", 2, "31200.00"),  # 3 % of the whole basis
        ("100", "1000000", 2, "30000.00"),  # a bound is inclusive
        ("99.99", "999900", 1, "9999.00"),
        ("85", "170000", 1, "1700.00"),
        ("80", "160000", 1, "1600.00"),
        ("79.99", "159980", None, "0.00"),
        ("79", "79000", None, "0.00"),
        (None, "500000", None, "0.00"),  # no ratio (no target): no tier
        ("120", "0", None, "0.00"),  # nothing counted earns nothing
    ],
)
def test_a_ratio_reaches_the_highest_tier_whose_bound_it_reaches_and_pays_on_the_whole_basis(
    ratio, basis, tier, amount
):
    tiers = [Tier(D("80"), "rate", D("1")), Tier(D("100"), "rate", D("3"))]
    outcome = engine.compute_on_ratio(None if ratio is None else D(ratio), D(basis), tiers)
    assert (outcome.tier, outcome.amount) == (tier, D(amount))


def test_a_ratio_tier_pays_a_fixed_amount_or_per_unit_and_the_cap_applies():
    fixed = [Tier(D("0"), "fixed", D("0")), Tier(D("100"), "fixed", D("5000"))]
    assert engine.compute_on_ratio(D("101"), D("10"), fixed).amount == D("5000.00")
    per_unit = [Tier(D("20"), "per_unit", D("2.5"))]
    assert engine.compute_on_ratio(D("25"), D("1250"), per_unit).amount == D("3125.00")
    capped = engine.compute_on_ratio(D("104"), D("1040000"), [Tier(D("100"), "rate", D("3"))], D("20000"))
    assert (capped.exact, capped.amount, capped.cap_applied) == (D("31200"), D("20000.00"), True)


def test_a_ratio_is_floored_to_the_hundredth_of_a_percent():
    policy = RebatePolicy(tier_measure="attainment", basis="net_sales_shipped")
    # 999,960 / 1,000,000 = 99.996 %: shown and compared as 99.99 %, it does not reach 100 %
    assert ratios.measure(policy, D("999960"), target=D("1000000")).ratio == D("99.99")
    growth = RebatePolicy(tier_measure="growth_rate", basis="net_sales_shipped")
    # a fall of 0.004 % is below 0 %, not 0 %
    assert ratios.measure(growth, D("99999.996"), baseline=D("100000")).ratio == D("-0.01")
    assert ratios.measure(growth, D("500"), baseline=D("0")).reason == "no_baseline"
    assert ratios.measure(policy, D("500"), target=None).reason == "no_target"


def test_the_registry_keeps_only_positive_targets_of_the_partners_asked_for():
    def source(metric, partner_ids, start, end):
        return {1: D("100"), 2: D("0"), 3: D("-5"), 4: "250.50", 5: D("NaN")}

    ratios.register_target_source(source)
    try:
        assert ratios.targets("payments", [1, 2, 3, 4, 5], Q1_START, Q1_END) == {1: D("100"), 4: D("250.50")}
        assert ratios.targets("payments", [4], Q1_START, Q1_END) == {4: D("250.50")}
    finally:
        ratios.unregister_target_source(source)
    assert ratios.targets("payments", [1], Q1_START, Q1_END) == {}


# --- runs ----------------------------------------------------------------------------------------


def test_attainment_pays_the_tier_reached_on_the_whole_basis_of_each_partner(books, world, targets):
    # given Q1 2025 targets: dist_js 1,000,000 (ships 1,040,000: 104 %), sub_js 200,000 (ships
    # 170,000: 85 %), dealer_zj 100,000 (ships 79,000: 79 %)
    partners = [world.dist_js, world.sub_js, world.dealer_zj]
    policy = books.policy(tier_measure="attainment", tiers=ATTAINMENT_TIERS, target_partners=[p.code for p in partners])
    for partner, target in zip(partners, ("1000000", "200000", "100000"), strict=True):
        targets[("net_sales_shipped", partner.pk, Q1_START, Q1_END)] = D(target)
    books.sale(world.dist_js, "hood_a", 1040, "1000", date(2025, 2, 10))
    books.sale(world.sub_js, "hood_a", 170, "1000", date(2025, 3, 10))
    books.sale(world.dealer_zj, "hood_a", 79, "1000", date(2025, 1, 20))
    # a target for another window (a month) is not the quarter's
    targets[("net_sales_shipped", world.dealer_zj.pk, date(2025, 1, 1), date(2025, 1, 31))] = D("50000")
    # when the quarter is computed
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then 104 % pays 3 % of 1,040,000 = 31,200.00; 85 % pays 1 % of 170,000 = 1,700.00; 79 % nothing
    dist, sub, zj = (line_of(run, partner) for partner in partners)
    assert (dist.ratio, dist.target, dist.tier_index, dist.tier_value, dist.amount) == (
        D("104"), D("1000000"), 2, D("3"), D("31200.00")
    )  # fmt: skip
    assert (sub.ratio, sub.target, sub.tier_index, sub.amount) == (D("85"), D("200000"), 1, D("1700.00"))
    assert (zj.ratio, zj.target, zj.tier_index, zj.amount) == (D("79"), D("100000"), None, D("0.00"))
    assert dist.explanation["measure"] == {
        "kind": "attainment",
        "ratio": "104.00",
        "reason": "",
        "target": "1000000.00",
    }
    assert zj.explanation["next_tier_from"] == "80.00"
    assert run.amount_total == D("32900.00")
    # and the line says it in one sentence (the statement and the run page show it)
    assert ratios.line_text(dist) == "Attainment 104% (target ¥1,000,000.00) → 3%"
    assert statements.line_description(zj) == "Attainment 79% (target ¥100,000.00) → no tier"


def test_attainment_without_a_target_pays_nothing_and_says_no_target(books, world, targets):
    # given a target for dist_js only, and sub_js shipping 500,000
    policy = books.policy(
        tier_measure="attainment",
        tiers=ATTAINMENT_TIERS,
        target_partners=[world.dist_js.code, world.sub_js.code],
    )
    targets[("net_sales_shipped", world.dist_js.pk, Q1_START, Q1_END)] = D("100000")
    books.sale(world.sub_js, "hood_a", 500, "1000", date(2025, 2, 10))
    # when
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then no ratio, no tier, and the reason
    sub = line_of(run, world.sub_js)
    assert (sub.basis, sub.ratio, sub.target, sub.tier_index, sub.amount) == (D("500000"), None, None, None, D("0"))
    assert sub.explanation["measure"]["reason"] == "no_target"
    assert ratios.line_text(sub) == "Attainment: no target for this period → no tier"
    # and with no source registered at all, dist_js has none either
    ratios.unregister_target_source()
    again = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    assert line_of(again, world.dist_js).explanation["measure"]["reason"] == "no_target"


def test_attainment_counts_returns_in_the_period_of_the_sale(books, world, targets):
    # given a target of 1,000,000 for Q1, 1,040,000 shipped in February and 50,000 of it
    # credited in April (the return reduces the sale's period, Q1 - the default)
    policy = books.policy(tier_measure="attainment", tiers=ATTAINMENT_TIERS)
    targets[("net_sales_shipped", world.dist_js.pk, Q1_START, Q1_END)] = D("1000000")
    sale = books.sale(world.dist_js, "hood_a", 1040, "1000", date(2025, 2, 10))
    books.credit(sale, 50, date(2025, 4, 3))
    # when
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then 990,000 / 1,000,000 = 99 %: 1 % of 990,000 = 9,900.00
    line = line_of(run, world.dist_js)
    assert (line.basis, line.ratio, line.tier_index, line.amount) == (D("990000"), D("99"), 1, D("9900.00"))
    assert line.explanation["basis"]["returns"] == "50000.00"


def test_attainment_on_payments_asks_for_the_payments_target(books, world, targets):
    # given a payments target of 400,000 and 420,000 received in Q1 (105 %)
    policy = books.policy(basis="payments", tier_measure="attainment", tiers=ATTAINMENT_TIERS)
    targets[("payments", world.dist_js.pk, Q1_START, Q1_END)] = D("400000")
    targets[("net_sales_shipped", world.dist_js.pk, Q1_START, Q1_END)] = D("1")
    books.payment(world.dist_js, "420000", date(2025, 3, 5))
    # when
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then 3 % of 420,000 = 12,600.00
    line = line_of(run, world.dist_js)
    assert (line.ratio, line.target, line.amount) == (D("105"), D("400000"), D("12600.00"))


def test_growth_rate_pays_the_rate_on_the_whole_period_s_sales_not_only_the_growth(books, world):
    # given dist_js: 400,000 in Q1 2024 and 500,000 in Q1 2025 (growth 25 %); sub_js: nothing in
    # Q1 2024 and 300,000 in Q1 2025
    policy = books.policy(
        tier_measure="growth_rate", tiers=GROWTH_TIERS, target_partners=[world.dist_js.code, world.sub_js.code]
    )
    books.sale(world.dist_js, "hood_a", 400, "1000", date(2024, 3, 1))
    books.sale(world.dist_js, "hood_a", 500, "1000", date(2025, 3, 1))
    books.sale(world.sub_js, "hood_a", 300, "1000", date(2025, 3, 1))
    # when
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then 25 % reaches 20 %: 2 % of 500,000 = 10,000.00 (not 2 % of the growth, 2,000.00)
    dist = line_of(run, world.dist_js)
    assert (dist.basis, dist.ratio, dist.target, dist.tier_index, dist.amount) == (
        D("500000"), D("25"), None, 2, D("10000.00")
    )  # fmt: skip
    assert dist.explanation["measure"] == {
        "kind": "growth_rate",
        "ratio": "25.00",
        "reason": "",
        "last_year": "400000.00",
        "last_year_from": "2024-01-01",
        "last_year_to": "2024-03-31",
    }
    assert ratios.line_text(dist) == "Growth rate 25% (same period last year ¥400,000.00) → 2%"
    # and growth over nothing last year: no ratio, no tier
    sub = line_of(run, world.sub_js)
    assert (sub.ratio, sub.tier_index, sub.amount) == (None, None, D("0"))
    assert sub.explanation["measure"]["reason"] == "no_baseline"
    assert ratios.line_text(sub) == "Growth rate: nothing in the same period last year → no tier"


def test_growth_rate_of_an_interim_run_compares_the_same_days_last_year(books, world):
    # given a monthly growth-rate policy with interim runs: 100,000 on 5 Jan 2024 and 50,000 on
    # 25 Jan 2024; 115,000 on 6 Jan 2025
    policy = books.policy(tier_measure="growth_rate", tiers=GROWTH_TIERS, period_kind="month", allow_interim=True)
    books.sale(world.dist_js, "hood_a", 100, "1000", date(2024, 1, 5))
    books.sale(world.dist_js, "hood_a", 50, "1000", date(2024, 1, 25))
    books.sale(world.dist_js, "hood_a", 115, "1000", date(2025, 1, 6))
    # when the month is counted up to 10 January
    run = runs.compute_run(policy=policy, period="2025-01-01", kind="interim", as_of="2025-01-10", actor=world.finance)
    # then 115,000 against 100,000 (1-10 January 2024): 15 %, 1 % of 115,000 = 1,150.00
    line = line_of(run, world.dist_js)
    assert (line.ratio, line.tier_index, line.amount) == (D("15"), 1, D("1150.00"))
    assert line.explanation["measure"]["last_year_to"] == "2024-01-10"


# --- validation ----------------------------------------------------------------------------------


def _errors(books, **overrides) -> dict:
    with pytest.raises(FieldErrors) as caught:
        books.policy(**overrides)
    return {key: [str(m) for m in messages] for key, messages in caught.value.errors.items()}


def test_it_refuses_what_a_ratio_measure_cannot_do_with_clear_errors(books, world):
    assert _errors(books, tier_measure="attainment", tier_style="marginal", tiers=ATTAINMENT_TIERS) == {
        "tier_style": ["Tiers on a ratio pay their reward on the whole basis: choose retrospective, not marginal."]
    }
    assert _errors(books, tier_measure="growth_rate", growth=True, tiers=GROWTH_TIERS) == {
        "growth": ["Tiers on a growth rate already compare with last year: leave “growth” off."]
    }
    assert _errors(books, tier_measure="attainment", growth=True, tiers=ATTAINMENT_TIERS) == {
        "growth": ["A target is set on the whole basis, not on its growth: leave “growth” off."]
    }
    assert _errors(books, tier_measure="attainment", basis="payments_on_time", tiers=ATTAINMENT_TIERS) == {
        "tier_measure": [
            "Attainment needs a basis targets are set on: net sales shipped, net sales invoiced or payments."
        ]
    }
    assert _errors(books, tier_measure="share") == {"tier_measure": ["Choose one of basis, attainment, growth_rate."]}
    bad_bounds = [
        {"lower_bound": "80.005", "value": "1"},
        {"lower_bound": "1000.01", "value": "3"},
        {"lower_bound": "-5", "value": "3"},
    ]
    assert _errors(books, tier_measure="growth_rate", tiers=bad_bounds) == {
        "tiers.0.lower_bound": ["Use at most 2 decimal places for a percentage."],
        "tiers.1.lower_bound": ["Enter a percentage from 0 to 1,000."],
        "tiers.2.lower_bound": ["Enter zero or more."],
    }
    assert RebatePolicy.objects.count() == 0


def test_a_ratio_measure_takes_growth_rate_on_units_and_tiers_not_starting_at_zero(books, world):
    # a quantity basis on a growth rate, per unit; the first tier at 20 % (below it: no tier)
    policy = books.policy(
        basis="quantity",
        skus=["HOOD-A"],
        tier_measure="growth_rate",
        tiers=[
            {"lower_bound": "20", "upper_bound": "50", "reward": "per_unit", "value": "2"},
            {"lower_bound": "50", "reward": "per_unit", "value": "3"},
        ],
    )
    books.sale(world.dist_js, "hood_a", 100, "1000", date(2024, 2, 1))
    books.sale(world.dist_js, "hood_a", 130, "1000", date(2025, 2, 1))
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # 130 units against 100: 30 %, 2.00 a unit on all 130 units = 260.00
    line = line_of(run, world.dist_js)
    assert (line.basis, line.ratio, line.amount) == (D("130"), D("30"), D("260.00"))


def test_changing_a_draft_to_a_ratio_checks_its_stored_tiers_as_percentages(books, world):
    policy = services.create_policy(
        data={
            "code": "RATIO-DRAFT",
            "name": "草稿",
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "effective_from": "2025-01-01",
            "target_partners": [world.dist_js.code],
            "tiers": [{"lower_bound": "0", "value": "1"}, {"lower_bound": "100000", "value": "2"}],
        },
        actor=world.channel,
    )
    with pytest.raises(FieldErrors) as caught:
        services.update_policy(policy=policy, data={"tier_measure": "attainment"}, actor=world.channel)
    assert caught.value.errors == {"tiers.1.lower_bound": ["Enter a percentage from 0 to 1,000."]}
    updated = services.update_policy(
        policy=policy, data={"tier_measure": "attainment", "tiers": ATTAINMENT_TIERS}, actor=world.channel
    )
    assert (updated.tier_measure, [t.lower_bound for t in updated.tiers.all()]) == ("attainment", [D("80"), D("100")])


# --- the policy preview --------------------------------------------------------------------------


def test_the_policy_preview_computes_the_ratio_of_a_policy_being_typed(books, world, targets):
    from qudao.rebates import preview

    # given last quarter (Q1 2025 seen from 15 May 2025): dist_js 1,040,000 against 1,000,000
    targets[("net_sales_shipped", world.dist_js.pk, Q1_START, Q1_END)] = D("1000000")
    books.sale(world.dist_js, "hood_a", 1040, "1000", date(2025, 2, 10))
    data = {
        "name": "达成率返利",
        "basis": "net_sales_shipped",
        "period_kind": "quarter",
        "tier_style": "retrospective",
        "tier_measure": "attainment",
        "target_partners": [world.dist_js.code],
        "tiers": ATTAINMENT_TIERS,
    }
    # when
    result = preview.preview_policy(user=world.channel, data=data, today=date(2025, 5, 15))
    # then
    row = result.rows[0]
    assert (result.tier_measure, row.ratio, row.target, row.tier, row.amount) == (
        "attainment", D("104"), D("1000000"), 2, D("31200.00")
    )  # fmt: skip
    assert RebatePolicy.objects.count() == 0


# --- the API -------------------------------------------------------------------------------------


def test_the_api_creates_and_reads_a_policy_with_its_measure_and_refuses_a_marginal_ratio(api_client, books, world):
    client = api_client(world.channel)
    body = {
        "code": "Q-ATT",
        "name": "季度达成率返利",
        "basis": "net_sales_invoiced",
        "period_kind": "quarter",
        "tier_style": "retrospective",
        "tier_measure": "attainment",
        "effective_from": "2025-01-01",
        "target_partners": [world.dist_js.code],
        "tiers": [{"lower_bound": "80", "upper_bound": "100", "value": "1"}, {"lower_bound": "100", "value": "3"}],
    }
    created = client.post("/api/v1/rebates/policies", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    read = client.get(f"/api/v1/rebates/policies/{created.json()['id']}").json()
    assert (read["tier_measure"], read["tiers"]) == (
        "attainment",
        [
            {"lower_bound": "80.00", "upper_bound": "100.00", "reward": "rate", "value": "1"},
            {"lower_bound": "100.00", "upper_bound": None, "reward": "rate", "value": "3"},
        ],
    )
    refused = client.post(
        "/api/v1/rebates/policies",
        json.dumps({**body, "code": "Q-ATT-2", "tier_style": "marginal"}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["tier_style"]
    # a policy on the basis says so
    plain = client.post(
        "/api/v1/rebates/policies",
        json.dumps({**body, "code": "Q-NET", "tier_measure": None, "tiers": [{"lower_bound": "0", "value": "1"}]}),
        content_type="application/json",
    )
    assert plain.json()["tier_measure"] == "basis"


def test_the_api_line_shows_the_ratio_and_the_target(api_client, books, world, targets):
    policy = books.policy(tier_measure="attainment", tiers=ATTAINMENT_TIERS)
    targets[("net_sales_shipped", world.dist_js.pk, Q1_START, Q1_END)] = D("1200000")
    books.sale(world.dist_js, "hood_a", 1250, "1000", date(2025, 2, 10))
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    line = line_of(run, world.dist_js)
    answer = api_client(world.finance).get(f"/api/v1/rebates/lines/{line.pk}").json()
    # 1,250,000 / 1,200,000 = 104.1666.. % floored to 104.16 %: 3 % of 1,250,000 = 37,500.00
    assert (answer["ratio"], answer["target"], answer["amount"]) == ("104.16", "1200000.00", "37500.00")


# --- the policy form and pages -------------------------------------------------------------------

RATIO_FORM = {
    "code": "FORM-ATT",
    "name": "季度达成率返利",
    "basis": "net_sales_shipped",
    "period_kind": "quarter",
    "tier_style": "retrospective",
    "tier_measure": "attainment",
    "returns_count_in": "shipment_period",
    "effective_from": "2025-01-01",
    "target_partners": "",
    "target_partner_types": ["distributor"],
    "tier_lower_0": "80",
    "tier_upper_0": "100",
    "tier_reward_0": "rate",
    "tier_value_0": "1",
    "tier_lower_1": "100",
    "tier_reward_1": "rate",
    "tier_value_1": "3",
}


def test_the_form_previews_saves_and_shows_a_policy_on_a_ratio(books, world, targets, page_client):
    from datetime import timedelta

    from django.utils import timezone

    from qudao.rebates import basis as B

    # given dist_js shipped 104 % of its target last quarter
    probe = RebatePolicy(period_kind="quarter")
    start, end = B.period_of(probe, B.period_of(probe, timezone.localdate())[0] - timedelta(days=1))
    targets[("net_sales_shipped", world.dist_js.pk, start, end)] = D("1000000")
    books.sale(world.dist_js, "hood_a", 1040, "1000", start + timedelta(days=3))
    client = page_client(world.channel)
    # when the form is previewed
    html = client.post("/rebates/policies/preview/", RATIO_FORM, HTTP_HX_REQUEST="true").content.decode()
    # then the row shows the attainment and pays 3 % of the whole basis
    assert 'data-testid="preview-ratio">attainment 104% of 1,000,000.00<' in html
    assert 'data-testid="preview-amount">31,200.00<' in html
    # when a marginal style is saved: the error is at the style, nothing is written
    refused = client.post("/rebates/policies/new/", {**RATIO_FORM, "tier_style": "marginal"}).content.decode()
    assert "Tiers on a ratio pay their reward on the whole basis: choose retrospective, not marginal." in refused
    assert RebatePolicy.objects.count() == 0
    # when it is saved as typed
    saved = client.post("/rebates/policies/new/", RATIO_FORM)
    policy = RebatePolicy.objects.get(code="FORM-ATT")
    assert (saved.status_code, policy.tier_measure, [t.lower_bound for t in policy.tiers.all()]) == (
        302, "attainment", [D("80"), D("100")]
    )  # fmt: skip
    # then its page and its form show the bounds as percentages
    detail = client.get(f"/rebates/policies/{policy.pk}/").content.decode()
    assert 'data-testid="tier-measure-fact">Attainment of the partner&#x27;s target (%)<' in detail
    assert '<td class="num">80%</td><td class="num">100%</td>' in detail
    edit = client.get(f"/rebates/policies/{policy.pk}/edit/").content.decode()
    assert '<option value="attainment" selected>' in edit
    assert 'name="tier_upper_0" value="100"' in edit


def test_the_run_page_the_line_page_and_the_statement_explain_the_ratio(books, world, targets, page_client):
    # given dist_js's Q1 (1,040,000 against 1,000,000) settled and posted
    policy = books.policy(tier_measure="attainment", tiers=ATTAINMENT_TIERS)
    targets[("net_sales_shipped", world.dist_js.pk, Q1_START, Q1_END)] = D("1000000")
    books.sale(world.dist_js, "hood_a", 1040, "1000", date(2025, 2, 10))
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    runs.approve_run(run=run, actor=world.finance)
    runs.post_run(run=run, actor=world.finance)
    line = line_of(run, world.dist_js)
    sentence = "Attainment 104% (target ¥1,000,000.00) → 3%"
    client = page_client(world.finance)
    # then the run's page, the line's explanation and the partner's statement say it
    assert f'data-testid="line-ratio">{sentence}<' in client.get(f"/rebates/runs/{run.number}/").content.decode()
    explained = client.get(f"/rebates/runs/{run.number}/lines/{line.pk}/").content.decode()
    assert f'data-testid="x-measure">{sentence}' in explained
    statement = page_client(world.dist_admin).get("/portal/rebates/statement/?from=2025-01-01&to=2026-12-31")
    assert sentence in statement.content.decode()


def test_an_approval_flow_may_test_what_the_tiers_are_measured_on(books, world):
    from qudao.core import approvals

    policy = books.policy(tier_measure="growth_rate", tiers=GROWTH_TIERS)
    context = services.policy_approval_context(policy)
    assert context["tier_measure"] == "growth_rate"
    assert approvals.conditions_match({"tier_measure": "growth_rate"}, context)
    assert not approvals.conditions_match({"tier_measure": "attainment"}, context)
