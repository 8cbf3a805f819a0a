"""A shipment cannot be dated before its order was placed (dates in the deployment's time zone,
Asia/Shanghai: the same day is fine, the day before is not), nor in the future; the same rule holds
for operations (service, API) and the ERP's shipment import. A refused shipment changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from qudao.core.errors import FieldErrors
from qudao.core.models import OutboxEvent
from qudao.inventory.models import StockLevel, Warehouse
from qudao.orders import services, shipping
from qudao.orders.models import Order, Shipment


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def local(day, hour, minute=0) -> datetime:
    """`day` at hour:minute in the deployment's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def allocated_order(world, shop, placed_at: datetime) -> Order:
    """An order of 2 HOOD-A placed (submitted) at `placed_at`, confirmed and allocated."""
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 2}], actor=world.dist_admin
    )
    Order.objects.filter(pk=order.pk).update(submitted_at=placed_at)
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    order.refresh_from_db()
    return order


def untouched(order, shop) -> tuple:
    """What a shipment would change: the order's status, its shipments, the stock, the events."""
    order.refresh_from_db()
    level = StockLevel.objects.get(sku=shop.skus["hood_a"])
    return (
        order.status,
        Shipment.objects.filter(order=order).count(),
        (level.on_hand, level.reserved),
        OutboxEvent.objects.filter(event_type="shipment.created").count(),
    )


def test_a_shipment_dated_before_its_order_was_placed_is_refused_the_same_day_is_fine(world, shop):
    # given: an order placed three days ago at 00:30 (Shanghai), i.e. 16:30 UTC the day before
    day = timezone.localdate() - timedelta(days=3)
    order = allocated_order(world, shop, local(day, 0, 30))
    before = untouched(order, shop)
    hq = Warehouse.objects.get(code="HQ")

    def ship(shipped_at):
        return shipping.create_shipment(
            order=order, warehouse=hq, lines=[(order.lines.get().pk, 1)], shipped_at=shipped_at, actor=world.operations
        )

    # when: dated 23:50 the evening before (Shanghai), or a week before
    for shipped_at in (local(day - timedelta(days=1), 23, 50), local(day - timedelta(days=7), 9)):
        with pytest.raises(FieldErrors) as refused:
            ship(shipped_at)
        # then: refused on shipped_at, naming the day the order was placed; nothing changed
        assert {field: [str(m) for m in ms] for field, ms in refused.value.errors.items()} == {
            "shipped_at": [f"A shipment cannot leave before its order was placed ({day.isoformat()})."]
        }
        assert untouched(order, shop) == before

    # when: dated in the future (more than the hour of tolerance for clocks)
    with pytest.raises(FieldErrors) as future:
        ship(timezone.now() + timedelta(hours=2))
    assert {field: [str(m) for m in ms] for field, ms in future.value.errors.items()} == {
        "shipped_at": ["A shipment cannot leave in the future."]
    }
    assert untouched(order, shop) == before

    # when: dated 00:10 on the day it was placed (earlier that day, same date): accepted
    shipment = ship(local(day, 0, 10))
    assert (timezone.localtime(shipment.shipped_at), untouched(order, shop)[:3]) == (
        local(day, 0, 10),
        ("partially_shipped", 1, (19, 1)),
    )


def test_the_api_refuses_a_shipment_before_the_order_and_a_date_without_a_time_zone(world, shop, api_client):
    day = timezone.localdate() - timedelta(days=2)
    order = allocated_order(world, shop, local(day, 10))
    before = untouched(order, shop)
    client = api_client(world.operations)
    body = {"warehouse": "HQ", "lines": [{"line_no": 1, "quantity": 2}], "carrier": "顺丰"}
    # when: dated the day before the order, then: 422 on shipped_at
    early = post(
        client,
        f"/api/v1/orders/{order.pk}/shipments",
        body | {"shipped_at": f"{day - timedelta(days=1)}T20:00:00+08:00"},
    )
    assert (early.status_code, early.json()["errors"]) == (
        422,
        [{"field": "shipped_at", "message": f"A shipment cannot leave before its order was placed ({day})."}],
    )
    # when: a date and time without its time zone, then: 422 on shipped_at
    naive = post(client, f"/api/v1/orders/{order.pk}/shipments", body | {"shipped_at": f"{day}T20:00:00"})
    assert (naive.status_code, naive.json()["errors"]) == (
        422,
        [{"field": "shipped_at", "message": "Enter a date and time with its time zone (ISO 8601)."}],
    )
    assert untouched(order, shop) == before
    # when: later the same day as the order, then: shipped
    shipped = post(client, f"/api/v1/orders/{order.pk}/shipments", body | {"shipped_at": f"{day}T20:00:00+08:00"})
    assert (shipped.status_code, untouched(order, shop)[:3]) == (201, ("shipped", 1, (18, 0)))


def test_the_erp_import_refuses_a_shipment_before_its_order_and_writes_nothing(world, shop, api_client):
    day = timezone.localdate() - timedelta(days=2)
    first = allocated_order(world, shop, local(day, 9))
    second = allocated_order(world, shop, local(day, 9))
    before = (untouched(first, shop), untouched(second, shop))

    def row(order, external_id, shipped_at):
        return {
            "order": order.number,
            "new_shipment": {
                "external_id": external_id,
                "warehouse": "HQ",
                "lines": [{"line_no": 1, "quantity": 2}],
                "shipped_at": shipped_at,
            },
        }

    # when: a batch whose second row is dated two days before its order
    batch = {
        "rows": [
            row(first, "DN-1", f"{day}T15:00:00+08:00"),
            row(second, "DN-2", f"{day - timedelta(days=2)}T15:00:00+08:00"),
        ]
    }
    refused = post(api_client(world.operations), "/api/v1/tracking/bulk", batch)
    # then: 422 on that row's date, and nothing of the batch written
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "rows.1.new_shipment.shipped_at",
            "message": f"A shipment cannot leave before its order was placed ({day}).",
        }
    ]
    assert (untouched(first, shop), untouched(second, shop)) == before
    # when: the row is dated right, then: both ship
    batch["rows"][1] = row(second, "DN-2", f"{day}T16:00:00+08:00")
    accepted = post(api_client(world.operations), "/api/v1/tracking/bulk", batch)
    assert (accepted.status_code, accepted.json()["shipments_created"]) == (200, 2)
