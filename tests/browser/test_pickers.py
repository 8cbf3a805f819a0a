"""Pickers instead of codes, in a real browser: a channel manager types a partner's Chinese name
into the price-list form and picks it (the form submits its id), then, for a regional list, types
江苏, picks the province and then 南京 among its cities; both lists are saved as picked."""

from __future__ import annotations

from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (a fixture used below)

from .ui import assert_fits_phone, login, scroll_width


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


def test_the_price_grid_adds_rows_and_the_flow_builder_offers_each_fields_input(live_server, browser, world):
    from datetime import date

    from qudao.catalog.models import Lifecycle, Product, ProductLine, Sku
    from qudao.core.models import ApprovalFlow
    from qudao.pricing.models import PriceList

    line = ProductLine.objects.create(code="kitchen", name="厨电")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(code="P-HOOD", name="油烟机", product_line=line, lifecycle=Lifecycle.ON_SALE)
    Sku.objects.create(product=product, code="HOOD-A", name="欧式油烟机", barcode="6901234567892")
    Sku.objects.create(product=product, code="HOOD-B", name="侧吸油烟机")
    draft = PriceList.objects.create(code="grid-browser", name="网格", valid_from=date(2026, 7, 1))
    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    desk = context.new_page()
    try:
        login(desk, base, "admin", PASSWORD)
        # the grid: a SKU found by barcode in the first row, a row added for one found by name
        desk.goto(f"{base}/pricing/price-lists/{draft.pk}/items/grid/")
        desk.locator("[data-testid=picker-input-items-0-sku]").press_sequentially("6901234567892", delay=20)
        first = desk.locator("[data-testid=picker-items-0-sku] [data-testid=picker-option]")
        expect(first).to_have_count(1)
        first.click()
        desk.fill("#id_items-0-price", "1,188.00")
        desk.click("[data-testid=grid-add]")
        expect(desk.locator("[data-testid=grid-row]")).to_have_count(6)
        desk.locator("[data-testid=picker-input-items-5-sku]").press_sequentially("侧吸", delay=50)
        added = desk.locator("[data-testid=picker-items-5-sku] [data-testid=picker-option]")
        expect(added).to_have_count(1)
        expect(added).to_contain_text("侧吸油烟机")
        added.click()
        desk.fill("#id_items-5-min_qty", "10")
        desk.fill("#id_items-5-price", "999")
        with desk.expect_navigation():
            desk.click("[data-testid=grid-save]")
        prices = sorted((item.sku.code, item.min_qty, f"{item.price:.2f}") for item in draft.items.all())
        assert prices == [("HOOD-A", 1, "1188.00"), ("HOOD-B", 10, "999.00")]

        # the flow builder: a field chosen, its own inputs appear; saved as the engine's JSON
        desk.goto(f"{base}/settings/flows/new/?subject=credit_change")
        desk.fill("#id_name", "大额授信（浏览器）")
        desk.click("[data-testid=condition-add]")
        desk.select_option("select[name=cond_field_0]", "increase")
        desk.select_option("select[name=cond_op_0]", "gte")
        desk.fill("input[name=cond_value_0]", "500,000")
        desk.click("[data-testid=condition-add]")
        desk.select_option("select[name=cond_field_1]", "tier")
        desk.locator("[data-testid=condition-builder] details.multi-select summary").click()
        desk.locator("input[name=cond_value_1][value=gold]").check()
        desk.fill("#id_steps-0-name", "财务复核")
        desk.select_option("#id_steps-0-approver_role", "finance")
        with desk.expect_navigation():
            desk.click("form[data-testid=flow-form] button.btn-primary")
        flow = ApprovalFlow.objects.get(name="大额授信（浏览器）")
        assert flow.conditions == {"increase": {"gte": 500000}, "tier": "gold"}
    finally:
        context.close()


