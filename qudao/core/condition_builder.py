"""The condition builder of the flow form: rows of (field, operator, value) that read and write the
same conditions JSON the approval engine stores (approvals.conditions_match), so that nobody types
JSON. The fields are the ones the subject declares (approvals.ConditionField); the rows are ANDed.

What the rows write:
- a choice: "is one of" one value -> `field: value`; several -> `field: [values]`;
  "is none of" one value -> `field: {"ne": value}`; several -> `field: {"not_in": [values]}`;
- a region: "is" -> `field: code`; "is not" -> `field: {"ne": code}`;
- an amount or a number: `field: {"gte": 500000}`; two rows of one field (a range) merge:
  `field: {"gte": 100000, "lt": 500000}`;
- a yes/no: `field: true`.
Stored conditions the rows cannot show (a field the subject does not declare, an operator the
builder does not offer) stay as JSON in the form's "other conditions" box, so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from . import approvals
from .money import parse_amount
from .pickers import find_region

MAX_ROWS = 20
COMPARISONS = ("gte", "gt", "lte", "lt")


def operators(kind: str) -> list[tuple[str, object]]:
    """The operators a field of this kind offers, as (code, label)."""
    if kind == "choice":
        return [("in", _("is one of")), ("not_in", _("is none of"))]
    if kind == "region":
        return [("eq", _("is")), ("ne", _("is not"))]
    if kind in ("amount", "number"):
        return [("gte", _("at least")), ("gt", _("more than")), ("lte", _("at most")), ("lt", _("less than"))]
    return [("eq", _("is"))]


def fields_of(kind: str) -> dict[str, approvals.ConditionField]:
    handler = approvals.registered_kinds().get(kind)
    return {item.name: item for item in (handler.condition_fields if handler else ())}


@dataclass
class Row:
    index: int
    name: str = ""
    operator: str = ""
    values: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""


def _number_text(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        return None
    try:
        number = parse_amount(str(value))
    except ValueError:
        return None
    return f"{number:f}"


def rows_from_conditions(conditions: dict, kind: str) -> tuple[list[Row], dict]:
    """The builder's rows for stored `conditions`, and what they cannot show (kept as JSON)."""
    declared = fields_of(kind)
    rows: list[Row] = []
    leftover: dict = {}
    for name, expected in (conditions or {}).items():
        spec = declared.get(name)
        found = _rows_for(spec, expected) if spec is not None else None
        if found is None:
            leftover[name] = expected
            continue
        for operator, values in found:
            rows.append(Row(index=len(rows), name=name, operator=operator, values=values))
    return rows, leftover


def _rows_for(spec: approvals.ConditionField, expected) -> list[tuple[str, list[str]]] | None:
    def scalar(value):
        return isinstance(value, str | int) and not isinstance(value, bool)

    if spec.kind == "choice":
        if scalar(expected):
            return [("in", [str(expected)])]
        if isinstance(expected, list) and expected and all(scalar(item) for item in expected):
            return [("in", [str(item) for item in expected])]
        if isinstance(expected, dict) and len(expected) == 1:
            (operator, value), *_rest = expected.items()
            if operator in ("eq", "ne") and scalar(value):
                return [("in" if operator == "eq" else "not_in", [str(value)])]
            if operator in ("in", "not_in") and isinstance(value, list) and value and all(map(scalar, value)):
                return [(operator, [str(item) for item in value])]
        return None
    if spec.kind == "region":
        if isinstance(expected, str):
            return [("eq", [expected])]
        if isinstance(expected, dict) and len(expected) == 1:
            (operator, value), *_rest = expected.items()
            if operator in ("eq", "ne") and isinstance(value, str):
                return [(operator, [value])]
        return None
    if spec.kind in ("amount", "number"):
        if not isinstance(expected, dict) or not expected or set(expected) - set(COMPARISONS):
            return None
        found = [(operator, _number_text(value)) for operator, value in expected.items()]
        if any(text is None for _operator, text in found):
            return None
        return [(operator, [text]) for operator, text in found]
    if spec.kind == "boolean":
        return [("eq", ["true" if expected else "false"])] if isinstance(expected, bool) else None
    return None


