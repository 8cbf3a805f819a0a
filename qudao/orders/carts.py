"""The portal's carts before they become orders: rows typed by the partner (SKU code or barcode,
quantity, unit), priced by the pricing engine with the stock available for each row, and the
partner's saved carts (order templates).

A row is judged where it was typed: an unknown code, a quantity that is not a whole number, and
the engine's refusals (lines.<i>.sku / .quantity / .unit) come back on the row they are about.
Placing the rows is qudao.orders.services.place_order; saving and deleting a template are the two
writes here (each in one transaction, the partner's own templates only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from qudao.catalog.models import Sku
from qudao.core.errors import FieldErrors, NotFound
from qudao.pricing import engine

from .models import OrderTemplate

MAX_ROWS = 200
LINE_ERROR = re.compile(r"^lines\.(\d+)\.(\w+)$")


@dataclass
class Row:
    """One typed row. `sku` is the SKU the code or barcode found; `errors` maps a field ("code",
    "quantity", "unit") to its messages; `line` and `availability` are filled by pricing."""

    index: int
    code: str = ""
    quantity: str = ""
    unit: str = ""
    source: int | None = None  # the row number in an imported file
    sku: Sku | None = None
    errors: dict = field(default_factory=dict)
    line: engine.LineQuote | None = None
    availability: dict | None = None

    @property
    def blank(self) -> bool:
        return not self.code and not self.quantity

    def add(self, name: str, message) -> None:
        self.errors.setdefault(name, []).append(str(message))

    @property
    def units(self) -> list[str]:
        if self.sku is None:
            return []
        return [self.sku.product.base_unit] + [unit.unit for unit in self.sku.product.units.all()]


def rows_from(data, minimum: int = 5) -> list[Row]:
    """The rows of a quick-order form (code_<i>, qty_<i>, unit_<i>), at least `minimum` of them."""
    try:
        count = min(max(int(data.get("rows") or minimum), minimum), MAX_ROWS)
    except ValueError:
        count = minimum
    rows = []
    for index in range(count):
        rows.append(
            Row(
                index=index,
                code=(data.get(f"code_{index}") or "").strip()[:64],
                quantity=(data.get(f"qty_{index}") or "").strip()[:12],
                unit=(data.get(f"unit_{index}") or "").strip()[:20],
                source=_int(data.get(f"source_{index}")),
            )
        )
    return rows


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def pad(rows: list[Row], minimum: int = 5) -> list[Row]:
    """`rows` with blank rows added up to `minimum`, renumbered."""
    rows = list(rows)
    while len(rows) < minimum:
        rows.append(Row(index=len(rows)))
    for index, row in enumerate(rows):
        row.index = index
    return rows


def find_skus(codes) -> dict[str, Sku]:
    """{code as typed (upper case): SKU} for the SKU codes or barcodes given (one query)."""
    wanted = {code.strip().upper() for code in codes if code and code.strip()}
    if not wanted:
        return {}
    found = {}
    query = Q(code__in=wanted) | Q(barcode__in=wanted)
    for sku in Sku.objects.filter(query).select_related("product").prefetch_related("product__units"):
        for key in (sku.code.upper(), (sku.barcode or "").upper()):
            if key in wanted:
                found.setdefault(key, sku)
    missing = wanted - set(found)
    if missing:  # codes typed in another case than stored: one more query
        upper = Sku.objects.annotate(upper_code=Upper("code"), upper_barcode=Upper("barcode"))
        query = Q(upper_code__in=missing) | Q(upper_barcode__in=missing)
        for sku in upper.filter(query).select_related("product").prefetch_related("product__units"):
            for key in (sku.code.upper(), (sku.barcode or "").upper()):
                if key in missing:
                    found.setdefault(key, sku)
    return found


def check(rows: list[Row]) -> list[Row]:
    """Resolve each non-blank row's SKU and quantity; the rows to price (without row errors)."""
    skus = find_skus(row.code for row in rows if not row.blank)
    ready = []
    for row in rows:
        row.errors, row.line, row.availability, row.sku = {}, None, None, None
        if row.blank:
            continue
        if not row.code:
            row.add("code", _("Enter a SKU code or barcode."))
        else:
            row.sku = skus.get(row.code.upper())
            if row.sku is None:
                row.add("code", _("No product has this code or barcode."))
        if not row.quantity:
            row.add("quantity", _("Enter a quantity of at least 1."))
        elif _int(row.quantity) is None:
            row.add("quantity", _("Enter a whole number."))
        if not row.errors:
            ready.append(row)
    return ready


