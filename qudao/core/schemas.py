"""API schemas of the core context (regions, approval flows, notifications, brand settings, the
audit trail) and the small pieces every router shares: the strict input base, amounts as strings,
limit/offset pages and ETags.

Conventions: `XIn` creates, `XPatch` changes part of a record (only the fields sent), `XOut` is
what the API answers. Inputs refuse unknown fields (a misspelt or read-only field is an error,
never silently ignored), and keep the text rule (`TextSchema`: no control characters; line breaks
only in `MultilineText`). Money is a string ("500000.00"), never a float; ids and quantities are
strict, bounded JSON integers (see "numbers" below).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from annotated_types import Interval
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, WithJsonSchema, create_model, field_validator
from pydantic_core import PydanticCustomError

from .errors import DomainError
from .money import quantize, unit_price_text
from .numbers import MAX_AMOUNT_INTEGER_DIGITS, MAX_ID, MAX_QUANTITY, MAX_SMALL_INTEGER
from .validators import text_error_code, text_problem

# Paging stops a billion rows in: further is no page anyone reads, and would overflow the database.
MAX_OFFSET = 1_000_000_000

# --- shared building blocks ------------------------------------------------------------------


class _TextMarker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


FREE_TEXT = _TextMarker("FREE_TEXT")
SECRET = _TextMarker("SECRET")

# A free text (a description, note, comment, reason, resolution, message): it may hold line breaks
# and tabs. Every other str field of a TextSchema is one line (core.validators, the text rule).
MultilineText = Annotated[str, FREE_TEXT]
# A secret (a password): checked by its own rules, never displayed or exported.
SecretText = Annotated[str, SECRET]

# The error types of the text rule, whose message (in the user's language) the API answers as is.
TEXT_ERROR_TYPES = frozenset({"control_character", "line_break"})


def _marked(annotation, marker: _TextMarker) -> bool:
    if marker in getattr(annotation, "__metadata__", ()):
        return True
    return any(_marked(argument, marker) for argument in get_args(annotation))


def _first_text_problem(value, multiline: bool) -> tuple[str, str] | None:
    """(error type, message) for the first text inside `value` (a str, or lists and dicts of them)
    that breaks the text rule."""
    if isinstance(value, str):
        problem = text_problem(value, multiline=multiline)
        return (text_error_code(value, multiline=multiline), problem) if problem else None
    if isinstance(value, dict):
        value = [item for pair in value.items() for item in pair]
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            found = _first_text_problem(item, multiline)
            if found:
                return found
    return None


class TextSchema(Schema):
    """Base of every API input (JSON bodies, forms, query filters): its text keeps the text rule
    (core.validators.text_problem): no control characters anywhere, and no line breaks or tabs
    but in `MultilineText` fields. A wrong field answers 422 at that field; nothing is changed."""

    @field_validator("*", mode="after")
    @classmethod
    def _keep_the_text_rule(cls, value, info):
        if value is None or isinstance(value, bool | int | float | Decimal):
            return value
        field = cls.model_fields.get(info.field_name)
        annotation = field.annotation if field is not None else None
        metadata = field.metadata if field is not None else ()
        if SECRET in metadata or _marked(annotation, SECRET):
            return value
        found = _first_text_problem(value, FREE_TEXT in metadata or _marked(annotation, FREE_TEXT))
        if found:
            raise PydanticCustomError(found[0], found[1])
        return value


class InputSchema(TextSchema):
    """Base of every JSON input: unknown fields are refused with a field error."""

    model_config = ConfigDict(extra="forbid")


# --- numbers: ids, quantities, money --------------------------------------------------------
#
# One strict type per kind of number, used by every schema (docs/api.md, "Types"). In a JSON body
# a number is what JSON says it is: `true`, `1.0` and `"5"` are not ids or quantities, and an amount
# is a decimal string, never a JSON number (a float is not exact). In a path or a query string every
# value is text, so there an id is ASCII digits. Every number is bounded to fit its column
# (qudao.core.numbers): anything else is a 422 naming the field, never a database error.


def _whole_number(value: Any) -> int:
    """A JSON integer, nothing else (bool is an int to Python, never to us)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Enter a whole number.")
    return value


def _whole_number_text(value: Any) -> int:
    """A path or query value: ASCII digits (with an optional minus), or an int from Python code."""
    if isinstance(value, str):
        text = value.strip()
        if not _WHOLE_NUMBER_TEXT.match(text):
            raise PydanticCustomError("int_parsing", "Enter a whole number.")
        return int(text)
    return _whole_number(value)


