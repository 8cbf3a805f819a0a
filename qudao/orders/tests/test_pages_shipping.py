"""Pages of shipping: operations allocates, ships (in parts), adds tracking and completes on the HQ
order page; the partner confirms receipt on the portal (with a discrepancy report and a photo);
operations resolves the case. Another partner's order is 404; read-only HQ roles get 403 on writes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.inventory.models import StockLevel, Warehouse
from qudao.orders import services, shipping
from qudao.orders.models import DiscrepancyCase, Order, TrackingEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = pytest.mark.django_db


def confirmed_order(world, shop, *pairs):
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs],
        actor=world.dist_admin,
    )
    return services.confirm_order(order=order, actor=world.operations)


def shipped_order(world, shop):
    order = confirmed_order(world, shop, ("hood_a", 2))
    shipping.allocate_order(order=order, actor=world.operations)
    shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(order.lines.get(line_no=1).pk, 2)],
        carrier="顺丰",
        tracking_number="SF2001",
        actor=world.operations,
    )
    order.refresh_from_db()
    return order


def test_it_allocates_and_ships_in_two_parts_with_exact_quantities(world, shop, page_client):
    # given: 5 HOOD-A and 2 WASH-A confirmed; operations on the HQ order page
    order = confirmed_order(world, shop, ("hood_a", 5), ("wash_a", 2))
    hq = Warehouse.objects.get(code="HQ")
    ops = page_client(world.operations)
    page = ops.get(f"/orders/{order.number}/")
    assert page.status_code == 200
    assert 'data-testid="allocate-form"' in page.content.decode()
    # when: allocate, then ship 3 HOOD-A, then the rest
    allocated = ops.post(f"/orders/{order.number}/allocate/", {"warehouse": str(hq.pk)})
    first, second = order.lines.get(line_no=1), order.lines.get(line_no=2)
    form = ops.get(f"/orders/{order.number}/").content.decode()
    part = ops.post(
        f"/orders/{order.number}/ship/",
        {"warehouse": str(hq.pk), "carrier": "顺丰", "tracking_number": "SF1", f"qty_{first.pk}": "3"},
    )
    order.refresh_from_db()
    status_after_part = order.status
    rest = ops.post(
        f"/orders/{order.number}/ship/",
        {
            "warehouse": str(hq.pk),
            "carrier": "顺丰",
            "tracking_number": "SF2",
            f"qty_{first.pk}": "2",
            f"qty_{second.pk}": "2",
        },
    )
    # then
    assert allocated.status_code == 302
    assert f'name="qty_{first.pk}"' in form and 'value="5"' in form
    assert part.status_code == 302
    assert status_after_part == "partially_shipped"
    assert rest.status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped"
    assert [
        (s.tracking_number, [(sl.order_line.line_no, sl.quantity) for sl in s.lines.order_by("order_line__line_no")])
        for s in order.shipments.order_by("pk")
    ] == [
        ("SF1", [(1, 3)]),
        ("SF2", [(1, 2), (2, 2)]),
    ]
    hood = StockLevel.objects.get(sku=shop.skus["hood_a"], warehouse=hq)
    assert (hood.on_hand, hood.reserved) == (15, 0)


def test_it_shows_a_quantity_error_on_its_line(world, shop, page_client):
    # given: an allocated order of 2 HOOD-A
    order = confirmed_order(world, shop, ("hood_a", 2))
    shipping.allocate_order(order=order, actor=world.operations)
    line = order.lines.get()
    ops = page_client(world.operations)
    # when: shipping 3
    response = ops.post(
        f"/orders/{order.number}/ship/",
        {"warehouse": str(Warehouse.objects.get(code="HQ").pk), f"qty_{line.pk}": "3"},
    )
    # then
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="ship-line-error"><li>At most 2 left to ship on line 1.</li>' in html
    assert Order.objects.get(pk=order.pk).status == "allocated"


def test_it_adds_a_tracking_event_the_partner_sees(world, shop, page_client):
    # given: a shipped order
    order = shipped_order(world, shop)
    shipment = order.shipments.get()
    ops = page_client(world.operations)
    # when
    response = ops.post(
        f"/orders/{order.number}/shipments/{shipment.number}/tracking/",
        {"status": "in_transit", "at": "", "location": "南京转运中心", "note": "已发出"},
    )
    portal = page_client(world.dist_admin).get(f"/portal/orders/{order.number}/")
    # then
    assert response.status_code == 302
    event = TrackingEvent.objects.get(shipment=shipment, status="in_transit")
    assert (event.status, event.source, event.location, event.note) == (
        "in_transit",
        "operations",
        "南京转运中心",
        "已发出",
    )
    html = portal.content.decode()
    assert portal.status_code == 200
    assert "In transit" in html and "南京转运中心" in html
    assert 'data-testid="receipt-form"' in html


def test_it_confirms_receipt_with_a_damaged_report_and_operations_resolves_the_case(world, shop, page_client):
    # given: a shipped order of 2 HOOD-A
    order = shipped_order(world, shop)
    line = order.lines.get()
    partner = page_client(world.dist_admin)
    # when: the partner confirms receipt, 1 damaged, with a photo
    confirmed = partner.post(
        f"/portal/orders/{order.number}/confirm-receipt/",
        {
            "note": "",
            "kind": "damaged",
            f"qty_{line.pk}": "1",
            "description": "外壳凹陷",
            "photos": SimpleUploadedFile("dent.png", PNG, content_type="image/png"),
        },
    )
    case = DiscrepancyCase.objects.get(order=order)
    ops = page_client(world.operations)
    listing = ops.get("/orders/cases/")
    detail = ops.get(f"/orders/cases/{case.number}/")
    photo = ops.get(f"/orders/cases/{case.number}/photos/{case.photos.get().pk}/")
    refused = ops.post(f"/orders/{order.number}/complete/")
    resolved = ops.post(f"/orders/cases/{case.number}/resolve/", {"resolution": "补发 1 台"})
    completed = ops.post(f"/orders/{order.number}/complete/")
    # then
    assert confirmed.status_code == 302
    assert (case.kind, case.description, [(cl.order_line_id, cl.quantity) for cl in case.lines.all()]) == (
        "damaged",
        "外壳凹陷",
        [(line.pk, 1)],
    )
    assert listing.status_code == 200
    assert f'data-number="{case.number}"' in listing.content.decode()
    assert detail.status_code == 200
    assert "外壳凹陷" in detail.content.decode() and 'data-testid="resolve-form"' in detail.content.decode()
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content) == PNG
    assert refused.status_code == 302
    assert resolved.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.resolution) == ("resolved", "补发 1 台")
    assert completed.status_code == 302
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_it_shows_a_wrong_quantity_in_the_report_on_its_line(world, shop, page_client):
    # given: a shipped order of 2 HOOD-A
    order = shipped_order(world, shop)
    line = order.lines.get()
    # when: 3 damaged reported
    response = page_client(world.dist_admin).post(
        f"/portal/orders/{order.number}/confirm-receipt/", {"kind": "damaged", f"qty_{line.pk}": "3"}
    )
    # then
    assert response.status_code == 422
    assert 'data-testid="receipt-line-error">At most 2 were shipped on line 1.</p>' in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == "shipped"


def test_it_answers_404_to_another_partner(world, shop, page_client):
    # given: dist_js's shipped order
    order = shipped_order(world, shop)
    other = page_client(world.zj_admin)
    # when
    response = other.post(f"/portal/orders/{order.number}/confirm-receipt/", {})
    # then
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).status == "shipped"


def test_it_refuses_writes_to_finance_and_sales_and_hides_other_regions(world, shop, page_client):
    # given: a confirmed and a shipped order of dist_js (Jiangsu) with a case
    confirmed = confirmed_order(world, shop, ("wash_a", 1))
    order = shipped_order(world, shop)
    shipping.confirm_delivery(
        order=order,
        actor=world.dist_admin,
        discrepancies=[{"kind": "short", "lines": [(order.lines.get().pk, 1)], "description": ""}],
    )
    case = DiscrepancyCase.objects.get(order=order)
    # when / then
    finance = page_client(world.finance)
    assert finance.post(f"/orders/{confirmed.number}/allocate/").status_code == 403
    assert finance.post(f"/orders/cases/{case.number}/resolve/", {"resolution": "x"}).status_code == 403
    assert finance.get(f"/orders/cases/{case.number}/").status_code == 200
    sales = page_client(world.sales)
    assert sales.post(f"/orders/{confirmed.number}/allocate/").status_code == 404  # sales does not see dist_js
    outside = page_client(world.regional_zj)
    assert outside.post(f"/orders/{confirmed.number}/allocate/").status_code == 404
    assert outside.get(f"/orders/cases/{case.number}/").status_code == 404
    assert f'data-number="{case.number}"' not in outside.get("/orders/cases/").content.decode()
    assert Order.objects.get(pk=confirmed.pk).status == "confirmed"


# --- allocating and re-allocating ------------------------------------------------------------------


def two_regional_warehouses(shop):
    """EAST with 3 HOOD-A and no WASH-A, WEST with 4 HOOD-A and 5 WASH-A (HQ has 20 of each)."""
    from qudao.orders.tests.conftest import stock

    east = Warehouse.objects.create(code="EAST", name="华东仓", kind="regional")
    west = Warehouse.objects.create(code="WEST", name="西部仓", kind="regional")
    stock(shop.skus["hood_a"], 3, east)
    stock(shop.skus["hood_a"], 4, west)
    stock(shop.skus["wash_a"], 5, west)
    return east, west


def allocation_of(order):
    return [(row["sku"].code, row["warehouse"].code, row["quantity"]) for row in shipping.allocation(order)]


def levels_of(shop, *pairs):
    return [
        tuple(StockLevel.objects.filter(sku=shop.skus[key], warehouse__code=code).values_list("on_hand", "reserved")[0])
        for key, code in pairs
    ]


def test_it_reallocates_an_allocated_order_split_across_two_warehouses_in_priority_order(world, shop, page_client):
    # given: 5 HOOD-A and 2 WASH-A allocated in HQ; EAST and WEST have some stock
    order = confirmed_order(world, shop, ("hood_a", 5), ("wash_a", 2))
    shipping.allocate_order(order=order, actor=world.operations)
    east, west = two_regional_warehouses(shop)
    ops = page_client(world.operations)
    # then: the page offers a re-allocation, shows the allocation and the stock per warehouse
    html = ops.get(f"/orders/{order.number}/").content.decode()
    assert 'data-testid="reallocate-form"' in html and 'data-testid="allocate-form"' not in html
    assert html.count('data-testid="allocation-row"') == 2
    assert 'data-sku="HOOD-A" data-warehouse="HQ"' in html and 'data-sku="WASH-A" data-warehouse="HQ"' in html
    assert html.count('data-testid="allocate-warehouse"') == 3  # one per shipping warehouse: EAST, HQ, WEST
    assert 'data-sku="HOOD-A" data-available="15" data-held="5"' in html  # HQ
    assert 'data-sku="HOOD-A" data-available="3" data-held="0"' in html  # EAST
    assert 'data-sku="WASH-A" data-available="5" data-held="0"' in html  # WEST
    # when: re-allocated to EAST first, then WEST
    response = ops.post(
        f"/orders/{order.number}/allocate/", {"mode": "reallocate", "warehouse": [str(east.pk), str(west.pk), ""]}
    )
    # then: HOOD-A 3 from EAST and 2 from WEST, WASH-A 2 from WEST; HQ holds nothing any more
    assert (response.status_code, response["Location"]) == (302, f"/orders/{order.number}/")
    order.refresh_from_db()
    assert order.status == "allocated"
    assert allocation_of(order) == [("HOOD-A", "EAST", 3), ("HOOD-A", "WEST", 2), ("WASH-A", "WEST", 2)]
    assert levels_of(
        shop, ("hood_a", "HQ"), ("hood_a", "EAST"), ("hood_a", "WEST"), ("wash_a", "HQ"), ("wash_a", "WEST")
    ) == [(20, 0), (3, 3), (4, 2), (20, 0), (5, 2)]
    from qudao.core.models import OutboxEvent

    event = OutboxEvent.objects.filter(aggregate_id=order.number).latest("pk")
    assert (event.event_type, event.payload["allocation"]) == (
        "order.reallocated",
        [
            {"sku": "HOOD-A", "warehouse": "EAST", "quantity": 3},
            {"sku": "HOOD-A", "warehouse": "WEST", "quantity": 2},
            {"sku": "WASH-A", "warehouse": "WEST", "quantity": 2},
        ],
    )
    page = ops.get(response["Location"]).content.decode()
    assert f"Order {order.number} is re-allocated." in page
    assert 'data-sku="HOOD-A" data-warehouse="EAST"' in page and 'data-sku="HOOD-A" data-warehouse="HQ"' not in page


def test_it_shows_too_little_stock_inline_and_changes_nothing(world, shop, page_client):
    # given: 5 HOOD-A and 2 WASH-A allocated in HQ
    order = confirmed_order(world, shop, ("hood_a", 5), ("wash_a", 2))
    shipping.allocate_order(order=order, actor=world.operations)
    east, _west = two_regional_warehouses(shop)
    ops = page_client(world.operations)
    from qudao.core.models import OutboxEvent

    events = OutboxEvent.objects.count()
    # when: re-allocated to EAST alone (3 HOOD-A, no WASH-A), then with no warehouse chosen
    refused = ops.post(f"/orders/{order.number}/allocate/", {"mode": "reallocate", "warehouse": [str(east.pk)]})
    empty = ops.post(f"/orders/{order.number}/allocate/", {"mode": "reallocate", "warehouse": ["", ""]})
    # then: 422 with the reasons on the form, EAST still chosen; nothing moved
    assert refused.status_code == 422
    html = refused.content.decode()
    assert (
        'data-testid="allocate-error"><li>HOOD-A: Only 3 available.</li><li>WASH-A: Only 0 available.</li></ul>' in html
    )
    assert f'<option value="{east.pk}" selected>' in html
    assert empty.status_code == 422
    assert 'data-testid="allocate-error"><li>Name active warehouses.</li></ul>' in empty.content.decode()
    order.refresh_from_db()
    assert (order.status, allocation_of(order)) == ("allocated", [("HOOD-A", "HQ", 5), ("WASH-A", "HQ", 2)])
    assert levels_of(shop, ("hood_a", "HQ"), ("hood_a", "EAST"), ("wash_a", "HQ")) == [(20, 5), (3, 0), (20, 2)]
    assert OutboxEvent.objects.count() == events


def test_it_allocates_a_confirmed_order_to_chosen_warehouses_and_reallocates_a_partially_shipped_one(
    world, shop, page_client
):
    # given: a confirmed order of 5 HOOD-A; EAST and WEST have some stock
    order = confirmed_order(world, shop, ("hood_a", 5))
    east, west = two_regional_warehouses(shop)
    ops = page_client(world.operations)
    html = ops.get(f"/orders/{order.number}/").content.decode()
    assert 'data-testid="allocate-form"' in html and 'data-testid="reallocate-form"' not in html
    # (a submitted order already holds its stock reserved, from the shipping warehouses in id order)
    assert html.count('data-testid="allocation-row"') == 1 and 'data-sku="HOOD-A" data-warehouse="HQ"' in html
    # when: allocated to WEST, then EAST
    allocated = ops.post(
        f"/orders/{order.number}/allocate/", {"mode": "allocate", "warehouse": [str(west.pk), str(east.pk)]}
    )
    # then
    order.refresh_from_db()
    assert (allocated.status_code, order.status) == (302, "allocated")
    assert allocation_of(order) == [("HOOD-A", "EAST", 1), ("HOOD-A", "WEST", 4)]
    # when: 3 ship (1 from EAST, 2 from WEST), and the 2 left are re-allocated to HQ
    lines = [(order.lines.get().pk, 1)]
    shipping.create_shipment(order=order, warehouse=east, lines=lines, actor=world.operations)
    shipping.create_shipment(order=order, warehouse=west, lines=[(lines[0][0], 2)], actor=world.operations)
    order.refresh_from_db()
    assert order.status == "partially_shipped"
    assert 'data-testid="reallocate-form"' in ops.get(f"/orders/{order.number}/").content.decode()
    hq = Warehouse.objects.get(code="HQ")
    moved = ops.post(f"/orders/{order.number}/allocate/", {"mode": "reallocate", "warehouse": [str(hq.pk)]})
    # then: the 2 left to ship wait in HQ; the order stays partially shipped
    order.refresh_from_db()
    assert (moved.status_code, order.status, allocation_of(order)) == (302, "partially_shipped", [("HOOD-A", "HQ", 2)])
    assert levels_of(shop, ("hood_a", "HQ"), ("hood_a", "EAST"), ("hood_a", "WEST")) == [(20, 2), (2, 0), (2, 0)]
    # and: a shipped order offers neither form
    shipping.create_shipment(order=order, warehouse=hq, lines=[(lines[0][0], 2)], actor=world.operations)
    html = ops.get(f"/orders/{order.number}/").content.decode()
    assert 'data-testid="reallocate-form"' not in html and 'data-testid="allocate-form"' not in html
