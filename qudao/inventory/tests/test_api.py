"""The inventory API: warehouses, stock, the ERP's bulk update and the ledger - exact status codes,
problem details and figures; partner users are refused."""

from __future__ import annotations

import json

import pytest

from qudao.inventory import services
from qudao.inventory.models import StockEntry, StockLevel, Warehouse

pytestmark = pytest.mark.django_db


def _post(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_it_lists_creates_and_changes_warehouses(stock, world, api_client):
    # given
    operations = api_client(world.operations)
    # when
    created = _post(
        operations,
        "/api/v1/inventory/warehouses",
        {
            "code": "dist-js",
            "name": "金陵商贸自有仓",
            "kind": "partner",
            "partner": world.dist_js.code,
            "region": "320100",
        },
    )
    # then
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["code"], body["kind"], body["region"], body["partner"]["id"]) == (
        "DIST-JS",
        "partner",
        "320100",
        world.dist_js.pk,
    )
    listed = api_client(world.sales).get("/api/v1/inventory/warehouses?kind=regional")
    assert listed.status_code == 200
    assert [w["code"] for w in listed.json()["items"]] == ["EAST", "SOUTH"]
    changed = _post(operations, f"/api/v1/inventory/warehouses/{body['id']}", {"active": False}, method="patch")
    assert (changed.status_code, changed.json()["active"]) == (200, False)
    assert api_client(world.admin).get(f"/api/v1/inventory/warehouses/{body['id']}").json()["name"] == "金陵商贸自有仓"


def test_bad_warehouses_are_refused_with_every_field(stock, world, api_client):
    # given
    count = Warehouse.objects.count()
    # when
    response = _post(
        api_client(world.admin),
        "/api/v1/inventory/warehouses",
        {"code": "hq", "name": "", "kind": "partner", "region": "999999"},
    )
    # then
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "code", "message": "Another warehouse has this code."},
        {"field": "name", "message": "This field is required."},
        {"field": "region", "message": "Unknown region code."},
        {"field": "partner", "message": "A partner warehouse names its partner."},
    ]
    assert Warehouse.objects.count() == count
    # and: HQ users without inventory.manage, and partner users, are refused
    assert _post(api_client(world.sales), "/api/v1/inventory/warehouses", {"code": "X", "name": "X"}).status_code == 403
    assert api_client(world.dist_admin).get("/api/v1/inventory/warehouses").status_code == 403


def test_it_lists_stock_with_filters(stock, world, api_client):
    # given: hoods at HQ (low: 2 available, safety 3) and EAST; fridges at HQ
    hood, fridge, hq = stock.sku("hood_s").pk, stock.sku("fridge_w").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 5), (fridge, 8)])
    services.receive_stock(warehouse_id=stock.warehouses["east"].pk, lines=[(hood, 9)])
    services.set_safety_stock(warehouse_id=hq, sku_id=hood, safety_stock=3)
    services.reserve_stock(reference="SO-1", lines=[(hood, 3)], warehouse_ids=[hq])
    client = api_client(world.finance)
    # when
    everything = client.get("/api/v1/inventory/stock").json()
    low = client.get("/api/v1/inventory/stock?low=true").json()
    one = client.get("/api/v1/inventory/stock?sku=HOOD-1-S&warehouse=EAST").json()
    paged = client.get("/api/v1/inventory/stock?limit=1&offset=1").json()
    # then
    assert everything["count"] == 3
    assert [(i["sku"]["code"], i["warehouse"]["code"]) for i in everything["items"]] == [
        ("FRIDGE-1-W", "HQ"),
        ("HOOD-1-S", "EAST"),
        ("HOOD-1-S", "HQ"),
    ]
    (item,) = low["items"]
    assert {k: item[k] for k in ("on_hand", "reserved", "available", "safety_stock", "low", "band")} == {
        "on_hand": 5,
        "reserved": 3,
        "available": 2,
        "safety_stock": 3,
        "low": True,
        "band": "low",
    }
    assert [(i["warehouse"]["code"], i["available"]) for i in one["items"]] == [("EAST", 9)]
    assert (paged["count"], [i["warehouse"]["code"] for i in paged["items"]]) == (3, ["EAST"])
    assert api_client(world.dist_admin).get("/api/v1/inventory/stock").status_code == 403
    assert api_client().get("/api/v1/inventory/stock").status_code == 401