_WHOLE_NUMBER_TEXT = re.compile(r"^-?[0-9]{1,100}$")


def whole_number(minimum: int, maximum: int, *, in_text: bool = False, error: str = "int_range"):
    """A bounded whole number: from a JSON body (strict), or from a path or query (`in_text`).
    Out of bounds is the error `error` ("int_range": "Enter a whole number from 1 to 1000.",
    "id_range": "This is not an id."); the bounds are in the OpenAPI document."""
    parse = _whole_number_text if in_text else _whole_number

    def validate(value: Any) -> int:
        number = parse(value)
        if not minimum <= number <= maximum:
            raise PydanticCustomError(
                error,
                "Enter a whole number from {minimum} to {maximum}.",
                {
                    "minimum": minimum,
                    "maximum": maximum,
                },
            )
        return number

    return Annotated[int, Interval(ge=minimum, le=maximum), BeforeValidator(validate)]


# A record's id in a JSON body: a JSON integer from 1 to 2^63 - 1.
Id = whole_number(1, MAX_ID, error="id_range")
# A record's id in a path or a query string.
IdParam = whole_number(1, MAX_ID, in_text=True, error="id_range")
# Units of a SKU (an order line, a shipment, a return, a stock movement): 1 to a billion.
Quantity = whole_number(1, MAX_QUANTITY)
# Units where none is a valid answer (stock on hand, units received back): 0 to a billion.
QuantityOrZero = whole_number(0, MAX_QUANTITY)
# Small numbers stored in integer columns (priorities, ranks, days, hours, sort orders, line numbers).
SmallInt = whole_number(-MAX_SMALL_INTEGER, MAX_SMALL_INTEGER)
PositiveSmallInt = whole_number(1, MAX_SMALL_INTEGER)


def _code_or_id(value: Any) -> str | int:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_ID:
            raise PydanticCustomError("id_range", "This is not an id.")
        return value
    raise PydanticCustomError("code_or_id_type", "Give a code (text) or an id (a whole number).")


# A record named by its code ("JS-001") or its id (a JSON integer).
CodeOrId = Annotated[
    str | int,
    BeforeValidator(_code_or_id),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1, "maximum": MAX_ID}]}),
]


def _decimal_text(decimals: int, example: str):
    pattern = re.compile(rf"^-?[0-9]{{1,{MAX_AMOUNT_INTEGER_DIGITS}}}(\.[0-9]{{1,{decimals}}})?$")

    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError("amount_type", 'Send the amount as a string, e.g. "500000.00".')
        text = value.strip()
        if not pattern.match(text):
            raise PydanticCustomError(f"decimal_{decimals}_format", "Enter a valid amount.")
        return text

    return Annotated[
        str,
        BeforeValidator(validate),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": pattern.pattern,
                "maxLength": MAX_AMOUNT_INTEGER_DIGITS + decimals + 2,
                "examples": [example],
            }
        ),
    ]


# An amount of money: a decimal string with at most 13 digits before the point and 2 after it
# ("500000.00", "-12.5", "3"); a JSON number, "1e3", "1,000" or a third decimal is refused, never
# rounded. The services decide the sign (most amounts must be above zero).
MoneyIn = _decimal_text(2, "500000.00")
# A price or a rate: the same with up to 4 decimals (unit prices, tax rates, percentages).
DecimalIn = _decimal_text(4, "0.13")

# The name amounts had before MoneyIn; kept for code written against it.
AmountIn = MoneyIn


def amount_out(value: Decimal | None) -> str | None:
    """An amount as the API answers it: a string rounded to 0.01 (ROUND_HALF_UP)."""
    return None if value is None else str(quantize(value))


UNIT_PRICE_DOC = (
    "The net unit price as the pricing engine fixed it, never rounded to the cent: 2 places when it is in whole"
    " cents, up to 4 where an order discount was allocated to the line (the line total / the quantity, e.g."
    ' "321.8967" for 3 units totalling 965.69). The line total is the amount that counts.'
)


def unit_price_out(value: Decimal | None) -> str | None:
    """A unit price as the API answers it: a string as the price was fixed, never rounded to the
    cent (2 places in whole cents, else up to 4: qudao.core.money.unit_price_text)."""
    return None if value is None else unit_price_text(value)


class PageParams(Schema):
    limit: whole_number(1, 200, in_text=True) = Field(50, description="How many items (1-200).")
    offset: whole_number(0, MAX_OFFSET, in_text=True) = Field(0, description="How many items to skip.")


class LongPageParams(PageParams):
    limit: whole_number(1, 500, in_text=True) = Field(100, description="How many items (1-500).")