def test_the_new_pages_fit_a_375_px_screen(live_server, open_page, world):
    from datetime import date

    from qudao.pricing.models import PriceList

    draft = PriceList.objects.create(code="grid-phone", name="网格", valid_from=date(2026, 7, 1))
    page = open_page("phone")
    login(page, live_server.url, "admin", PASSWORD)
    for path in (
        f"/pricing/price-lists/{draft.pk}/items/grid/",
        "/pricing/price-lists/new/",
        "/finance/payments/new/",
        "/settings/flows/new/?subject=partner_application",
    ):
        page.goto(live_server.url + path)
        if "flows" in path:  # a condition on the province: its region picker
            page.click("[data-testid=condition-add]")
            page.select_option("select[name=cond_field_0]", "province")
        page.locator("[data-picker-input]").first.press_sequentially("江苏", delay=20)
        expect(page.locator("[data-picker-options]").first).to_be_visible()  # options, or "—"
        assert_fits_phone(page)


def test_operations_pick_the_regions_a_warehouse_serves_by_name(live_server, browser, world):
    """The warehouse form's served regions: 广东 typed and picked, then 佛山 among its cities
    (the city replaces the province), then 广西 typed and kept as a province; a chip unticked is
    dropped. The form saves the regions' codes."""
    from qudao.inventory.models import Warehouse

    base = live_server.url
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN", is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, base, "operations", PASSWORD)
        page.goto(f"{base}/inventory/warehouses/new/")
        page.fill("#id_code", "FS")
        page.fill("#id_name", "佛山仓")
        search = page.locator("[data-testid=picker-input-serves]")
        options = page.locator("[data-testid=multi-picker-serves] [data-testid=picker-option]")
        search.press_sequentially("广东", delay=50)
        options.and_(page.locator("[data-value='440000']")).click()
        chips = page.locator("[data-testid=chip-serves]")
        expect(chips).to_have_count(1)
        options.and_(page.locator("[data-value='440600']")).click()  # a city of 广东
        expect(chips).to_have_count(1)
        expect(chips.first).to_have_attribute("value", "440600")
        expect(page.locator("[data-testid=multi-picker-serves] .picker-chips")).to_contain_text("广东省 佛山市")
        expect(search).to_have_value("")
        search.press_sequentially("广西", delay=50)
        options.and_(page.locator("[data-value='450000']")).click()
        search.press("Escape")
        expect(chips).to_have_count(2)
        search.press_sequentially("北京", delay=50)
        options.and_(page.locator("[data-value='110000']")).click()
        search.press("Escape")
        expect(chips).to_have_count(3)
        page.locator("[data-testid=chip-serves][value='110000']").uncheck()  # changed its mind
        assert scroll_width(page) <= 375
        with page.expect_navigation():
            page.click("[data-testid=warehouse-form] button.btn-primary")
        warehouse = Warehouse.objects.get(code="FS")
        assert sorted(warehouse.serves.values_list("code", flat=True)) == ["440600", "450000"]
    finally:
        context.close()


def test_a_bundle_is_built_from_picked_skus_and_fits_a_phone(live_server, open_page, world, catalogue):  # noqa: F811
    from qudao.pricing.models import Promotion

    catalogue.skus["hood_a"].name = "侧吸油烟机 A1"
    catalogue.skus["hood_a"].save()
    base = live_server.url
    page = open_page("phone")
    login(page, base, "channel", PASSWORD)
    page.goto(f"{base}/pricing/promotions/new/")
    page.fill("#id_code", "set-phone")
    page.fill("#id_name", "油烟机套餐")
    page.select_option("#id_kind", "bundle")
    page.fill("#id_valid_from", "2026-07-01")
    page.fill("#id_value", "2500")
    page.select_option("#id_stacking", "exclusive")
    rows = page.locator("[data-testid=bundle-row]")
    expect(rows).to_have_count(2)
    # a third row added, the SKU found by its name in the first
    page.click("[data-testid=bundle-add]")
    expect(rows).to_have_count(3)
    rows.nth(0).locator("[data-picker-input]").press_sequentially("侧吸", delay=50)
    option = rows.nth(0).locator("[data-testid=picker-option]")
    expect(option).to_have_count(1)
    option.click()
    rows.nth(0).locator("[data-testid=bundle-qty]").fill("2")
    assert scroll_width(page) <= 375
    with page.expect_navigation():
        page.click("form.form button.btn-primary")
    assert Promotion.objects.filter(code="set-phone").exists(), page.locator(".errorlist").all_inner_texts()
    promotion = Promotion.objects.get(code="set-phone")
    assert promotion.bundle_items == [[catalogue.skus["hood_a"].pk, 2]]
