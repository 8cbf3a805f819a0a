"""Quarantine: units received into a level's quarantine are not on hand and never available; they
are released to on hand or scrapped, each movement an entry of the ledger; bad input changes
nothing. Services, the API and the HQ pages."""

from __future__ import annotations

import json

import pytest

from qudao.core.errors import FieldErrors
from qudao.inventory import services
from qudao.inventory.models import StockEntry, StockLevel

from .conftest import assert_ledger_matches_levels

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved", "quarantined", "safety_stock")),
        StockEntry.objects.count(),
    )


def _figures(level):
    level.refresh_from_db()
    return (level.on_hand, level.reserved, level.quarantined, level.available)


@pytest.fixture
def quarantined(stock, world):
    """HOOD-1-S at HQ: 10 on hand, 2 reserved (SO-1), 3 in quarantine (RMA-1); safety stock 8."""
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 10)], reference="PO-1")
    services.reserve_stock(reference="SO-1", lines=[(hood, 2)], warehouse_ids=[hq])
    services.quarantine_stock(
        warehouse_id=hq, lines=[(hood, 3)], reference="RMA-1", note="外壳破损", actor=world.operations
    )
    services.set_safety_stock(warehouse_id=hq, sku_id=hood, safety_stock=8)
    return stock


# --- services ------------------------------------------------------------------------------------


def test_it_keeps_quarantined_units_out_of_on_hand_and_available(quarantined, world):
    # given
    level = quarantined.level("hood_s", "hq")
    hood = quarantined.sku("hood_s").pk
    # then: 10 on hand, 2 reserved, 3 quarantined, 8 available (quarantine is not counted)
    assert _figures(level) == (10, 2, 3, 8)
    assert services.available([hood]) == {hood: 8}
    assert services.stock_summary([hood])[hood] == {"available": 8, "safety_stock": 8, "band": "low"}
    entry = StockEntry.objects.get(reference="RMA-1")
    assert (
        entry.kind,
        entry.on_hand_delta,
        entry.reserved_delta,
        entry.quarantined_delta,
        entry.on_hand_after,
        entry.reserved_after,
        entry.quarantined_after,
        entry.note,
        entry.actor,
    ) == ("quarantine", 0, 0, 3, 10, 2, 3, "外壳破损", world.operations)
    # when: a reservation asks for more than is available
    with pytest.raises(FieldErrors) as error:
        services.reserve_stock(reference="SO-2", lines=[(hood, 9)])
    # then: the quarantined units are never promised
    assert error.value.errors == {"lines.0.quantity": ["Only 8 available."]}
    assert_ledger_matches_levels()


def test_it_releases_quarantined_units_to_on_hand_and_scraps_others(quarantined, world):
    # given
    level = quarantined.level("hood_s", "hq")
    ids = {"warehouse_id": level.warehouse_id, "sku_id": level.sku_id}
    # when: 2 are checked and released, then the last one is scrapped
    released = services.release_quarantine(**ids, quantity=2, note="检查完好", actor=world.operations)
    # then: on hand and available +2, quarantined -2; no longer low (10 > 8)
    assert _figures(level) == (12, 2, 1, 10)
    assert services.low_stock().filter(pk=level.pk).exists() is False
    # when
    scrapped = services.scrap_quarantine(**ids, quantity="1", note="无法维修", actor=world.operations)
    # then: written off; on hand and available unchanged
    assert _figures(level) == (12, 2, 0, 10)
    assert [
        (e.kind, e.on_hand_delta, e.quarantined_delta, e.on_hand_after, e.quarantined_after, e.note, e.actor)
        for e in (released, scrapped)
    ] == [
        ("unquarantine", 2, -2, 12, 1, "检查完好", world.operations),
        ("scrap", 0, -1, 12, 0, "无法维修", world.operations),
    ]
    assert [e.get_kind_display() for e in (released, scrapped)] == [
        "Released from quarantine",
        "Scrapped from quarantine",
    ]
    assert_ledger_matches_levels()


