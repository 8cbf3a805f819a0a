"""The demo catalogue: deterministic, realistic, and scoped."""

import random

from qudao.catalog import demo, scope
from qudao.catalog.models import Product, ProductImage, ProductLine, SalesScopeRule, Sku, UnitConversion


def test_it_seeds_a_demo_catalogue_once(world):
    # when the demo catalogue is seeded
    counts = demo.seed_catalog(random.Random(7))
    # then it has the tree, the products (HOOD with the README's HOOD-A and HOOD-B too), the SKUs
    # with valid EAN-13 barcodes, units, rules, and a picture of each product
    assert counts == {"lines": 8, "products": 38, "skus": 120, "images": 38, "rules": 5, "created": True}
    assert ProductLine.objects.filter(depth=1, parent__code="home").count() == 7
    assert (Product.objects.count(), Sku.objects.count(), UnitConversion.objects.count()) == (38, 120, 38)
    assert list(Sku.objects.filter(product__code="HOOD").values_list("code", flat=True)) == ["HOOD-A", "HOOD-B"]
    assert ProductImage.objects.count() == 38
    assert all(image.image.name.endswith(".png") for image in ProductImage.objects.all())
    assert ProductImage.objects.first().image.read(8) == b"\x89PNG\r\n\x1a\n"
    assert Sku.objects.filter(barcode__isnull=True).count() == 0
    assert all(len(code) == 13 for code in Sku.objects.values_list("barcode", flat=True))
    assert SalesScopeRule.objects.count() == 5
    # and a second run adds nothing
    assert demo.seed_catalog(random.Random(7))["created"] is False
    assert Sku.objects.count() == 120


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
    assert (ProductLine.objects.count(), Sku.objects.count()) == (8, 120)
