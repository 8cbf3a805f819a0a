"""Rebate progress in a real browser on a 375 px phone: the partner sees how far it is from the
next tier, watches what its quick-order cart would add as it types, places the order paying part of
it from its rebate fund, and once operations has shipped it sees the shipment counted - the tier
reached, what it has earned and what the next tier needs."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from conftest import PASSWORD

from .test_portal_catalog import build_shop
from .ui import assert_fits_phone, login


def test_it_shows_a_partner_its_rebate_progress_move_with_its_cart_and_its_shipment(live_server, open_page, world):
    # given dist_js with a small catalogue, stock, credit, 1,000.00 in its rebate fund, and a
    # quarterly policy on net sales shipped: 0 / 5,000 / 10,000 at 1 / 2 / 3 % (retrospective)
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders import services as orders
    from qudao.orders import shipping
    from qudao.orders.models import Order
    from qudao.partners import funds
    from qudao.partners.models import FundAccount, Partner
    from qudao.rebates import services as rebates

    base = live_server.url
    skus = build_shop(world)
    warehouse = Warehouse.objects.create(code="HQ", name="总仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, 50) for sku in skus.values()], note="test")
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("100000"))
    funds.deposit(partner=world.dist_js, amount=Decimal("1000"), reference="RB-TEST", kind=FundAccount.Kind.REBATE)
    policy = rebates.create_policy(
        data={
            "code": "BR-Q",
            "name": "季度返利",
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "effective_from": "2025-01-01",
            "target_partners": [world.dist_js.code],
            "tiers": [
                {"lower_bound": "0", "value": "1"},
                {"lower_bound": "5000", "value": "2"},
                {"lower_bound": "10000", "value": "3"},
            ],
        },
        actor=world.channel,
    )
    rebates.activate_policy(policy=policy, actor=world.channel)
    phone = open_page("phone")

    # when its admin opens its rebate progress on its phone
    login(phone, base, "dist_admin", PASSWORD)
    phone.goto(f"{base}/portal/rebates/")
    with phone.expect_navigation():
        phone.click("[data-testid=progress-link]")
    # then nothing counted yet: 5,000 more this quarter reach 2 %, which pays 100.00
    card = phone.locator("[data-testid=progress-card][data-policy=BR-Q]")
    expect(card.locator("[data-testid=progress-basis]")).to_have_text("¥0")
    expect(card.locator("[data-testid=progress-sentence]")).to_have_text(
        "¥5,000 more this quarter lifts you to 2%: +¥100"
    )
    assert_fits_phone(phone)

    # when it types 3 HOOD-A in the quick order
    phone.goto(f"{base}/portal/orders/quick/")
    phone.fill("#code_0", "HOOD-A")
    phone.fill("#qty_0", "3")
    # then the priced cart says what the order adds to the quarter
    line = phone.locator("[data-testid=cart-progress-line][data-policy=BR-Q]")
    expect(phone.locator("[data-testid=quick-total]")).to_have_text("¥3,897.00")
    expect(line).to_contain_text("This order adds ¥3,897 to your quarter: ¥1,103 more lifts you to 2%")
    # when it adds 1 WASH-A
    phone.fill("#code_1", "WASH-A")
    phone.fill("#qty_1", "1")
    # then the order would lift it to 2 %: 137.94 on 6,897.00
    expect(phone.locator("[data-testid=quick-total]")).to_have_text("¥6,897.00")
    expect(line).to_contain_text("This order adds ¥6,897 to your quarter and lifts you to 2%: +¥137.94")
    assert_fits_phone(phone)

    # when it pays 500.00 of it from its rebate fund and places the order
    phone.fill("[data-testid=rebate-amount]", "500")
    with phone.expect_navigation():
        phone.click("[data-testid=place-order]")
    expect(phone.locator("[data-testid=order-status]")).to_have_text("Submitted")
    order = Order.objects.get()
    assert (order.total, order.rebate_amount) == (Decimal("6897.00"), Decimal("500.00"))

    # and operations confirms, allocates and ships it
    orders.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    shipping.create_shipment(
        order=order,
        warehouse=warehouse,
        lines=[(line.pk, line.quantity) for line in order.lines.order_by("line_no")],
        actor=world.operations,
    )

    # then its progress counts the shipment: 6,897 at 2 % = 137.94, and 3,103 more reach 3 %
    # (10,000 at 3 % = 300.00, so +162.06)
    phone.goto(f"{base}/portal/rebates/progress/")
    expect(card.locator("[data-testid=progress-basis]")).to_have_text("¥6,897")
    expect(card.locator("[data-testid=progress-tier]")).to_have_text("2%")
    expect(card.locator("[data-testid=progress-earned]")).to_have_text("¥137.94")
    expect(card.locator("[data-testid=progress-sentence]")).to_have_text(
        "¥3,103 more this quarter lifts you to 3%: +¥162.06"
    )
    assert_fits_phone(phone)