def rows_from_post(data) -> list[Row]:
    """The rows a submitted form carries (cond_rows, cond_field_<i>, cond_op_<i>, cond_value_<i>,
    or cond_value_<i>__search: a region typed without picking); rows with no field are dropped."""
    try:
        count = min(max(int(data.get("cond_rows") or 0), 0), MAX_ROWS)
    except (TypeError, ValueError):
        count = 0
    rows = []
    for index in range(count):
        name = (data.get(f"cond_field_{index}") or "").strip()[:64]
        if not name:
            continue
        values = [str(value).strip()[:100] for value in data.getlist(f"cond_value_{index}") if str(value).strip()]
        if not values:
            typed = (data.get(f"cond_value_{index}__search") or "").strip()[:100]
            values = [typed] if typed else []
        operator = (data.get(f"cond_op_{index}") or "").strip()[:10]
        rows.append(Row(index=len(rows), name=name, operator=operator, values=values))
    return rows


def conditions_from_rows(rows: list[Row], kind: str) -> dict | None:
    """The conditions JSON the rows mean; None when a row is wrong (its `errors` say why)."""
    declared = fields_of(kind)
    conditions: dict = {}
    first_row: dict[str, int] = {}
    for row in rows:
        spec = declared.get(row.name)
        if spec is None:
            row.errors.append(str(_("Choose a field from the list.")))
            continue
        if row.operator not in dict(operators(spec.kind)):
            row.errors.append(str(_("Choose a comparison from the list.")))
            continue
        value = _value_of(spec, row)
        if value is None:
            continue
        if row.name in conditions:
            merged = conditions[row.name]
            if spec.kind in ("amount", "number") and isinstance(merged, dict) and row.operator not in merged:
                merged.update(value)
                continue
            row.errors.append(str(_("Row %(row)d already tests this field.") % {"row": first_row[row.name] + 1}))
            continue
        conditions[row.name] = value
        first_row[row.name] = row.index
    if any(row.errors for row in rows):
        return None
    return conditions


def _value_of(spec: approvals.ConditionField, row: Row):
    if spec.kind == "choice":
        allowed = dict(spec.choice_list())
        if not row.values:
            row.errors.append(str(_("Tick at least one value.")))
            return None
        unknown = [value for value in row.values if value not in allowed]
        if unknown:
            row.errors.append(str(_("Choose values from the list.")))
            return None
        values = list(dict.fromkeys(row.values))
        if row.operator == "in":
            return values[0] if len(values) == 1 else values
        return {"ne": values[0]} if len(values) == 1 else {"not_in": values}
    if spec.kind == "region":
        region = find_region(row.value)
        if region is None:
            row.errors.append(str(_("Unknown region.")))
            return None
        return region.code if row.operator == "eq" else {"ne": region.code}
    if spec.kind in ("amount", "number"):
        try:
            number = parse_amount(row.value)
        except ValueError:
            row.errors.append(str(_("Enter a number, e.g. 500000.")))
            return None
        # whole numbers as JSON integers (as the engine's examples store them), others as text
        return {row.operator: int(number) if number == number.to_integral_value() else f"{number:f}"}
    if spec.kind == "boolean":
        if row.value not in ("true", "false"):
            row.errors.append(str(_("Choose yes or no.")))
            return None
        return row.value == "true"
    return None


def field_options(kind: str) -> list[dict]:
    """What the template needs to draw a subject's fields: name, label, kind, operators, choices."""
    return [
        {
            "name": spec.name,
            "label": str(spec.label),
            "kind": spec.kind,
            "operators": [(code, str(label)) for code, label in operators(spec.kind)],
            "choices": spec.choice_list() if spec.kind == "choice" else [],
        }
        for spec in fields_of(kind).values()
    ]
