"""How a typed amount is read (core.money.parse_amount, behind every price, payment and import):
thousands separators are taken only where they group thousands, so a decimal comma ("1299,50",
as a European spreadsheet writes it) or a stray one is refused rather than silently read as a
price a hundred times higher; full-width digits (typed with a Chinese input method) are read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qudao.core.money import parse_amount


@pytest.mark.parametrize(
    "typed, amount",
    [
        ("1299.50", Decimal("1299.50")),
        ("1,299.50", Decimal("1299.50")),
        ("12,345,678", Decimal("12345678")),
        (" -1,000 ", Decimal("-1000")),
        ("１２", Decimal("12")),
        ("１，２９９．５", Decimal("1299.5")),
        (Decimal("3.10"), Decimal("3.10")),
        (7, Decimal("7")),
    ],
)
def test_it_reads_amounts_as_people_type_them(typed, amount):
    assert parse_amount(typed) == amount


@pytest.mark.parametrize("typed", ["1299,50", "1,5", "12,34,567", ",100", "100,", "1,000,00", "1_000", "1__0"])
def test_a_comma_or_underscore_that_does_not_group_thousands_is_refused(typed):
    with pytest.raises(ValueError):
        parse_amount(typed)
