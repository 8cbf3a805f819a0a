"""Properties of the pure pricing function, on generated inputs (no database)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from qudao.core.errors import FieldErrors
from qudao.core.money import quantize
from qudao.pricing.engine import (
    CartLine,
    FloorInfo,
    ListInfo,
    PricingInputs,
    PromoInfo,
    RuleInfo,
    SkuInfo,
    price_cart,
)

ON = date(2026, 6, 30)
SKU_IDS = range(1, 7)
OUTSIDER = 99  # a SKU in a line of its own, priced by the first list
LINE_PATHS = ["/1/2/", "/1/3/", "/1/2/4/"]

prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=4, allow_nan=False)


@st.composite
def inputs(draw):
    skus = {
        sku_id: SkuInfo(
            id=sku_id,
            code=f"S{sku_id}",
            name=f"S{sku_id}",
            line_path=draw(st.sampled_from(LINE_PATHS)),
            allowed=True,
            units=(("箱", 12),),
            base_unit="件",
        )
        for sku_id in SKU_IDS
    }
    lists = []
    for list_id in range(1, draw(st.integers(1, 6)) + 1):
        kind = "base" if list_id == 1 else draw(st.sampled_from(["base", "region", "tier", "tier_region", "partner"]))
        items = {}
        for sku_id in draw(st.sets(st.sampled_from(list(SKU_IDS)))):
            breaks = draw(st.dictionaries(st.integers(1, 30), prices, min_size=1, max_size=3))
            items[sku_id] = tuple(sorted(breaks.items()))
        rules = tuple(
            RuleInfo(
                line_path=path,
                line_depth=path.count("/") - 2,
                method=draw(st.sampled_from(["percent_of_base", "fixed_discount"])),
                value=draw(st.decimals(min_value=0, max_value=150, places=2)),
                rounding=draw(st.sampled_from([Decimal("0.01"), Decimal("0.1"), Decimal("1")])),
            )
            for path in draw(st.sets(st.sampled_from(LINE_PATHS), max_size=2))
        )
        start = ON + timedelta(days=draw(st.integers(-30, 5)))
        end = draw(st.one_of(st.none(), st.just(start + timedelta(days=draw(st.integers(0, 60))))))
        lists.append(
            ListInfo(
                id=list_id,
                code=f"L{list_id}",
                name=f"L{list_id}",
                kind=kind,
                priority=draw(st.integers(0, 3)),
                valid_from=start,
                valid_to=end,
                items=items,
                rules=rules,
            )
        )
    floors = {
        sku_id: (FloorInfo(draw(prices), ON - timedelta(days=1), None),)
        for sku_id in draw(st.sets(st.sampled_from(list(SKU_IDS))))
    }
    skus[OUTSIDER] = SkuInfo(id=OUTSIDER, code="OUT", name="OUT", line_path="/9/", allowed=True, base_unit="件")
    lists[0].items[OUTSIDER] = ((1, Decimal("10.0000")),)
    promotions = []
    kinds = [
        "percent_off",
        "amount_off",
        "special_price",
        "limited_special",
        "threshold",
        "tiered_threshold",
        "buy_x_get_y",
        "bundle",
    ]
    for promo_id in range(1, draw(st.integers(0, 5)) + 1):
        kind = draw(st.sampled_from(kinds))
        target = draw(st.sampled_from(["all", "line", "sku"]))
        limited = kind == "limited_special" or draw(st.booleans())
        promotions.append(
            PromoInfo(
                id=promo_id,
                code=f"P{promo_id}",
                name=f"P{promo_id}",
                kind=kind,
                priority=draw(st.integers(0, 3)),
                stacking=draw(st.sampled_from(["exclusive", "stackable"])),
                group=draw(st.sampled_from(["A", "B"])),
                valid_from=ON - timedelta(days=1),
                valid_to=None,
                line_path=draw(st.sampled_from(LINE_PATHS)) if target == "line" else None,
                sku_id=draw(st.sampled_from(list(SKU_IDS))) if target == "sku" else None,
                value=draw(st.decimals(min_value=0, max_value=100, places=2))
                if kind == "percent_off"
                else draw(prices),
                threshold=draw(st.decimals(min_value=1, max_value=50000, places=2)),
                per_each=draw(st.booleans()),
                tiers=tuple(
                    sorted(
                        draw(
                            st.dictionaries(
                                st.decimals(min_value=1, max_value=50000, places=2), prices, min_size=1, max_size=3
                            )
                        ).items()
                    )
                ),
                buy_qty=draw(st.integers(1, 12)),
                gift_qty=draw(st.integers(1, 3)),
                gift_sku_id=draw(st.one_of(st.none(), st.sampled_from(list(SKU_IDS)))),
                bundle=tuple(
                    draw(
                        st.dictionaries(st.sampled_from(list(SKU_IDS)), st.integers(1, 4), min_size=1, max_size=3)
                    ).items()
                ),
                remaining_qty=draw(st.one_of(st.none(), st.integers(0, 30))) if limited else None,
                remaining_amount=draw(st.one_of(st.none(), prices)) if limited else None,
            )
        )
    return PricingInputs(
        partner_id=1, currency="CNY", skus=skus, lists=tuple(lists), floors=floors, promotions=tuple(promotions)
    )


cart_lines = st.lists(
    st.builds(
        CartLine,
        sku=st.sampled_from(list(SKU_IDS)),
        quantity=st.integers(1, 40),
        unit=st.sampled_from([None, "件", "箱"]),
    ),
    min_size=1,
    max_size=8,
)


def priced(data, lines):
    """Quote the lines, leaving out those the inputs cannot price."""
    kept = []
    for line in lines:
        try:
            price_cart(data, [line], ON)
        except FieldErrors:
            continue
        kept.append(line)
    return kept


def key(line):
    return (line.sku, line.quantity, line.unit, line.list_price, line.net_unit_price, line.line_total, line.source)


@settings(max_examples=100, deadline=None)
@given(inputs(), cart_lines)
def test_no_net_price_is_below_the_floor_or_zero_and_lines_add_up_to_the_total(data, lines):
    lines = priced(data, lines)
    if not lines:
        return
    result = price_cart(data, lines, ON)
    for line in result.lines:
        assert line.net_unit_price >= 0 and line.line_total >= 0
        if line.floor_price is not None:
            assert line.net_unit_price >= line.floor_price
            assert line.line_total >= line.floor_price * line.quantity
        assert line.line_total == line.line_total.quantize(Decimal("0.01"))
        if not any(item.get("allocated") or item.get("limited_to") for item in line.promotions):
            assert line.line_total == line.net_unit_price * line.quantity
        # a discount never exceeds what it discounts: the promotions add up to the list amount less the line total
        start = max(quantize(line.list_price), line.net_unit_price if line.floor_applied else 0)
        discounts = sum((item["amount"] for item in line.promotions), Decimal("0"))
        assert all(item["amount"] >= 0 for item in line.promotions)
        if not line.floor_applied:
            assert discounts == start * line.quantity - line.line_total
        assert discounts <= start * line.quantity
    assert sum(line.line_total for line in result.lines) == result.total
    # gift lines are free, of SKUs the partner may buy, and never beyond a promotion's limits
    for gift in result.gifts:
        assert (gift.line_total, gift.net_unit_price, gift.quantity > 0) == (0, 0, True)
        assert data.skus[gift.sku].allowed
    promos = {promo.id: promo for promo in data.promotions}
    for use in result.usage:
        promo = promos[use.promotion_id]
        assert use.quantity >= 0 and use.amount >= 0
        if promo.remaining_qty is not None:
            assert use.quantity <= promo.remaining_qty
        if promo.remaining_amount is not None:
            assert use.amount <= promo.remaining_amount


def gift_key(gift):
    return (gift.promotion, gift.sku, gift.quantity, gift.list_price)


@settings(max_examples=100, deadline=None)
@given(inputs(), cart_lines, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_lines(data, lines, rng):
    lines = priced(data, lines)
    if not lines:
        return
    shuffled = list(lines)
    rng.shuffle(shuffled)
    first, second = price_cart(data, lines, ON), price_cart(data, shuffled, ON)
    assert first.total == second.total
    assert sorted(map(key, first.lines), key=repr) == sorted(map(key, second.lines), key=repr)
    assert sorted(map(gift_key, first.gifts)) == sorted(map(gift_key, second.gifts))
    assert first.usage == second.usage


@settings(max_examples=100, deadline=None)
@given(inputs(), cart_lines, cart_lines)
def test_adding_a_line_changes_no_other_line(data, lines, extra):
    lines = priced(data, lines)
    if not lines:
        return
    extra = priced(data, [CartLine(OUTSIDER, extra[0].quantity)])  # a line no promotion covers (see below)
    covers_everything = [
        promo
        for promo in data.promotions
        if promo.kind != "bundle" and promo.line_path is None and promo.sku_id is None
    ]
    if not extra or covers_everything:
        return
    before = price_cart(data, lines, ON)
    after = price_cart(data, lines + extra, ON)
    assert list(map(key, after.lines[: len(lines)])) == list(map(key, before.lines))
    assert after.total == before.total + after.lines[-1].line_total
    assert after.gifts == before.gifts and after.usage == before.usage
