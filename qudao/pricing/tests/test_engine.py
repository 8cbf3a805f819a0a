"""Worked examples of the precedence rule, quantity breaks, rules, floors and line errors
(qudao.pricing.engine's docstring is the rule these examples check)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.core.errors import FieldErrors
from qudao.pricing.engine import CartLine, fetch_pricing_inputs, price_cart, quote
from qudao.pricing.models import FloorPrice, PriceListRule

from .conftest import make_line, make_list, make_sku

ON = date(2026, 6, 30)


def one(partner, sku, quantity=1, on=ON, unit=None):
    return quote(partner, [CartLine(sku=sku.pk, quantity=quantity, unit=unit)], on).lines[0]


def test_it_applies_the_most_specific_list_partner_over_tier_region_over_tier_over_region_over_base(world, catalogue):
    # given: HOOD-A priced by all five kinds of list, each more specific one cheaper
    hood = catalogue.skus["hood_a"]
    make_list("js", region=world.jiangsu, items=[(hood, "1250.00")])
    make_list("gold", tier=world.dist_js.tier, items=[(hood, "1200.00")])
    make_list("gold-nj", tier=world.dist_js.tier, region=world.nanjing, items=[(hood, "1150.00")])
    make_list("dist", partner=world.dist_js, items=[(hood, "1100.00")])
    # when / then: each partner gets the most specific list that includes it
    line = one(world.dist_js, hood)
    assert (line.net_unit_price, line.source.price_list_code, line.source.kind) == (
        Decimal("1100.00"),
        "dist",
        "partner",
    )
    sub = one(world.sub_js, hood)  # silver, Suzhou (Jiangsu): only the region list includes it
    assert (sub.net_unit_price, sub.source.price_list_code) == (Decimal("1250.00"), "js")
    zj = one(world.dealer_zj, hood)  # registered, Hangzhou: the base list
    assert (zj.net_unit_price, zj.source.price_list_code, zj.source.kind) == (Decimal("1299.00"), "base", "base")


def test_it_falls_through_each_level_in_order(world, catalogue):
    # given: the five lists each price a different subset of SKUs
    hood_a, hood_b, wash = catalogue.skus["hood_a"], catalogue.skus["hood_b"], catalogue.skus["wash_a"]
    make_list("js", region=world.jiangsu, items=[(hood_a, "1250.00"), (hood_b, "1950.00"), (wash, "2950.00")])
    make_list("gold", tier=world.dist_js.tier, items=[(hood_a, "1200.00"), (hood_b, "1900.00")])
    make_list("gold-nj", tier=world.dist_js.tier, region=world.nanjing, items=[(hood_a, "1150.00")])
    # when
    result = quote(world.dist_js, [CartLine(hood_a.pk, 1), CartLine(hood_b.pk, 1), CartLine(wash.pk, 1)], ON)
    # then: tier+region for HOOD-A, tier for HOOD-B, region for WASH-A
    assert [(line.source.price_list_code, line.net_unit_price) for line in result.lines] == [
        ("gold-nj", Decimal("1150.00")),
        ("gold", Decimal("1900.00")),
        ("js", Decimal("2950.00")),
    ]
    assert result.total == Decimal("6000.00")


def test_it_breaks_a_tie_of_specificity_by_the_higher_priority(world, catalogue):
    # given: two gold lists, priorities 1 and 5
    hood = catalogue.skus["hood_a"]
    make_list("gold-low", tier=world.dist_js.tier, priority=1, items=[(hood, "1100.00")])
    make_list("gold-high", tier=world.dist_js.tier, priority=5, items=[(hood, "1200.00")])
    # when / then: the higher priority wins although it is dearer
    line = one(world.dist_js, hood)
    assert (line.source.price_list_code, line.net_unit_price) == ("gold-high", Decimal("1200.00"))


def test_it_never_applies_an_expired_or_future_list_and_a_scheduled_list_starts_on_its_date(world, catalogue):
    # given: an expired partner list and a partner list that starts on 1 July
    hood = catalogue.skus["hood_a"]
    make_list("old", partner=world.dist_js, valid_to=date(2026, 6, 29), items=[(hood, "1000.00")])
    make_list("july", partner=world.dist_js, valid_from=date(2026, 7, 1), priority=1, items=[(hood, "1111.00")])
    # when / then: on 30 June neither applies; on 1 July the new one does, with no job run
    assert one(world.dist_js, hood, on=date(2026, 6, 30)).source.price_list_code == "base"
    assert one(world.dist_js, hood, on=date(2026, 6, 29)).net_unit_price == Decimal("1000.00")
    july = one(world.dist_js, hood, on=date(2026, 7, 1))
    assert (july.source.price_list_code, july.net_unit_price) == ("july", Decimal("1111.00"))
    # and the pure function ignores lists outside their dates even when handed them
    inputs = fetch_pricing_inputs(world.dist_js, [hood.pk], date(2026, 7, 1))
    assert {item.code for item in inputs.lists} == {"base", "july"}
    assert price_cart(inputs, [CartLine(hood.pk, 1)], date(2026, 6, 30)).lines[0].source.price_list_code == "base"


def test_it_ignores_draft_pending_and_rejected_lists(world, catalogue):
    hood = catalogue.skus["hood_a"]
    for index, status in enumerate(("draft", "pending_approval", "rejected")):
        make_list(f"p-{status}", partner=world.dist_js, status=status, priority=index, items=[(hood, "1.00")])
    assert one(world.dist_js, hood).source.price_list_code == "base"


def test_it_uses_the_quantity_break_with_the_largest_min_qty_reached(world, catalogue):
    # given: the gold list has breaks at 1, 10 and 50
    hood = catalogue.skus["hood_a"]
    make_list(
        "gold", tier=world.dist_js.tier, items=[(hood, "1250.00", 1), (hood, "1230.00", 10), (hood, "1200.00", 50)]
    )
    # when / then
    got = [
        (q, one(world.dist_js, hood, q).net_unit_price, one(world.dist_js, hood, q).source.min_qty)
        for q in (9, 10, 49, 50)
    ]
    assert got == [
        (9, Decimal("1250.00"), 1),
        (10, Decimal("1230.00"), 10),
        (49, Decimal("1230.00"), 10),
        (50, Decimal("1200.00"), 50),
    ]
    assert one(world.dist_js, hood, 50).line_total == Decimal("60000.00")


def test_it_skips_a_list_whose_only_breaks_are_above_the_quantity(world, catalogue):
    hood = catalogue.skus["hood_a"]
    make_list("gold", tier=world.dist_js.tier, items=[(hood, "1200.00", 10)])
    assert one(world.dist_js, hood, 9).source.price_list_code == "base"
    assert one(world.dist_js, hood, 10).source.price_list_code == "gold"


def test_it_converts_ordering_units_before_choosing_the_break(world, catalogue):
    from qudao.catalog.models import UnitConversion

    # given: 1 箱 = 12 件 and a break at 24
    hood = catalogue.skus["hood_a"]
    UnitConversion.objects.create(product=hood.product, unit="箱", factor=12)
    make_list("gold", tier=world.dist_js.tier, items=[(hood, "1250.00", 1), (hood, "1200.00", 24)])
    # when: 2 箱
    line = one(world.dist_js, hood, 2, unit="箱")
    # then: 24 base units at the 24 break
    assert (line.quantity, line.unit_quantity, line.unit, line.net_unit_price, line.line_total) == (
        24,
        2,
        "箱",
        Decimal("1200.00"),
        Decimal("28800.00"),
    )


def test_a_line_rule_prices_the_subtree_from_the_base_price_with_its_rounding(world, catalogue):
    # given: "厨电 at 95 % of base, rounded to 1 yuan" for gold; one explicit item in the same list
    hood_a, hood_b, wash = catalogue.skus["hood_a"], catalogue.skus["hood_b"], catalogue.skus["wash_a"]
    gold = make_list("gold", tier=world.dist_js.tier, items=[(hood_b, "1888.00")])
    PriceListRule.objects.create(
        price_list=gold, product_line=catalogue.lines["kitchen"], method="percent_of_base", value=95, rounding="1"
    )
    # when
    result = quote(world.dist_js, [CartLine(hood_a.pk, 1), CartLine(hood_b.pk, 1), CartLine(wash.pk, 1)], ON)
    hood_line, item_line, wash_line = result.lines
    # then: 1,299.00 × 95 % = 1,234.05 -> 1,234.00; the item row beats the rule; washers are not covered
    assert (hood_line.net_unit_price, hood_line.source.via, hood_line.source.base_price) == (
        Decimal("1234.00"),
        "rule",
        Decimal("1299.0000"),
    )
    assert hood_line.source.rule == "percent_of_base 95 rounded to 1"
    assert (item_line.net_unit_price, item_line.source.via) == (Decimal("1888.00"), "item")
    assert (wash_line.net_unit_price, wash_line.source.price_list_code) == (Decimal("3000.00"), "base")
    assert result.total == Decimal("6122.00")


def test_a_fixed_discount_rule_rounds_to_a_tenth(world, catalogue):
    hood = catalogue.skus["hood_a"]
    gold = make_list("gold", tier=world.dist_js.tier)
    PriceListRule.objects.create(
        price_list=gold, product_line=catalogue.lines["hoods"], method="fixed_discount", value="99.96", rounding="0.1"
    )
    # 1,299.00 - 99.96 = 1,199.04 -> 1,199.0
    assert one(world.dist_js, hood).net_unit_price == Decimal("1199.00")


def test_the_floor_price_clamps_the_net_price_and_says_so(world, catalogue):
    # given: a floor of 1,250.00 for HOOD-A and a partner list written below it
    hood = catalogue.skus["hood_a"]
    FloorPrice.objects.create(sku=hood, price=Decimal("1250.00"), valid_from=date(2026, 1, 1))
    make_list("dist", partner=world.dist_js, items=[(hood, "1100.00")])
    # when
    line = one(world.dist_js, hood, 3)
    # then
    assert (line.list_price, line.floor_price, line.floor_applied, line.net_unit_price, line.line_total) == (
        Decimal("1100.0000"),
        Decimal("1250.0000"),
        True,
        Decimal("1250.00"),
        Decimal("3750.00"),
    )
    # and a floor that is not valid on the date does not apply
    FloorPrice.objects.all().update(valid_to=date(2026, 6, 1))
    assert one(world.dist_js, hood).net_unit_price == Decimal("1100.00")


def test_it_refuses_zero_quantities_unknown_or_unauthorised_skus_unpriced_skus_and_bad_units(world, catalogue):
    from qudao.catalog.models import SalesScopeRule

    # given: a SKU outside the partner's scope, and an authorised SKU no list prices
    other_line = make_line("other", "其他")
    outside = make_sku("OUT-1", other_line)
    unpriced = make_sku("HOOD-X", catalogue.lines["hoods"])
    SalesScopeRule.objects.create(effect="deny", sku=catalogue.skus["wash_a"], partner=world.dist_js)
    hood = catalogue.skus["hood_a"]
    lines = [
        CartLine(hood.pk, 0),
        CartLine(hood.pk, -2),
        CartLine(outside.pk, 1),
        CartLine(catalogue.skus["wash_a"].pk, 1),
        CartLine(unpriced.pk, 1),
        CartLine(hood.pk, 1, unit="托"),
        CartLine(999999, 1),
        CartLine(hood.pk, 1_000_000_001),  # more than the integer columns hold with room for sums
        CartLine(hood.pk, 999_999_999_999),  # 12 digits, as a page's quantity box takes them
    ]
    # when
    with pytest.raises(FieldErrors) as caught:
        quote(world.dist_js, lines, ON)
    # then: every bad line is named
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "lines.0.quantity": ["Enter a quantity of at least 1."],
        "lines.1.quantity": ["Enter a quantity of at least 1."],
        "lines.2.sku": ["This SKU is not available to this partner."],
        "lines.3.sku": ["This SKU is not available to this partner."],
        "lines.4.sku": ["This SKU has no price for this partner on this date."],
        "lines.5.unit": ["This unit does not convert for this product."],
        "lines.6.sku": ["This SKU is not available to this partner."],
        "lines.7.quantity": ["Enter a quantity of at most 1,000,000,000 units."],
        "lines.8.quantity": ["Enter a quantity of at most 1,000,000,000 units."],
    }


def test_it_loads_the_inputs_in_a_fixed_number_of_queries(world, catalogue, django_assert_max_num_queries):
    # given: a 30-line cart
    skus = [make_sku(f"H-{index}", catalogue.lines["hoods"]) for index in range(30)]
    make_list("gold", tier=world.dist_js.tier, items=[(sku, "100.00") for sku in skus])
    # when / then: loading is set-based
    with django_assert_max_num_queries(12):
        inputs = fetch_pricing_inputs(world.dist_js, [sku.pk for sku in skus], ON)
    result = price_cart(inputs, [CartLine(sku.pk, 2) for sku in skus], ON)
    assert result.total == Decimal("6000.00")


def test_lists_and_floors_in_another_currency_never_apply(world, catalogue):
    hood = catalogue.skus["hood_a"]
    make_list("dist-hkd", partner=world.dist_js, currency="HKD", items=[(hood, "100.00")])
    FloorPrice.objects.create(sku=hood, price=Decimal("5000"), currency="HKD", valid_from=date(2026, 1, 1))
    line = one(world.dist_js, hood)
    assert (line.source.price_list_code, line.net_unit_price, line.floor_price) == ("base", Decimal("1299.00"), None)
