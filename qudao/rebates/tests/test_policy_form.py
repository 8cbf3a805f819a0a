"""The rebate policy form: its sections with labelled choices (targets by label, not by typed
codes), every error at its own field (a tier's on the row and cell it was typed in) with a summary
on top, rates as percentages, and the live preview of what the partners it targets would have
earned in the last complete period - computed by the runs' engine, exact, scoped, writing nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qudao.core.errors import FieldErrors
from qudao.core.models import OutboxEvent
from qudao.rebates import basis as B
from qudao.rebates import preview
from qudao.rebates.models import RebateLine, RebatePolicy, RebateProgress, RebateRun

TIER_CELL = re.compile(r"tier_(lower|upper|reward|value)_\d+$")
# "up to 200 units 2.00 a unit, from 201 units 5.00 a unit", as the form's rows
UNIT_FORM = {
    "code": "FORM-HOODS",
    "name": "油烟机台数返利",
    "basis": "quantity",
    "product_lines": "hoods",
    "period_kind": "quarter",
    "tier_style": "retrospective",
    "returns_count_in": "shipment_period",
    "effective_from": "2025-01-01",
    "target_partner_types": ["distributor", "dealer"],
    "tier_lower_0": "0",
    "tier_upper_0": "200",
    "tier_reward_0": "per_unit",
    "tier_value_0": "2",
    "tier_lower_1": "201",
    "tier_reward_1": "per_unit",
    "tier_value_1": "5",
}


def last_quarter() -> tuple:
    today = timezone.localdate()
    probe = RebatePolicy(period_kind="quarter")
    start, _end = B.period_of(probe, today)
    return B.period_of(probe, start - timedelta(days=1))


@pytest.fixture
def shipped_last_quarter(books, world):
    """Hoods shipped in the last complete quarter: 250 to dist_js, 100 to sub_js (both Jiangsu),
    300 to dealer_zj (Zhejiang); and 90 to dist_js in the quarter before (not counted)."""
    start, end = last_quarter()
    books.sale(world.dist_js, "hood_a", 250, "100.00", start + timedelta(days=10))
    books.sale(world.sub_js, "hood_b", 100, "100.00", end)
    books.sale(world.dealer_zj, "hood_a", 300, "100.00", start)
    books.sale(world.dist_js, "hood_a", 90, "100.00", start - timedelta(days=1))
    return start, end


def form_rows(html: str) -> dict[int, str]:
    """The tier table's rows by their form index, as HTML."""
    return {
        int(index): row
        for index, row in re.findall(r'<tr data-testid="tier-row" data-tier-row="(\d+)"(.*?)</tr>', html, re.S)
    }


def errors_at(html: str, key: str) -> list[str]:
    found = re.search(
        rf'<ul class="errorlist" id="[^"]+" data-errors-for="{re.escape(key)}" role="alert">(.*?)</ul>', html
    )
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def test_it_previews_what_partners_would_have_earned_last_quarter_exactly(shipped_last_quarter, world):
    start, end = shipped_last_quarter
    data = {
        **{key: value for key, value in UNIT_FORM.items() if not TIER_CELL.match(key)},
        "product_lines": ["hoods"],
        "tiers": [
            {"lower_bound": "0", "upper_bound": "200", "reward": "per_unit", "value": "2"},
            {"lower_bound": "201", "reward": "per_unit", "value": "5"},
        ],
    }
    # when channel previews the policy in both tier styles
    outcomes = {}
    for style in ("retrospective", "marginal"):
        result = preview.preview_policy(user=world.channel, data={**data, "tier_style": style})
        outcomes[style] = result
    # then the last complete quarter, each partner's units, tier and rebate, largest basis first
    retro, marginal = outcomes["retrospective"], outcomes["marginal"]
    assert (retro.start, retro.end, retro.complete, retro.counts_units) == (start, end, True, True)
    assert [(row.partner.code, row.basis, row.tier, row.amount) for row in retro.rows] == [
        (world.dealer_zj.code, D("300"), 2, D("1500.00")),
        (world.dist_js.code, D("250"), 2, D("1250.00")),
        (world.sub_js.code, D("100"), 1, D("200.00")),
    ]
    assert [(row.partner.code, row.amount) for row in marginal.rows] == [
        (world.dealer_zj.code, D("900.00")),  # 200 x 2 + 100 x 5
        (world.dist_js.code, D("650.00")),  # 200 x 2 + 50 x 5
        (world.sub_js.code, D("200.00")),
    ]
    assert (retro.partner_count, retro.earning_count, retro.basis_total, retro.amount_total) == (
        3,
        3,
        D("650"),
        D("2950.00"),
    )
    assert marginal.amount_total == D("1750.00")
    # and at most `shown` partners are listed, the total still counting them all
    two = preview.preview_policy(user=world.channel, data=data, shown=2)
    assert ([row.partner.code for row in two.rows], two.amount_total) == (
        [world.dealer_zj.code, world.dist_js.code],
        D("2950.00"),
    )


