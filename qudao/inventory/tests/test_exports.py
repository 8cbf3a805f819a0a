"""Exports of the stock list and the stock ledger (qudao.core.exports): exact cells, the lists'
filters, and the ledger's references of partners outside a regional manager's scope blanked as on
the page."""

from __future__ import annotations

import datetime

from qudao.core.tests.export_reading import column, rows_of, sheet_of
from qudao.inventory import services
from qudao.inventory.models import StockEntry, StockLevel, Warehouse
from qudao.orders import services as orders
from qudao.orders.tests.conftest import set_credit, shop  # noqa: F401  (fixtures)
from qudao.pricing.tests.conftest import catalogue  # noqa: F401


def test_it_exports_stock_with_exact_cells_and_the_list_filters(world, shop, page_client):  # noqa: F811
    # given: 20 of each SKU in HQ (the shop), 5 HOOD-A in Suzhou with a safety stock of 8
    suzhou = Warehouse.objects.create(code="SZ", name="苏州仓", kind="regional")
    services.receive_stock(warehouse_id=suzhou.pk, lines=[(shop.skus["hood_a"].pk, 5)], note="=SUM(A1)")
    StockLevel.objects.filter(warehouse=suzhou).update(safety_stock=8)
    client = page_client(world.operations)
    # when operations exports the stock list
    response = client.get("/inventory/", {"format": "xlsx"})
    rows = rows_of(response)
    # then every level, by SKU and warehouse
    assert rows[0] == [
        "SKU code",
        "SKU",
        "Warehouse code",
        "Warehouse",
        "On hand",
        "Reserved",
        "Available",
        "Quarantined",
        "Safety stock",
        "Updated",
    ]
    assert [row[0::2][:2] for row in rows[1:]] == [
        ["HOOD-A", "HQ"],
        ["HOOD-A", "SZ"],
        ["HOOD-B", "HQ"],
        ["WASH-A", "HQ"],
    ]
    assert rows[2][4:9] == [5, 0, 5, 0, 8]
    assert isinstance(rows[2][9], datetime.datetime)
    assert sheet_of(response).cell(row=3, column=5).number_format == "#,##0"
    # the filters: low stock only, a warehouse, a search
    assert column(rows_of(client.get("/inventory/", {"format": "xlsx", "low": "on"})), "Warehouse code") == ["SZ"]
    assert column(rows_of(client.get("/inventory/", {"format": "xlsx", "q": "WASH"})), "SKU code") == ["WASH-A"]
    assert len(rows_of(client.get("/inventory/", {"format": "xlsx", "warehouse": "SZ"}))) == 2
    # partner users never get HQ's stock
    assert page_client(world.dist_admin).get("/inventory/", {"format": "xlsx"}).status_code == 302


def test_it_exports_the_stock_ledger_with_other_regions_references_blanked(world, shop, page_client):  # noqa: F811
    # given: an order of dealer_zj (Zhejiang) holding HQ stock
    set_credit(world.dealer_zj, "100000")
    order, _created = orders.place_order(
        partner=world.dealer_zj, lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 1}], actor=world.zj_admin
    )
    orders.confirm_order(order=order, actor=world.operations)
    total = StockEntry.objects.count()
    # when operations and the Jiangsu regional manager export the ledger
    rows = rows_of(page_client(world.operations).get("/inventory/entries/", {"format": "xlsx"}))
    assert rows[0][:6] == ["At", "SKU code", "SKU", "Warehouse code", "Kind", "On hand change"]
    assert len(rows) == total + 1
    assert order.number in column(rows, "Reference")
    js_rows = rows_of(page_client(world.regional_js).get("/inventory/entries/", {"format": "xlsx"}))
    # then the regional manager gets every movement, without the other region's order number
    assert len(js_rows) == total + 1
    assert order.number not in column(js_rows, "Reference")
    # and filtering by that number finds nothing for it, as on the page
    filtered = {"format": "xlsx", "reference": order.number}
    assert len(rows_of(page_client(world.regional_js).get("/inventory/entries/", filtered))) == 1
    assert len(rows_of(page_client(world.operations).get("/inventory/entries/", filtered))) >= 2
    # the kind filter
    receipts = rows_of(page_client(world.operations).get("/inventory/entries/", {"format": "xlsx", "kind": "receipt"}))
    assert set(column(receipts, "Kind")) == {StockEntry.Kind("receipt").label}
    assert column(receipts, "On hand change") == [20, 20, 20]