def test_bad_releases_and_scraps_change_nothing(quarantined, world):
    # given
    level = quarantined.level("hood_s", "hq")
    ids = {"warehouse_id": level.warehouse_id, "sku_id": level.sku_id}
    before = _snapshot()
    # when / then: more than quarantined, zero, not whole, a scrap without its reason
    for quantity in (4, 0, "1.5", True, "x"):
        with pytest.raises(FieldErrors) as error:
            services.release_quarantine(**ids, quantity=quantity, note="", actor=world.operations)
        assert error.value.errors == {"quantity": ["Enter a whole number from 1 to 3 (the units in quarantine)."]}
    with pytest.raises(FieldErrors) as error:
        services.scrap_quarantine(**ids, quantity=5, note="  ", actor=world.operations)
    assert error.value.errors == {
        "quantity": ["Enter a whole number from 1 to 3 (the units in quarantine)."],
        "note": ["Say why the units are scrapped."],
    }
    # when / then: nothing in quarantine here; an unknown SKU or warehouse
    east = quarantined.warehouses["east"].pk
    with pytest.raises(FieldErrors) as error:
        services.scrap_quarantine(warehouse_id=east, sku_id=level.sku_id, quantity=1, note="x")
    assert error.value.errors == {"quantity": ["No units are in quarantine here."]}
    with pytest.raises(FieldErrors) as error:
        services.release_quarantine(warehouse_id=999999, sku_id=999999, quantity=1)
    assert error.value.errors == {"sku": ["Unknown SKU."], "warehouse": ["Unknown warehouse."]}
    # then
    assert _snapshot() == before