def test_the_preview_sees_only_the_users_scope_and_writes_nothing(shipped_last_quarter, world):
    data = {
        "basis": "quantity",
        "product_lines": ["hoods"],
        "period_kind": "quarter",
        "tier_style": "marginal",
        "target_partner_types": ["distributor", "dealer"],
        "tiers": [
            {"lower_bound": "0", "upper_bound": "200", "reward": "per_unit", "value": "2"},
            {"lower_bound": "201", "reward": "per_unit", "value": "5"},
        ],
    }
    counts = [model.objects.count() for model in (RebatePolicy, RebateRun, RebateLine, RebateProgress, OutboxEvent)]
    # when the regional manager of Jiangsu previews it (the service; its page is the channel's)
    with CaptureQueriesContext(connection) as queries:
        jiangsu = preview.preview_policy(user=world.regional_js, data=data)
    # then only the Jiangsu partners, in the rows and in the total
    assert [row.partner.code for row in jiangsu.rows] == [world.dist_js.code, world.sub_js.code]
    assert (jiangsu.partner_count, jiangsu.amount_total) == (2, D("850.00"))
    # and nothing was written: no statement but reads, no row anywhere
    writes = [q["sql"] for q in queries.captured_queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.I)]
    assert writes == []
    assert [model.objects.count() for model in (RebatePolicy, RebateRun, RebateLine, RebateProgress, OutboxEvent)] == (
        counts
    )
    # and it is set-based: as many queries for three partners as for one (the user's roles read once)
    preview.preview_policy(user=world.channel, data=data)
    with CaptureQueriesContext(connection) as one:
        preview.preview_policy(user=world.channel, data={**data, "target_partner_types": ["distributor"]})
    with CaptureQueriesContext(connection) as three:
        assert preview.preview_policy(user=world.channel, data=data).partner_count == 3
    assert len(three.captured_queries) == len(one.captured_queries)
    # and a partner user's scope is its own partner and those below it
    assert [row.partner.code for row in preview.preview_policy(user=world.dist_admin, data=data).rows] == [
        world.dist_js.code,
        world.sub_js.code,
    ]
    assert preview.preview_policy(user=world.zj_admin, data=data).amount_total == D("900.00")


def test_the_preview_tells_which_fields_it_still_needs(world):
    # a policy without partners or tiers computes nothing; code, name and date are not needed
    with pytest.raises(FieldErrors) as raised:
        preview.preview_policy(
            user=world.channel, data={"basis": "payments", "period_kind": "month", "tier_style": "marginal"}
        )
    assert sorted(raised.value.errors) == ["targets", "tiers"]


