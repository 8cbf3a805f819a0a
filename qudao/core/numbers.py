"""The bounds of the numbers Qudao accepts: record ids, quantities and amounts.

Every input is bounded so that it fits the column it is stored in and the sums made of it, on SQLite
and on PostgreSQL alike: an id fits a `bigint` primary key, a quantity a PostgreSQL `integer` (with
room for the sums of a few of them), an amount a `numeric(20, 4)` column (with room for the sums of
a partner's ledger). A number outside these bounds is bad input (a field error), never a database
error.
"""

from __future__ import annotations

import re

# Primary keys are BigAutoField: PostgreSQL's bigint (SQLite's INTEGER has the same range).
MAX_ID = 2**63 - 1
# Quantities of units (order lines, stock, returns): PostgreSQL `integer` stops at 2^31 - 1; a
# billion leaves room for a stock level plus a delivery, or an order's lines added up.
MAX_QUANTITY = 1_000_000_000
# Amounts: at most 13 digits before the decimal point (9,999,999,999,999.99), so that a ledger's
# sums still fit `numeric(20, 4)`.
MAX_AMOUNT_INTEGER_DIGITS = 13
# Other whole numbers stored in `integer` columns (priorities, days, hours, sort orders, factors).
MAX_SMALL_INTEGER = 1_000_000

_ASCII_DIGITS = re.compile(r"^[0-9]{1,19}$")


def parse_id(value) -> int | None:
    """The record id written in `value` (an int, or ASCII digits), or None when it cannot be one.

    `str.isdigit()` is not enough: it accepts "³" and "٣", which int() refuses, and numbers past
    2^63 - 1, which the database refuses. A value that is no id matches no record (the caller
    answers "not found" or looks the value up as a code)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.match(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_digits(value) -> int | None:
    """The whole number written in `value` as ASCII digits (0 to 2^63 - 1), or None.

    For numbers typed into pages (quantities, ids in form fields): `"³".isdigit()` is true but
    int("³") fails, and 20 digits overflow the database, so neither may reach a query or a service
    as a number; the caller passes the raw text on instead (the service then names the field)."""
    if not isinstance(value, str) or not _ASCII_DIGITS.match(value.strip()):
        return None
    number = int(value.strip())
    return number if number <= MAX_ID else None
