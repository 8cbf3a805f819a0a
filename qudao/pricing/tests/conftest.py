"""Pricing fixtures: a small catalogue on top of the partner world.

    家电 (appliances) > 厨电 (kitchen) > 油烟机 (range hoods): HOOD-A (base 1,299.00), HOOD-B (base 2,000.00)
                     > 洗衣机 (washers): WASH-A (base 3,000.00)
Everyone may buy everything under 家电 (one sales-scope rule). One active base list `base`
valid from 2026-01-01 prices the three SKUs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

START = date(2026, 1, 1)


@dataclass
class Catalogue:
    lines: dict = field(default_factory=dict)
    skus: dict = field(default_factory=dict)
    base: object = None


def make_line(code, name, parent=None):
    from qudao.catalog.models import ProductLine

    line = ProductLine.objects.create(code=code, name=name, parent=parent)
    line.path = f"{parent.path if parent else '/'}{line.pk}/"
    line.depth = parent.depth + 1 if parent else 0
    line.save()
    return line


def make_sku(code, line, **extra):
    from qudao.catalog.models import Lifecycle, Product, Sku

    product = Product.objects.create(code=f"P-{code}", name=code, product_line=line, lifecycle=Lifecycle.ON_SALE)
    return Sku.objects.create(product=product, code=code, name=code, lifecycle=Lifecycle.ON_SALE, **extra)


def make_list(code, *, status="active", valid_from=START, valid_to=None, priority=0, items=(), **audience):
    """A price list written straight to the database (services are tested separately)."""
    from qudao.pricing.models import PriceList, PriceListItem

    price_list = PriceList.objects.create(
        code=code, name=code, valid_from=valid_from, valid_to=valid_to, priority=priority, status=status, **audience
    )
    for sku, price, *min_qty in items:
        PriceListItem.objects.create(
            price_list=price_list, sku=sku, price=Decimal(price), min_qty=min_qty[0] if min_qty else 1
        )
    return price_list


@pytest.fixture
def catalogue(world) -> Catalogue:
    from qudao.catalog.models import SalesScopeRule

    c = Catalogue()
    c.lines["appliances"] = make_line("appliances", "家电")
    c.lines["kitchen"] = make_line("kitchen", "厨电", c.lines["appliances"])
    c.lines["hoods"] = make_line("hoods", "油烟机", c.lines["kitchen"])
    c.lines["washers"] = make_line("washers", "洗衣机", c.lines["appliances"])
    c.skus["hood_a"] = make_sku("HOOD-A", c.lines["hoods"])
    c.skus["hood_b"] = make_sku("HOOD-B", c.lines["hoods"])
    c.skus["wash_a"] = make_sku("WASH-A", c.lines["washers"])
    SalesScopeRule.objects.create(effect="allow", product_line=c.lines["appliances"])
    c.base = make_list(
        "base",
        items=[(c.skus["hood_a"], "1299.00"), (c.skus["hood_b"], "2000.00"), (c.skus["wash_a"], "3000.00")],
    )
    return c


def make_promo(code, kind, *, stacking="exclusive", group="", priority=0, valid_from=START, **fields):
    """An active promotion written straight to the database."""
    from qudao.pricing.models import Promotion

    return Promotion.objects.create(
        code=code,
        name=code,
        kind=kind,
        status="active",
        stacking=stacking,
        stack_group=group,
        priority=priority,
        valid_from=valid_from,
        **fields,
    )
