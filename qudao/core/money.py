"""Money: Decimal amounts with an explicit currency.

Rounding rule (the one rule, used wherever an amount is fixed for people to see or pay):
ROUND_HALF_UP to 0.01 of the currency unit. Stored amounts keep 4 decimal places so that
intermediate results (unit prices, rates) are not rounded early.

A unit price is not an amount anyone pays: it is shown as it was fixed (`unit_price_text`), to 4
places where the pricing engine made it so (an order discount allocated to a line: the line total
divided by the quantity), so that quantity x unit price gives back the line total, which is the
amount that counts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .numbers import MAX_AMOUNT_INTEGER_DIGITS

CENT = Decimal("0.01")
# Amounts below this bound fit every money column and the sums made of them (core.numbers).
AMOUNT_BOUND = Decimal(10) ** MAX_AMOUNT_INTEGER_DIGITS
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
UNIT_PRICE_STEP = Decimal("0.0001")  # the precision of a stored unit price
SUPPORTED_CURRENCIES = ("CNY", "HKD", "USD", "EUR")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def unit_price_text(value, *, grouping: bool = False) -> str:
    """A unit price as it is shown everywhere (API, pages, documents): as fixed, never rounded to
    the cent: 2 places when it is in whole cents ("1299.00"), else up to 4 ("321.8967",
    "1242.495"). `grouping` adds thousands separators ("1,234,567.8967") for pages."""
    price = Decimal(str(value)).quantize(UNIT_PRICE_STEP, rounding=ROUND_HALF_UP)
    places = 2
    if price != price.quantize(CENT):
        places = 3 if price == price.quantize(Decimal("0.001")) else 4
    return f"{price:,.{places}f}" if grouping else f"{price:.{places}f}"


def parse_amount(value) -> Decimal:
    """Parse user input into a Decimal; floats are refused (they are not exact), and so are
    amounts of more than 13 digits before the decimal point (1e30 or 29 digits do not fit a money
    column, and rounding them to the cent overflows Decimal's precision)."""
    if isinstance(value, float):
        raise ValueError("floats are not exact; pass a string or Decimal")
    # full-width digits and signs (a Chinese input method) read as ASCII ones
    text = unicodedata.normalize("NFKC", str(value)).strip()
    # a comma only as a thousands separator: "1299,50" (a decimal comma) or "1,5" is refused,
    # never read as 129950 or 15; Decimal would also take "1_000"
    if "_" in text or ("," in text and not _GROUPED.fullmatch(text)):
        raise ValueError(f"not an amount: {value!r}")
    try:
        amount = Decimal(text.replace(",", ""))
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
