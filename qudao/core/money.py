"""Money: Decimal amounts with an explicit currency.

Rounding rule (the one rule, used wherever an amount is fixed for people to see or pay):
ROUND_HALF_UP to 0.01 of the currency unit. Stored amounts keep 4 decimal places so that
intermediate results (unit prices, rates) are not rounded early.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .numbers import MAX_AMOUNT_INTEGER_DIGITS

CENT = Decimal("0.01")
# Amounts below this bound fit every money column and the sums made of them (core.numbers).
AMOUNT_BOUND = Decimal(10) ** MAX_AMOUNT_INTEGER_DIGITS
SUPPORTED_CURRENCIES = ("CNY", "HKD", "USD", "EUR")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(value) -> Decimal:
    """Parse user input into a Decimal; floats are refused (they are not exact), and so are
    amounts of more than 13 digits before the decimal point (1e30 or 29 digits do not fit a money
    column, and rounding them to the cent overflows Decimal's precision)."""
    if isinstance(value, float):
        raise ValueError("floats are not exact; pass a string or Decimal")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"not an amount: {value!r}") from error
    if not amount.is_finite() or abs(amount) >= AMOUNT_BOUND:
        raise ValueError(f"not an amount: {value!r}")
    return amount


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def rounded(self) -> Money:
        return Money(quantize(self.amount), self.currency)

    def __str__(self) -> str:
        return f"{self.currency} {quantize(self.amount):,.2f}"
