"""The tier engine: the worked example, both styles at and around every boundary, caps, fixed and
per-unit tiers, and tier validation (pure functions: no database)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from qudao.core.errors import FieldErrors
from qudao.rebates.engine import MARGINAL, RETROSPECTIVE, Tier, clean_tiers, compute

EXAMPLE = [Tier(D("0"), "rate", D("1")), Tier(D("100000"), "rate", D("2")), Tier(D("300000"), "rate", D("3"))]


def test_it_computes_the_worked_example_exactly():
    # given the tiers 0-100,000 at 1 %, 100,000-300,000 at 2 %, 300,000 and more at 3 %
    # when / then
    assert compute(D("350000"), EXAMPLE, RETROSPECTIVE).amount == D("10500.00")
    assert compute(D("350000"), EXAMPLE, MARGINAL).amount == D("6500.00")
    assert compute(D("100000"), EXAMPLE, RETROSPECTIVE).amount == D("2000.00")
    assert compute(D("100000"), EXAMPLE, MARGINAL).amount == D("1000.00")


@pytest.mark.parametrize(
    ("basis", "tier", "retrospective", "marginal"),
    [
        ("0", None, "0.00", "0.00"),
        ("0.01", 1, "0.00", "0.00"),
        ("50", 1, "0.50", "0.50"),
        ("99999.99", 1, "1000.00", "1000.00"),  # 999.9999 rounds half up to 1,000.00
        ("99999.49", 1, "999.99", "999.99"),  # 999.9949
        ("100000", 2, "2000.00", "1000.00"),
        ("100000.01", 2, "2000.00", "1000.00"),  # 2,000.0002 / 1,000.0002
        ("100000.25", 2, "2000.01", "1000.01"),  # 2,000.005 / 1,000.005 -> half up
        ("299999.99", 2, "6000.00", "5000.00"),  # 5,999.9998 / 4,999.9998
        ("300000", 3, "9000.00", "5000.00"),
        ("300000.01", 3, "9000.00", "5000.00"),  # 9,000.0003 / 5,000.0003
        ("350000", 3, "10500.00", "6500.00"),
        ("1000000", 3, "30000.00", "26000.00"),
        ("-500", None, "0.00", "0.00"),  # more returned than sold: nothing, never negative
    ],
)
def test_it_pays_each_style_at_and_around_every_boundary(basis, tier, retrospective, marginal):
    # given the worked example's tiers
    # when
    retro = compute(D(basis), EXAMPLE, RETROSPECTIVE)
    slices = compute(D(basis), EXAMPLE, MARGINAL)
    # then
    assert (retro.tier, retro.amount) == (tier, D(retrospective))
    assert (slices.tier, slices.amount) == (tier, D(marginal))


def test_it_explains_the_marginal_slices_and_the_next_tier():
    # when
    outcome = compute(D("350000"), EXAMPLE, MARGINAL)
    # then
    assert [(s.tier, s.size, s.amount) for s in outcome.slices] == [
        (1, D("100000"), D("1000")),
        (2, D("200000"), D("4000")),
        (3, D("50000"), D("1500")),
    ]
    assert outcome.next_bound is None
    assert compute(D("120000"), EXAMPLE, MARGINAL).next_bound == D("300000")


def test_it_caps_the_exact_amount_then_rounds():
    # given a cap of 5,000.00
    cap = D("5000")
    # when / then
    retro = compute(D("350000"), EXAMPLE, RETROSPECTIVE, cap)
    assert (retro.exact, retro.amount, retro.cap_applied) == (D("10500"), D("5000.00"), True)
    below = compute(D("200000"), EXAMPLE, MARGINAL, cap)
    assert (below.amount, below.cap_applied) == (D("3000.00"), False)
    assert compute(D("350000"), EXAMPLE, MARGINAL, D("0")).amount == D("0.00")


def test_it_pays_fixed_amounts_per_tier_reached():
    # given fixed bonuses: 500 from 1, 2,000 from 100,000
    tiers = [Tier(D("0"), "fixed", D("0")), Tier(D("1"), "fixed", D("500")), Tier(D("100000"), "fixed", D("2000"))]
    # when / then: retrospective pays the top tier's amount; marginal every tier entered
    assert compute(D("0.99"), tiers, RETROSPECTIVE).amount == D("0.00")
    assert compute(D("1"), tiers, RETROSPECTIVE).amount == D("500.00")
    assert compute(D("99999.99"), tiers, RETROSPECTIVE).amount == D("500.00")
    assert compute(D("100000"), tiers, RETROSPECTIVE).amount == D("2000.00")
    assert compute(D("100000"), tiers, MARGINAL).amount == D("2500.00")
    assert compute(D("0"), tiers, MARGINAL).amount == D("0.00")


def test_it_pays_amounts_per_unit():
    # given per-unit tiers: 2.50 a unit from the first unit, 4.00 from the 100th unit
    tiers = [Tier(D("0"), "per_unit", D("2.5")), Tier(D("100"), "per_unit", D("4"))]
    # when / then: the 100th unit is in the second tier in both styles
    assert compute(D("99"), tiers, RETROSPECTIVE, counts_units=True).amount == D("247.50")
    assert compute(D("100"), tiers, RETROSPECTIVE, counts_units=True).amount == D("400.00")
    assert compute(D("101"), tiers, RETROSPECTIVE, counts_units=True).amount == D("404.00")
    assert compute(D("99"), tiers, MARGINAL, counts_units=True).amount == D("247.50")
    assert compute(D("100"), tiers, MARGINAL, counts_units=True).amount == D("251.50")  # 99 x 2.50 + 1 x 4.00
    assert compute(D("101"), tiers, MARGINAL, counts_units=True).amount == D("255.50")


# "up to 200 units 2.00 a unit, from 201 units 5.00 a unit", as a partner reads it
UNITS = [Tier(D("0"), "per_unit", D("2")), Tier(D("201"), "per_unit", D("5"))]


@pytest.mark.parametrize(
    ("units", "tier", "retrospective", "marginal"),
    [
        ("0", None, "0.00", "0.00"),
        ("1", 1, "2.00", "2.00"),
        ("200", 1, "400.00", "400.00"),
        ("201", 2, "1005.00", "405.00"),  # 200 x 2 + 1 x 5
        ("250", 2, "1250.00", "650.00"),  # 250 x 5 / 200 x 2 + 50 x 5
    ],
)
def test_it_puts_the_boundary_unit_in_the_same_tier_in_both_styles(units, tier, retrospective, marginal):
    # given the tiers "up to 200 units 2.00 a unit, from 201 units 5.00 a unit"
    # when
    retro = compute(D(units), UNITS, RETROSPECTIVE, counts_units=True)
    slices = compute(D(units), UNITS, MARGINAL, counts_units=True)
    # then one tier table gives both styles right: the 201st unit is the second tier's
    assert (retro.tier, retro.amount) == (tier, D(retrospective))
    assert (slices.tier, slices.amount) == (tier, D(marginal))


def test_it_slices_units_by_whole_units_and_explains_the_next_tier():
    # when
    outcome = compute(D("250"), UNITS, MARGINAL, counts_units=True)
    # then 200 units in the first tier, 50 in the second; 150 units have 51 to go to the 201st
    assert [(s.tier, s.size, s.amount) for s in outcome.slices] == [(1, D("200"), D("400")), (2, D("50"), D("250"))]
    assert compute(D("150"), UNITS, MARGINAL, counts_units=True).next_bound == D("201")
    # and a first tier from 1 (the first unit) means the same as from 0
    from_one = [Tier(D("1"), "per_unit", D("2")), Tier(D("201"), "per_unit", D("5"))]
    assert compute(D("250"), from_one, MARGINAL, counts_units=True).amount == D("650.00")
    assert compute(D("201"), from_one, RETROSPECTIVE, counts_units=True).amount == D("1005.00")


def test_it_reads_units_tiers_as_users_type_them_up_to_and_from():
    # given "1-200 at 2.00 a unit, from 201 at 5.00" with the first tier's last unit
    tiers = clean_tiers(
        [
            {"lower_bound": "201", "reward": "per_unit", "value": "5"},
            {"lower_bound": "1", "upper_bound": "200", "reward": "per_unit", "value": "2"},
        ],
        basis_counts_units=True,
    )
    # then
    assert tiers == [Tier(D("1"), "per_unit", D("2")), Tier(D("201"), "per_unit", D("5"))]
    # and fractions of units, a gap (nothing covers units 191-200), an overlap and 0 with 1 are refused
    rows = [
        {"lower_bound": "0", "upper_bound": "190", "reward": "per_unit", "value": "2"},
        {"lower_bound": "201", "upper_bound": "300", "reward": "per_unit", "value": "5"},
        {"lower_bound": "250", "reward": "per_unit", "value": "6"},
        {"lower_bound": "300.5", "reward": "per_unit", "value": "7"},
    ]
    with pytest.raises(FieldErrors) as caught:
        clean_tiers(rows, basis_counts_units=True)
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "tiers.3.lower_bound": ["Enter a whole number of units."],
    }
    with pytest.raises(FieldErrors) as caught:
        clean_tiers(rows[:3], basis_counts_units=True)
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "tiers.0.upper_bound": ["Gap: nothing covers 191 to 200."],
        "tiers.1.upper_bound": ["Overlap: the next tier starts at 250, below this upper bound."],
    }
    with pytest.raises(FieldErrors) as caught:
        clean_tiers(
            [{"lower_bound": "0", "reward": "per_unit", "value": "2"}, {"lower_bound": "1", "value": "3"}],
            basis_counts_units=True,
        )
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "tiers.1.lower_bound": ["Two tiers start at the same amount: the tiers overlap."],
    }
    with pytest.raises(FieldErrors) as caught:
        clean_tiers([{"lower_bound": "2", "reward": "per_unit", "value": "2"}], basis_counts_units=True)
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "tiers.0.lower_bound": ["The first tier must start at 0 or 1 (the first unit)."],
    }


def test_it_refuses_bad_tiers_with_every_error_at_once():
    # given overlapping, gapped, negative and non-zero-first tiers
    rows = [
        {"lower_bound": "10", "value": "1"},
        {"lower_bound": "10", "value": "2"},
        {"lower_bound": "-5", "value": "x"},
    ]
    # when
    with pytest.raises(FieldErrors) as caught:
        clean_tiers(rows, basis_counts_units=False)
    # then
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "tiers.2.lower_bound": ["Enter zero or more."],
        "tiers.2.value": ["Enter a number."],
    }
    with pytest.raises(FieldErrors) as caught:
        clean_tiers(rows[:2], basis_counts_units=False)
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "tiers.0.lower_bound": ["The first tier must start at 0."],
        "tiers.1.lower_bound": ["Two tiers start at the same amount: the tiers overlap."],
    }
    gapped = [
        {"lower_bound": "0", "upper_bound": "90000", "value": "1"},
        {"lower_bound": "100000", "upper_bound": "350000", "value": "2"},
        {"lower_bound": "300000", "upper_bound": "400000", "value": "3"},
    ]
    with pytest.raises(FieldErrors) as caught:
        clean_tiers(gapped, basis_counts_units=False)
    assert {key: [str(m) for m in value] for key, value in caught.value.errors.items()} == {
        "tiers.0.upper_bound": ["Gap: nothing covers 90,000 to 100,000."],
        "tiers.1.upper_bound": ["Overlap: the next tier starts at 300,000, below this upper bound."],
        "tiers.2.upper_bound": ["The top tier has no upper bound: leave it empty."],
    }
    with pytest.raises(FieldErrors) as caught:
        clean_tiers([{"lower_bound": "0", "reward": "per_unit", "value": "1"}], basis_counts_units=False)
    assert list(caught.value.errors) == ["tiers.0.reward"]
    with pytest.raises(FieldErrors) as caught:
        clean_tiers([], basis_counts_units=False)
    assert list(caught.value.errors) == ["tiers"]


def test_it_accepts_tiers_in_any_order_with_matching_upper_bounds():
    # when
    tiers = clean_tiers(
        [
            {"lower_bound": "300000", "value": "3"},
            {"lower_bound": "0", "upper_bound": "100000", "value": "1"},
            {"lower_bound": "100000", "upper_bound": "300000", "value": "2"},
        ],
        basis_counts_units=False,
    )
    # then
    assert tiers == EXAMPLE