def test_the_erp_bulk_update_is_idempotent_and_refuses_stale_batches_whole(stock, world, api_client):
    # given
    erp = api_client(world.operations)
    batch = {
        "reference": "ERP-20261127-01",
        "rows": [
            {"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 12, "erp_version": 101},
            {"warehouse": "EAST", "sku": "HOOD-1-S", "on_hand": 3, "erp_version": "2026-11-27T08:00:00+08:00"},
        ],
    }
    # when
    first = _post(erp, "/api/v1/inventory/stock/bulk", batch)
    again = _post(erp, "/api/v1/inventory/stock/bulk", batch)
    # then
    assert first.status_code == 200, first.content
    assert first.json() == {
        "updated": 2,
        "unchanged": 0,
        "rows": [
            {"row": 0, "warehouse": "HQ", "sku": "HOOD-1-S", "status": "updated", "on_hand": 12, "delta": 12},
            {"row": 1, "warehouse": "EAST", "sku": "HOOD-1-S", "status": "updated", "on_hand": 3, "delta": 3},
        ],
    }
    assert (again.status_code, again.json()["updated"], again.json()["unchanged"]) == (200, 0, 2)
    entries = StockEntry.objects.filter(kind="erp_sync", reference="ERP-20261127-01")
    assert sorted(e.on_hand_delta for e in entries) == [3, 12]
    # when: a newer row and a stale one
    stale = _post(
        erp,
        "/api/v1/inventory/stock/bulk",
        {
            "rows": [
                {"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 10, "erp_version": 102},
                {"warehouse": "EAST", "sku": "HOOD-1-S", "on_hand": 1, "erp_version": "2026-11-27T07:59:59+08:00"},
            ]
        },
    )
    # then: nothing of the batch is written
    assert stale.status_code == 422
    assert stale.json() == {
        "type": "https://qudao.dev/problems/stale",
        "title": "Some fields are not valid.",
        "status": 422,
        "detail": "Nothing was changed: correct the rows and send them again.",
        "code": "stale",
        "errors": [
            {
                "field": "rows.1.erp_version",
                "message": "Stale: version 2026-11-27T07:59:59+08:00 is not newer than the stored version "
                "2026-11-27T00:00:00+00:00.",
            }
        ],
    }
    assert list(StockLevel.objects.order_by("warehouse_id").values_list("on_hand", "erp_version")) == [
        (12, 101),
        (3, 1795737600000000),
    ]
    assert StockEntry.objects.count() == 2


def test_bad_bulk_bodies_are_refused_with_the_row_and_field(stock, world, api_client):
    # given
    erp = api_client(world.admin)
    # when
    response = _post(
        erp,
        "/api/v1/inventory/stock/bulk",
        {"rows": [{"warehouse": "HQ", "sku": "HOOD-1-S", "on_hand": 2.5, "erp_version": 1, "bin": "A1"}]},
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "rows.0.on_hand", "message": "Enter a whole number."},
        {"field": "rows.0.bin", "message": "This field is not accepted here."},
    ]
    negative = _post(
        erp,
        "/api/v1/inventory/stock/bulk",
        {"rows": [{"warehouse": "XX", "sku": "HOOD-1-S", "on_hand": -1, "erp_version": 1}]},
    )
    # a negative count is refused by its type (0 to a billion), before the rows are looked up
    assert negative.json()["errors"] == [
        {"field": "rows.0.on_hand", "message": "Enter a whole number from 0 to 1000000000."},
    ]
    assert _post(api_client(world.sales), "/api/v1/inventory/stock/bulk", {"rows": []}).status_code == 403
    assert StockLevel.objects.count() == 0


def test_it_reads_the_ledger_by_reference_sku_and_warehouse(stock, world, api_client):
    # given
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 5)], reference="PO-7", actor=world.operations)
    services.reserve_stock(reference="SO-1", lines=[(hood, 2)], actor=world.operations)
    services.reserve_stock(reference="SO-2", lines=[(hood, 1)])
    client = api_client(world.channel)
    # when
    by_order = client.get("/api/v1/inventory/entries?reference=SO-1").json()
    by_sku = client.get("/api/v1/inventory/entries?sku=HOOD-1-S&warehouse=HQ").json()
    # then
    (entry,) = by_order["items"]
    assert {k: entry[k] for k in ("kind", "on_hand_delta", "reserved_delta", "on_hand_after", "reserved_after")} == {
        "kind": "reserve",
        "on_hand_delta": 0,
        "reserved_delta": 2,
        "on_hand_after": 5,
        "reserved_after": 2,
    }
    assert (entry["actor"], entry["warehouse"]["code"], entry["sku"]["code"]) == ("operations", "HQ", "HOOD-1-S")
    assert [e["reference"] for e in by_sku["items"]] == ["SO-2", "SO-1", "PO-7"]
    assert api_client(world.zj_admin).get("/api/v1/inventory/entries").status_code == 403


