"""Ordering on a partner's behalf (代客下单) in a real browser: an operations user on a 1440 px office
screen takes a partner's order by phone - finds the partner by name, types SKUs and quantities and
watches them priced with the partner's own waterfall, places the order - and the partner's user
sees on its phone who placed it for it."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import expect

from conftest import PASSWORD

from .test_portal_catalog import build_shop
from .ui import assert_fits_phone, login, open_menu_item, scroll_width, texts

WIDE = 1440


def test_operations_places_an_order_for_a_partner_on_a_wide_screen(live_server, browser, open_page, world):
    # given dist_js (gold: 10% off HOOD-B; the kitchen line: 300 off from 5,000) with stock and credit
    from qudao.core.models import Notification
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders.models import Order
    from qudao.partners.models import Partner

    base = live_server.url
    skus = build_shop(world)
    warehouse = Warehouse.objects.create(code="HQ", name="总仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, 50) for sku in skus.values()], note="test")
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("100000"))
    context = browser.new_context(viewport={"width": WIDE, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    desk = context.new_page()
    try:
        # when operations opens Orders > New order for a partner and searches the partner by name
        login(desk, base, "operations", PASSWORD)
        open_menu_item(desk, "nav-orders")
        with desk.expect_navigation():
            desk.click("[data-testid=new-order]")
        desk.fill("[data-testid=partner-search]", "金陵")
        option = desk.locator(f"[data-testid=partner-option][data-code={world.dist_js.code}]")
        expect(desk.locator("[data-testid=partner-option]")).to_have_count(1)
        assert desk.locator(f"[data-testid=partner-option][data-code={world.sub_js.code}]").count() == 0
        with desk.expect_navigation():
            option.click()

        # then the order form is for dist_js, with its credit
        expect(desk.locator("[data-testid=order-for]")).to_have_text("南京金陵商贸有限公司")
        expect(desk.locator("[data-testid=credit-available]")).to_have_text("CNY 100,000.00")

        # when it types 3 HOOD-B and 1 WASH-A, as the partner says them on the phone
        desk.fill("#code_0", "HOOD-B")
        desk.fill("#qty_0", "3")
        desk.fill("#code_1", "6900000000035")
        desk.fill("#qty_1", "1")

        # then each row shows the partner's waterfall: list price, its promotions, net price, total
        expect(desk.locator("[data-testid=quick-total]")).to_have_text("¥8,100.00")
        row = desk.locator("#row-info-0")
        expect(row.locator("[data-testid=row-list-price]")).to_have_text("¥2,000.00")
        assert texts(desk, "#row-info-0 [data-testid=row-promotion]") == ["gold-10 −¥600.00", "kitchen-5000 −¥300.00"]
        expect(row.locator("[data-testid=row-net-price]")).to_have_text("¥1,700.00")
        expect(row.locator("[data-testid=row-total]")).to_have_text("¥5,100.00")
        expect(desk.locator("#row-info-1 [data-testid=row-total]")).to_have_text("¥3,000.00")
        assert scroll_width(desk) <= WIDE, f"the new order page is {scroll_width(desk)} px wide"

        # when it notes who called and places the order
        desk.fill("[data-testid=note]", "王经理来电")
        with desk.expect_navigation():
            desk.click("[data-testid=place-order]")

        # then the HQ order page shows the order, placed by operations on the partner's behalf
        desk.wait_for_url(re.compile(r".*/orders/SO\d+/$"))
        order = Order.objects.get()
        expect(desk.locator("[data-testid=order-status]")).to_have_text("Submitted")
        expect(desk.locator("[data-testid=order-total]")).to_have_text("CNY 8,100.00")
        expect(desk.locator("[data-testid=order-placed-by]")).to_have_text("operations · HQ on the partner's behalf")
        assert (order.partner_id, order.created_by_id, order.channel, order.note) == (
            world.dist_js.pk,
            world.operations.pk,
            "hq",
            "王经理来电",
        )
        assert scroll_width(desk) <= WIDE
    finally:
        context.close()

    # and the partner's user is told, and sees on its phone who placed the order for it
    assert Notification.objects.filter(user=world.dist_admin, kind="order.placed_for_you").count() == 1
    phone = open_page("phone")
    login(phone, base, "dist_admin", PASSWORD)
    phone.goto(f"{base}/portal/orders/{order.number}/")
    expect(phone.locator("[data-testid=order-placed-for-you]")).to_have_text("operations (HQ on the partner's behalf)")
    expect(phone.locator("[data-testid=order-total]")).to_have_text("¥8,100.00")
    assert_fits_phone(phone)
