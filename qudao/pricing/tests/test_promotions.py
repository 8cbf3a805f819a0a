"""Worked examples of promotions: each kind, stacking, thresholds, allocation and floors
(qudao.pricing.engine's docstring is the rule)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.core.errors import FieldErrors
from qudao.pricing import services
from qudao.pricing.engine import CartLine, allocate, quote
from qudao.pricing.models import FloorPrice, Promotion

from .conftest import make_promo

ON = date(2026, 6, 30)


def cart(world, catalogue, *pairs):
    return quote(world.dist_js, [CartLine(catalogue.skus[key].pk, qty) for key, qty in pairs], ON)


def applied(line):
    return [(item["promotion"], item["amount"]) for item in line.promotions]


def test_a_percentage_off_takes_the_percentage_of_the_unit_price_to_the_cent(world, catalogue):
    # given: 10 % off 油烟机
    make_promo("hood10", "percent_off", product_line=catalogue.lines["hoods"], value=10)
    # when
    result = cart(world, catalogue, ("hood_a", 2), ("wash_a", 1))
    hood, wash = result.lines
    # then: 1,299.00 - 129.90 = 1,169.10 per unit; the washer is not covered
    assert (hood.net_unit_price, hood.line_total, applied(hood)) == (
        Decimal("1169.10"),
        Decimal("2338.20"),
        [("hood10", Decimal("259.80"))],
    )
    assert (wash.net_unit_price, wash.promotions) == (Decimal("3000.00"), ())
    assert result.total == Decimal("5338.20")


def test_an_amount_off_and_a_special_price(world, catalogue):
    make_promo("b50", "amount_off", sku=catalogue.skus["hood_b"], value=50)
    make_promo("a999", "special_price", sku=catalogue.skus["hood_a"], value=999)
    hood_a, hood_b = cart(world, catalogue, ("hood_a", 1), ("hood_b", 3)).lines
    assert (hood_a.net_unit_price, applied(hood_a)) == (Decimal("999.00"), [("a999", Decimal("300.00"))])
    assert (hood_b.net_unit_price, hood_b.line_total, applied(hood_b)) == (
        Decimal("1950.00"),
        Decimal("5850.00"),
        [("b50", Decimal("150.00"))],
    )


def test_a_threshold_discount_says_how_much_is_missing_then_allocates_to_the_cent(world, catalogue):
    # given: 厨电 spend 5,000 get 300 off (once)
    make_promo("k300", "threshold", product_line=catalogue.lines["kitchen"], threshold=5000, value=300)
    # when: 2,598.00 + 2,000.00 = 4,598.00
    short = cart(world, catalogue, ("hood_a", 2), ("hood_b", 1))
    # then: 402.00 short
    assert short.promotions_not_applied == (
        {"promotion": "k300", "reason": "below_threshold", "short_by": Decimal("402.0000")},
    )
    assert short.total == Decimal("4598.00")
    # when: 2,598.00 + 4,000.00 = 6,598.00, plus a washer the promotion does not cover
    result = cart(world, catalogue, ("hood_a", 2), ("hood_b", 2), ("wash_a", 1))
    hood_a, hood_b, wash = result.lines
    # then: 300.00 split 259,800 : 400,000 -> 118.126.. and 181.873.. -> 118.13 and 181.87 (largest remainder)
    assert (applied(hood_a), applied(hood_b), wash.promotions) == (
        [("k300", Decimal("118.13"))],
        [("k300", Decimal("181.87"))],
        (),
    )
    assert (hood_a.line_total, hood_b.line_total, wash.line_total) == (
        Decimal("2479.87"),
        Decimal("3818.13"),
        Decimal("3000.00"),
    )
    assert hood_a.net_unit_price == Decimal("1239.9350")
    assert result.total == Decimal("9298.00") == sum(line.line_total for line in result.lines)


def test_a_threshold_for_each_full_amount_and_how_far_the_next_step_is(world, catalogue):
    # given: every full 2,000 spent gets 100 off, order-wide
    make_promo("each2000", "threshold", threshold=2000, value=100, per_each=True)
    # when: 6,598.00
    result = cart(world, catalogue, ("hood_a", 2), ("hood_b", 2))
    # then: 3 × 100 = 300; the next 100 needs 1,402.00 more
    first = result.lines[0].promotions[0]
    assert (first["order_amount"], first["next_threshold_short_by"]) == (Decimal("300.00"), Decimal("1402.0000"))
    assert result.total == Decimal("6298.00")


def test_tiered_thresholds_apply_only_the_highest_tier_reached(world, catalogue):
    make_promo("tiers", "tiered_threshold", tiers=[["3000", "100"], ["6000", "400"], ["10000", "1000"]], priority=1)
    result = cart(world, catalogue, ("hood_a", 2), ("hood_b", 2))  # 6,598.00
    first = result.lines[0].promotions[0]
    assert (first["order_amount"], first["next_threshold_short_by"]) == (Decimal("400.00"), Decimal("3402.00"))
    assert result.total == Decimal("6198.00")
    small = cart(world, catalogue, ("hood_a", 1))  # 1,299.00
    assert small.promotions_not_applied == (
        {"promotion": "tiers", "reason": "below_threshold", "short_by": Decimal("1701.00")},
    )


def test_an_exclusive_promotion_never_combines_and_the_loser_says_why(world, catalogue):
    # given: an exclusive 10 % (priority 10) and a stackable 50 off (priority 5) on HOOD-A
    hood = catalogue.skus["hood_a"]
    make_promo("excl", "percent_off", sku=hood, value=10, priority=10)
    make_promo("fifty", "amount_off", sku=hood, value=50, priority=5, stacking="stackable", group="A")
    # when
    result = cart(world, catalogue, ("hood_a", 1))
    # then
    assert applied(result.lines[0]) == [("excl", Decimal("129.90"))]
    assert result.promotions_not_applied == ({"promotion": "fifty", "reason": "exclusive", "by": "excl"},)


def test_stackable_promotions_combine_within_their_group_and_another_group_loses_on_priority(world, catalogue):
    hood = catalogue.skus["hood_a"]
    make_promo("ten", "percent_off", sku=hood, value=10, priority=10, stacking="stackable", group="A")
    make_promo("fifty", "amount_off", sku=hood, value=50, priority=5, stacking="stackable", group="A")
    make_promo("other", "amount_off", sku=hood, value=80, priority=1, stacking="stackable", group="B")
    result = cart(world, catalogue, ("hood_a", 1))
    # 1,299.00 - 129.90 = 1,169.10 - 50.00 = 1,119.10
    assert (result.lines[0].net_unit_price, applied(result.lines[0])) == (
        Decimal("1119.10"),
        [("ten", Decimal("129.90")), ("fifty", Decimal("50.00"))],
    )
    assert result.promotions_not_applied == ({"promotion": "other", "reason": "lost_on_priority", "by": "ten"},)


def test_no_promotion_goes_below_the_floor(world, catalogue):
    # given: a floor of 1,200.00 on HOOD-A, 20 % off it, and an order-wide 1,000 off above 1,000
    hood = catalogue.skus["hood_a"]
    FloorPrice.objects.create(sku=hood, price=Decimal("1200.00"), valid_from=date(2026, 1, 1))
    make_promo("deep", "percent_off", sku=hood, value=20, stacking="stackable", group="A", priority=2)
    make_promo("big", "threshold", threshold=1000, value=1000, stacking="stackable", group="A")
    # when
    result = cart(world, catalogue, ("hood_a", 1), ("hood_b", 1))
    hood_line, other = result.lines
    # then: the unit discount stops at 99.00; the order discount takes nothing more from HOOD-A
    assert hood_line.promotions[0]["unit_amount"] == Decimal("99.00")
    assert hood_line.promotions[0]["capped_at_floor"] is True
    assert (hood_line.line_total, hood_line.floor_applied) == (Decimal("1200.00"), True)
    assert (applied(other), other.line_total) == ([("big", Decimal("1000.00"))], Decimal("1000.00"))
    assert result.total == Decimal("2200.00")


def test_inactive_future_and_other_audience_promotions_do_not_apply(world, catalogue):
    hood = catalogue.skus["hood_a"]
    make_promo("future", "percent_off", sku=hood, value=10, valid_from=date(2026, 7, 1))
    make_promo("silver", "percent_off", sku=hood, value=10, tier=world.sub_js.tier)
    Promotion.objects.filter(code="future").update(status="active")
    make_promo("draft", "percent_off", sku=hood, value=10)
    Promotion.objects.filter(code="draft").update(status="draft")
    result = cart(world, catalogue, ("hood_a", 1))
    assert (result.lines[0].promotions, result.promotions_not_applied) == ((), ())


def test_largest_remainder_allocation_adds_up_and_respects_caps():
    assert allocate(100, [1, 1, 1], [1000, 1000, 1000]) == [34, 33, 33]
    assert allocate(1000, [500, 300, 200], [100, 1000, 1000]) == [100, 540, 360]
    assert sum(allocate(9999, [7, 13, 29, 1], [10**6] * 4)) == 9999


def test_a_promotion_needs_a_stacking_policy_and_the_fields_of_its_kind(world, catalogue):
    with pytest.raises(FieldErrors) as caught:
        services.create_promotion(data={"code": "x", "name": "x", "kind": "threshold", "valid_from": date(2026, 1, 1)})
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "stacking": ["Choose a stacking policy: exclusive, or stackable within a group."],
        "value": ["Enter the value of the promotion."],
        "threshold": ["Enter an amount, e.g. 1299.00."],
    }
    with pytest.raises(FieldErrors) as caught:
        services.create_promotion(
            data={
                "code": "y",
                "name": "y",
                "kind": "percent_off",
                "value": "10",
                "stacking": "stackable",
                "valid_from": date(2026, 1, 1),
            }
        )
    assert list(caught.value.errors) == ["stack_group"]
    assert not Promotion.objects.exists()
    created = services.create_promotion(
        data={
            "code": "z",
            "name": "z",
            "kind": "tiered_threshold",
            "tiers": [["3000", "100"], ["6000", "400"]],
            "stacking": "exclusive",
            "valid_from": date(2026, 1, 1),
        }
    )
    assert created.tiers == [["3000", "100"], ["6000", "400"]]
