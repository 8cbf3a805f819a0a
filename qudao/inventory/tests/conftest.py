"""Inventory test data: the catalogue of catalog.tests.factories and three warehouses.

HQ     总仓     hq         (first in id order: reservations fill from it first)
EAST   华东仓   regional   Jiangsu (320000)
SOUTH  华南仓   regional   Guangdong (440000), does not ship to partners
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db.models import Sum

from qudao.catalog.tests.factories import build_catalog
from qudao.core.models import Region
from qudao.inventory.models import StockEntry, StockLevel, Warehouse


@dataclass
class Stock:
    catalog: object
    warehouses: dict = field(default_factory=dict)

    def sku(self, key):
        return self.catalog.skus[key]

    def level(self, sku_key, warehouse_key):
        return StockLevel.objects.filter(sku=self.sku(sku_key), warehouse=self.warehouses[warehouse_key]).first()

    def counters(self, sku_key, warehouse_key):
        level = self.level(sku_key, warehouse_key)
        return (level.on_hand, level.reserved) if level else None


def build_stock() -> Stock:
    stock = Stock(catalog=build_catalog())
    stock.warehouses["hq"] = Warehouse.objects.create(code="HQ", name="总仓", kind="hq")
    stock.warehouses["east"] = Warehouse.objects.create(
        code="EAST", name="华东仓", kind="regional", region=Region.objects.get(code="320000")
    )
    stock.warehouses["south"] = Warehouse.objects.create(
        code="SOUTH", name="华南仓", kind="regional", region=Region.objects.get(code="440000"), ships_to_partners=False
    )
    return stock


@pytest.fixture
def stock(world) -> Stock:
    return build_stock()


def assert_ledger_matches_levels() -> None:
    """Every level's counters (on hand, reserved, quarantined) equal the sum of its entries."""
    sums = {
        (row["sku_id"], row["warehouse_id"]): (row["on_hand"], row["reserved"], row["quarantined"])
        for row in StockEntry.objects.values("sku_id", "warehouse_id").annotate(
            on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"), quarantined=Sum("quarantined_delta")
        )
    }
    for level in StockLevel.objects.all():
        counters = (level.on_hand, level.reserved, level.quarantined)
        assert counters == sums.get((level.sku_id, level.warehouse_id), (0, 0, 0)), level
