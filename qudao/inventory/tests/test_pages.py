"""The HQ inventory pages: stock (search, filters, available), one level with its corrections,
warehouses, the ledger and the stock import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.inventory import services
from qudao.inventory.models import StockEntry, StockLevel, Warehouse

pytestmark = pytest.mark.django_db


def _rows(html: str) -> int:
    return html.count('data-testid="stock-row"')


@pytest.fixture
def levels(stock):
    hood, fridge, hq = stock.sku("hood_s").pk, stock.sku("fridge_w").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 5), (fridge, 30)], reference="PO-1")
    services.receive_stock(warehouse_id=stock.warehouses["east"].pk, lines=[(hood, 12)], reference="PO-2")
    services.set_safety_stock(warehouse_id=hq, sku_id=hood, safety_stock=4)
    services.reserve_stock(reference="SO-1", lines=[(hood, 2)], warehouse_ids=[hq])
    return stock


def test_the_stock_list_searches_filters_and_shows_what_is_available(levels, world, page_client):
    # given
    client = page_client(world.sales)
    # when
    everything = client.get("/inventory/")
    by_code = client.get("/inventory/", {"q": "hood-1"})
    by_name = client.get("/inventory/", {"q": "冰箱"})
    east = client.get("/inventory/", {"warehouse": "EAST"})
    low = client.get("/inventory/", {"low": "on"})
    partial = client.get("/inventory/", {"low": "on"}, HTTP_HX_REQUEST="true")
    # then
    assert everything.status_code == 200
    html = everything.content.decode()
    assert _rows(html) == 3
    assert "3 stock levels" in html and "1 level low" in html
    assert 'href="/inventory/import/"' not in html  # sales may not import
    assert [_rows(r.content.decode()) for r in (by_code, by_name, east, low)] == [2, 1, 1, 1]
    low_html = low.content.decode()
    assert 'data-sku="HOOD-1-S" data-warehouse="HQ"' in low_html
    assert '<td class="num" data-testid="available"><strong>3</strong></td>' in low_html
    assert 'class="tag tag-warning">Low<' in low_html
    assert "<html" not in partial.content.decode() and _rows(partial.content.decode()) == 1
    # and: partner users are sent to their portal; the nav shows the link to HQ users
    assert page_client(world.dist_admin).get("/inventory/")["Location"] == "/portal/"
    assert 'href="/inventory/"' in html


def test_managers_set_safety_stock_receive_and_correct_a_level(levels, world, page_client):
    # given
    level = levels.level("hood_s", "hq")
    client = page_client(world.operations)
    url = f"/inventory/stock/{level.pk}/"
    # when
    page = client.get(url)
    safety = client.post(url, {"action": "safety", "safety-safety_stock": "6"})
    receive = client.post(url, {"action": "receive", "receive-quantity": "10", "receive-reference": "DN-88"})
    adjust = client.post(url, {"action": "adjust", "adjust-delta": "-1", "adjust-reason": "破损 1 台"})
    # then
    assert page.status_code == 200 and 'data-testid="form-adjust"' in page.content.decode()
    assert [r.status_code for r in (safety, receive, adjust)] == [302, 302, 302]
    level.refresh_from_db()
    assert (level.on_hand, level.reserved, level.safety_stock) == (14, 2, 6)
    assert list(
        StockEntry.objects.filter(sku=level.sku, warehouse=level.warehouse).values_list(
            "kind", "on_hand_delta", "reference", "note"
        )[:2]
    ) == [
        ("adjustment", -1, "", "破损 1 台"),
        ("receipt", 10, "DN-88", ""),
    ]
    # when: a correction below what is reserved, and one without a reason
    too_far = client.post(url, {"action": "adjust", "adjust-delta": "-13", "adjust-reason": "盘亏"})
    no_reason = client.post(url, {"action": "adjust", "adjust-delta": "2", "adjust-reason": ""})
    # then
    assert too_far.status_code == 422
    assert "On hand would be 1, below the 2 units reserved." in too_far.content.decode()
    assert no_reason.status_code == 422
    level.refresh_from_db()
    assert level.on_hand == 14
    # and: readers see the page without the forms, and may not post
    reader = page_client(world.finance)
    assert 'data-testid="form-adjust"' not in reader.get(url).content.decode()
    assert reader.post(url, {"action": "safety", "safety-safety_stock": "0"}).status_code == 403


def test_managers_create_and_edit_warehouses(stock, world, page_client):
    # given
    client = page_client(world.operations)
    # when
    created = client.post(
        "/inventory/warehouses/new/",
        {
            "code": "west",
            "name": "西南仓",
            "kind": "regional",
            "region": "510000",
            "ships_to_partners": "on",
            "active": "on",
        },
    )
    duplicate = client.post("/inventory/warehouses/new/", {"code": "HQ", "name": "又一个总仓", "kind": "hq"})
    # then
    assert created.status_code == 302 and created["Location"] == "/inventory/warehouses/"
    west = Warehouse.objects.get(code="WEST")
    assert (west.name, west.region.code, west.ships_to_partners, west.active) == ("西南仓", "510000", True, True)
    assert duplicate.status_code == 200
    assert "Another warehouse has this code." in duplicate.content.decode()
    # when
    edited = client.post(
        f"/inventory/warehouses/{west.pk}/edit/",
        {"code": "WEST", "name": "西南仓（成都）", "kind": "regional", "region": ""},
    )
    # then
    assert edited.status_code == 302
    west.refresh_from_db()
    assert (west.name, west.region, west.active, west.ships_to_partners) == ("西南仓（成都）", None, False, False)
    listing = page_client(world.sales).get("/inventory/warehouses/").content.decode()
    assert listing.count('data-testid="warehouse-row"') == 4 and "/edit/" not in listing
    assert page_client(world.sales).get("/inventory/warehouses/new/").status_code == 403


def test_the_ledger_page_filters_by_reference_sku_and_kind(levels, world, page_client):
    # given
    client = page_client(world.channel)
    # when
    everything = client.get("/inventory/entries/").content.decode()
    order = client.get("/inventory/entries/", {"reference": "SO-1"}).content.decode()
    receipts = client.get("/inventory/entries/", {"kind": "receipt", "sku": "HOOD-1-S"}).content.decode()
    # then
    assert everything.count('data-testid="entry-row"') == StockEntry.objects.count() == 4
    assert order.count('data-testid="entry-row"') == 1 and "+2 → 2" in order
    assert receipts.count('data-testid="entry-row"') == 2


def test_the_import_pages_preview_and_commit_a_file(stock, world, page_client):
    # given
    client = page_client(world.admin)
    upload = SimpleUploadedFile(
        "count.csv", "仓库编码,SKU编码,在库数量,安全库存\nHQ,HOOD-1-S,7,2\nEAST,NOPE,1,\n".encode()
    )
    good = SimpleUploadedFile("count.csv", "仓库编码,SKU编码,在库数量\nHQ,HOOD-1-S,7\n".encode())
    # when: a file with an error
    bad = client.post("/inventory/import/", {"file": upload})
    preview = client.get(bad["Location"])
    # then
    assert bad.status_code == 302
    html = preview.content.decode()
    assert '<dd data-testid="import-error-count">1</dd>' in html
    assert "SKU code: Unknown SKU code." in html
    assert 'data-testid="import-commit"' not in html
    # when: a good file
    response = client.post("/inventory/import/", {"file": good})
    committed = client.post(response["Location"] + "commit/")
    # then
    assert committed.status_code == 302
    assert StockLevel.objects.get(warehouse__code="HQ", sku__code="HOOD-1-S").on_hand == 7
    after = client.get(response["Location"]).content.decode()
    assert "Levels changed: 1" in after
    # and: a broken file is refused on the upload page
    broken = client.post("/inventory/import/", {"file": SimpleUploadedFile("count.xlsx", b"not a workbook")})
    assert broken.status_code == 422
    assert "The file is not a readable .xlsx workbook." in broken.content.decode()
