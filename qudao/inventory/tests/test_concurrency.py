"""Stock under real concurrency on PostgreSQL: many reservations of the last units at once never
promise more than exists, never go negative and never deadlock (skipped on SQLite, whose writers
are serialised by the IMMEDIATE transaction mode anyway)."""

from __future__ import annotations

import pytest

from qudao.core.errors import FieldErrors
from qudao.inventory import services
from qudao.inventory.models import StockEntry
from qudao.partners.tests.test_concurrency import run_concurrently

from .conftest import assert_ledger_matches_levels, build_stock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
]


def test_fifty_reservations_for_the_last_ten_units_promise_exactly_ten(world):
    # given: the last 10 hoods, 6 at HQ and 4 at EAST
    stock = build_stock()
    hood = stock.sku("hood_s").pk
    services.receive_stock(warehouse_id=stock.warehouses["hq"].pk, lines=[(hood, 6)])
    services.receive_stock(warehouse_id=stock.warehouses["east"].pk, lines=[(hood, 4)])
    # when: 50 orders of one unit each arrive at the same moment
    results = run_concurrently(50, lambda i: services.reserve_stock(reference=f"SO-{i:03d}", lines=[(hood, 1)]))
    # then: exactly 10 are reserved, the 40 others are told nothing is left
    oks = [value for status, value in results if status == "ok"]
    refused = [value for status, value in results if status == "error"]
    assert (len(oks), len(refused)) == (10, 40)
    assert all(isinstance(error, FieldErrors) for error in refused), refused
    assert {str(error.errors["lines.0.quantity"][0]) for error in refused} == {"Only 0 available."}
    assert [stock.counters("hood_s", w) for w in ("hq", "east")] == [(6, 6), (4, 4)]
    assert services.available([hood]) == {hood: 0}
    assert StockEntry.objects.filter(kind="reserve").count() == 10
    assert len({entry.reference for entries in oks for entry in entries}) == 10
    assert_ledger_matches_levels()


def test_reservations_of_two_skus_in_opposite_orders_never_deadlock(world):
    # given: 12 of each of two SKUs, in two warehouses
    stock = build_stock()
    hood, fridge = stock.sku("hood_s").pk, stock.sku("fridge_w").pk
    for warehouse in ("hq", "east"):
        services.receive_stock(warehouse_id=stock.warehouses[warehouse].pk, lines=[(hood, 6), (fridge, 6)])

    def reserve(index):
        lines = [(hood, 1), (fridge, 1)] if index % 2 else [(fridge, 1), (hood, 1)]
        return services.reserve_stock(reference=f"SO-{index:03d}", lines=lines)

    # when: 30 orders, half naming the SKUs in one order and half in the other
    results = run_concurrently(30, reserve)
    # then: no deadlock; 12 orders get both units, 18 are refused whole
    errors = [value for status, value in results if status == "error"]
    assert all(isinstance(error, FieldErrors) for error in errors), errors
    assert len(errors) == 18
    assert [stock.counters(key, w) for key in ("hood_s", "fridge_w") for w in ("hq", "east")] == [(6, 6)] * 4
    assert StockEntry.objects.filter(kind="reserve").values("reference").distinct().count() == 12
    assert_ledger_matches_levels()


def test_releases_and_shipments_racing_release_each_reservation_once(world):
    # given: 10 orders each holding 1 hood
    stock = build_stock()
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 10)])
    for index in range(10):
        services.reserve_stock(reference=f"SO-{index}", lines=[(hood, 1)])

    # when: each order is released twice at once, while new orders reserve
    def act(index):
        if index < 20:
            return services.release_stock(reference=f"SO-{index % 10}")
        return services.reserve_stock(reference=f"NEW-{index}", lines=[(hood, 1)])

    results = run_concurrently(30, act)
    # then: each reservation was released exactly once; stock is consistent
    assert [status for status, _value in results[:20]] == ["ok"] * 20
    assert StockEntry.objects.filter(kind="release").count() == 10
    new = sum(1 for status, _value in results[20:] if status == "ok")
    assert stock.counters("hood_s", "hq") == (10, new)
    assert_ledger_matches_levels()


def test_concurrent_erp_updates_end_at_the_newest_version(world):
    # given: one level, and ten versions of its count sent at once (out of order)
    stock = build_stock()
    hood = stock.sku("hood_s").pk
    services.receive_stock(warehouse_id=stock.warehouses["hq"].pk, lines=[(hood, 5)])

    def send(index):
        version = 10 - index  # the newest may arrive first
        return services.sync_stock(
            rows=[{"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 100 + version, "erp_version": version}]
        )

    # when
    results = run_concurrently(10, send)
    # then: whatever the order, the level ends at version 10's count; older ones were refused or applied
    # before it, never after
    level = stock.level("hood_s", "hq")
    assert (level.on_hand, level.erp_version) == (110, 10)
    refused = [value for status, value in results if status == "error"]
    assert all(isinstance(error, FieldErrors) and error.code == "stale" for error in refused), refused
    assert_ledger_matches_levels()


def test_releases_and_scraps_of_the_last_quarantined_units_take_each_unit_once(world):
    # given: 3 hoods in quarantine at HQ
    stock = build_stock()
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.quarantine_stock(warehouse_id=hq, lines=[(hood, 3)], reference="RMA-1")

    def leave(index):
        move = services.release_quarantine if index % 2 else services.scrap_quarantine
        return move(warehouse_id=hq, sku_id=hood, quantity=1, note=f"#{index}")

    # when: 8 operators release or scrap one unit each at the same moment
    results = run_concurrently(8, leave)
    # then: exactly 3 succeed; quarantine never goes negative
    oks = [value for status, value in results if status == "ok"]
    errors = [value for status, value in results if status == "error"]
    assert all(isinstance(error, FieldErrors) for error in errors), errors
    assert (len(oks), len(errors)) == (3, 5)
    level = stock.level("hood_s", "hq")
    released = sum(1 for entry in oks if entry.kind == "unquarantine")
    assert (level.on_hand, level.quarantined) == (released, 0)
    assert_ledger_matches_levels()