def test_stock_counts_are_imported_by_file_through_the_api(stock, world, api_client):
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client(world.operations)
    good = SimpleUploadedFile("count.csv", b"warehouse_code,sku_code,on_hand\nHQ,HOOD-1-S,9\n")
    bad = SimpleUploadedFile("count.csv", b"warehouse_code,sku_code,on_hand\nHQ,HOOD-1-S,-9\n")
    # when
    refused = client.post("/api/v1/inventory/imports", {"file": bad})
    preview = client.post("/api/v1/inventory/imports", {"file": good})
    # then
    assert refused.status_code == 201
    assert (refused.json()["can_commit"], refused.json()["errors"]) == (
        False,
        [{"row": 2, "column": "on_hand", "message": "Enter a whole number of 0 or more."}],
    )
    failed = client.post(f"/api/v1/inventory/imports/{refused.json()['id']}/commit")
    assert failed.status_code == 422
    assert failed.json()["errors"] == [{"field": "rows.2.on_hand", "message": "Enter a whole number of 0 or more."}]
    assert StockLevel.objects.count() == 0
    body = preview.json()
    assert (body["can_commit"], body["counts"], body["rows"][0]["delta"]) == (
        True,
        {"changed": 0, "unchanged": 0, "new": 1},
        9,
    )
    # when
    job = client.post(f"/api/v1/inventory/imports/{body['id']}/commit")
    # then
    assert (job.status_code, job.json()["status"]) == (202, "succeeded")
    assert stock.counters("hood_s", "hq") == (9, 0)
    assert client.get(f"/api/v1/inventory/imports/{body['id']}").json()["commit_job"]["status"] == "succeeded"
    assert client.post(f"/api/v1/inventory/imports/{body['id']}/commit").status_code == 409
    # and: without inventory.manage
    assert api_client(world.channel).post("/api/v1/inventory/imports", {"file": good}).status_code == 403
    assert api_client(world.channel).get(f"/api/v1/inventory/imports/{body['id']}").status_code == 403
    # and: a broken file
    broken = client.post("/api/v1/inventory/imports", {"file": SimpleUploadedFile("count.xlsx", b"nope")})
    assert broken.status_code == 422
    assert broken.json()["errors"] == [
        {
            "field": "file",
            "message": "The file is not a readable .xlsx workbook. Open it in Excel or WPS and save it again.",
        }
    ]
