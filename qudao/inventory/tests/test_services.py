"""Stock services: every rule with exact figures; bad input changes nothing; the counters always
equal the ledger."""

from __future__ import annotations

import pytest

from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import Notification
from qudao.inventory import services
from qudao.inventory.models import StockEntry, StockLevel

from .conftest import assert_ledger_matches_levels

pytestmark = pytest.mark.django_db


def _receive(stock, warehouse, **quantities):
    return services.receive_stock(
        warehouse_id=stock.warehouses[warehouse].pk,
        lines=[(stock.sku(key).pk, qty) for key, qty in quantities.items()],
        reference="PO-1",
    )


def _snapshot():
    return (
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved", "safety_stock", "erp_version")),
        StockEntry.objects.count(),
    )


def test_it_receives_reserves_across_warehouses_ships_and_releases(stock, world):
    # given: HOOD-1-S 4 at HQ and 10 at EAST; FRIDGE 3 at HQ
    _receive(stock, "hq", hood_s=4, fridge_w=3)
    _receive(stock, "east", hood_s=10)
    hood, fridge = stock.sku("hood_s").pk, stock.sku("fridge_w").pk
    # when: SO-1 reserves 6 hoods (HQ first, then EAST) and 2 fridges
    entries = services.reserve_stock(reference="SO-1", lines=[(hood, 6), (fridge, 2)], actor=world.operations)
    # then
    assert [(e.kind, e.sku_id, e.warehouse.code, e.reserved_delta, e.reserved_after) for e in entries] == [
        ("reserve", hood, "HQ", 4, 4),
        ("reserve", hood, "EAST", 2, 2),
        ("reserve", fridge, "HQ", 2, 2),
    ]
    assert stock.counters("hood_s", "hq") == (4, 4)
    assert stock.counters("hood_s", "east") == (10, 2)
    assert services.available([hood, fridge, stock.sku("hood_b").pk]) == {hood: 8, fridge: 1, stock.sku("hood_b").pk: 0}
    assert services.held_by("SO-1") == {
        (hood, stock.warehouses["hq"].pk): 4,
        (hood, stock.warehouses["east"].pk): 2,
        (fridge, stock.warehouses["hq"].pk): 2,
    }
    # when: 3 hoods ship from HQ
    services.ship_stock(reference="SO-1", lines=[(hood, stock.warehouses["hq"].pk, 3)], actor=world.operations)
    # then
    assert stock.counters("hood_s", "hq") == (1, 1)
    # when: the rest is released, twice
    released = services.release_stock(reference="SO-1")
    again = services.release_stock(reference="SO-1")
    # then: released once, exactly what was still held
    assert sorted((e.sku_id, e.warehouse.code, e.reserved_delta) for e in released) == sorted(
        [(hood, "HQ", -1), (hood, "EAST", -2), (fridge, "HQ", -2)]
    )
    assert again == []
    assert [stock.counters("hood_s", w) for w in ("hq", "east")] == [(1, 0), (10, 0)]
    assert stock.counters("fridge_w", "hq") == (3, 0)
    assert services.held_by("SO-1") == {}
    assert StockEntry.objects.get(kind="shipment").on_hand_delta == -3
    assert StockEntry.objects.filter(kind="reserve").first().actor == world.operations
    assert_ledger_matches_levels()


def test_it_refuses_to_reserve_more_than_available_and_changes_nothing(stock):
    # given: 5 hoods at HQ, 2 at EAST, 9 at SOUTH (which does not ship to partners)
    _receive(stock, "hq", hood_s=5, hood_b=1)
    _receive(stock, "east", hood_s=2)
    _receive(stock, "south", hood_s=9)
    services.reserve_stock(reference="SO-0", lines=[(stock.sku("hood_s").pk, 3)])
    before = _snapshot()
    # when: 5 hoods (only 4 left in shipping warehouses) and 1 black hood
    with pytest.raises(FieldErrors) as error:
        services.reserve_stock(reference="SO-1", lines=[(stock.sku("hood_b").pk, 1), (stock.sku("hood_s").pk, 5)])
    # then
    assert error.value.errors == {"lines.1.quantity": ["Only 4 available."]}
    assert _snapshot() == before
    # and: the same SKU twice in one order counts once against the stock
    with pytest.raises(FieldErrors) as error:
        services.reserve_stock(reference="SO-2", lines=[(stock.sku("hood_s").pk, 3), (stock.sku("hood_s").pk, 2)])
    assert error.value.errors == {"lines.1.quantity": ["Only 1 available."]}
    # and: naming SOUTH explicitly fills from it
    entries = services.reserve_stock(
        reference="SO-3", lines=[(stock.sku("hood_s").pk, 6)], warehouse_ids=[stock.warehouses["south"].pk]
    )
    assert [(e.warehouse.code, e.reserved_delta) for e in entries] == [("SOUTH", 6)]


