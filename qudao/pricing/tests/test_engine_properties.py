"""Properties of the pure pricing function, on generated inputs (no database)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from qudao.core.errors import FieldErrors
from qudao.pricing.engine import CartLine, FloorInfo, ListInfo, PricingInputs, RuleInfo, SkuInfo, price_cart

ON = date(2026, 6, 30)
SKU_IDS = range(1, 7)
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
    return PricingInputs(partner_id=1, currency="CNY", skus=skus, lists=tuple(lists), floors=floors)


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
        assert line.net_unit_price >= 0
        if line.floor_price is not None:
            assert line.net_unit_price >= line.floor_price
        assert line.net_unit_price == line.net_unit_price.quantize(Decimal("0.01"))
        assert line.line_total == line.net_unit_price * line.quantity
    assert sum(line.line_total for line in result.lines) == result.total


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


@settings(max_examples=100, deadline=None)
@given(inputs(), cart_lines, cart_lines)
def test_adding_a_line_changes_no_other_line(data, lines, extra):
    lines, extra = priced(data, lines), priced(data, extra[:1])
    if not lines or not extra:
        return
    before = price_cart(data, lines, ON)
    after = price_cart(data, lines + extra, ON)
    assert list(map(key, after.lines[: len(lines)])) == list(map(key, before.lines))
    assert after.total == before.total + after.lines[-1].line_total
