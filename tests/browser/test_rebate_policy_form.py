"""The rebate policy form in a real browser: a channel manager chooses what it pays on and whom it
targets by their names, types a per-unit tier table (the next row's "from" follows the "to"), adds a
tier row, watches the live preview say what dist_js would have earned last quarter as the table
changes, and saves the draft; the form fits a 375 px phone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (a fixture used below)
from qudao.rebates.tests.conftest import books  # noqa: F401  (a fixture used below)

from .ui import assert_fits_phone, login


def test_it_writes_a_policy_with_a_tier_table_and_a_live_preview(live_server, open_page, world, books):  # noqa: F811
    from qudao.rebates import basis as B
    from qudao.rebates.models import RebatePolicy

    # given 250 hoods shipped to dist_js (a distributor) in the last complete quarter
    probe = RebatePolicy(period_kind="quarter")
    current, _end = B.period_of(probe, timezone.localdate())
    start, end = B.period_of(probe, current - timedelta(days=1))
    books.sale(world.dist_js, "hood_a", 250, "100.00", start + timedelta(days=5))
    base = live_server.url
    page = open_page("desktop")
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, base, "channel", PASSWORD)

    # when the channel manager opens a new policy and types what it pays on and whom it targets
    page.goto(f"{base}/rebates/policies/new/")
    page.fill("#f-code", "BR-HOODS")
    page.fill("#f-name", "油烟机台数返利")
    page.fill("#f-effective_from", "2025-01-01")
    page.select_option("#f-basis", "quantity")
    page.get_by_label("油烟机", exact=True).check()
    page.get_by_label("Distributor", exact=True).check()
    # and a tier table: up to 200 units 2.00 a unit, then 5.00 a unit
    page.fill("#tier-0-lower_bound", "0")
    page.fill("#tier-0-upper_bound", "200")
    page.locator("#tier-0-upper_bound").blur()
    page.select_option("#tier-0-reward", "per_unit")
    page.fill("#tier-0-value", "2")
    # then the next row starts with the 201st unit, and the unit follows the reward
    expect(page.locator("#tier-1-lower_bound")).to_have_value("201")
    expect(page.locator("[data-tier-row='0'] [data-tier-unit]")).to_have_text("CNY / unit")
    page.select_option("#tier-1-reward", "per_unit")
    page.fill("#tier-1-value", "5")
    # and the preview says what dist_js would have earned last quarter: 250 x 5.00 (retrospective)
    preview = page.locator("[data-testid=policy-preview]")
    expect(preview.locator("[data-testid=preview-period]")).to_contain_text(f"{start:%Y-%m-%d} – {end:%Y-%m-%d}")
    row = preview.locator(f"[data-testid=preview-row][data-partner='{world.dist_js.code}']")
    expect(row.locator("[data-testid=preview-amount]")).to_have_text("1,250.00")
    expect(row.locator("[data-testid=preview-basis]")).to_have_text("250")

    # when a tier row is added (from the 241st unit, 6.00 a unit) and a blank one removed
    rows = page.locator("[data-testid=tier-row]")
    expect(rows).to_have_count(6)
    page.click("[data-testid=add-tier]")
    expect(rows).to_have_count(7)
    added = rows.nth(6)
    expect(added.locator("[data-tier-number]")).to_have_text("7")
    added.locator("input[name^=tier_lower_]").fill("241")
    added.locator("select[name^=tier_reward_]").select_option("per_unit")
    added.locator("input[name^=tier_value_]").fill("6")
    rows.nth(5).locator("[data-testid=remove-tier]").click()
    expect(rows).to_have_count(6)
    expect(rows.nth(5).locator("[data-tier-number]")).to_have_text("6")
    # then the preview follows: 250 units reach the third tier, 250 x 6.00
    expect(row.locator("[data-testid=preview-amount]")).to_have_text("1,500.00")
    expect(preview.locator("[data-testid=preview-total-amount]")).to_have_text("CNY 1,500.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440

    # when it is saved
    with page.expect_navigation():
        page.click("[data-testid=save-policy]")
    # then a draft with the three tiers and the chosen targets
    expect(page.locator("[data-testid=policy-status]")).to_have_text("Draft")
    policy = RebatePolicy.objects.get(code="BR-HOODS")
    assert [(t.lower_bound, t.reward, t.value) for t in policy.tiers.all()] == [
        (Decimal("0"), "per_unit", Decimal("2")),
        (Decimal("201"), "per_unit", Decimal("5")),
        (Decimal("241"), "per_unit", Decimal("6")),
    ]
    assert (policy.product_lines, policy.target_partner_types) == (["hoods"], ["distributor"])

    # and the form fits a phone, its preview under it
    phone = open_page("phone")
    login(phone, base, "channel", PASSWORD)
    phone.goto(f"{base}/rebates/policies/{policy.pk}/edit/")
    expect(phone.locator("[data-testid=policy-preview] [data-testid=preview-total-amount]")).to_have_text(
        "CNY 1,500.00"
    )
    assert_fits_phone(phone)


def test_it_picks_two_partners_by_their_chinese_names_and_saves(live_server, open_page, world, books):  # noqa: F811
    """The targets are picked, never typed as codes: two partners found by (part of) their Chinese
    names become chips, one is removed and picked again, a region by its name; the saved policy keeps
    their codes. On a phone, a compact summary of the preview sits by the tier table."""
    from qudao.rebates import basis as B
    from qudao.rebates.models import RebatePolicy

    probe = RebatePolicy(period_kind="quarter")
    current, _end = B.period_of(probe, timezone.localdate())
    start, _last = B.period_of(probe, current - timedelta(days=1))
    books.sale(world.dist_js, "hood_a", 250, "100.00", start + timedelta(days=5))
    base = live_server.url
    page = open_page("desktop")
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, base, "channel", PASSWORD)
    page.goto(f"{base}/rebates/policies/new/")
    page.fill("#f-code", "BR-PICKED")
    page.fill("#f-name", "两家渠道伙伴的返利")
    page.fill("#f-effective_from", "2025-01-01")
    page.select_option("#f-basis", "quantity")
    page.get_by_label("油烟机", exact=True).check()
    page.fill("#tier-0-lower_bound", "0")
    page.select_option("#tier-0-reward", "per_unit")
    page.fill("#tier-0-value", "2")

    picker = page.locator("[data-testid=picker-target_partners]")
    search = page.locator("[data-testid=picker-input-target_partners]")
    chips = picker.locator("[data-testid=chip]")

    def pick(text: str, name: str) -> None:
        search.fill(text)
        option = picker.locator("[data-testid=picker-option]", has_text=name)
        expect(option).to_have_count(1)
        option.click()

    # when the channel manager types 金陵 and picks 南京金陵商贸有限公司, then 西湖 for the dealer
    pick("金陵", "南京金陵商贸有限公司")
    pick("西湖", "杭州西湖家电有限公司")
    expect(chips).to_have_count(2)
    expect(search).to_have_value("")
    # a chip is removed with its button, and picked again (no duplicate when picked twice)
    chips.nth(1).locator("[data-testid=chip-remove]").click()
    expect(chips).to_have_count(1)
    pick("西湖家电", "杭州西湖家电有限公司")
    pick("金陵", "南京金陵商贸有限公司")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_contain_text("南京金陵商贸有限公司")
    # and a province by its name in the region picker
    regions = page.locator("[data-testid=picker-target_regions]")
    page.locator("[data-testid=picker-input-target_regions]").fill("江苏")
    regions.locator("[data-testid=picker-option]", has_text="Jiangsu").first.click()
    expect(regions.locator("[data-testid=chip]")).to_have_count(1)
    # the preview follows the chips: dist_js's 250 units x 2.00
    preview = page.locator("[data-testid=policy-preview]")
    row = preview.locator(f"[data-testid=preview-row][data-partner='{world.dist_js.code}']")
    expect(row.locator("[data-testid=preview-amount]")).to_have_text("500.00")
    with page.expect_navigation():
        page.click("[data-testid=save-policy]")
    expect(page.locator("[data-testid=policy-status]")).to_have_text("Draft")
    policy = RebatePolicy.objects.get(code="BR-PICKED")
    assert policy.target_partners == sorted([world.dist_js.code, world.dealer_zj.code])
    assert policy.target_regions == ["320000"]
    expect(page.locator("[data-testid=target-partners]")).to_contain_text("金陵商贸")

    # on a phone the edit form shows the chips, and a summary of the preview by the tier table
    phone = open_page("phone")
    login(phone, base, "channel", PASSWORD)
    phone.goto(f"{base}/rebates/policies/{policy.pk}/edit/")
    expect(phone.locator("[data-testid=picker-target_partners] [data-testid=chip]")).to_have_count(2)
    summary = phone.locator("[data-testid=preview-summary]")
    expect(summary).to_contain_text("Last period this policy would pay CNY 500.00 to 1 partner")
    phone.locator("#tier-0-value").scroll_into_view_if_needed()
    expect(summary).to_be_in_viewport()
    summary.click()
    expect(phone.locator("[data-testid=policy-preview]")).to_be_in_viewport()
    assert_fits_phone(phone)
