"""An order is reserved from the warehouses nearest to its partner (ADR 0014); after a
re-allocation the ship form proposes the new warehouse; the HQ order page shows the tracking
events' location as the portal does."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from qudao.core.models import Region
from qudao.inventory import services as stock_services
from qudao.inventory.models import Warehouse
from qudao.orders import services, shipping
from qudao.partners.models import Partner

from .conftest import stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def guangzhou_shop(world, catalogue):
    """dist_js moved to Guangzhou; 10 HOOD-A and 10 HOOD-B in each of HQ (Hangzhou, first by id),
    SZ (Suzhou) and FS (Foshan)."""
    Partner.objects.filter(pk=world.dist_js.pk).update(region=Region.objects.get(code="440100"), credit_limit=100000)
    world.dist_js.refresh_from_db()
    houses = {
        "HQ": stock_services.create_warehouse(data={"code": "HQ", "name": "总仓", "kind": "hq", "region": "330100"}),
        "SZ": stock_services.create_warehouse(data={"code": "SZ", "name": "苏州仓", "region": "320500"}),
        "FS": stock_services.create_warehouse(data={"code": "FS", "name": "佛山仓", "region": "440600"}),
    }
    for house in houses.values():
        for key in ("hood_a", "hood_b"):
            stock(catalogue.skus[key], 10, house)
    return catalogue, houses


def held(order):
    codes = dict(Warehouse.objects.values_list("pk", "code"))
    return {(sku, codes[wh]): quantity for (sku, wh), quantity in stock_services.held_by(order.number).items()}


def place(world, shop, *pairs):
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs],
        actor=world.dist_admin,
    )
    return order


def test_a_guangzhou_dealers_order_is_reserved_in_foshan_and_split_only_when_foshan_lacks(world, guangzhou_shop):
    catalogue, _houses = guangzhou_shop
    hood_a, hood_b = catalogue.skus["hood_a"].pk, catalogue.skus["hood_b"].pk

    first = place(world, catalogue, ("hood_a", 4), ("hood_b", 2))
    assert held(first) == {(hood_a, "FS"): 4, (hood_b, "FS"): 2}

    second = place(world, catalogue, ("hood_a", 8))  # 6 left in Foshan, then HQ (first by id)
    assert held(second) == {(hood_a, "FS"): 6, (hood_a, "HQ"): 2}


def test_allocation_without_a_choice_keeps_the_nearest_warehouse(world, guangzhou_shop):
    catalogue, _houses = guangzhou_shop
    order = place(world, catalogue, ("hood_a", 3))
    order = services.confirm_order(order=order, actor=world.operations)
    stock_services.release_stock(reference=order.number)  # e.g. reserved at confirmation
    shipping.allocate_order(order=order, actor=world.operations)
    assert held(order) == {(catalogue.skus["hood_a"].pk, "FS"): 3}


def _selected_warehouse(html):
    form = html[html.index('data-testid="ship-form"') :]
    select = form[form.index('id="ship-warehouse"') : form.index("</select>")]
    return re.findall(r'<option value="\d+" selected>([^<]+)</option>', select)


def test_after_a_reallocation_the_ship_form_proposes_the_new_warehouse(world, guangzhou_shop, page_client):
    catalogue, houses = guangzhou_shop
    order = place(world, catalogue, ("hood_a", 3), ("hood_b", 1))
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    ops = page_client(world.operations)
    with translation.override("en"):
        assert _selected_warehouse(ops.get(f"/orders/{order.number}/").content.decode()) == ["FS 佛山仓"]
        # when: re-allocated to Suzhou
        shipping.allocate_order(order=order, actor=world.operations, warehouse_ids=[houses["SZ"].pk])
        page = ops.get(f"/orders/{order.number}/").content.decode()
    # then: the ship form proposes Suzhou, with what it holds per line, and shipping it works
    assert _selected_warehouse(page) == ["SZ 苏州仓"]
    quantities = re.findall(r'name="qty_(\d+)" value="(\d+)"', page)
    lines = {line.pk: line.sku.code for line in order.lines.select_related("sku")}
    assert {lines[int(pk)]: value for pk, value in quantities} == {"HOOD-A": "3", "HOOD-B": "1"}
    answer = ops.post(
        f"/orders/{order.number}/ship/",
        {"warehouse": str(houses["SZ"].pk)} | {f"qty_{pk}": value for pk, value in quantities},
    )
    assert answer.status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped"


def test_the_ship_form_proposes_what_the_warehouse_holds_when_an_order_is_split(world, guangzhou_shop, page_client):
    catalogue, _houses = guangzhou_shop
    order = place(world, catalogue, ("hood_a", 12))  # 10 in Foshan, 2 in HQ
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    page = page_client(world.operations).get(f"/orders/{order.number}/").content.decode()
    assert _selected_warehouse(page) == ["FS 佛山仓"]
    assert re.findall(r'name="qty_\d+" value="(\d+)"', page) == ["10"]


def test_the_hq_order_page_shows_the_tracking_location(world, guangzhou_shop, page_client):
    catalogue, houses = guangzhou_shop
    order = place(world, catalogue, ("hood_a", 1))
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    shipment = shipping.create_shipment(
        order=order,
        warehouse=houses["FS"],
        lines=[(order.lines.get(line_no=1).pk, 1)],
        carrier="SF",
        tracking_number="SF3001",
        actor=world.operations,
    )
    shipping.add_tracking_event(
        shipment=shipment, status="in_transit", location="广州白云转运中心", note="", actor=world.operations
    )
    page = page_client(world.operations).get(f"/orders/{order.number}/").content.decode()
    assert '<span data-testid="tracking-location">广州白云转运中心</span>' in page


# --- carriers ------------------------------------------------------------------------------------


def _shipped(world, catalogue, houses, carrier, number):
    order = place(world, catalogue, ("hood_a", 1))
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    return order, shipping.create_shipment(
        order=order,
        warehouse=houses["FS"],
        lines=[(order.lines.get(line_no=1).pk, 1)],
        carrier=carrier,
        tracking_number=number,
        actor=world.operations,
    )


def test_carriers_by_code_link_to_their_tracking_page_and_free_texts_stay(world, guangzhou_shop):
    from qudao.orders.carriers import carrier_name, stored_carrier, tracking_link

    assert stored_carrier(" sf ") == "SF"
    assert stored_carrier("顺丰") == "顺丰"  # a free text is kept as typed
    assert stored_carrier("本地货运") == "本地货运"
    with translation.override("en"):
        assert carrier_name("SF") == "SF Express"
        assert carrier_name("顺丰") == "SF Express"
        assert carrier_name("本地货运") == "本地货运"
    assert tracking_link("SF", "SF 100/2") == "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF%20100%2F2"
    assert tracking_link("EMS", "E1") == "https://www.ems.com.cn/queryList?mailNum=E1"
    assert tracking_link("本地货运", "X1") is None
    assert tracking_link("SF", "") is None

    catalogue, houses = guangzhou_shop
    _order, shipment = _shipped(world, catalogue, houses, "jd", "JD0001")
    assert shipment.carrier == "JD"
    assert shipment.tracking_url == "https://www.jdl.com/orderSearch/?waybillCodes=JD0001"


def test_the_ship_form_offers_the_carriers_and_the_pages_link_to_tracking(world, guangzhou_shop, page_client):
    catalogue, houses = guangzhou_shop
    order = place(world, catalogue, ("hood_a", 1))
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    ops = page_client(world.operations)
    with translation.override("en"):
        form = ops.get(f"/orders/{order.number}/").content.decode()
    select = form[form.index('id="ship-carrier"') : form.index("</select>", form.index('id="ship-carrier"'))]
    assert re.findall(r'<option value="([^"]*)"', select) == [
        "",
        "SF",
        "JD",
        "ZTO",
        "YTO",
        "STO",
        "YUNDA",
        "DEPPON",
        "EMS",
    ]
    line = order.lines.get(line_no=1)
    answer = ops.post(
        f"/orders/{order.number}/ship/",
        {"warehouse": str(houses["FS"].pk), "carrier": "ZTO", "tracking_number": "7500001", f"qty_{line.pk}": "1"},
    )
    assert answer.status_code == 302
    link = (
        '<a href="https://www.zto.com/GuestService/Bill?txtbill=7500001" class="mono" target="_blank" '
        'rel="noopener noreferrer" data-testid="tracking-link"'
    )
    assert link in ops.get(f"/orders/{order.number}/").content.decode()
    assert link in page_client(world.dist_admin).get(f"/portal/orders/{order.number}/").content.decode()


def test_the_api_lists_carriers_and_accepts_a_code(world, guangzhou_shop, api_client):
    catalogue, houses = guangzhou_shop
    client = api_client(world.operations)
    listed = client.get("/api/v1/carriers", HTTP_ACCEPT_LANGUAGE="en")
    assert listed.status_code == 200
    assert listed.json()[0] == {
        "code": "SF",
        "name": "SF Express",
        "tracking_url": "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
    }
    assert [row["code"] for row in listed.json()] == ["SF", "JD", "ZTO", "YTO", "STO", "YUNDA", "DEPPON", "EMS"]
    order = place(world, catalogue, ("hood_a", 1))
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    import json

    answer = client.post(
        f"/api/v1/orders/{order.pk}/shipments",
        json.dumps(
            {"warehouse": "FS", "lines": [{"line_no": 1, "quantity": 1}], "carrier": "yto", "tracking_number": "YT9"}
        ),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["carrier"], body["tracking_number"]) == ("YTO", "YT9")
    assert body["tracking_url"] == "https://www.yto.net.cn/gw/index/index.html?waybillNo=YT9"


def test_the_allocation_form_lists_the_warehouses_nearest_to_the_partner_first(world, guangzhou_shop, page_client):
    catalogue, _houses = guangzhou_shop
    order = services.confirm_order(order=place(world, catalogue, ("hood_a", 1)), actor=world.operations)
    page = page_client(world.operations).get(f"/orders/{order.number}/").content.decode()
    assert re.findall(r'data-testid="warehouse-stock-row" data-warehouse="(\w+)"', page) == ["FS", "HQ", "SZ"]