def test_the_preview_page_shows_the_figures_and_changes_nothing(page_client, shipped_last_quarter, world):
    start, end = shipped_last_quarter
    client = page_client(world.channel)
    before = (RebatePolicy.objects.count(), RebateRun.objects.count(), RebateLine.objects.count())
    # when the form as typed is posted to the preview (what htmx does as it changes)
    response = client.post("/rebates/policies/preview/", UNIT_FORM, HTTP_HX_REQUEST="true")
    # then the partial lists the partners with their units, tier and rebate, and the total
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{start:%Y-%m-%d} – {end:%Y-%m-%d}" in html
    rows = re.findall(
        r'data-partner="([^"]+)">.*?preview-basis">([^<]*)<.*?preview-tier">(.*?)</td>.*?preview-amount">([^<]*)<',
        html,
        re.S,
    )
    assert [
        (code, units, " ".join(re.sub(r"<[^>]+>", "", tier).split()), amount) for code, units, tier, amount in rows
    ] == [
        (world.dealer_zj.code, "300", "Tier 2 · 5.00 / unit", "1,500.00"),
        (world.dist_js.code, "250", "Tier 2 · 5.00 / unit", "1,250.00"),
        (world.sub_js.code, "100", "Tier 1 · 2.00 / unit", "200.00"),
    ]
    assert 'data-testid="preview-total-amount">CNY 2,950.00<' in html
    assert 'data-testid="preview-total-basis">650<' in html
    assert (RebatePolicy.objects.count(), RebateRun.objects.count(), RebateLine.objects.count()) == before
    # a rate is a percentage: 3 means 3 %, 250 units x 100.00 at 3 % = 750.00 on an amount basis
    amount = client.post(
        "/rebates/policies/preview/",
        {
            **UNIT_FORM,
            "basis": "amount",
            "tier_reward_0": "rate",
            "tier_value_0": "3",
            "tier_upper_0": "",
            "tier_lower_1": "",
            "tier_value_1": "",
        },
    ).content.decode()
    assert re.search(rf'data-partner="{world.dist_js.code}">.*?Tier 1 · 3%.*?preview-amount">750.00<', amount, re.S)
    # an incomplete form: the preview says what it still needs, linking to the fields
    needs = client.post("/rebates/policies/preview/", {**UNIT_FORM, "target_partner_types": [], "tier_value_1": "x"})
    assert needs.status_code == 200
    text = needs.content.decode()
    assert '<a href="#f-targets">Who it targets: Choose the partners: by tier, region, type or a list.</a>' in text
    assert '<a href="#tier-1-value">Tier row 2: Value: Enter a number.</a>' in text
    # and only those who write policies may ask: other HQ 403, partner users 404
    assert page_client(world.regional_js).post("/rebates/policies/preview/", UNIT_FORM).status_code == 403
    assert page_client(world.dist_admin).post("/rebates/policies/preview/", UNIT_FORM).status_code == 404
    assert client.get("/rebates/policies/preview/").status_code == 405


def test_tier_errors_stand_on_the_row_and_cell_they_were_typed_in(page_client, books, world):
    client = page_client(world.channel)
    base = {key: value for key, value in UNIT_FORM.items() if not TIER_CELL.match(key)}
    # when rows 0 and 1 are left blank, row 2 runs 0-100 units and row 4 starts at 151 (a gap)
    gap = client.post(
        "/rebates/policies/new/",
        {
            **base,
            "tier_lower_2": "0",
            "tier_upper_2": "100",
            "tier_reward_2": "per_unit",
            "tier_value_2": "2",
            "tier_lower_4": "151",
            "tier_reward_4": "per_unit",
            "tier_value_4": "5",
        },
    )
    # then the gap is on row 2's "to", and the rows stay where they were typed
    assert gap.status_code == 422
    html = gap.content.decode()
    rows = form_rows(html)
    assert errors_at(html, "tiers.2.upper_bound") == ["Gap: nothing covers 101 to 150."]
    assert 'data-errors-for="tiers.2.upper_bound"' in rows[2]
    assert [index for index, row in rows.items() if "errorlist" in row] == [2]
    assert 'name="tier_lower_4" value="151"' in rows[4] and 'name="tier_lower_0" value=""' in rows[0]
    assert (
        '<a href="#tier-2-upper_bound" data-testid="error-link">Tier row 3: To: Gap: nothing covers 101 to 150.</a>'
        in html
    )
    # when row 3's value is not a number and row 5 asks an amount per unit on an amount basis
    bad = client.post(
        "/rebates/policies/new/",
        {
            **base,
            "basis": "amount",
            "tier_lower_3": "0",
            "tier_value_3": "abc",
            "tier_lower_5": "1000",
            "tier_reward_5": "per_unit",
            "tier_value_5": "1",
        },
    ).content.decode()
    # then each error is in its own cell of its own row, not under another row's "From"
    assert errors_at(bad, "tiers.3.value") == ["Enter a number."]
    assert errors_at(bad, "tiers.5.reward") == ["An amount per unit needs a quantity basis."]
    assert errors_at(bad, "tiers.3.lower_bound") == errors_at(bad, "tiers.5.lower_bound") == []
    value_cell = re.search(
        r'<td class="field has-error"><span class="tier-value"><input id="tier-3-value".*?</td>', bad, re.S
    )
    assert value_cell and "Enter a number." in value_cell.group(0)
    # and nothing was written
    assert RebatePolicy.objects.count() == 0