def test_it_reserves_what_there_is_when_backorders_are_allowed(stock):
    # given
    _receive(stock, "east", hood_s=2)
    # when
    entries = services.reserve_stock(reference="SO-9", lines=[(stock.sku("hood_s").pk, 5)], allow_backorder=True)
    # then: 2 reserved, the other 3 are not held
    assert [(e.warehouse.code, e.reserved_delta) for e in entries] == [("EAST", 2)]
    assert stock.counters("hood_s", "east") == (2, 2)


def test_a_reference_holding_stock_cannot_reserve_again_until_released(stock):
    # given
    _receive(stock, "hq", hood_s=10)
    hood = stock.sku("hood_s").pk
    services.reserve_stock(reference="SO-1", lines=[(hood, 2)])
    # when / then
    with pytest.raises(Conflict) as error:
        services.reserve_stock(reference="SO-1", lines=[(hood, 1)])
    assert str(error.value.detail) == "Stock is already reserved for SO-1."
    assert stock.counters("hood_s", "hq") == (10, 2)
    # when: released, the order may reserve again (a changed order)
    services.release_stock(reference="SO-1")
    services.reserve_stock(reference="SO-1", lines=[(hood, 3)])
    assert stock.counters("hood_s", "hq") == (10, 3)
    assert_ledger_matches_levels()


def test_shipping_more_than_the_reference_holds_is_refused(stock):
    # given
    _receive(stock, "hq", hood_s=10)
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.reserve_stock(reference="SO-1", lines=[(hood, 2)])
    services.reserve_stock(reference="SO-2", lines=[(hood, 5)])
    before = _snapshot()
    # when / then
    with pytest.raises(FieldErrors) as error:
        services.ship_stock(reference="SO-1", lines=[(hood, hq, 1), (hood, hq, 2)])
    assert error.value.errors == {"lines.1.quantity": ["Only 1 reserved for SO-1 in this warehouse."]}
    with pytest.raises(FieldErrors) as error:
        services.ship_stock(reference="SO-1", lines=[(hood, stock.warehouses["east"].pk, 1)])
    assert error.value.errors == {"lines.0.quantity": ["Only 0 reserved for SO-1 in this warehouse."]}
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("lines", "errors"),
    [
        ([], {"lines": ["Give at least one line."]}),
        ([(1,)], {"lines.0": ["Give a SKU and a quantity."]}),
        ([("hood", 0)], {"lines.0.quantity": ["Enter a whole number of at least 1."]}),
        ([("hood", -3)], {"lines.0.quantity": ["Enter a whole number of at least 1."]}),
        ([("hood", True)], {"lines.0.quantity": ["Enter a whole number of at least 1."]}),
        ([("hood", 1.5)], {"lines.0.quantity": ["Enter a whole number of at least 1."]}),
        ([(999999, 1)], {"lines.0.sku": ["Unknown SKU."]}),
    ],
)
def test_bad_reservations_are_refused_with_the_field(stock, lines, errors):
    # given
    _receive(stock, "hq", hood_s=10)
    lines = [tuple(stock.sku("hood_s").pk if v == "hood" else v for v in line) for line in lines]
    before = _snapshot()
    # when / then
    with pytest.raises(FieldErrors) as error:
        services.reserve_stock(reference="SO-1", lines=lines)
    assert error.value.errors == errors
    assert _snapshot() == before


def test_reference_and_warehouses_are_checked(stock):
    # given
    _receive(stock, "hq", hood_s=10)
    stock.warehouses["east"].active = False
    stock.warehouses["east"].save()
    line = [(stock.sku("hood_s").pk, 1)]
    # when / then
    with pytest.raises(FieldErrors) as error:
        services.reserve_stock(reference="  ", lines=line, warehouse_ids=[stock.warehouses["east"].pk])
    assert error.value.errors == {
        "reference": ["Give the reference (an order number)."],
        "warehouse_ids": ["Name active warehouses."],
    }
    assert StockEntry.objects.filter(kind="reserve").count() == 0


