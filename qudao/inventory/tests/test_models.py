"""The database itself refuses impossible stock: negative counters, more reserved than on hand,
two levels of one SKU in one warehouse, a partner warehouse without its partner."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from qudao.catalog.tests.factories import build_catalog
from qudao.inventory.models import StockLevel, Warehouse

pytestmark = pytest.mark.django_db


def test_it_refuses_impossible_levels_and_warehouses(world):
    # given
    sku = build_catalog().skus["hood_s"]
    warehouse = Warehouse.objects.create(code="HQ", name="总仓", kind="hq")
    StockLevel.objects.create(warehouse=warehouse, sku=sku, on_hand=5, reserved=5)
    # when / then
    for values in ({"on_hand": -1}, {"reserved": -1}, {"on_hand": 3, "reserved": 4}, {"safety_stock": -2}):
        with pytest.raises(IntegrityError), transaction.atomic():
            StockLevel.objects.filter(warehouse=warehouse, sku=sku).update(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.create(warehouse=warehouse, sku=sku)
    with pytest.raises(IntegrityError), transaction.atomic():
        Warehouse.objects.create(code="P1", name="经销商仓", kind="partner")
    with pytest.raises(IntegrityError), transaction.atomic():
        Warehouse.objects.create(code="R1", name="华东仓", kind="regional", partner=world.dist_js)
    level = StockLevel.objects.get()
    assert (level.on_hand, level.reserved, level.available, level.is_low) == (5, 5, 0, True)
