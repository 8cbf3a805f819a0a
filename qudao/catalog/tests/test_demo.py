"""The demo catalogue: deterministic, realistic, and scoped."""

import random

from qudao.catalog import demo, scope
from qudao.catalog.models import Product, ProductLine, SalesScopeRule, Sku, UnitConversion


def test_it_seeds_a_demo_catalogue_once(world):
    # when the demo catalogue is seeded
    counts = demo.seed_catalog(random.Random(7))
    # then it has the tree, the products, the SKUs with valid EAN-13 barcodes, units and rules
    assert counts == {"lines": 8, "products": 37, "skus": 118, "rules": 5, "created": True}
    assert ProductLine.objects.filter(depth=1, parent__code="home").count() == 7
    assert (Product.objects.count(), Sku.objects.count(), UnitConversion.objects.count()) == (37, 118, 37)
    assert Sku.objects.filter(barcode__isnull=True).count() == 0
    assert all(len(code) == 13 for code in Sku.objects.values_list("barcode", flat=True))
    assert SalesScopeRule.objects.count() == 5
    # and a second run adds nothing
    assert demo.seed_catalog(random.Random(7))["created"] is False
    assert Sku.objects.count() == 118


def test_it_authorises_partners_by_their_product_lines(world):
    demo.seed_catalog(random.Random(7))
    partner = world.dealer_zj  # registered tier, Hangzhou, no product lines of its own
    lines = set(scope.allowed_skus(partner).values_list("product__product_line__code", flat=True))
    assert lines == {"small"}
    partner.product_lines = ["冰洗"]
    partner.save()
    lines = set(scope.allowed_skus(partner).values_list("product__product_line__code", flat=True))
    assert lines == {"small", "laundry-cold"}


def test_it_is_seeded_by_the_seed_command(db):
    from io import StringIO

    from django.core.management import call_command

    from conftest import ensure_reference_data

    ensure_reference_data()
    call_command("seed", partners=30, seed=42, stdout=StringIO())
    assert (ProductLine.objects.count(), Sku.objects.count()) == (8, 118)