def lines_of(rows: list[Row]) -> list[dict]:
    """The rows as place_order's lines."""
    return [{"sku": row.sku.pk, "quantity": int(row.quantity), "unit": row.unit or None} for row in rows]


def spread(error: FieldErrors, rows: list[Row]) -> list[str]:
    """Put lines.<i>.<field> errors on the rows they are about; the others, as general messages."""
    general = []
    for key, messages in error.errors.items():
        match = LINE_ERROR.match(key)
        if match and int(match.group(1)) < len(rows):
            name = {"sku": "code"}.get(match.group(2), match.group(2))
            for message in messages:
                rows[int(match.group(1))].add(name if name in ("code", "quantity", "unit") else "quantity", message)
        else:
            general.extend(str(message) for message in messages)
    return general


@dataclass
class Priced:
    rows: list[Row]
    result: engine.CartQuote | None = None
    general: list[str] = field(default_factory=list)
    key_reused: bool = False  # the form's Idempotency-Key already placed an order from other lines
    # errors of the order's own fields (rebate_amount), shown beside them
    fields: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.general) or bool(self.fields) or any(row.errors for row in self.rows)

    @property
    def filled(self) -> list[Row]:
        return [row for row in self.rows if not row.blank]


def price(partner, rows: list[Row], on: date, keep: dict[int, int] | None = None) -> Priced:
    """Check and price the rows for `partner`, with the stock each row's SKU has available (shown
    as exact numbers or bands, per the brand's setting). `keep`: what an order being changed holds
    of SKUs no longer on sale (services.kept_quantities)."""
    from qudao.inventory import services as inventory

    priced = Priced(rows=rows)
    ready = check(rows)
    if not priced.filled:
        priced.general.append(_("Enter a SKU code and a quantity on at least one row."))
        return priced
    if len(priced.filled) > MAX_ROWS:
        priced.general.append(_("Order at most %(count)s lines at once.") % {"count": MAX_ROWS})
        return priced
    if ready:
        try:
            result = engine.quote(partner, [_cart_line(row) for row in ready], on, keep)
        except FieldErrors as error:
            priced.general.extend(spread(error, ready))
        else:
            for row, line in zip(ready, result.lines, strict=True):
                row.line = line
            if not priced.has_errors:
                priced.result = result
        summary = inventory.stock_summary([row.sku.pk for row in ready])
        for row in ready:
            stock = summary[row.sku.pk]
            row.availability = inventory.availability_display(stock["available"], stock["safety_stock"])
    return priced


def _cart_line(row: Row) -> engine.CartLine:
    return engine.CartLine(sku=row.sku.pk, quantity=int(row.quantity), unit=row.unit or None)


# --- what may be ordered now -----------------------------------------------------------------------

UNAVAILABLE = "unavailable"


def unorderable(partner, sku_ids) -> dict[int, str]:
    """{SKU id: why} for the SKUs of `sku_ids` that `partner` may not order now: "unavailable"
    (outside its sales scope), or the sale state of a SKU not on sale ("draft", "discontinued";
    catalog.models.sale_state). The pricing engine refuses the same SKUs on their line."""
    from qudao.catalog.models import Lifecycle, sale_state
    from qudao.catalog.scope import allowed_sku_q

    ids = {sku_id for sku_id in sku_ids if sku_id is not None}
    if not ids:
        return {}
    allowed = set(Sku.objects.filter(allowed_sku_q(partner), pk__in=ids).values_list("pk", flat=True))
    reasons = {}
    for pk, lifecycle, product_lifecycle in Sku.objects.filter(pk__in=ids).values_list(
        "pk", "lifecycle", "product__lifecycle"
    ):
        state = sale_state(lifecycle, product_lifecycle)
        if pk not in allowed:
            reasons[pk] = UNAVAILABLE
        elif state != Lifecycle.ON_SALE:
            reasons[pk] = state
    return reasons


