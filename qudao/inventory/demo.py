"""Demo stock for `manage.py seed`, on top of the demo catalogue (qudao.catalog.demo): the HQ
warehouse (总仓, Hangzhou), two regional warehouses (华东仓 in Jiangsu 320000, 华南仓 in Guangdong
440000), and opening stock for every on-sale SKU - most well stocked, some low (at or below a
safety stock), a few at zero - written through the stock services as "receipt" entries, so the
ledger explains every level - and a few returned units in quarantine at HQ (the first on-sale SKUs,
"quarantine" entries) for operations to release or scrap. Deterministic for a given random
generator."""

from __future__ import annotations

import random
from collections.abc import Callable

from django.db import transaction

from qudao.catalog.models import Lifecycle, Sku
from qudao.core.models import Region

from . import services
from .models import StockEntry, StockLevel, Warehouse

WAREHOUSES = (
    # code, name, kind, region, (low, high) of the opening stock
    ("HQ", "总仓", "hq", "330100", (80, 400)),
    ("EAST", "华东仓", "regional", "320000", (20, 160)),
    ("SOUTH", "华南仓", "regional", "440000", (10, 120)),
)
OPENING_REFERENCE = "DEMO-OPENING"
QUARANTINE_REFERENCE = "DEMO-RMA"
QUARANTINED = (2, 1, 3)  # units in quarantine at HQ of the first on-sale SKUs (by code)


def seed_inventory(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Build the demo warehouses and stock once (does nothing if warehouses exist). Returns counts."""
    if Warehouse.objects.exists():
        return {"warehouses": Warehouse.objects.count(), "created": False}
    skus = list(
        Sku.objects.filter(lifecycle=Lifecycle.ON_SALE, product__lifecycle=Lifecycle.ON_SALE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not skus:
        return {"warehouses": 0, "created": False}
    log("Creating the demo warehouses and stock ...")
    counts = {"warehouses": 0, "levels": 0, "low": 0, "zero": 0, "created": True}
    with transaction.atomic():
        for code, name, kind, region, _range in WAREHOUSES:
            services.create_warehouse(
                data={"code": code, "name": name, "kind": kind, "region": Region.objects.filter(code=region).first()}
            )
            counts["warehouses"] += 1
        rows = []
        for code, _name, _kind, _region, (low, high) in WAREHOUSES:
            for sku in skus:
                draw = rng.random()
                safety = rng.choice((0, 0, 5, 10, 20))
                if draw < 0.04:
                    quantity = 0  # sold out
                elif draw < 0.14:
                    safety = safety or 10
                    quantity = rng.randint(1, safety)  # low: at or below its safety stock
                else:
                    quantity = rng.randint(low, high)
                rows.append(
                    services.CountRow(
                        key=f"{code}/{sku}", warehouse=code, sku=sku, on_hand=quantity, safety_stock=safety
                    )
                )
        services.set_counts(
            rows,
            kind=StockEntry.Kind.RECEIPT,
            reference=OPENING_REFERENCE,
            note="期初库存",
            versioned=False,
        )
        hq = Warehouse.objects.get(code="HQ")
        first = Sku.objects.filter(code__in=skus[: len(QUARANTINED)]).order_by("code").values_list("pk", flat=True)
        quarantined = list(zip(first, QUARANTINED, strict=True))
        services.quarantine_stock(
            warehouse_id=hq.pk, lines=quarantined, reference=QUARANTINE_REFERENCE, note="退货待检"
        )
    levels = StockLevel.objects.all()
    counts["levels"] = levels.count()
    counts["low"] = services.low_stock().count()
    counts["zero"] = levels.filter(on_hand=0).count()
    counts["quarantined"] = sum(levels.values_list("quarantined", flat=True))
    return counts
