"""Exports of the price lists (one row per item, a list without items once) and the promotions
(qudao.core.exports): exact rows and cells, the lists' filters, HQ only."""

from __future__ import annotations

import datetime
from datetime import date
from decimal import Decimal

from qudao.core.tests.export_reading import column, rows_of, sheet_of
from qudao.pricing.models import PriceList, PriceListItem
from qudao.pricing.tests.conftest import make_promo

D = Decimal


def test_it_exports_price_lists_with_their_items_and_the_list_filters(world, catalogue, page_client):
    # given the base list (3 items, from the catalogue) and a draft gold list with a quantity break
    # at a 4-decimal price, and an empty draft
    gold = PriceList.objects.create(
        code="gold", name="=金牌价", valid_from=date(2027, 1, 1), valid_to=date(2027, 12, 31), tier=world.dist_js.tier
    )
    PriceListItem.objects.create(price_list=gold, sku=catalogue.skus["hood_a"], price=D("1200.00"))
    PriceListItem.objects.create(price_list=gold, sku=catalogue.skus["hood_a"], min_qty=10, price=D("1150.1234"))
    PriceList.objects.create(code="empty", name="空", valid_from=date(2027, 1, 1))
    client = page_client(world.channel)
    # when channel exports the price lists
    response = client.get("/pricing/", {"format": "xlsx"})
    rows = rows_of(response)
    # then one row per item, lists by code, an empty list once
    assert rows[0] == [
        "Price list code",
        "Price list",
        "Audience",
        "Tier",
        "Region",
        "Partner code",
        "Currency",
        "Valid from",
        "Valid to",
        "Priority",
        "Status",
        "SKU code",
        "SKU",
        "From quantity",
        "Price",
    ]
    assert [(row[0], row[11], row[13], row[14]) for row in rows[1:]] == [
        ("base", "HOOD-A", 1, 1299),
        ("base", "HOOD-B", 1, 2000),
        ("base", "WASH-A", 1, 3000),
        ("empty", None, None, None),
        ("gold", "HOOD-A", 1, 1200),
        ("gold", "HOOD-A", 10, 1150.1234),
    ]
    gold_row = rows[6]
    assert gold_row[1] == "=金牌价"  # a name starting with = stays text
    assert gold_row[3] == world.dist_js.tier.name
    assert gold_row[7:9] == [datetime.datetime(2027, 1, 1), datetime.datetime(2027, 12, 31)]
    sheet = sheet_of(response)
    assert sheet.cell(row=7, column=2).data_type == "s"
    assert sheet.cell(row=7, column=15).number_format == "#,##0.00##"
    # the list's filters: the search and the status
    assert set(column(rows_of(client.get("/pricing/", {"format": "xlsx", "q": "gold"})), "Price list code")) == {"gold"}
    assert column(rows_of(client.get("/pricing/", {"format": "xlsx", "status": "active"})), "Price list code") == [
        "base",
        "base",
        "base",
    ]
    # a partner user never gets HQ's price lists
    assert page_client(world.dist_admin).get("/pricing/", {"format": "xlsx"}).status_code == 302


def test_it_exports_promotions_with_their_terms(world, catalogue, page_client):
    # given a threshold promotion (spend 5,000 get 300 off) and a buy-2-get-1 for dist_js
    make_promo("t5000", "threshold", threshold=5000, value=300, budget_amount=D("10000"))
    make_promo(
        "b2g1", "buy_x_get_y", buy_qty=2, gift_qty=1, sku=catalogue.skus["hood_a"], partner=world.dist_js, priority=5
    )
    client = page_client(world.channel)
    rows = rows_of(client.get("/pricing/promotions/", {"format": "xlsx"}))
    by_code = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_code) == {"t5000", "b2g1"}
    assert by_code["t5000"]["Kind"] == "Spend X, get Y off"
    assert (by_code["t5000"]["Threshold"], by_code["t5000"]["Value"], by_code["t5000"]["Budget (amount)"]) == (
        5000,
        300,
        10000,
    )
    assert (by_code["b2g1"]["Partner code"], by_code["b2g1"]["SKU code"], by_code["b2g1"]["Buy quantity"]) == (
        world.dist_js.code,
        "HOOD-A",
        2,
    )
    assert by_code["b2g1"]["Gift quantity"] == 1 and by_code["b2g1"]["Priority"] == 5
    assert by_code["t5000"]["Used (amount)"] == 0
    # the search
    assert column(rows_of(client.get("/pricing/promotions/", {"format": "xlsx", "q": "b2g"})), "Promotion code") == [
        "b2g1"
    ]
