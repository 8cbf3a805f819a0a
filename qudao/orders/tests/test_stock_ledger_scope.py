"""The scoping rule at the stock ledger's edge: every HQ reader sees every stock movement, but the
numbers (and notes) of orders and returns of partners outside its scope are hidden, and filtering
by such a number finds nothing (docs/roles.md)."""

from __future__ import annotations

from qudao.inventory.models import StockEntry, Warehouse
from qudao.orders import returns, services
from qudao.orders.tests.conftest import set_credit
from qudao.orders.tests.test_returns import delivered_order, line

HIDDEN = "(outside your regions)"


def reserved(world, shop, partner, actor):
    set_credit(partner, "100000")
    order, _created = services.place_order(
        partner=partner, lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 1}], actor=actor
    )
    services.confirm_order(order=order, actor=world.operations)
    return order


def test_a_regional_manager_sees_every_movement_but_only_its_regions_order_and_return_numbers(
    world, shop, api_client, page_client
):
    # given: a return of dist_js (Jiangsu) received into HQ, and an order of dealer_zj (Zhejiang)
    # holding stock there
    js_order = delivered_order(world, shop, ("wash_a", 2))
    rma = returns.request_return(
        order=js_order, lines=[(line(js_order, 1).pk, 1)], reason="damaged", actor=world.dist_admin
    )
    returns.approve_return(return_request=rma, actor=world.operations)
    returns.receive_return(
        return_request=rma,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(rma.lines.get().pk, 1, "sellable")],
        actor=world.operations,
    )
    zj_order = reserved(world, shop, world.dealer_zj, world.zj_admin)
    numbers = {js_order.number, rma.number, zj_order.number}
    assert numbers <= set(StockEntry.objects.values_list("reference", flat=True))
    total = StockEntry.objects.count()

    def api_references(user, **params):
        items = api_client(user).get("/api/v1/inventory/entries", {"limit": 200, **params}).json()["items"]
        return len(items), sorted(
            {
                (item["reference"], item.get("reference_hidden", False))
                for item in items
                if item["reference"] in numbers or item.get("reference_hidden")
            }
        )

    # when / then: the administrator sees every number
    assert api_references(world.admin) == (
        total,
        sorted({(js_order.number, False), (rma.number, False), (zj_order.number, False)}),
    )
    # Jiangsu's manager: every row, Jiangsu's numbers, Zhejiang's hidden
    assert api_references(world.regional_js) == (
        total,
        sorted({(js_order.number, False), (rma.number, False), ("", True)}),
    )
    # Zhejiang's manager: the reverse
    assert api_references(world.regional_zj) == (total, [("", True), (zj_order.number, False)])
    # and a reference outside the scope finds nothing, inside it finds its rows
    assert api_references(world.regional_zj, reference=js_order.number) == (0, [])
    assert api_references(world.regional_zj, reference=rma.number) == (0, [])
    assert api_references(world.regional_js, reference=rma.number)[1] == [(rma.number, False)]

    # the pages say the same
    zj_page = page_client(world.regional_zj).get("/inventory/entries/").content.decode()
    assert js_order.number not in zj_page and rma.number not in zj_page
    assert zj_order.number in zj_page and HIDDEN in zj_page
    admin_page = page_client(world.admin).get("/inventory/entries/").content.decode()
    assert all(number in admin_page for number in numbers) and HIDDEN not in admin_page
    searched = page_client(world.regional_zj).get("/inventory/entries/", {"reference": js_order.number})
    assert 'data-testid="entry-row"' not in searched.content.decode()
    level = StockEntry.objects.filter(reference=js_order.number).first()
    level_page = (
        page_client(world.regional_zj)
        .get(f"/inventory/stock/{level.warehouse.levels.get(sku=level.sku).pk}/")
        .content.decode()
    )
    assert js_order.number not in level_page and HIDDEN in level_page
