"""Catalog services: the tree, products, SKUs, units, scope rules and the order-quantity rules."""

from decimal import Decimal

import pytest

from qudao.catalog import services
from qudao.catalog.models import Product, ProductLine, SalesScopeRule, Sku, UnitConversion
from qudao.core.errors import FieldErrors


def errors_of(call):
    with pytest.raises(FieldErrors) as caught:
        call()
    return {field: [str(m) for m in messages] for field, messages in caught.value.errors.items()}


def test_it_keeps_materialised_paths_in_the_line_tree(world, catalog):
    # given 家电 > 厨电 > 油烟机 and 家电 > 冰洗
    home, kitchen, hood, cold = (catalog.lines[k] for k in ("home", "kitchen", "hood", "cold"))
    assert (home.path, home.depth) == (f"/{home.pk}/", 0)
    assert (hood.path, hood.depth) == (f"/{home.pk}/{kitchen.pk}/{hood.pk}/", 2)
    # when 厨电 moves under 冰洗
    services.update_product_line(line=kitchen, data={"parent": "cold"})
    # then its subtree moves along
    hood.refresh_from_db()
    assert hood.path == f"/{home.pk}/{cold.pk}/{kitchen.pk}/{hood.pk}/"
    assert hood.depth == 3


def test_it_refuses_a_cycle_in_the_line_tree(world, catalog):
    # when 家电 is placed under 油烟机 (its own descendant)
    errors = errors_of(lambda: services.update_product_line(line=catalog.lines["home"], data={"parent": "hood"}))
    # then it is refused and nothing moved
    assert errors == {"parent": ["A product line cannot be placed under itself or one of its sub-lines."]}
    assert ProductLine.objects.get(code="home").parent_id is None


def test_it_refuses_bad_lines_and_products(world, catalog):
    errors = errors_of(lambda: services.create_product_line(data={"code": "Bad Code", "name": ""}))
    assert errors == {
        "code": ["Use lower-case letters, digits, hyphens and underscores only."],
        "name": ["This field is required."],
    }
    errors = errors_of(
        lambda: services.create_product(
            data={"code": "HOOD-1", "name": "x", "product_line": "nope", "tax_rate": "-0.1", "lifecycle": "gone"}
        )
    )
    assert errors == {
        "code": ["A product with this code already exists."],
        "product_line": ["No such product line."],
        "tax_rate": ["The value cannot be negative."],
        "lifecycle": ["Choose one of: draft, on_sale, discontinued."],
    }
    assert Product.objects.count() == 2


def test_it_refuses_bad_skus_and_saves_nothing(world, catalog):
    # when a SKU repeats a code and a barcode, has a zero minimum, a negative cost and non-text attributes
    errors = errors_of(
        lambda: services.create_sku(
            data={
                "product": "HOOD-1",
                "code": "HOOD-1-S",
                "barcode": "6900000000028",
                "name": "重复",
                "min_order_qty": 0,
                "order_multiple": "x",
                "cost_price": "-1",
                "attributes": {"容量": 5},
            }
        )
    )
    # then every field says what is wrong and nothing is written
    assert errors == {
        "code": ["A SKU with this code already exists."],
        "barcode": ["Another SKU has this barcode."],
        "attributes": ['Give the specification as names and texts, e.g. {"颜色": "银色"}.'],
        "cost_price": ["The value cannot be negative."],
        "min_order_qty": ["Enter a whole number of at least 1."],
        "order_multiple": ["Enter a whole number."],
    }
    assert Sku.objects.count() == 3


def test_it_updates_a_sku(world, catalog):
    sku = services.update_sku(sku=catalog.skus["hood_b"], data={"cost_price": "1300.5", "barcode": None})
    sku.refresh_from_db()
    assert (sku.cost_price, sku.barcode) == (Decimal("1300.5000"), None)


def test_it_converts_units_to_base_quantities(world, catalog):
    sku = catalog.skus["hood_s"]
    # 箱 = 12 件: 3 箱 -> 36 件; the base unit converts to itself
    assert services.convert_quantity(sku, 3, "箱") == 36
    assert services.convert_quantity(sku, 5, "件") == 5
    assert services.convert_quantity(sku, 5) == 5
    # a unit the product does not have
    assert errors_of(lambda: services.convert_quantity(sku, 1, "托")) == {
        "unit": ["托 does not convert to 件 for this product."]
    }
    # zero, negative and fractional quantities
    for quantity in (0, -2):
        assert errors_of(lambda q=quantity: services.convert_quantity(sku, q, "箱")) == {
            "quantity": ["Enter a whole number of at least 1."]
        }
    assert errors_of(lambda: services.convert_quantity(sku, "1.5", "箱")) == {"quantity": ["Enter a whole number."]}


def test_it_enforces_minimum_order_quantity_and_multiple(world, catalog):
    sku = catalog.skus["hood_s"]  # minimum 2, multiple of 2
    services.check_order_quantity(sku, 2)
    services.check_order_quantity(sku, 36)
    assert errors_of(lambda: services.check_order_quantity(sku, 1)) == {
        "quantity": ["Order at least 2 件 of HOOD-1-S."]
    }
    assert errors_of(lambda: services.check_order_quantity(sku, 7)) == {
        "quantity": ["Order HOOD-1-S in multiples of 2 件."]
    }
    assert errors_of(lambda: services.check_order_quantity(sku, 0)) == {
        "quantity": ["Enter a whole number of at least 1."]
    }


def test_it_refuses_bad_units(world, catalog):
    product = catalog.products["hood"]
    assert errors_of(lambda: services.add_unit(product=product, data={"unit": "箱", "factor": 0})) == {
        "unit": ["This product has this unit already."],
        "factor": ["Enter a whole number of at least 1."],
    }
    assert errors_of(lambda: services.add_unit(product=product, data={"unit": "件", "factor": 1})) == {
        "unit": ["This is the product's base unit already."]
    }
    assert UnitConversion.objects.count() == 1


def test_it_refuses_bad_scope_rules(world, catalog):
    assert errors_of(lambda: services.create_scope_rule(data={"effect": "allow"})) == {
        "product_line": ["Name a product line or a SKU."]
    }
    assert errors_of(lambda: services.create_scope_rule(data={"product_line": "home", "sku": "HOOD-1-S"})) == {
        "sku": ["Name a product line or a SKU, not both."]
    }
    assert errors_of(
        lambda: services.create_scope_rule(
            data={"product_line": "home", "partner": world.dist_js.pk, "tier": "gold", "effect": "maybe"}
        )
    ) == {
        "effect": ["Choose one of: allow, deny."],
        "partner": ["A rule for one partner names no tier or region."],
    }
    assert errors_of(lambda: services.create_scope_rule(data={"product_line": "home", "region": "999999"})) == {
        "region": ["No such region."]
    }
    assert SalesScopeRule.objects.count() == 0