def test_field_errors_stand_next_to_their_field_with_a_summary_on_top(page_client, books, world):
    client = page_client(world.channel)
    # when the cap is negative, a minimum share is given without a focus line and no partner is chosen
    response = client.post(
        "/rebates/policies/new/",
        {**UNIT_FORM, "cap": "-5", "focus_min_share": "30", "target_partner_types": [], "name": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    # then each message is right after its own field
    assert re.search(
        r'<input id="f-cap"[^>]*>\s*<ul class="errorlist" id="e-cap" data-errors-for="cap" role="alert">'
        r"<li>Enter zero or more.</li>",
        html,
    )
    assert re.search(r'<input id="f-name"[^>]*>\s*<ul class="errorlist" id="e-name" data-errors-for="name"', html)
    assert errors_at(html, "focus_product_line") == [
        "Give both the focus product line and its minimum share, or neither."
    ]
    assert errors_at(html, "focus_min_share") == []
    targets = re.search(
        r'<section class="card policy-section" aria-labelledby="s-targets" id="f-targets">.*?</section>', html, re.S
    )
    assert "Choose the partners: by tier, region, type or a list." in targets.group(0)
    # and the summary on top links to every one of them, in the form's order
    summary = re.findall(r'<a href="#([^"]+)" data-testid="error-link">', html)
    assert summary == ["f-name", "f-targets", "f-cap", "f-focus_product_line"]
    # and the text rule holds: a right-to-left override in the name, a NUL in the description
    hidden = client.post(
        "/rebates/policies/new/", {**UNIT_FORM, "name": "返利\u202e政策", "description": "说明\x00"}
    ).content.decode()
    assert errors_at(hidden, "name") == ["Remove the invisible control character U+202E (character 3)."]
    assert errors_at(hidden, "description") == ["Remove the invisible control character U+0000 (character 3)."]
    # and 20 digits of days (they overflowed the overdue date) are refused at the field
    days = client.post("/rebates/policies/new/", {**UNIT_FORM, "max_overdue_days": "99999999999999999999"})
    assert errors_at(days.content.decode(), "max_overdue_days") == ["Enter at most 3650."]
    assert RebatePolicy.objects.count() == 0


def test_targets_are_chosen_by_their_labels(page_client, books, world):
    client = page_client(world.channel)
    page = client.get("/rebates/policies/new/").content.decode()

    def value_labelled(name: str, label: str) -> str:
        found = re.search(rf'<input type="checkbox" name="{name}" value="([^"]+)"> {re.escape(label)}</label>', page)
        assert found, f"no {name} labelled {label}"
        return found.group(1)

    # the form lists tiers, partner types and product lines by name and provinces by name
    tier = value_labelled("target_tiers", "金牌")
    partner_type = value_labelled("target_partner_types", "Distributor")
    line = value_labelled("product_lines", "油烟机")
    # the regions are a picker: a province by its name (what the picker submits, or typed without script)
    assert 'data-testid="picker-target_regions"' in page and 'name="target_regions__search"' in page
    province = "Jiangsu"
    # when the channel manager ticks 金牌, Distributor and types Jiangsu (江苏省 in Chinese) and saves
    response = client.post(
        "/rebates/policies/new/",
        {
            **UNIT_FORM,
            "product_lines": [line],
            "target_tiers": [tier],
            "target_partner_types": [partner_type],
            "target_regions__search": province,
        },
    )
    # then the policy targets them
    policy = RebatePolicy.objects.get()
    assert response.status_code == 302
    assert (policy.target_tiers, policy.target_partner_types, policy.target_regions, policy.product_lines) == (
        ["gold"],
        ["distributor"],
        ["320000"],
        ["hoods"],
    )
    assert list(B.target_partners(policy)) == [world.dist_js]
    # and its edit form shows them chosen, the tiers with their bounds and the rates as percentages
    edit = client.get(f"/rebates/policies/{policy.pk}/edit/").content.decode()
    assert '<input type="checkbox" name="target_tiers" value="gold" checked> 金牌' in edit
    assert re.search(r'value="320000" checked[^>]*> <span class="chip-label">Jiangsu</span>', edit)
    rows = form_rows(edit)
    assert 'name="tier_lower_0" value="0"' in rows[0] and 'name="tier_upper_0" value="200"' in rows[0]
    assert 'name="tier_lower_1" value="201"' in rows[1] and 'name="tier_upper_1" value=""' in rows[1]
    assert [(t.lower_bound, t.value) for t in policy.tiers.all()] == [(D("0"), D("2")), (D("201"), D("5"))]
    rated = client.post(
        f"/rebates/policies/{policy.pk}/edit/",
        {
            **UNIT_FORM,
            "basis": "amount",
            "product_lines": [line],
            "target_tiers": [tier],
            "tier_reward_0": "rate",
            "tier_value_0": "3",
            "tier_upper_0": "",
            "tier_lower_1": "",
            "tier_value_1": "",
        },
    )
    assert rated.status_code == 302
    assert [(t.reward, t.value) for t in policy.tiers.all()] == [("rate", D("3"))]
    shown = client.get(f"/rebates/policies/{policy.pk}/edit/").content.decode()
    assert re.search(r'name="tier_value_0" value="3"[^>]*><span class="tier-unit" data-tier-unit>%</span>', shown)


def test_the_last_complete_period_is_the_one_before_today():
    from datetime import date

    def period(kind, today, **custom):
        return preview.last_complete_period(RebatePolicy(period_kind=kind, **custom), today)

    today = date(2026, 12, 7)
    assert period("month", today) == (date(2026, 11, 1), date(2026, 11, 30), True)
    assert period("quarter", today) == (date(2026, 7, 1), date(2026, 9, 30), True)
    assert period("half", today) == (date(2026, 1, 1), date(2026, 6, 30), True)
    assert period("year", today) == (date(2025, 1, 1), date(2025, 12, 31), True)
    assert period("quarter", date(2026, 1, 1)) == (date(2025, 10, 1), date(2025, 12, 31), True)
    # a custom period: its dates once over, its days so far while it runs, nothing before it begins
    over = {"custom_start": date(2026, 3, 1), "custom_end": date(2026, 5, 31)}
    running = {"custom_start": date(2026, 11, 15), "custom_end": date(2027, 2, 28)}
    ahead = {"custom_start": date(2027, 1, 1), "custom_end": date(2027, 3, 31)}
    assert period("custom", today, **over) == (date(2026, 3, 1), date(2026, 5, 31), True)
    assert period("custom", today, **running) == (date(2026, 11, 15), date(2026, 12, 6), False)
    assert period("custom", today, **ahead) is None
