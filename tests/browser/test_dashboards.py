"""The channel dashboards in a real browser: the channel manager opens the dashboard, the charts
and the map of China are drawn (SVG), and it drills from the map's province to its cities, a city's
partners, a partner's orders and an order; the pivot's cell opens its partners. A regional
manager sees its own region only. Screenshots at 1440 and 375 px (docs/screenshots/ is not
written: they go to the test's temporary directory)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.analytics import store
from qudao.analytics.tests import test_store_fixtures as fixtures
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from .ui import assert_fits_phone, login

store_dir, trade = fixtures.store_dir, fixtures.trade  # the fixtures these tests use
PERIOD = "from=2025-01&to=2025-12"


def test_the_channel_manager_drills_from_the_map_to_an_order(live_server, browser, world, trade, tmp_path):
    store.rebuild()
    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, base, "channel", PASSWORD)
    page.goto(f"{base}/analytics/dashboard/?{PERIOD}")

    # the sales chart and the map are drawn as SVG; the map has a shape per province
    expect(page.locator("[data-testid=chart-sales_by_month] svg")).to_have_count(1)
    expect(page.locator("[data-testid=map] [data-testid=map-canvas] svg")).to_have_count(1)
    assert page.locator("[data-testid=map] svg path").count() > 30
    expect(page.locator("[data-testid=row-regions]")).to_have_count(2)
    expect(page.locator("[data-testid=empty-attainment]")).to_be_visible()  # no targets approved
    page.screenshot(path=str(tmp_path / "dashboard-1440.png"), full_page=True)

    # the map holds the two provinces' figures, matched to their shapes by code
    values = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('[data-testid=map-canvas]'))"
        ".getOption().series[0].data.filter(d => d.value != null).map(d => [d.name, d.value])"
    )
    assert values == [["江苏", 4000], ["浙江", 2999.99]]

    # click Jiangsu on the map (at its centre, 119.77 E 33.04 N): its cities, on the province's map
    x, y = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('[data-testid=map-canvas]'))"
        ".convertToPixel({seriesIndex: 0}, [119.767413, 33.041544])"
    )
    page.locator("[data-testid=map-canvas]").click(position={"x": x, "y": y})
    expect(page.locator("[data-testid=drill-title]")).to_contain_text(fixtures_name("320000"))
    expect(page.locator("[data-testid=map] svg")).to_have_count(1)
    expect(page.locator("[data-testid=row-regions]")).to_have_count(2)  # Nanjing, Suzhou
    page.screenshot(path=str(tmp_path / "province-1440.png"), full_page=True)
    page.locator("[data-testid=drill-regions]", has_text=fixtures_name("320100")).click()

    # Nanjing's partners: dist_js, then its orders and one order
    expect(page.locator("[data-testid=row-regions]")).to_have_count(1)
    expect(page.locator("[data-testid=row-regions]")).to_contain_text(world.dist_js.code)
    page.locator("[data-testid=orders-link]").click()
    expect(page.locator("[data-testid=order-row]")).to_have_count(3)
    page.locator("[data-testid=order-row] a").first.click()
    expect(page).to_have_url(re.compile(r"/orders/[^/]+/$"))

    # the pivot: a cell opens the partners behind it
    page.goto(f"{base}/analytics/pivot/?{PERIOD}")
    expect(page.locator("[data-testid=pivot-row]")).to_have_count(2)
    page.locator("[data-testid=pivot-cell]").first.click()
    expect(page.locator("[data-testid=row-pivot_cell]")).to_have_count(2)  # dist_js and sub_js in March
    context.close()

    # the same dashboard on a phone: it fits, the map is drawn
    phone = browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, locale="zh-CN"
    )
    small = phone.new_page()
    login(small, base, "channel", PASSWORD)
    small.goto(f"{base}/analytics/dashboard/?{PERIOD}")
    expect(small.locator("[data-testid=map] svg")).to_have_count(1)
    small.screenshot(path=str(tmp_path / "dashboard-375.png"), full_page=True)
    assert_fits_phone(small)
    phone.close()


def fixtures_name(code: str) -> str:
    from qudao.core.models import Region

    return Region.objects.get(code=code).name


def test_a_regional_manager_sees_only_its_regions(live_server, browser, world, trade):
    store.rebuild()
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, live_server.url, "regional_zj", PASSWORD)
    page.goto(f"{live_server.url}/analytics/dashboard/?{PERIOD}")
    expect(page.locator("[data-testid=map] svg")).to_have_count(1)
    expect(page.locator("[data-testid=row-regions]")).to_have_count(1)
    expect(page.locator("[data-testid=row-regions]")).to_contain_text("330000")
    assert world.dist_js.code not in page.content()
    context.close()