_page_models: dict[type, type] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The {"count", "items"} envelope of a list endpoint, named after its item schema."""
    if item_schema not in _page_models:
        name = item_schema.__name__.removesuffix("Out") + "Page"
        _page_models[item_schema] = create_model(
            name, __base__=Schema, count=(int, ...), items=(list[item_schema], ...)
        )
    return _page_models[item_schema]


def paginate(queryset: QuerySet, params: PageParams, serialize=None) -> dict:
    """One COUNT and one sliced SELECT; `serialize` maps each row to the item schema's dict."""
    count = queryset.count()
    rows = list(queryset[params.offset : params.offset + params.limit]) if count > params.offset else []
    return {"count": count, "items": [serialize(row) for row in rows] if serialize else rows}


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer the current one."""

    status = 412
    code = "precondition_failed"
    title = _("The record was changed since you read it. Reload it and try again.")


def etag_for(updated_at: datetime) -> str:
    """A strong entity tag derived from the record's last update (microsecond precision)."""
    return '"' + updated_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f") + '"'


def check_if_match(header: str | None, current_etag: str) -> None:
    """:raises PreconditionFailed: the If-Match header does not name the current version."""
    if not header:
        return
    candidates = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if "*" in candidates or current_etag in candidates:
        return
    raise PreconditionFailed()


class Ref(Schema):
    """A record named in an answer: its id, code and name (a SKU, a product line, a warehouse...)."""

    id: int
    code: str
    name: str


class MessageOut(Schema):
    detail: str


class CountOut(Schema):
    updated: int


# --- regions ---------------------------------------------------------------------------------


class RegionRef(Schema):
    code: str
    name: str


class RegionFilters(TextSchema):
    parent: str | None = Field(None, description="Code of the parent region (e.g. 320000 for Jiangsu's cities).")
    level: Literal["country", "province", "city"] | None = None
    q: str | None = Field(None, description="Part of the name (any language) or the code.")


class RegionOut(Schema):
    code: str
    name: str
    name_hant: str
    name_en: str
    full_name: str
    level: str
    parent: str | None


class RegionDetailOut(RegionOut):
    children: list[RegionRef]


# --- approval flows --------------------------------------------------------------------------


class FlowStepIn(InputSchema):
    name: str
    approver_role: str
    match_region: bool = False


class FlowStepOut(Schema):
    id: int
    sequence: int
    name: str
    approver_role: str
    match_region: bool


class FlowIn(InputSchema):
    subject_kind: str
    name: str
    conditions: dict[str, Any] = Field(default_factory=dict)
    priority: SmallInt = 0
    is_active: bool = True
    steps: list[FlowStepIn]


class FlowPatch(InputSchema):
    name: str | None = None
    conditions: dict[str, Any] | None = None
    priority: SmallInt | None = None
    is_active: bool | None = None
    steps: list[FlowStepIn] | None = None


class FlowOut(Schema):
    id: int
    subject_kind: str
    name: str
    conditions: dict[str, Any]
    priority: int
    is_active: bool
    steps: list[FlowStepOut]


class FlowFilters(TextSchema):
    subject_kind: str | None = None
    active: bool | None = None


# --- notifications ---------------------------------------------------------------------------


class NotificationFilters(TextSchema):
    unread: bool | None = Field(None, description="true: only unread ones.")


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


# --- brand settings --------------------------------------------------------------------------


class SettingsOut(Schema):
    brand_name: str
    short_name: str
    primary_colour: str
    logo_url: str
    default_currency: str
    parent_must_cover_child_region: bool
    credit_change_approval_threshold: str
    approval_reminder_hours: int
    updated_at: datetime


class SettingsPatch(InputSchema):
    brand_name: str | None = None
    short_name: str | None = Field(None, description="Shown where space is short; empty: the brand name.")
    primary_colour: str | None = Field(None, description="#RRGGBB, or empty.")
    default_currency: str | None = None
    parent_must_cover_child_region: bool | None = None
    credit_change_approval_threshold: MoneyIn | None = None
    approval_reminder_hours: SmallInt | None = None


# --- audit trail -----------------------------------------------------------------------------


class ChangeFilters(TextSchema):
    model: str | None = Field(None, description='App label and model, e.g. "partners.partner".')
    object_id: str | None = None


class FieldChangeOut(Schema):
    field: str
    before: Any = None
    after: Any = None


class ChangeOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    model: str
    object_id: str
    object_repr: str
    partner_id: int | None
    request_id: str
    changes: list[FieldChangeOut]
