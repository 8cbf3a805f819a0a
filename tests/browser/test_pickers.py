"""Pickers instead of codes, in a real browser: a channel manager types a partner's Chinese name
into the price-list form and picks it (the form submits its id), then, for a regional list, types
江苏, picks the province and then 南京 among its cities; both lists are saved as picked."""

from __future__ import annotations

from playwright.sync_api import expect

from conftest import PASSWORD

from .ui import login, scroll_width


def test_a_channel_manager_picks_a_partner_by_name_and_a_city_by_province(live_server, browser, world):
    from qudao.pricing.models import PriceList

    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    desk = context.new_page()
    try:
        login(desk, base, "channel", PASSWORD)
        # when: a partner's own list, the partner found by its Chinese name
        desk.goto(f"{base}/pricing/price-lists/new/")
        desk.fill("#id_code", "jl-browser")
        desk.fill("#id_name", "金陵专享价")
        desk.fill("#id_valid_from", "2026-07-01")
        desk.locator("[data-testid=picker-input-partner]").press_sequentially("金陵", delay=50)
        option = desk.locator("[data-testid=picker-partner] [data-testid=picker-option]")
        expect(option).to_have_count(1)
        expect(option).to_contain_text("南京金陵商贸有限公司")
        expect(option).to_contain_text(world.dist_js.code)
        option.click()
        # then: the name shows, the id is what the form sends
        expect(desk.locator("[data-testid=picker-input-partner]")).to_have_value("南京金陵商贸有限公司")
        expect(desk.locator("#id_partner")).to_have_value(str(world.dist_js.pk))
        with desk.expect_navigation():
            desk.click("form.form button.btn-primary")
        saved = PriceList.objects.get(code="jl-browser")
        assert saved.partner_id == world.dist_js.pk
        assert desk.url == f"{base}/pricing/price-lists/{saved.pk}/"

        # when: a regional list, 江苏 typed, the province picked, then 南京 among its cities
        desk.goto(f"{base}/pricing/price-lists/new/")
        desk.fill("#id_code", "js-nanjing")
        desk.fill("#id_name", "南京区域价")
        desk.fill("#id_valid_from", "2026-07-01")
        desk.locator("[data-testid=picker-input-region]").press_sequentially("江苏", delay=50)
        options = desk.locator("[data-testid=picker-region] [data-testid=picker-option]")
        province = desk.locator("[data-testid=picker-region] [data-testid=picker-option][data-value='320000']")
        expect(options.first).to_have_attribute("data-value", "320000")
        province.click()
        nanjing = desk.locator("[data-testid=picker-region] [data-testid=picker-option][data-value='320100']")
        expect(nanjing).to_be_visible()
        expect(desk.locator("#id_region")).to_have_value("320000")
        nanjing.click()
        expect(desk.locator("#id_region")).to_have_value("320100")
        expect(desk.locator("[data-testid=picker-input-region]")).to_have_value("江苏省 南京市")
        assert scroll_width(desk) <= 1440
        with desk.expect_navigation():
            desk.click("form.form button.btn-primary")
        # then
        assert PriceList.objects.get(code="js-nanjing").region.code == "320100"
    finally:
        context.close()
