"""Shipments and tracking, delivery confirmation and discrepancy cases: exact quantities, statuses,
stock and events through allocation, partial and full shipment, tracking (operations, an
idempotent carrier push, the ERP's bulk import), the partner's confirmation with a damaged-item
case and photos, automatic confirmation after N days, and the API with its scoping (404)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.models import Notification, OutboxEvent
from qudao.inventory.models import StockEntry, StockLevel, Warehouse
from qudao.orders import services, shipping
from qudao.orders.models import DeliveryConfirmation, DiscrepancyCase, Order, Shipment, TrackingEvent

from .conftest import stock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(client, path, body, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def confirmed_order(world, shop, *pairs):
    """An order of dist_js (placed by dist_admin a week ago, so that it may be shipped on any day
    since), confirmed by operations."""
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs],
        actor=world.dist_admin,
    )
    Order.objects.filter(pk=order.pk).update(submitted_at=timezone.now() - timedelta(days=7))
    return services.confirm_order(order=order, actor=world.operations)


def level(shop, key, code="HQ"):
    row = StockLevel.objects.get(sku=shop.skus[key], warehouse__code=code)
    return row.on_hand, row.reserved


def line_id(order, line_no):
    return order.lines.get(line_no=line_no).pk


def events_of(order):
    return list(
        OutboxEvent.objects.filter(aggregate_type="order", aggregate_id=order.number)
        .order_by("pk")
        .values_list("event_type", flat=True)
    )


def shipped_order(world, shop):
    order = confirmed_order(world, shop, ("hood_a", 2))
    shipping.allocate_order(order=order, actor=world.operations)
    shipment = shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(line_id(order, 1), 2)],
        carrier="顺丰",
        tracking_number="SF1001",
        shipped_at=timezone.now() - timedelta(days=1),
        actor=world.operations,
    )
    order.refresh_from_db()
    return order, shipment


# --- services ------------------------------------------------------------------------------------


def test_it_allocates_ships_in_two_parts_and_keeps_the_stock_ledger_exact(world, shop):
    # given: 5 HOOD-A and 2 WASH-A ordered and confirmed (20 of each in HQ, reserved at submission)
    order = confirmed_order(world, shop, ("hood_a", 5), ("wash_a", 2))
    hq = Warehouse.objects.get(code="HQ")
    # when: allocated
    shipping.allocate_order(order=order, actor=world.operations)
    order.refresh_from_db()
    # then
    assert order.status == "allocated"
    assert [(row["sku"].code, row["warehouse"].code, row["quantity"]) for row in shipping.allocation(order)] == [
        ("HOOD-A", "HQ", 5),
        ("WASH-A", "HQ", 2),
    ]
    assert (level(shop, "hood_a"), level(shop, "wash_a")) == ((20, 5), (20, 2))
    # when: 3 HOOD-A leave first
    first = shipping.create_shipment(
        order=order,
        warehouse=hq,
        lines=[(line_id(order, 1), 3)],
        carrier="顺丰",
        tracking_number="SF1001",
        actor=world.operations,
    )
    order.refresh_from_db()
    # then: partially shipped, 3 of line 1 shipped, stock taken off on hand and reserved
    assert (order.status, first.number[:2], first.status, first.carrier, first.tracking_number) == (
        "partially_shipped",
        "SH",
        "shipped",
        "顺丰",
        "SF1001",
    )
    assert list(order.lines.values_list("line_no", "shipped_quantity")) == [(1, 3), (2, 0)]
    assert (level(shop, "hood_a"), level(shop, "wash_a")) == ((17, 2), (20, 2))
    # when: the rest leaves
    second = shipping.create_shipment(
        order=order,
        warehouse=hq,
        lines=[(line_id(order, 1), 2), (line_id(order, 2), 2)],
        carrier="德邦",
        tracking_number="DB77",
        actor=world.operations,
    )
    order.refresh_from_db()
    # then: shipped; nothing reserved any more; the ledger of the order says exactly that
    assert order.status == "shipped"
    assert list(order.lines.values_list("line_no", "shipped_quantity")) == [(1, 5), (2, 2)]
    assert (level(shop, "hood_a"), level(shop, "wash_a")) == ((15, 0), (18, 0))
    entries = StockEntry.objects.filter(reference=order.number).order_by("pk")
    assert [
        (e.kind, e.sku.code, e.on_hand_delta, e.reserved_delta, e.on_hand_after, e.reserved_after) for e in entries
    ] == [
        ("reserve", "HOOD-A", 0, 5, 20, 5),
        ("reserve", "WASH-A", 0, 2, 20, 2),
        ("shipment", "HOOD-A", -3, -3, 17, 2),
        ("shipment", "HOOD-A", -2, -2, 15, 0),
        ("shipment", "WASH-A", -2, -2, 18, 0),
    ]
    assert [(line.order_line.line_no, line.quantity) for line in second.lines.all()] == [(1, 2), (2, 2)]
    assert list(order.status_changes.values_list("from_status", "to_status")) == [
        ("draft", "submitted"),
        ("submitted", "confirmed"),
        ("confirmed", "allocated"),
        ("allocated", "partially_shipped"),
        ("partially_shipped", "shipped"),
    ]
    assert events_of(order) == [
        "order.submitted",
        "order.confirmed",
        "order.allocated",
        "shipment.created",
        "order.partially_shipped",
        "shipment.created",
        "order.shipped",
    ]
    assert list(second.events.values_list("status", "source")) == [("shipped", "operations")]


def test_it_moves_reservations_to_other_warehouses_all_or_nothing(world, shop):
    # given: a confirmed order, and 10 HOOD-A (no WASH-A) in an east warehouse
    east = Warehouse.objects.create(code="EAST", name="华东仓", kind="regional")
    stock(shop.skus["hood_a"], 10, east)
    order = confirmed_order(world, shop, ("hood_a", 5), ("wash_a", 2))
    # when: allocated to EAST alone, which has no WASH-A
    with pytest.raises(FieldErrors) as refused:
        shipping.allocate_order(order=order, actor=world.operations, warehouse_ids=[east.pk])
    # then: refused, nothing moved
    assert refused.value.errors == {"warehouses": ["WASH-A: Only 0 available."]}
    order.refresh_from_db()
    assert (order.status, level(shop, "hood_a"), level(shop, "hood_a", "EAST")) == ("confirmed", (20, 5), (10, 0))
    # when: allocated to EAST first, then HQ
    shipping.allocate_order(
        order=order, actor=world.operations, warehouse_ids=[east.pk, Warehouse.objects.get(code="HQ").pk]
    )
    # then: HOOD-A now waits in EAST, WASH-A in HQ
    assert [(row["sku"].code, row["warehouse"].code, row["quantity"]) for row in shipping.allocation(order)] == [
        ("HOOD-A", "EAST", 5),
        ("WASH-A", "HQ", 2),
    ]
    assert (level(shop, "hood_a"), level(shop, "hood_a", "EAST"), level(shop, "wash_a")) == ((20, 0), (10, 5), (20, 2))
    # and: shipping HOOD-A from HQ is refused now, from EAST it goes
    hq = Warehouse.objects.get(code="HQ")
    with pytest.raises(FieldErrors) as wrong_place:
        shipping.create_shipment(order=order, warehouse=hq, lines=[(line_id(order, 1), 1)], actor=world.operations)
    assert wrong_place.value.errors == {"lines.0.quantity": ["Only 0 reserved for this order in HQ."]}
    shipping.create_shipment(order=order, warehouse=east, lines=[(line_id(order, 1), 5)], actor=world.operations)
    assert level(shop, "hood_a", "EAST") == (5, 0)
    # when: the partially shipped order's WASH-A is moved to EAST too, once EAST has some
    stock(shop.skus["wash_a"], 3, east)
    shipping.allocate_order(order=order, actor=world.operations, warehouse_ids=[east.pk])
    # then: what is left to ship waits in EAST; the order stays partially shipped
    order.refresh_from_db()
    assert [(row["sku"].code, row["warehouse"].code, row["quantity"]) for row in shipping.allocation(order)] == [
        ("WASH-A", "EAST", 2)
    ]
    assert (order.status, level(shop, "wash_a"), level(shop, "wash_a", "EAST")) == (
        "partially_shipped",
        (20, 0),
        (3, 2),
    )
    assert events_of(order)[-1] == "order.reallocated"


def test_over_shipping_and_wrong_moves_are_refused_and_change_nothing(world, shop):
    # given: a confirmed order of 5 HOOD-A
    order = confirmed_order(world, shop, ("hood_a", 5))
    hq = Warehouse.objects.get(code="HQ")
    # when: shipped before allocation
    with pytest.raises(Conflict) as early:
        shipping.create_shipment(order=order, warehouse=hq, lines=[(line_id(order, 1), 1)], actor=world.operations)
    assert str(early.value) == "An order that is Confirmed cannot be shipped."
    # when: a partner allocates it
    with pytest.raises(Forbidden):
        shipping.allocate_order(order=order, actor=world.dist_admin)
    shipping.allocate_order(order=order, actor=world.operations)
    # when: 6 of 5 (in two entries of the same line), a line of another order, a zero
    other = confirmed_order(world, shop, ("hood_b", 1))
    with pytest.raises(FieldErrors) as over:
        shipping.create_shipment(
            order=order,
            warehouse=hq,
            lines=[(line_id(order, 1), 4), (line_id(order, 1), 2), (line_id(other, 1), 1), (line_id(order, 1), 0)],
            actor=world.operations,
        )
    # then
    assert over.value.errors == {
        "lines.2.line_no": ["This line is not on the order."],
        "lines.3.quantity": ["Enter a whole number of at least 1."],
        "lines.0.quantity": ["At most 5 left to ship on line 1.", "Only 5 reserved for this order in HQ."],
    }
    # and: nothing shipped
    order.refresh_from_db()
    assert (order.status, order.lines.get().shipped_quantity, level(shop, "hood_a")) == ("allocated", 0, (20, 5))
    assert Shipment.objects.count() == 0
    # when: all 5 leave, then one more is asked for
    shipping.create_shipment(order=order, warehouse=hq, lines=[(line_id(order, 1), 5)], actor=world.operations)
    with pytest.raises(Conflict):
        shipping.create_shipment(order=order, warehouse=hq, lines=[(line_id(order, 1), 1)], actor=world.operations)
    assert (Shipment.objects.count(), level(shop, "hood_a")) == (1, (15, 0))


def test_tracking_keeps_the_latest_event_and_a_carrier_push_counts_once(world, shop):
    # given: a shipped order
    order, shipment = shipped_order(world, shop)  # a day ago
    now = timezone.now()
    # when: operations records "in transit", a carrier pushes "out for delivery" twice
    shipping.add_tracking_event(
        shipment=shipment,
        status="in_transit",
        at=now - timedelta(hours=5),
        location="南京转运中心",
        actor=world.operations,
    )
    first, created = shipping.add_tracking_event(
        shipment=shipment,
        status="out_for_delivery",
        at=now - timedelta(hours=1),
        location="南京玄武",
        source="carrier",
        external_id="SF-EV-9",
        actor=world.operations,
    )
    again, created_again = shipping.add_tracking_event(
        shipment=shipment,
        status="out_for_delivery",
        at=now - timedelta(hours=1),
        location="南京玄武",
        source="carrier",
        external_id="SF-EV-9",
        actor=world.operations,
    )
    # and: a late "picked" event from before the shipment left
    shipping.add_tracking_event(shipment=shipment, status="picked", at=now - timedelta(days=2), actor=world.operations)
    # then: one event per push, the status is the latest by time
    shipment.refresh_from_db()
    assert (created, created_again, again.pk == first.pk) == (True, False, True)
    assert list(shipment.events.order_by("at").values_list("status", "source")) == [
        ("picked", "operations"),
        ("shipped", "operations"),
        ("in_transit", "operations"),
        ("out_for_delivery", "carrier"),
    ]
    assert shipment.status == "out_for_delivery"
    # when: delivered, says the carrier
    shipping.add_tracking_event(
        shipment=shipment, status="delivered", at=now, source="carrier", external_id="SF-EV-10", actor=world.operations
    )
    # then: the shipment is delivered; the order still waits for the partner's confirmation
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, shipment.delivered_at, order.status) == ("delivered", now, "shipped")
    assert events_of(order)[-4:] == ["shipment.tracking_updated"] * 4
    # and: bad events are refused, a partner may not track
    with pytest.raises(FieldErrors) as bad:
        shipping.add_tracking_event(
            shipment=shipment, status="lost", at=now + timedelta(days=2), source="fax", actor=world.operations
        )
    assert bad.value.errors == {
        "status": ["Choose one of: picked, shipped, in_transit, out_for_delivery, delivered, exception."],
        "source": ["Choose one of: operations, erp, carrier."],
        "at": ["A tracking event cannot be in the future."],
    }
    with pytest.raises(Forbidden):
        shipping.add_tracking_event(shipment=shipment, status="exception", actor=world.dist_admin)
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 5


def test_the_partner_confirms_receipt_reporting_damaged_items_with_photos(world, shop):
    # given: a shipped order of 2 HOOD-A
    order, shipment = shipped_order(world, shop)
    photo = SimpleUploadedFile("broken.png", PNG, content_type="image/png")
    # when: the partner confirms, one hood arrived damaged
    confirmation = shipping.confirm_delivery(
        order=order,
        actor=world.dist_staff,
        note="已签收",
        discrepancies=[
            {
                "kind": "damaged",
                "shipment": shipment.number,
                "lines": [(line_id(order, 1), 1)],
                "description": "外箱破损，面板划伤",
                "photos": [photo],
            }
        ],
    )
    # then: the order is delivered, a case is open for operations, who are told in-app
    order.refresh_from_db()
    (case,) = confirmation.opened_cases
    assert (order.status, confirmation.kind, confirmation.confirmed_by, confirmation.note) == (
        "delivered",
        "partner",
        world.dist_staff,
        "已签收",
    )
    assert (case.number[:2], case.kind, case.status, case.shipment, case.created_by) == (
        "DC",
        "damaged",
        "open",
        shipment,
        world.dist_staff,
    )
    assert [(line.order_line.line_no, line.quantity) for line in case.lines.all()] == [(1, 1)]
    assert [(p.name, p.size, p.file.read()) for p in case.photos.all()] == [("broken.png", len(PNG), PNG)]
    notice = Notification.objects.get(user=world.operations, kind="order.discrepancy_reported")
    assert notice.title == f"Order {order.number}: Damaged reported ({case.number})"
    assert events_of(order)[-2:] == ["order.delivered", "order.discrepancy_reported"]
    # and: the order cannot be completed while the case is open
    with pytest.raises(Conflict) as open_case:
        shipping.complete_order(order=order, actor=world.operations)
    assert str(open_case.value) == "Resolve the open discrepancy cases of this order first."
    # when: operations resolves the case, then completes the order
    with pytest.raises(Forbidden):
        shipping.resolve_case(case=case, actor=world.dist_admin, resolution="我自己关")
    shipping.resolve_case(case=case, actor=world.operations, resolution="补发一台，破损件退回")
    shipping.complete_order(order=order, actor=world.operations)
    # then
    case.refresh_from_db()
    order.refresh_from_db()
    assert (case.status, case.resolution, case.resolved_by, order.status) == (
        "resolved",
        "补发一台，破损件退回",
        world.operations,
        "completed",
    )
    assert Notification.objects.filter(user=world.dist_staff, kind="order.discrepancy_resolved").count() == 1
    with pytest.raises(Conflict):
        shipping.resolve_case(case=case, actor=world.operations, resolution="again")


def test_bad_delivery_reports_are_refused_and_change_nothing(world, shop):
    # given: a shipped order
    order, _shipment = shipped_order(world, shop)
    fake = SimpleUploadedFile("photo.png", b"GIF89a not a png", content_type="image/png")
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4", content_type="application/pdf")
    # when
    with pytest.raises(FieldErrors) as bad:
        shipping.confirm_delivery(
            order=order,
            actor=world.dist_admin,
            discrepancies=[
                {"kind": "short", "lines": [(line_id(order, 1), 3)], "photos": [fake, pdf]},
                {"kind": "lost", "shipment": "SH0000000000"},
                {"kind": "other"},
            ],
        )
    # then
    assert bad.value.errors == {
        "discrepancies.0.lines.0.quantity": ["At most 2 were shipped on line 1."],
        "discrepancies.0.photos": [
            "The file is not a real JPG, PNG or WebP photo.",
            "Upload a JPG, PNG or WebP photo.",
        ],
        "discrepancies.1.kind": ["Choose one of: short, damaged, wrong_item, other."],
        "discrepancies.1.shipment": ["This order has no such shipment."],
        "discrepancies.2.description": ["Describe what is wrong."],
    }
    order.refresh_from_db()
    assert (order.status, DiscrepancyCase.objects.count(), DeliveryConfirmation.objects.count()) == ("shipped", 0, 0)
    # and: another partner's user, or finance, may not confirm it
    for user in (world.zj_admin, world.finance):
        with pytest.raises(Forbidden):
            shipping.confirm_delivery(order=order, actor=user)
    # and: a partially shipped order cannot be confirmed yet
    partial = confirmed_order(world, shop, ("wash_a", 2))
    shipping.allocate_order(order=partial, actor=world.operations)
    shipping.create_shipment(
        order=partial,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(line_id(partial, 1), 1)],
        actor=world.operations,
    )
    with pytest.raises(Conflict) as early:
        shipping.confirm_delivery(order=partial, actor=world.dist_admin)
    assert str(early.value) == "An order that is Partially shipped cannot become Delivered."


def test_orders_shipped_more_than_n_days_ago_are_confirmed_automatically(world, shop, settings):
    # given: an order shipped now, auto-confirmation after 7 days
    settings.ORDER_AUTO_CONFIRM_DAYS = 7
    order, shipment = shipped_order(world, shop)
    # and: a delivered event from the carrier (not a confirmation)
    shipping.add_tracking_event(shipment=shipment, status="delivered", source="carrier", actor=world.operations)
    # when: 6 days later
    assert shipping.auto_confirm_deliveries(now=timezone.now() + timedelta(days=6)) == []
    order.refresh_from_db()
    assert order.status == "shipped"
    # when: 8 days later
    later = timezone.now() + timedelta(days=8)
    assert shipping.auto_confirm_deliveries(now=later) == [order.number]
    # then: delivered by the system, once
    order.refresh_from_db()
    change = order.status_changes.last()
    assert (order.status, change.to_status, change.actor, change.reason) == (
        "delivered",
        "delivered",
        None,
        "Receipt confirmed automatically after 7 days.",
    )
    assert (order.delivery_confirmation.kind, order.delivery_confirmation.at) == ("system", later)
    assert shipping.auto_confirm_deliveries(now=later) == []
    # and: the periodic job runs the same
    from qudao.orders.tasks import auto_confirm_deliveries

    assert auto_confirm_deliveries.call_local() == []


def test_a_prepaid_order_pays_for_each_partial_shipment_as_it_leaves(world, shop):
    from decimal import Decimal

    from qudao.partners import funds

    # given: 10,000.00 prepaid and a prepaid order of 3 HOOD-A (3 x 1,299.00), allocated
    funds.deposit(partner=world.dist_js, amount="10000", actor=world.finance)
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 3}],
        actor=world.dist_admin,
        payment_method="prepayment",
    )
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    hq, account = Warehouse.objects.get(code="HQ"), funds.account_for(world.dist_js)
    # when: one hood leaves at a time
    balances = []
    for _ in range(3):
        shipping.create_shipment(order=order, warehouse=hq, lines=[(line_id(order, 1), 1)], actor=world.operations)
        account.refresh_from_db()
        balances.append((account.balance, account.held))
    # then: each shipment takes what it carries (the second one too, while the order stays partially shipped)
    assert balances == [
        (Decimal("8701.0000"), Decimal("2598.0000")),
        (Decimal("7402.0000"), Decimal("1299.0000")),
        (Decimal("6103.0000"), Decimal("0.0000")),
    ]


# --- API -----------------------------------------------------------------------------------------


def test_the_api_from_allocation_to_the_partners_confirmation(world, shop, api_client):
    # given: a confirmed order of 5 HOOD-A
    order = confirmed_order(world, shop, ("hood_a", 5))
    ops, partner = api_client(world.operations), api_client(world.dist_admin)
    # when: allocated and shipped in two parts
    allocated = post(ops, f"/api/v1/orders/{order.pk}/allocate", {})
    assert allocated.status_code == 200
    assert allocated.json()["order"]["status"] == "allocated"
    assert [(r["sku"]["code"], r["warehouse"]["code"], r["quantity"]) for r in allocated.json()["allocation"]] == [
        ("HOOD-A", "HQ", 5)
    ]
    first = post(
        ops,
        f"/api/v1/orders/{order.pk}/shipments",
        {"warehouse": "HQ", "lines": [{"line_no": 1, "quantity": 2}], "carrier": "顺丰", "tracking_number": "SF1"},
    )
    assert first.status_code == 201
    body = first.json()
    assert (body["order"], body["warehouse"]["code"], body["status"], body["lines"][0]["quantity"]) == (
        order.number,
        "HQ",
        "shipped",
        2,
    )
    over = post(
        ops, f"/api/v1/orders/{order.pk}/shipments", {"warehouse": "HQ", "lines": [{"line_no": 1, "quantity": 4}]}
    )
    assert (over.status_code, over.json()["errors"]) == (
        422,
        [
            {"field": "lines.0.quantity", "message": "At most 3 left to ship on line 1."},
            {"field": "lines.0.quantity", "message": "Only 3 reserved for this order in HQ."},
        ],
    )
    second = post(
        ops, f"/api/v1/orders/{order.pk}/shipments", {"warehouse": "HQ", "lines": [{"line_no": 1, "quantity": 3}]}
    )
    assert second.status_code == 201
    # when: the carrier pushes an event twice (an operations token)
    push = {"status": "in_transit", "location": "南京", "source": "carrier", "external_id": "EV-1"}
    pushed = post(ops, f"/api/v1/shipments/{body['id']}/tracking", push)
    replayed = post(ops, f"/api/v1/shipments/{body['id']}/tracking", push)
    assert (pushed.status_code, replayed.status_code) == (201, 200)
    assert [(e["status"], e["source"]) for e in replayed.json()["timeline"]] == [
        ("shipped", "operations"),
        ("in_transit", "carrier"),
    ]
    # then: the partner sees both shipments and their timelines, but may not track
    listed = partner.get(f"/api/v1/orders/{order.pk}/shipments")
    assert [(s["tracking_number"], s["status"], len(s["timeline"])) for s in listed.json()] == [
        ("SF1", "in_transit", 2),
        ("", "shipped", 1),
    ]
    assert post(partner, f"/api/v1/shipments/{body['id']}/tracking", push).status_code == 403
    # when: the partner confirms receipt with a damaged hood and its photo (multipart)
    payload = {
        "note": "收到",
        "discrepancies": [
            {
                "kind": "damaged",
                "shipment": body["number"],
                "lines": [{"line_no": 1, "quantity": 1}],
                "description": "划伤",
            }
        ],
    }
    confirmed = partner.post(
        f"/api/v1/orders/{order.pk}/confirm-delivery",
        {"payload": json.dumps(payload), "photos.0": SimpleUploadedFile("a.png", PNG)},
    )
    # then
    assert confirmed.status_code == 200, confirmed.content
    result = confirmed.json()
    (case,) = result["cases"]
    assert (result["order"]["status"], result["confirmed_by"], result["note"]) == ("delivered", "partner", "收到")
    assert (
        case["kind"],
        case["status"],
        case["shipment"],
        case["lines"][0]["quantity"],
        case["photos"][0]["size"],
    ) == (
        "damaged",
        "open",
        body["number"],
        1,
        len(PNG),
    )
    # and: operations lists the open case, sees the photo, resolves it and completes the order
    cases = ops.get("/api/v1/cases?status=open").json()
    assert (cases["count"], cases["items"][0]["number"]) == (1, case["number"])
    image = ops.get(case["photos"][0]["url"])
    assert (image.status_code, image["Content-Type"], b"".join(image.streaming_content)) == (200, "image/png", PNG)
    assert post(ops, f"/api/v1/orders/{order.pk}/complete", {}).status_code == 409
    resolved = post(ops, f"/api/v1/cases/{case['id']}/resolve", {"resolution": "补发"})
    assert (resolved.status_code, resolved.json()["status"], resolved.json()["resolution"]) == (200, "resolved", "补发")
    completed = post(ops, f"/api/v1/orders/{order.pk}/complete", {})
    assert (completed.status_code, completed.json()["status"]) == (200, "completed")


def test_another_partners_order_shipment_and_case_answer_404(world, shop, api_client):
    # given: a delivered order of dist_js with a case
    order, shipment = shipped_order(world, shop)
    confirmation = shipping.confirm_delivery(
        order=order, actor=world.dist_admin, discrepancies=[{"kind": "short", "lines": [(line_id(order, 1), 1)]}]
    )
    case = confirmation.opened_cases[0]
    other = api_client(world.zj_admin)
    # then: the independent dealer sees none of it
    assert other.get(f"/api/v1/orders/{order.pk}/shipments").status_code == 404
    assert post(other, f"/api/v1/orders/{order.pk}/confirm-delivery", {}).status_code == 404
    assert post(other, f"/api/v1/shipments/{shipment.pk}/tracking", {"status": "delivered"}).status_code == 404
    assert other.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert other.get(f"/api/v1/cases/{case.pk}/photos/1").status_code == 404
    assert other.get("/api/v1/cases").json()["count"] == 0
    # and: the buyer sees its case, but may not resolve it
    own = api_client(world.dist_admin)
    assert own.get(f"/api/v1/cases/{case.pk}").json()["lines"] == [
        {"line_no": 1, "sku": {"id": shop.skus["hood_a"].pk, "code": "HOOD-A", "name": "HOOD-A"}, "quantity": 1}
    ]
    assert post(own, f"/api/v1/cases/{case.pk}/resolve", {"resolution": "x"}).status_code == 403


def test_the_erp_imports_shipments_and_tracking_idempotently_all_or_nothing(world, shop, api_client):
    # given: two allocated orders
    first = confirmed_order(world, shop, ("hood_a", 4))
    second = confirmed_order(world, shop, ("wash_a", 1))
    for order in (first, second):
        shipping.allocate_order(order=order, actor=world.operations)
    erp = api_client(world.operations)
    batch = {
        "rows": [
            {
                "order": first.number,
                "new_shipment": {
                    "external_id": "ERP-DN-1",
                    "warehouse": "HQ",
                    "lines": [{"line_no": 1, "quantity": 4}],
                    "carrier": "京东物流",
                    "tracking_number": "JD9",
                    "shipped_at": (timezone.now() - timedelta(days=2)).isoformat(),
                },
                "events": [
                    {
                        "status": "in_transit",
                        "at": (timezone.now() - timedelta(days=1)).isoformat(),
                        "external_id": "JD9-1",
                    }
                ],
            },
            {
                "order": second.number,
                "new_shipment": {
                    "external_id": "ERP-DN-2",
                    "warehouse": "HQ",
                    "lines": [{"line_no": 1, "quantity": 1}],
                },
            },
        ]
    }
    # when: a bad batch (too many units on one row, an unknown order on another)
    bad = json.loads(json.dumps(batch))
    bad["rows"][1]["new_shipment"]["lines"][0]["quantity"] = 2
    bad["rows"].append({"order": "SO0000000000", "shipment": "SH1", "events": []})
    refused = post(erp, "/api/v1/tracking/bulk", bad)
    # then: 422 naming every wrong row, nothing written
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Nothing was changed: correct the rows and send them again."
    assert refused.json()["errors"] == [
        {"field": "rows.2.order", "message": "Unknown order."},
        {"field": "rows.1.new_shipment.lines.0.quantity", "message": "At most 1 left to ship on line 1."},
    ]
    assert Shipment.objects.count() == 0
    # when: the good batch, twice
    once = post(erp, "/api/v1/tracking/bulk", batch)
    twice = post(erp, "/api/v1/tracking/bulk", batch)
    # then: shipped once
    assert once.status_code == 200, once.content
    assert {k: once.json()[k] for k in ("shipments_created", "events_added", "events_unchanged")} == {
        "shipments_created": 2,
        "events_added": 1,
        "events_unchanged": 0,
    }
    assert {k: twice.json()[k] for k in ("shipments_created", "events_added", "events_unchanged")} == {
        "shipments_created": 0,
        "events_added": 0,
        "events_unchanged": 1,
    }
    assert [(r["order"], r["status"]) for r in twice.json()["rows"]] == [
        (first.number, "in_transit"),
        (second.number, "shipped"),
    ]
    assert list(Order.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk").values_list("status", flat=True)) == [
        "shipped",
        "shipped",
    ]
    assert (level(shop, "hood_a"), level(shop, "wash_a")) == ((16, 0), (19, 0))
    shipment = Shipment.objects.get(external_id="ERP-DN-1")
    assert list(shipment.events.values_list("status", "source")) == [("shipped", "erp"), ("in_transit", "erp")]
    # and: later events for an existing shipment by its number
    later = post(
        erp,
        "/api/v1/tracking/bulk",
        {
            "source": "carrier",
            "rows": [
                {
                    "order": first.number,
                    "shipment": shipment.number,
                    "events": [{"status": "delivered", "external_id": "JD9-2"}],
                }
            ],
        },
    )
    assert later.json()["rows"][0]["status"] == "delivered"
    # and: a source other than the ERP or a carrier is refused
    wrong = post(erp, "/api/v1/tracking/bulk", batch | {"source": "operations"})
    assert (wrong.status_code, wrong.json()["errors"]) == (
        422,
        [{"field": "source", "message": "Choose one of: erp, carrier."}],
    )
    # and: partners may not import
    assert post(api_client(world.dist_admin), "/api/v1/tracking/bulk", batch).status_code == 403


# --- PostgreSQL: concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_twenty_simultaneous_shipments_of_a_five_unit_line_ship_exactly_five(world, shop):
    from django.test import Client

    from qudao.accounts.services import issue_token
    from qudao.partners.tests.test_concurrency import run_concurrently

    # given: an allocated order of 5 HOOD-A
    order = confirmed_order(world, shop, ("hood_a", 5))
    shipping.allocate_order(order=order, actor=world.operations)
    _token, raw = issue_token(user=world.operations, name="concurrency")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def ship(_index):
        body = {"warehouse": "HQ", "lines": [{"line_no": 1, "quantity": 1}]}
        return (
            Client()
            .post(f"/api/v1/orders/{order.pk}/shipments", body, content_type="application/json", **headers)
            .status_code
        )

    # when: 20 shipments of 1 unit at once
    results = run_concurrently(20, ship)
    # then: exactly 5 shipped, the others refused (the order is shipped by then); stock exact
    assert sorted(status for _kind, status in results) == [201] * 5 + [409] * 15
    order.refresh_from_db()
    assert (order.status, order.lines.get().shipped_quantity, Shipment.objects.count()) == ("shipped", 5, 5)
    assert level(shop, "hood_a") == (15, 0)
    shipment = Shipment.objects.first()

    # when: a carrier pushes one event 10 times at once
    def push(_index):
        body = {"status": "in_transit", "source": "carrier", "external_id": "SF-EV-1"}
        return (
            Client()
            .post(f"/api/v1/shipments/{shipment.pk}/tracking", body, content_type="application/json", **headers)
            .status_code
        )

    pushed = run_concurrently(10, push)
    # then: recorded once
    assert sorted(status for _kind, status in pushed) == [200] * 9 + [201]
    assert shipment.events.filter(external_id="SF-EV-1").count() == 1
