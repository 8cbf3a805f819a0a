"""The demo stock: three warehouses, every on-sale SKU stocked, some low, a few at zero, and the
ledger explaining every level."""

from __future__ import annotations

import random

from qudao.catalog import demo as catalog_demo
from qudao.catalog.models import Lifecycle, Sku
from qudao.inventory import demo, services
from qudao.inventory.models import StockLevel, Warehouse

from .conftest import assert_ledger_matches_levels


def test_it_seeds_warehouses_and_stock_for_every_on_sale_sku_once(world):
    # given
    catalog_demo.seed_catalog(random.Random(42))
    on_sale = Sku.objects.filter(lifecycle=Lifecycle.ON_SALE, product__lifecycle=Lifecycle.ON_SALE)
    # when
    counts = demo.seed_inventory(random.Random(42))
    # then
    assert list(Warehouse.objects.values_list("code", "kind", "region__code")) == [
        ("HQ", "hq", "330100"),
        ("EAST", "regional", "320000"),
        ("SOUTH", "regional", "440000"),
    ]
    assert counts["levels"] == 3 * on_sale.count() == StockLevel.objects.count()
    assert counts["zero"] > 0 and counts["low"] > counts["zero"]
    assert StockLevel.objects.filter(safety_stock__gt=0).exists()
    assert counts["quarantined"] == 6
    in_quarantine = StockLevel.objects.filter(quarantined__gt=0).order_by("sku__code")
    assert list(in_quarantine.values_list("warehouse__code", "quarantined")) == [
        ("HQ", 2),
        ("HQ", 1),
        ("HQ", 3),
    ]
    assert set(services.available(on_sale.values_list("pk", flat=True)).keys()) == set(
        on_sale.values_list("pk", flat=True)
    )
    assert_ledger_matches_levels()
    # and: a second run adds nothing
    assert demo.seed_inventory(random.Random(42)) == {"warehouses": 3, "created": False}
