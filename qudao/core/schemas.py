"""API schemas of the core context (regions, approval flows, notifications, brand settings, the
audit trail) and the small pieces every router shares: the strict input base, amounts as strings,
limit/offset pages and ETags.

Conventions: `XIn` creates, `XPatch` changes part of a record (only the fields sent), `XOut` is
what the API answers. Inputs refuse unknown fields (a misspelt or read-only field is an error,
never silently ignored), and keep the text rule (`TextSchema`: no control characters; line breaks
only in `MultilineText`). Money is a string ("500000.00"), never a float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, WithJsonSchema, create_model, field_validator
from pydantic_core import PydanticCustomError

from .errors import DomainError
from .money import parse_amount, quantize
from .validators import text_error_code, text_problem

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


def _amount_input(value: Any) -> str:
    if isinstance(value, bool | float):
        raise PydanticCustomError("amount_type", 'Send the amount as a string, e.g. "500000.00".')
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise PydanticCustomError("amount_type", 'Send the amount as a string, e.g. "500000.00".')
    try:
        parse_amount(value)
    except ValueError:
        raise PydanticCustomError("decimal_parsing", "Enter a number.") from None
    return value.strip()


# An amount of money as the API receives it: a decimal string (or a whole number), never a float.
AmountIn = Annotated[
    str,
    BeforeValidator(_amount_input),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["500000.00"]}),
]


def amount_out(value: Decimal | None) -> str | None:
    """An amount as the API answers it: a string rounded to 0.01 (ROUND_HALF_UP)."""
    return None if value is None else str(quantize(value))


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=200, description="How many items (1-200).")
    offset: int = Field(0, ge=0, description="How many items to skip.")


class LongPageParams(PageParams):
    limit: int = Field(100, ge=1, le=500, description="How many items (1-500).")


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
    priority: int = 0
    is_active: bool = True
    steps: list[FlowStepIn]


class FlowPatch(InputSchema):
    name: str | None = None
    conditions: dict[str, Any] | None = None
    priority: int | None = None
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
    default_currency: str
    parent_must_cover_child_region: bool
    credit_change_approval_threshold: str
    approval_reminder_hours: int
    updated_at: datetime


class SettingsPatch(InputSchema):
    brand_name: str | None = None
    default_currency: str | None = None
    parent_must_cover_child_region: bool | None = None
    credit_change_approval_threshold: AmountIn | None = None
    approval_reminder_hours: int | None = None


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
