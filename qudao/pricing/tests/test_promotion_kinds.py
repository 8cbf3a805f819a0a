"""Worked examples of buy-X-get-Y, bundle prices and limited promotions, and of reserving and
releasing what orders take from them (qudao.pricing.engine and qudao.pricing.reservations)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.core.errors import Conflict, FieldErrors
from qudao.pricing import reservations, services
from qudao.pricing.engine import CartLine, quote
from qudao.pricing.models import Promotion, PromotionUsage

from .conftest import make_line, make_list, make_promo, make_sku

ON = date(2026, 6, 30)


def lines_of(catalogue, *pairs):
    return [CartLine(catalogue.skus[key].pk, qty) for key, qty in pairs]


def cart(partner, catalogue, *pairs):
    return quote(partner, lines_of(catalogue, *pairs), ON)


def applied(line):
    return [(item["promotion"], item["amount"]) for item in line.promotions]


def gifts(result):
    return [(gift.promotion, gift.sku_code, gift.quantity, gift.list_price, gift.line_total) for gift in result.gifts]


def usage(result):
    return [(use.promotion, use.quantity, use.amount) for use in result.usage]


# --- buy X get Y -------------------------------------------------------------------------------


def test_buy_ten_get_one_free_of_the_same_sku_for_each_ten(world, catalogue):
    # given: for every 10 HOOD-A, 1 HOOD-A free
    make_promo("a10plus1", "buy_x_get_y", sku=catalogue.skus["hood_a"], buy_qty=10, gift_qty=1, per_each=True)
    # when: 25 bought
    result = cart(world.dist_js, catalogue, ("hood_a", 25))
    # then: 2 free units on a line of their own at zero; the bought line keeps its price
    assert gifts(result) == [("a10plus1", "HOOD-A", 2, Decimal("1299.00"), Decimal("0"))]
    assert result.gifts[0].for_index == 0
    assert (result.lines[0].line_total, result.total) == (Decimal("32475.00"), Decimal("32475.00"))
    assert usage(result) == [("a10plus1", 2, Decimal("2598.00"))]
    # when: 9 bought, then: one more unit would earn the gift
    short = cart(world.dist_js, catalogue, ("hood_a", 9))
    assert (short.gifts, short.promotions_not_applied) == (
        (),
        ({"promotion": "a10plus1", "reason": "below_threshold", "short_by_qty": 1},),
    )


def test_buy_three_hoods_get_another_sku_once(world, catalogue):
    # given: 3 range hoods of any model earn one HOOD-B, once per order
    make_promo(
        "hood3", "buy_x_get_y", product_line=catalogue.lines["hoods"], buy_qty=3, gift_qty=1,
        gift_sku=catalogue.skus["hood_b"],
    )  # fmt: skip
    # when: 2 HOOD-A + 5 HOOD-B = 7 hoods (not per each: one gift)
    result = cart(world.dist_js, catalogue, ("hood_a", 2), ("hood_b", 5))
    # then
    assert gifts(result) == [("hood3", "HOOD-B", 1, Decimal("2000.00"), Decimal("0"))]
    assert result.gifts[0].for_index is None
    assert result.total == Decimal("12598.00")


def test_a_gift_the_partner_may_not_buy_is_never_given_and_refused_when_saved(world, catalogue):
    # given: a spare part outside the partner's sales scope, with a base price
    spares = make_line("spares", "配件")
    spare = make_sku("SPARE-1", spares)
    make_list("spare-base", items=[(spare, "80.00")])
    make_promo("hoodgift", "buy_x_get_y", sku=catalogue.skus["hood_a"], buy_qty=1, gift_qty=1, gift_sku=spare)
    # when
    result = cart(world.dist_js, catalogue, ("hood_a", 2))
    # then: no gift line; the reason says why
    assert result.gifts == ()
    assert result.promotions_not_applied == ({"promotion": "hoodgift", "reason": "gift_not_allowed"},)
    # and: a promotion for that partner naming that gift is refused, nothing saved
    with pytest.raises(FieldErrors) as refused:
        services.create_promotion(
            data={
                "code": "dist-gift",
                "name": "经销商赠品",
                "kind": "buy_x_get_y",
                "stacking": "exclusive",
                "partner": world.dist_js.pk,
                "sku": catalogue.skus["hood_a"].pk,
                "buy_qty": 1,
                "gift_qty": 1,
                "gift_sku": spare.pk,
                "valid_from": ON,
            }
        )
    assert refused.value.errors == {"gift_sku": ["This partner may not buy the gift SKU, so it cannot be given to it."]}
    assert not Promotion.objects.filter(code="dist-gift").exists()


# --- bundle price ------------------------------------------------------------------------------


def test_a_bundle_price_applies_to_each_full_set_and_is_allocated_to_its_lines(world, catalogue):
    # given: HOOD-A + WASH-A for 4,000.00 a set (1,299.00 + 3,000.00 = 4,299.00: 299.00 saved a set)
    make_promo(
        "kitchen-set", "bundle", value=4000,
        bundle_items=[[catalogue.skus["hood_a"].pk, 1], [catalogue.skus["wash_a"].pk, 1]],
    )  # fmt: skip
    # when: 3 hoods and 2 washers make 2 sets
    result = cart(world.dist_js, catalogue, ("hood_a", 3), ("wash_a", 2), ("hood_b", 1))
    hood, wash, other = result.lines
    # then: 598.00 split 3,897.00 : 6,000.00 -> 235.4656.. and 362.5343.. -> 235.47 and 362.53
    assert (applied(hood), applied(wash), other.promotions) == (
        [("kitchen-set", Decimal("235.47"))],
        [("kitchen-set", Decimal("362.53"))],
        (),
    )
    assert (hood.line_total, wash.line_total, other.line_total) == (
        Decimal("3661.53"),
        Decimal("5637.47"),
        Decimal("2000.00"),
    )
    assert hood.promotions[0]["sets"] == 2
    assert result.total == Decimal("11299.00")  # 3,897 + 6,000 + 2,000 - 598
    assert usage(result) == [("kitchen-set", 2, Decimal("598.00"))]
    # when: no washer, then: the set is incomplete and says what is missing
    incomplete = cart(world.dist_js, catalogue, ("hood_a", 1))
    assert incomplete.promotions_not_applied == (
        {"promotion": "kitchen-set", "reason": "bundle_incomplete", "missing": [["WASH-A", 1]]},
    )


def test_a_bundle_with_a_sku_the_partner_may_not_buy_is_not_open_to_it(world, catalogue):
    spares = make_line("spares", "配件")
    spare = make_sku("SPARE-1", spares)
    make_list("spare-base", items=[(spare, "80.00")])
    make_promo("hood-spare", "bundle", value=1000, bundle_items=[[catalogue.skus["hood_a"].pk, 1], [spare.pk, 1]])
    result = cart(world.dist_js, catalogue, ("hood_a", 1))
    assert (result.total, result.promotions_not_applied) == (Decimal("1299.00"), ())


def test_a_bundle_dearer_than_its_parts_saves_nothing_and_is_not_applied(world, catalogue):
    make_promo("dear-set", "bundle", value=5000, bundle_items=[[catalogue.skus["hood_b"].pk, 2]])
    result = cart(world.dist_js, catalogue, ("hood_b", 2))
    assert result.total == Decimal("4000.00")
    assert result.promotions_not_applied == ({"promotion": "dear-set", "reason": "no_saving"},)


# --- limited specials and budgets -------------------------------------------------------------


def test_a_limited_special_gives_the_special_price_to_the_units_its_caps_allow(world, catalogue):
    # given: HOOD-B at 1,800.00 (200.00 off), at most 5 per partner and 8 in all
    promo = make_promo(
        "b-flash", "limited_special", sku=catalogue.skus["hood_b"], value=1800, partner_cap_qty=5, budget_qty=8
    )
    # when: dist_js orders 7 and the order is placed
    placed = reservations.reserve(
        partner=world.dist_js, lines=lines_of(catalogue, ("hood_b", 7)), on=ON, reference="SO-1"
    )
    line = placed.lines[0]
    # then: 5 units at 1,800.00, 2 at 2,000.00
    assert (applied(line), line.promotions[0]["limited_to"]) == ([("b-flash", Decimal("1000.00"))], 5)
    assert (line.line_total, line.net_unit_price) == (Decimal("13000.00"), Decimal("1857.1429"))
    promo.refresh_from_db()
    assert (promo.used_qty, promo.used_amount) == (5, Decimal("1000.0000"))
    # when: dist_js asks again, then: its cap is reached
    again = cart(world.dist_js, catalogue, ("hood_b", 1))
    assert again.promotions_not_applied == ({"promotion": "b-flash", "reason": "cap_reached"},)
    assert again.total == Decimal("2000.00")
    # when: another partner orders 4, then: only 3 are left in the budget
    other = reservations.reserve(
        partner=world.dealer_zj, lines=lines_of(catalogue, ("hood_b", 4)), on=ON, reference="SO-2"
    )
    assert (other.lines[0].promotions[0]["limited_to"], other.lines[0].line_total) == (3, Decimal("7400.00"))
    promo.refresh_from_db()
    assert (promo.used_qty, promo.used_amount) == (8, Decimal("1600.0000"))
    # when: SO-1 is cancelled, then: its 5 units come back, and the ledger keeps both entries
    released = reservations.release(reference="SO-1")
    assert [(entry.entry, entry.quantity, entry.amount) for entry in released] == [("release", -5, Decimal("-1000.00"))]
    promo.refresh_from_db()
    assert (promo.used_qty, promo.used_amount) == (3, Decimal("600.0000"))
    assert reservations.release(reference="SO-1") == []  # releasing twice releases once
    assert PromotionUsage.objects.filter(reference="SO-1").count() == 2
    assert cart(world.dist_js, catalogue, ("hood_b", 5)).lines[0].line_total == Decimal("9000.00")
    assert reservations.consumption(promo) == {
        "quantity": 3,
        "amount": Decimal("600.0000"),
        "orders": 1,
        "partners": 1,
    }


def test_a_money_budget_cuts_the_last_threshold_discount_then_stops_it(world, catalogue):
    # given: spend 5,000 get 300 off, with 500.00 to give in all
    make_promo("k300", "threshold", threshold=5000, value=300, budget_amount=500)
    order = (("hood_b", 3),)  # 6,000.00
    # when: three orders are placed
    first = reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, *order), on=ON, reference="A")
    second = reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, *order), on=ON, reference="B")
    third = reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, *order), on=ON, reference="C")
    # then: 300.00, what is left (200.00), nothing
    assert [result.total for result in (first, second, third)] == [
        Decimal("5700.00"),
        Decimal("5800.00"),
        Decimal("6000.00"),
    ]
    assert second.lines[0].promotions[0]["budget_cut"] is True
    assert third.promotions_not_applied == ({"promotion": "k300", "reason": "cap_reached"},)
    assert Promotion.objects.get(code="k300").used_amount == Decimal("500.0000")


def test_a_reference_reserves_once_and_a_quote_consumes_nothing(world, catalogue):
    promo = make_promo("b-flash", "limited_special", sku=catalogue.skus["hood_b"], value=1800, budget_qty=3)
    for _ in range(3):
        cart(world.dist_js, catalogue, ("hood_b", 3))
    promo.refresh_from_db()
    assert promo.used_qty == 0
    reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, ("hood_b", 2)), on=ON, reference="SO-9")
    with pytest.raises(Conflict):
        reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, ("hood_b", 1)), on=ON, reference="SO-9")
    promo.refresh_from_db()
    assert promo.used_qty == 2
    with pytest.raises(FieldErrors):
        reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, ("hood_b", 1)), on=ON, reference=" ")


def test_unlimited_promotions_are_recorded_in_the_ledger_without_counters(world, catalogue):
    promo = make_promo("hood10", "percent_off", product_line=catalogue.lines["hoods"], value=10)
    reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, ("hood_a", 2)), on=ON, reference="SO-3")
    promo.refresh_from_db()
    assert (promo.used_qty, promo.used_amount) == (0, Decimal("0"))
    assert list(PromotionUsage.objects.values_list("reference", "entry", "quantity", "amount")) == [
        ("SO-3", "reserve", 2, Decimal("259.8000"))
    ]


# --- editing and deleting ----------------------------------------------------------------------


def test_a_started_promotion_takes_only_name_end_priority_and_limits(world, catalogue):
    promo = make_promo("b-flash", "limited_special", sku=catalogue.skus["hood_b"], value=1800, budget_qty=8)
    reservations.reserve(partner=world.dist_js, lines=lines_of(catalogue, ("hood_b", 6)), on=ON, reference="SO-1")
    # when: its price changes while it runs, then: refused
    with pytest.raises(FieldErrors) as refused:
        services.update_promotion(promotion=promo, data={"value": "1500"})
    assert refused.value.errors == {"value": ["Pause the promotion (set it to draft) before changing this."]}
    # when: the budget goes below what was used, then: refused
    with pytest.raises(FieldErrors) as below:
        services.update_promotion(promotion=promo, data={"budget_qty": 5})
    assert below.value.errors == {"budget_qty": ["Orders have already used 6; the budget cannot be lower."]}
    # when: the budget grows and the name changes, then: saved
    services.update_promotion(promotion=promo, data={"budget_qty": 20, "name": "闪购加量"})
    promo.refresh_from_db()
    assert (promo.budget_qty, promo.name, promo.value) == (20, "闪购加量", Decimal("1800.0000"))
    # and: a used promotion cannot be deleted, an unused draft can
    with pytest.raises(Conflict):
        services.delete_promotion(promotion=promo)
    draft = make_promo("unused", "percent_off", value=5)
    services.delete_promotion(promotion=draft)
    assert not Promotion.objects.filter(code="unused").exists()
    # and: an ended promotion cannot be changed
    services.set_promotion_status(promotion=promo, status="ended")
    with pytest.raises(Conflict):
        services.update_promotion(promotion=promo, data={"name": "x"})


def test_bad_promotions_are_refused_field_by_field(world, catalogue):
    base = {"code": "bad", "name": "坏", "stacking": "exclusive", "valid_from": ON}
    cases = [
        (
            {"kind": "limited_special", "value": "999", "sku": catalogue.skus["hood_a"].pk},
            {"partner_cap_qty": ["A limited special needs a cap per partner or a budget."]},
        ),
        (
            {"kind": "buy_x_get_y", "buy_qty": 0, "gift_qty": "x"},
            {"buy_qty": ["Enter a whole number of at least 1."], "gift_qty": ["Enter a whole number of at least 1."]},
        ),
        (
            {
                "kind": "bundle",
                "value": "100",
                "bundle_items": [[catalogue.skus["hood_a"].pk, 1], [catalogue.skus["hood_a"].pk, 2], [999999, 1]],
            },
            {"bundle_items.1": ["This SKU is already in the bundle."], "bundle_items.2": ["Unknown SKU."]},
        ),
        (
            {"kind": "bundle", "value": "100", "bundle_items": [], "product_line": catalogue.lines["hoods"].pk},
            {
                "product_line": ["A bundle covers the SKUs of the bundle; name no product line or SKU."],
                "bundle_items": ["Name the SKUs of the bundle, each with its quantity."],
            },
        ),
        (
            {"kind": "percent_off", "value": "5", "budget_qty": -1},
            {"budget_qty": ["Enter a whole number of at least 1."]},
        ),
    ]
    for data, errors in cases:
        with pytest.raises(FieldErrors) as refused:
            services.create_promotion(data=base | data)
        assert refused.value.errors == errors, data
    assert not Promotion.objects.filter(code="bad").exists()


def test_a_threshold_leaves_out_the_lines_of_an_exclusive_special_price(world, catalogue):
    # given: 厨电 spend 5,000 get 300 off, and an exclusive special price on HOOD-B (1,800.00)
    make_promo("b-special", "special_price", sku=catalogue.skus["hood_b"], value=1800, priority=9)
    make_promo(
        "k300", "threshold", product_line=catalogue.lines["kitchen"], threshold=5000, value=300,
        stacking="stackable", group="A",
    )  # fmt: skip
    # when: HOOD-A × 4 (5,196.00) and HOOD-B × 1 at the special price
    result = cart(world.dist_js, catalogue, ("hood_a", 4), ("hood_b", 1))
    hood_a, hood_b = result.lines
    # then: the threshold counts HOOD-A only, and says it left HOOD-B out
    assert (applied(hood_a), applied(hood_b)) == ([("k300", Decimal("300.00"))], [("b-special", Decimal("200.00"))])
    assert result.total == Decimal("6696.00")  # 5,196.00 - 300.00 + 1,800.00
    assert result.promotions_not_applied == (
        {"promotion": "k300", "reason": "exclusive", "by": "b-special", "lines": ["HOOD-B"]},
    )
    # when: HOOD-A × 3 (3,897.00), then: 1,103.00 short, HOOD-B's 1,800.00 does not count
    short = cart(world.dist_js, catalogue, ("hood_b", 1), ("hood_a", 3))
    assert short.promotions_not_applied == (
        {"promotion": "k300", "reason": "exclusive", "by": "b-special", "lines": ["HOOD-B"]},
        {"promotion": "k300", "reason": "below_threshold", "short_by": Decimal("1103.0000")},
    )