def test_adjustments_need_a_reason_and_never_go_below_reserved(stock, world):
    # given
    _receive(stock, "hq", hood_s=5)
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.reserve_stock(reference="SO-1", lines=[(hood, 4)])
    before = _snapshot()
    # when / then
    with pytest.raises(FieldErrors) as error:
        services.adjust_stock(warehouse_id=hq, sku_id=hood, delta=0, reason="")
    assert error.value.errors == {
        "delta": ["Enter a whole number other than 0 (negative to take stock off)."],
        "reason": ["Give the reason for the adjustment."],
    }
    with pytest.raises(FieldErrors) as error:
        services.adjust_stock(warehouse_id=hq, sku_id=hood, delta=-2, reason="盘亏")
    assert error.value.errors == {"delta": ["On hand would be 3, below the 4 units reserved."]}
    assert _snapshot() == before
    # when
    entry = services.adjust_stock(warehouse_id=hq, sku_id=hood, delta="-1", reason="盘亏 1 台", actor=world.operations)
    # then
    assert (entry.kind, entry.on_hand_delta, entry.on_hand_after, entry.note) == ("adjustment", -1, 4, "盘亏 1 台")
    assert stock.counters("hood_s", "hq") == (4, 4)
    assert_ledger_matches_levels()


def test_a_reservation_taking_a_level_to_its_safety_stock_alerts_operations(stock, world):
    # given: 10 hoods at HQ, safety stock 3
    _receive(stock, "hq", hood_s=10)
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    level = services.set_safety_stock(warehouse_id=hq, sku_id=hood, safety_stock=3)
    assert level.safety_stock == 3
    # when: 6 reserved (4 left: above), then 1 more (3 left: at the safety stock), then 1 more
    services.reserve_stock(reference="SO-1", lines=[(hood, 6)])
    assert Notification.objects.filter(kind="inventory.low_stock").count() == 0
    services.reserve_stock(reference="SO-2", lines=[(hood, 1)])
    services.reserve_stock(reference="SO-3", lines=[(hood, 1)])
    # then: operations (only) was told once, when the level crossed
    alerts = Notification.objects.filter(kind="inventory.low_stock")
    assert [(n.user.username, n.title, n.body, n.url) for n in alerts] == [
        (
            "operations",
            "Low stock: HOOD-1-S in 总仓",
            "3 available; the safety stock is 3.",
            "/inventory/?low=1&q=HOOD-1-S",
        )
    ]
    assert [(lv.sku.code, lv.warehouse.code, lv.available) for lv in services.low_stock()] == [("HOOD-1-S", "HQ", 2)]
    with pytest.raises(FieldErrors) as error:
        services.set_safety_stock(warehouse_id=hq, sku_id=hood, safety_stock=-1)
    assert error.value.errors == {"safety_stock": ["Enter a whole number of 0 or more."]}


def test_availability_is_shown_as_bands_or_exact_numbers(settings):
    # bands
    assert [services.availability_band(q, 5) for q in (0, -1, 3, 5, 6)] == ["out", "out", "low", "low", "in_stock"]
    assert services.availability_band(1, 0) == "in_stock"
    # the brand's setting decides what partners see
    settings.STOCK_DISPLAY = "bands"
    assert services.availability_display(12, 5) == {
        "mode": "bands",
        "band": "in_stock",
        "label": "In stock",
        "quantity": None,
    }
    assert services.availability_display(0, 5)["label"] == "Out of stock"
    settings.STOCK_DISPLAY = "exact"
    assert services.availability_display(4, 5) == {"mode": "exact", "band": "low", "label": "4", "quantity": 4}