def test_erp_counts_set_on_hand_and_leave_the_quarantine_alone(quarantined, world):
    # given
    level = quarantined.level("hood_s", "hq")
    # when: the ERP says 7 on hand
    services.sync_stock(rows=[{"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 7, "erp_version": 1}])
    # then
    assert _figures(level) == (7, 2, 3, 5)
    assert_ledger_matches_levels()


def test_a_return_receives_sellable_and_quarantined_units_in_one_go(stock, world):
    # given
    hood, fridge, hq = stock.sku("hood_s").pk, stock.sku("fridge_w").pk, stock.warehouses["hq"].pk
    # when: 2 hoods sellable, 1 hood and 1 fridge into quarantine
    entries = services.return_stock(
        warehouse_id=hq, lines=[(hood, 2)], quarantined=[(hood, 1), (fridge, 1)], reference="RMA-9"
    )
    # then
    assert [(e.kind, e.sku_id, e.on_hand_delta, e.quarantined_delta) for e in entries] == [
        ("return", hood, 2, 0),
        ("quarantine", hood, 0, 1),
        ("quarantine", fridge, 0, 1),
    ]
    assert _figures(stock.level("hood_s", "hq")) == (2, 0, 1, 2)
    assert _figures(stock.level("fridge_w", "hq")) == (0, 0, 1, 0)
    # when: a bad quarantined line
    before = _snapshot()
    with pytest.raises(FieldErrors) as error:
        services.return_stock(warehouse_id=hq, lines=[], quarantined=[(hood, 0)], reference="RMA-10")
    # then
    assert error.value.errors == {"quarantined.0.quantity": ["Enter a whole number of at least 1."]}
    assert _snapshot() == before


# --- API -----------------------------------------------------------------------------------------


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_api_releases_and_scraps_quarantined_units(quarantined, world, api_client):
    # given
    level = quarantined.level("hood_s", "hq")
    ops = api_client(world.operations)
    base = f"/api/v1/inventory/stock/{level.pk}/quarantine"
    # when
    listed = ops.get("/api/v1/inventory/stock", {"warehouse": "HQ", "sku": "HOOD-1-S"})
    released = _post(ops, f"{base}/release", {"quantity": 1, "note": "检查完好"})
    scrapped = _post(ops, f"{base}/scrap", {"quantity": 1, "note": "报废"})
    # then
    assert listed.json()["items"][0]["quarantined"] == 3
    assert released.status_code == 200, released.content
    body = released.json()
    assert (body["id"], body["on_hand"], body["reserved"], body["available"], body["quarantined"]) == (
        level.pk,
        11,
        2,
        9,
        2,
    )
    assert scrapped.status_code == 200
    assert (scrapped.json()["on_hand"], scrapped.json()["quarantined"]) == (11, 1)
    entries = ops.get("/api/v1/inventory/entries", {"kind": "scrap"}).json()["items"]
    assert [
        (e["kind"], e["on_hand_delta"], e["quarantined_delta"], e["quarantined_after"], e["note"]) for e in entries
    ] == [("scrap", 0, -1, 1, "报废")]
    # when: too many, a scrap without reason, an unknown field, an unknown level
    before = _snapshot()
    too_many = _post(ops, f"{base}/release", {"quantity": 2})
    no_reason = _post(ops, f"{base}/scrap", {"quantity": 1})
    unknown_field = _post(ops, f"{base}/release", {"quantity": 1, "warehouse": "HQ"})
    missing = _post(ops, "/api/v1/inventory/stock/999999/quarantine/release", {"quantity": 1})
    # then
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == [
        {"field": "quantity", "message": "Enter a whole number from 1 to 1 (the units in quarantine)."}
    ]
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"] == [{"field": "note", "message": "Say why the units are scrapped."}]
    assert unknown_field.status_code == 422
    assert missing.status_code == 404
    # and: readers and partner users may not
    assert _post(api_client(world.sales), f"{base}/release", {"quantity": 1}).status_code == 403
    assert _post(api_client(world.dist_admin), f"{base}/scrap", {"quantity": 1, "note": "x"}).status_code == 403
    assert _snapshot() == before


# --- pages ---------------------------------------------------------------------------------------


def test_managers_release_and_scrap_quarantined_units_on_the_level_page(quarantined, world, page_client):
    # given
    level = quarantined.level("hood_s", "hq")
    client = page_client(world.operations)
    url = f"/inventory/stock/{level.pk}/"
    # when
    listing = client.get("/inventory/", {"q": "HOOD-1-S"}).content.decode()
    page = client.get(url).content.decode()
    # then: the quarantined column links to the level's forms
    link = f'<a href="/inventory/stock/{level.pk}/#quarantine-release">3</a>'
    assert f'<td class="num" data-testid="quarantined">{link}</td>' in listing
    assert 'data-testid="form-release"' in page and 'data-testid="form-scrap"' in page
    # when
    released = client.post(url, {"action": "release", "release-quantity": "2", "release-note": "检查完好"})
    refused = client.post(url, {"action": "scrap", "scrap-quantity": "2", "scrap-note": ""})
    scrapped = client.post(url, {"action": "scrap", "scrap-quantity": "1", "scrap-note": "无法维修"})
    # then
    assert [r.status_code for r in (released, refused, scrapped)] == [302, 422, 302]
    html = refused.content.decode()
    assert "Enter a whole number from 1 to 1 (the units in quarantine)." in html
    assert "Say why the units are scrapped." in html
    assert _figures(level) == (12, 2, 0, 10)
    assert list(
        StockEntry.objects.filter(sku=level.sku, warehouse=level.warehouse).values_list(
            "kind", "on_hand_delta", "quarantined_delta", "note"
        )[:2]
    ) == [("scrap", 0, -1, "无法维修"), ("unquarantine", 2, -2, "检查完好")]
    # and: with nothing left in quarantine the forms are gone; readers never see them and may not post
    assert 'data-testid="form-release"' not in client.get(url).content.decode()
    reader = page_client(world.finance)
    assert 'data-testid="form-release"' not in reader.get(url).content.decode()
    assert reader.post(url, {"action": "release", "release-quantity": "1"}).status_code == 403
