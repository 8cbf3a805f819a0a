"""The form that changes an order's lines until it is confirmed (the partner's portal page and
operations' HQ page share it): one row per line the buyer ordered (quantity editable, a quantity
of 0 or the remove box drops it) and blank rows to add SKUs by code or barcode. Gift lines are not
rows: they follow from the promotions when the order is priced again.

The rows are checked and priced like the quick order's (qudao.orders.carts: an unknown code, a
quantity that is not a whole number and the engine's refusals come back on their row); applying
them is qudao.orders.services.change_order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import carts, selectors, services
from .carts import Priced, Row

BLANK_ROWS = 3


@dataclass
class ChangeRow(Row):
    """A row of the change form: `existing` for a line of the order, `removed` when the partner
    drops it (the remove box, or a quantity of 0)."""

    existing: bool = False
    removed: bool = False


def rows_of_order(order) -> list[ChangeRow]:
    """The order's own (non-gift) lines as rows, in line order, and a few blank rows to add to."""
    rows = [
        ChangeRow(
            index=index,
            code=line.sku.code,
            quantity=str(line.unit_quantity),
            unit=line.unit or "",
            sku=line.sku,
            existing=True,
        )
        for index, line in enumerate(selectors.order_lines(order).filter(gift_promotion=""))
    ]
    return pad(rows, len(rows) + BLANK_ROWS)


def gifts_of(order) -> list:
    """The order's gift lines (shown, not edited)."""
    return list(selectors.order_lines(order).exclude(gift_promotion=""))


def pad(rows: list[ChangeRow], minimum: int) -> list[ChangeRow]:
    rows = list(rows[: carts.MAX_ROWS])
    while len(rows) < min(minimum, carts.MAX_ROWS):
        rows.append(ChangeRow(index=len(rows)))
    for index, row in enumerate(rows):
        row.index = index
    return rows


def rows_from(data) -> list[ChangeRow]:
    """The rows of a posted change form (code_<i>, qty_<i>, unit_<i>, line_<i> for a line of the
    order, remove_<i> for a line dropped)."""
    rows = []
    for row in carts.rows_from(data, minimum=1):
        existing = data.get(f"line_{row.index}") == "1"
        removed = bool(data.get(f"remove_{row.index}")) or (not row.blank and row.quantity == "0")
        rows.append(
            ChangeRow(
                index=row.index, code=row.code, quantity=row.quantity, unit=row.unit, existing=existing, removed=removed
            )
        )
    return rows


def kept(rows: list[ChangeRow]) -> list[ChangeRow]:
    """The rows the order keeps or gains (not removed, not blank)."""
    return [row for row in rows if not row.removed and not row.blank]


def price(order, rows: list[ChangeRow], on: date) -> Priced:
    """Check and price the kept rows for the order's buyer, as carts.price does; removed rows only
    show their SKU. A SKU gone off sale since the order was placed may keep up to what the order
    holds of it. The figures are a preview: the service prices the order again when it applies
    the change (with what the order itself held released)."""
    removed = [row for row in rows if row.removed]
    skus = carts.find_skus(row.code for row in removed)
    for row in removed:
        row.errors, row.line, row.availability = {}, None, None
        row.sku = skus.get(row.code.upper())
    priced = carts.price(order.partner, kept(rows), on, services.kept_quantities(order))
    priced.rows = rows
    return priced


def lines_of(priced: Priced) -> list[dict]:
    """The priced rows as change_order's lines."""
    return carts.lines_of(ready_rows(priced))


def ready_rows(priced: Priced) -> list[ChangeRow]:
    return [row for row in priced.rows if not row.removed and row.line is not None]