def test_erp_updates_apply_newer_versions_replay_the_same_and_refuse_stale_ones(stock, world):
    # given
    hood, fridge = stock.sku("hood_s").pk, stock.sku("fridge_w").pk
    first = services.sync_stock(
        rows=[
            {"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 20, "erp_version": 5},
            {"warehouse": "EAST", "sku": "FRIDGE-1-W", "on_hand": 7, "erp_version": "2026-11-27T08:00:00Z"},
        ],
        reference="ERP-B1",
        actor=world.admin,
    )
    assert [(r["row"], r["status"], r["delta"]) for r in first] == [(0, "updated", 20), (1, "updated", 7)]
    services.reserve_stock(reference="SO-1", lines=[(hood, 15)])
    # when: the same batch again (a retry)
    replay = services.sync_stock(
        rows=[
            {"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 20, "erp_version": 5},
            {"warehouse": "EAST", "sku": "FRIDGE-1-W", "on_hand": 7, "erp_version": "2026-11-27T16:00:00+08:00"},
        ]
    )
    # then: nothing changes
    assert [r["status"] for r in replay] == ["unchanged", "unchanged"]
    assert StockEntry.objects.filter(kind="erp_sync").count() == 2
    before = _snapshot()
    # when: a batch with one newer row and one stale row, and one below what is reserved
    with pytest.raises(FieldErrors) as error:
        services.sync_stock(
            rows=[
                {"warehouse": "EAST", "sku": "FRIDGE-1-W", "on_hand": 9, "erp_version": "2026-11-27T09:00:00Z"},
                {"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 18, "erp_version": 4},
            ]
        )
    # then: the whole batch is refused, the stale row named
    assert error.value.code == "stale"
    assert error.value.errors == {"rows.1.erp_version": ["Stale: version 4 is not newer than the stored version 5."]}
    assert _snapshot() == before
    with pytest.raises(FieldErrors) as error:
        services.sync_stock(rows=[{"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 14, "erp_version": 6}])
    assert error.value.errors == {"rows.0.on_hand": ["15 units are reserved here; on hand cannot be less."]}
    assert _snapshot() == before
    # when: a newer version lowers on hand
    (result,) = services.sync_stock(rows=[{"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 16, "erp_version": 6}])
    # then
    assert (result["status"], result["delta"]) == ("updated", -4)
    level = stock.level("hood_s", "hq")
    assert (level.on_hand, level.reserved, level.erp_version) == (16, 15, 6)
    assert stock.counters("fridge_w", "east") == (7, 0)
    assert_ledger_matches_levels()
    assert fridge


def test_bad_erp_rows_are_all_reported_and_nothing_changes(stock):
    # given
    before = _snapshot()
    # when / then
    with pytest.raises(FieldErrors) as error:
        services.sync_stock(
            rows=[
                {"warehouse": "NOPE", "sku": "HOOD-1-S", "on_hand": 1, "erp_version": 1},
                {"warehouse": "HQ", "sku": "NOPE", "on_hand": -1, "erp_version": "yesterday"},
                {"warehouse": "HQ", "sku": "HOOD-1-B", "on_hand": "3", "erp_version": "2026-11-27T08:00:00"},
                {"warehouse": "HQ", "sku": "HOOD-1-B", "on_hand": 2.5, "erp_version": 2},
            ]
        )
    assert error.value.errors == {
        "rows.0.warehouse": ["Unknown warehouse code."],
        "rows.1.sku": ["Unknown SKU code."],
        "rows.1.on_hand": ["Enter a whole number of 0 or more."],
        "rows.1.erp_version": ["Give the ERP's version: a whole number or an ISO 8601 time stamp with its time zone."],
        "rows.2.erp_version": ["Give the ERP's version: a whole number or an ISO 8601 time stamp with its time zone."],
        "rows.3.on_hand": ["Enter a whole number of 0 or more."],
        "rows.3.sku": ["This SKU and warehouse are also in row 2."],
    }
    with pytest.raises(FieldErrors) as error:
        services.sync_stock(rows=[])
    assert error.value.errors == {"rows": ["Give at least one row."]}
    assert _snapshot() == before


def test_movements_take_the_same_number_of_queries_for_two_lines_or_forty(stock, django_assert_num_queries):
    # given: 40 SKUs with stock in two warehouses
    from qudao.catalog import services as catalog_services

    product = stock.catalog.products["fridge"]
    skus = [stock.sku("fridge_w").pk] + [
        catalog_services.create_sku(data={"product": product, "code": f"FRIDGE-1-{n:02d}", "name": f"冰箱 {n}"}).pk
        for n in range(39)
    ]
    for warehouse in ("hq", "east"):
        services.receive_stock(warehouse_id=stock.warehouses[warehouse].pk, lines=[(pk, 3) for pk in skus])

    def reserve(reference, count):
        services.reserve_stock(reference=reference, lines=[(pk, 1) for pk in skus[:count]])

    # when / then: SKUs, warehouses, savepoint, the lock, what the reference holds, one UPDATE, one
    # INSERT, release savepoint
    with django_assert_num_queries(8):
        reserve("SO-2", 2)
    with django_assert_num_queries(8):
        reserve("SO-40", 40)
    with django_assert_num_queries(7):
        services.release_stock(reference="SO-40")
    # and: levels running out together raise one alert (operations users, names, one INSERT)
    with django_assert_num_queries(11):
        services.reserve_stock(
            reference="SO-ALL", lines=[(pk, 3) for pk in skus[2:]], warehouse_ids=[stock.warehouses["hq"].pk]
        )
    (alert,) = Notification.objects.filter(kind="inventory.low_stock")
    assert alert.title == "Low stock: 38 SKUs at or below their safety stock"
    assert alert.body.splitlines()[:2] == ["Available / safety stock:", "FRIDGE-1-01 @ 总仓: 0 / 0"]
    assert_ledger_matches_levels()