def refusal(code: str, reason: str) -> str:
    """The message of a line refused for `reason` (see unorderable), as the engine words it."""
    if reason == UNAVAILABLE:
        return _("This SKU is not available to this partner.")
    return engine.not_on_sale_message(code, reason)


def leave_out(partner, rows: list[Row]) -> tuple[list[Row], list[str]]:
    """Rows loaded from a saved template or an earlier order, less those whose SKU the partner may
    no longer order (renumbered), and a note for each row left out saying why."""
    skus = find_skus(row.code for row in rows if row.code)
    found = {index: skus.get(row.code.upper()) for index, row in enumerate(rows) if row.code}
    reasons = unorderable(partner, [sku.pk for sku in found.values() if sku is not None])
    kept, notes = [], []
    for index, row in enumerate(rows):
        sku = found.get(index)
        reason = reasons.get(sku.pk) if sku is not None else None
        if reason is None:
            kept.append(row)
        elif reason == UNAVAILABLE:
            notes.append(_("%(sku)s was left out: no longer available to you.") % {"sku": sku.code})
        elif reason == "discontinued":
            notes.append(_("%(sku)s was left out: not on sale (discontinued).") % {"sku": sku.code})
        else:
            notes.append(_("%(sku)s was left out: not on sale (not released yet).") % {"sku": sku.code})
    for index, row in enumerate(kept):
        row.index = index
    return kept, notes


# --- order templates (saved carts) ---------------------------------------------------------------


def rows_of_template(template: OrderTemplate) -> list[Row]:
    codes = dict(Sku.objects.filter(pk__in=[line[0] for line in template.lines]).values_list("pk", "code"))
    return [
        Row(index=index, code=codes.get(sku_id, ""), quantity=str(quantity), unit=unit or "")
        for index, (sku_id, quantity, unit) in enumerate(template.lines)
        if sku_id in codes
    ]


def save_template(*, partner, name: str, rows: list[Row], actor) -> OrderTemplate:
    """Save the rows (each with a known SKU the partner may order now, and a whole quantity) as the
    partner's template `name`; a template of the same name is replaced.

    :raises FieldErrors: template_name (required, at most 100 characters), lines (no usable row),
        or the rows' own errors on lines.<i>.code (unknown, not available, not on sale) / .quantity.
    """
    name = (name or "").strip()
    errors = FieldErrors()
    if not name:
        errors.add("template_name", _("Name the template."))
    elif len(name) > 100:
        errors.add("template_name", _("A name has at most 100 characters."))
    ready = check(rows)
    for row in rows:
        for key, messages in row.errors.items():
            for message in messages:
                errors.add(f"lines.{row.index}.{key}", message)
    if not ready and not any(row.errors for row in rows):
        errors.add("lines", _("Enter a SKU code and a quantity on at least one row."))
    reasons = unorderable(partner, [row.sku.pk for row in ready])
    for row in ready:
        if row.sku.pk in reasons:
            errors.add(f"lines.{row.index}.code", refusal(row.sku.code, reasons[row.sku.pk]))
        if int(row.quantity) < 1:
            errors.add(f"lines.{row.index}.quantity", _("Enter a quantity of at least 1."))
    if errors.errors:
        raise errors
    lines = [[row.sku.pk, int(row.quantity), row.unit] for row in ready]
    with transaction.atomic():
        template = OrderTemplate.objects.filter(partner=partner, name=name).first()
        if template is not None:
            template.lines = lines
            template.save(update_fields=["lines"])
            return template
        try:
            with transaction.atomic():
                return OrderTemplate.objects.create(partner=partner, name=name, lines=lines, created_by=actor)
        except IntegrityError:  # saved at the same moment by another user of the partner
            raise FieldErrors.single("template_name", _("A template with this name already exists.")) from None


def get_template(partner, template_id) -> OrderTemplate:
    """One of the partner's own templates. :raises NotFound: anyone else's, or none."""
    template = OrderTemplate.objects.filter(partner=partner, pk=_int(template_id) or 0).first()
    if template is None:
        raise NotFound()
    return template


def delete_template(*, partner, template_id, actor=None) -> None:
    with transaction.atomic():
        get_template(partner, template_id).delete()
