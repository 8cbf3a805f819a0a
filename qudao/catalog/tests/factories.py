"""A small catalogue for tests (and the authorization matrix):

    家电 (home)
      ├ 厨电 (kitchen)
      │   └ 油烟机 (hood)    product HOOD-1: SKUs HOOD-1-S (silver), HOOD-1-B (black); 箱 = 12 件
      └ 冰洗 (cold)          product FRIDGE-1: SKU FRIDGE-1-W
Everything is on sale; HOOD-1-S costs 1200.0000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from qudao.catalog import services
from qudao.catalog.models import Lifecycle

SKU_CODES = {"hood_s": "HOOD-1-S", "hood_b": "HOOD-1-B", "fridge_w": "FRIDGE-1-W"}


@dataclass
class Catalog:
    lines: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    skus: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)


def build_catalog() -> Catalog:
    """Build the catalogue above (or load it, when another test helper built it already)."""
    from qudao.catalog.models import Product, ProductLine, Sku, UnitConversion

    if ProductLine.objects.filter(code="home").exists():
        c = Catalog()
        c.lines = {code: ProductLine.objects.get(code=code) for code in ("home", "kitchen", "hood", "cold")}
        c.products = {"hood": Product.objects.get(code="HOOD-1"), "fridge": Product.objects.get(code="FRIDGE-1")}
        c.skus = {key: Sku.objects.get(code=code) for key, code in SKU_CODES.items()}
        c.units = {"hood_box": UnitConversion.objects.get(product=c.products["hood"], unit="箱")}
        return c
    c = Catalog()
    c.lines["home"] = services.create_product_line(data={"code": "home", "name": "家电"})
    c.lines["kitchen"] = services.create_product_line(data={"code": "kitchen", "name": "厨电", "parent": "home"})
    c.lines["hood"] = services.create_product_line(data={"code": "hood", "name": "油烟机", "parent": "kitchen"})
    c.lines["cold"] = services.create_product_line(data={"code": "cold", "name": "冰洗", "parent": "home"})
    c.products["hood"] = services.create_product(
        data={"code": "HOOD-1", "name": "侧吸式油烟机", "product_line": "hood", "lifecycle": Lifecycle.ON_SALE}
    )
    c.products["fridge"] = services.create_product(
        data={"code": "FRIDGE-1", "name": "十字对开门冰箱", "product_line": "cold", "lifecycle": Lifecycle.ON_SALE}
    )
    c.skus["hood_s"] = services.create_sku(
        data={
            "product": c.products["hood"],
            "code": "HOOD-1-S",
            "barcode": "6900000000011",
            "name": "侧吸式油烟机 银色",
            "attributes": {"颜色": "银色"},
            "cost_price": Decimal("1200.0000"),
            "min_order_qty": 2,
            "order_multiple": 2,
            "lifecycle": Lifecycle.ON_SALE,
        }
    )
    c.skus["hood_b"] = services.create_sku(
        data={
            "product": c.products["hood"],
            "code": "HOOD-1-B",
            "barcode": "6900000000028",
            "name": "侧吸式油烟机 黑色",
            "attributes": {"颜色": "黑色"},
            "cost_price": Decimal("1250.0000"),
            "lifecycle": Lifecycle.ON_SALE,
        }
    )
    c.skus["fridge_w"] = services.create_sku(
        data={
            "product": c.products["fridge"],
            "code": "FRIDGE-1-W",
            "barcode": "6900000000035",
            "name": "十字对开门冰箱 白色",
            "cost_price": Decimal("3100.0000"),
            "lifecycle": Lifecycle.ON_SALE,
        }
    )
    c.units["hood_box"] = services.add_unit(product=c.products["hood"], data={"unit": "箱", "factor": 12})
    return c
