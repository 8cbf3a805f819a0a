"""API of returns (RMA) and credit notes (qudao.orders.returns holds the rules). Another partner's
order, return or credit note answers 404.

POST  /orders/{id}/returns              the buyer's users (or operations) ask to return shipped units
                                        (JSON, or multipart with photos)
GET   /returns, /returns/{id}           returns in scope, with their lines and credit note
POST  /returns/{id}/approve             operations approves (note optional)
POST  /returns/{id}/reject              operations rejects (note required)
POST  /returns/{id}/cancel              the buyer's administrators or operations cancel a requested or
                                        approved return (reason required for operations)
POST  /returns/{id}/receive             operations records what came back; the credit note is issued
GET   /returns/{id}/photos/{photo_id}   a photo of a return
GET   /credit-notes/{id}                a credit note with its lines
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError as PydanticValidationError

from qudao.core.api import require
from qudao.core.errors import FieldErrors, NotFound
from qudao.core.schemas import (
    UNIT_PRICE_DOC,
    IdParam,
    InputSchema,
    MultilineText,
    PageParams,
    PositiveSmallInt,
    Quantity,
    QuantityOrZero,
    TextSchema,
    amount_out,
    page_of,
    paginate,
    unit_price_out,
)
from qudao.core.uploads import upload_response
from qudao.inventory.models import Warehouse
from qudao.partners.scoping import scope

from . import returns
from .api import _order
from .models import CreditNote, Order, ReturnRequest
from .schemas import Ref

router = Router(tags=["returns"])


# --- schemas -------------------------------------------------------------------------------------


class ReturnLineIn(InputSchema):
    line_no: PositiveSmallInt = Field(description="The order line's number (`lines[].line_no` of the order).")
    quantity: Quantity = Field(description="Base units, at most shipped minus already returned.")


class ReturnIn(InputSchema):
    reason: str = Field(description="damaged, wrong_item, unwanted, quality or other.")
    description: MultilineText = ""
    lines: list[ReturnLineIn]


class ReturnDecisionIn(InputSchema):
    note: MultilineText = ""


class CancelIn(InputSchema):
    reason: MultilineText = Field("", description="Why the return is cancelled (required for operations).")


class ReceiveLineIn(InputSchema):
    line_no: PositiveSmallInt = Field(description="The order line's number, as on the return.")
    received_quantity: QuantityOrZero = Field(description="Units that came back (0 to the quantity asked).")
    condition: str = Field(description="sellable or quarantine.")


class ReceiveIn(InputSchema):
    warehouse: str = Field(
        description="The code of the warehouse the units go back to: sellable ones on hand, quarantined ones "
        "into its quarantine (never available until released)."
    )
    lines: list[ReceiveLineIn]
    credited_on: str | None = Field(
        None,
        description="The credit note's business date (YYYY-MM-DD; default today), e.g. the day the ERP received "
        "the goods: not in the future, not before they shipped. Statements, the ledger and rebates count it then.",
    )


class ReturnFilters(TextSchema):
    status: str | None = Field(None, description="requested, approved, rejected, received, credited or cancelled.")
    order: IdParam | None = Field(None, description="An order's id.")


class ReturnLineOut(Schema):
    line_no: int
    sku: Ref
    quantity: int
    received_quantity: int
    condition: str | None
    net_unit_price: str = Field(description=UNIT_PRICE_DOC)


class ReturnPhotoOut(Schema):
    id: int
    name: str
    size: int
    url: str


class CreditLineOut(Schema):
    line_no: int
    sku: Ref
    quantity: int
    unit_price: str = Field(description=UNIT_PRICE_DOC)
    amount: str


class CreditNoteOut(Schema):
    id: int
    number: str
    return_number: str
    order: str
    partner: Ref
    currency: str
    amount: str = Field(description="What is credited: the lines' total less what went back to the rebate fund.")
    rebate_amount: str = Field(
        description="What went back to the rebate fund (the order was paid partly from it; 0.00 otherwise)."
    )
    issued_on: dt.date = Field(description="Its business date: the day it counts from (ledger, statements, rebates).")
    created_at: dt.datetime
    lines: list[CreditLineOut]


class ReturnOut(Schema):
    id: int
    number: str
    order: str
    order_id: int
    partner: Ref
    status: str
    status_label: str
    reason: str
    reason_label: str
    description: str
    decision_note: str
    decided_at: dt.datetime | None
    received_at: dt.datetime | None
    warehouse: str | None
    created_at: dt.datetime
    lines: list[ReturnLineOut]
    photos: list[ReturnPhotoOut]
    credit_note: CreditNoteOut | None


# --- output --------------------------------------------------------------------------------------


def _sku(sku) -> dict:
    return {"id": sku.pk, "code": sku.code, "name": sku.name}


def _partner(partner) -> dict:
    return {"id": partner.pk, "code": partner.code, "name": str(partner)}


def credit_note_out(note: CreditNote) -> dict:
    rma = note.return_request
    return {
        "id": note.pk,
        "number": note.number,
        "return_number": rma.number,
        "order": rma.order.number,
        "partner": _partner(note.partner),
        "currency": note.currency,
        "amount": amount_out(note.amount),
        "rebate_amount": amount_out(note.rebate_amount),
        "issued_on": note.issued_on,
        "created_at": note.created_at,
        "lines": [
            {
                "line_no": line.order_line.line_no,
                "sku": _sku(line.order_line.sku),
                "quantity": line.quantity,
                "unit_price": unit_price_out(line.unit_price),
                "amount": amount_out(line.amount),
            }
            for line in note.lines.select_related("order_line__sku")
        ],
    }


def return_out(rma: ReturnRequest) -> dict:
    note = CreditNote.objects.filter(return_request=rma).select_related("partner").first()
    if note is not None:
        note.return_request = rma
    return {
        "id": rma.pk,
        "number": rma.number,
        "order": rma.order.number,
        "order_id": rma.order_id,
        "partner": _partner(rma.partner),
        "status": rma.status,
        "status_label": str(rma.get_status_display()),
        "reason": rma.reason,
        "reason_label": str(rma.get_reason_display()),
        "description": rma.description,
        "decision_note": rma.decision_note,
        "decided_at": rma.decided_at,
        "received_at": rma.received_at,
        "warehouse": rma.warehouse.code if rma.warehouse_id else None,
        "created_at": rma.created_at,
        "lines": [
            {
                "line_no": line.order_line.line_no,
                "sku": _sku(line.order_line.sku),
                "quantity": line.quantity,
                "received_quantity": line.received_quantity,
                "condition": line.condition or None,
                "net_unit_price": unit_price_out(line.order_line.net_unit_price),
            }
            for line in rma.lines.select_related("order_line__sku")
        ],
        "photos": [
            {
                "id": photo.pk,
                "name": photo.name,
                "size": photo.size,
                "url": f"/api/v1/returns/{rma.pk}/photos/{photo.pk}",
            }
            for photo in rma.photos.all()
        ],
        "credit_note": credit_note_out(note) if note is not None else None,
    }


def _returns(user):
    return scope(ReturnRequest.objects.select_related("order", "partner", "warehouse"), user)


def _return(user, return_id: int) -> ReturnRequest:
    require(user, "orders.view")
    rma = _returns(user).filter(pk=return_id).first()
    if rma is None:
        raise NotFound()
    return rma


def _line_ids(order: Order, lines, key: str = "lines") -> list[tuple[int, int]]:
    by_no = dict(order.lines.values_list("line_no", "pk"))
    errors = FieldErrors()
    pairs = []
    for index, line in enumerate(lines):
        if line.line_no not in by_no:
            errors.add(f"{key}.{index}.line_no", gettext("This line is not on the order."))
        else:
            pairs.append((by_no[line.line_no], line.quantity))
    if errors.errors:
        raise errors
    return pairs


_RETURN_SCHEMA = {
    "requestBody": {
        "content": {
            "application/json": {"schema": ReturnIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "payload": {"type": "string", "description": "The JSON body, as text."},
                        "photos": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "JPG, PNG or WebP, at most 5 MB each, 6 in all.",
                        },
                    },
                    "required": ["payload"],
                }
            },
        },
        "required": True,
    }
}


def _return_body(request) -> tuple[ReturnIn, list]:
    photos: list = []
    if request.content_type == "multipart/form-data":
        raw = request.POST.get("payload") or "{}"
        for name in request.FILES:
            if name != "photos":
                raise FieldErrors.single(name, gettext("This field is not accepted here."))
            photos.extend(request.FILES.getlist(name))
    else:
        raw = request.body.decode("utf-8", errors="replace") or "{}"
    try:
        data = json.loads(raw)
    except ValueError:
        raise FieldErrors.single("payload", gettext("The request body is not valid JSON.")) from None
    try:
        return ReturnIn.model_validate(data), photos
    except PydanticValidationError as error:
        raise NinjaValidationError(error.errors(include_url=False, include_context=False)) from None


# --- routes --------------------------------------------------------------------------------------


@router.post("/orders/{order_id}/returns", response={201: ReturnOut}, openapi_extra=_RETURN_SCHEMA)
def order_return(request, order_id: IdParam):
    """Ask to return units of a shipped, delivered or completed order (the buyer's users, or
    operations): lines by line number, at most shipped minus what other returns hold (errors keyed
    `lines.<i>.quantity`); a reason and a description; photos as multipart/form-data with the JSON
    in the `payload` field. 409 when the order is not shipped yet."""
    order = _order(request.auth, order_id)
    body, photos = _return_body(request)
    rma = returns.request_return(
        order=order,
        lines=_line_ids(order, body.lines),
        reason=body.reason,
        description=body.description,
        photos=photos,
        actor=request.auth,
    )
    return Status(201, return_out(_return(request.auth, rma.pk)))


@router.get("/returns", response=page_of(ReturnOut))
def return_list(request, filters: Query[ReturnFilters], page: Query[PageParams]):
    """Returns in your scope (a partner sees its own and its sub-dealers'), newest first."""
    require(request.auth, "orders.view")
    rows = _returns(request.auth)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.order:
        rows = rows.filter(order_id=filters.order)
    return paginate(rows.order_by("-created_at", "-pk"), page, return_out)


@router.get("/returns/{return_id}", response=ReturnOut)
def return_detail(request, return_id: IdParam):
    return return_out(_return(request.auth, return_id))


@router.post("/returns/{return_id}/approve", response=ReturnOut)
def return_approve(request, return_id: IdParam, payload: ReturnDecisionIn):
    """Operations approves a requested return; the partner is told in-app. 409 when not requested."""
    rma = _return(request.auth, return_id)
    require(request.auth, "orders.manage")
    returns.approve_return(return_request=rma, actor=request.auth, note=payload.note)
    return return_out(_return(request.auth, return_id))


@router.post("/returns/{return_id}/reject", response=ReturnOut)
def return_reject(request, return_id: IdParam, payload: ReturnDecisionIn):
    """Operations rejects a requested return, with the reason (`note`, required)."""
    rma = _return(request.auth, return_id)
    require(request.auth, "orders.manage")
    returns.reject_return(return_request=rma, actor=request.auth, note=payload.note)
    return return_out(_return(request.auth, return_id))


@router.post("/returns/{return_id}/cancel", response=ReturnOut)
def return_cancel(request, return_id: IdParam, payload: CancelIn):
    """The buyer's administrators cancel their return, or operations does with a `reason`
    (required), while it is requested or approved and nothing came back; its units may be asked
    back again. 409 once received, credited, rejected or cancelled; 403 for anyone else who sees
    it, the partner's staff included (they may ask for returns, not cancel them)."""
    rma = _return(request.auth, return_id)
    returns.cancel_return(return_request=rma, actor=request.auth, reason=payload.reason)
    return return_out(_return(request.auth, return_id))


def _warehouse(code, key: str, errors: FieldErrors):
    if code in (None, ""):
        return None
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        errors.add(key, gettext("Unknown warehouse."))
    return warehouse


@router.post("/returns/{return_id}/receive", response=ReturnOut)
def return_receive(request, return_id: IdParam, payload: ReceiveIn):
    """Operations records what came back of an approved return (per line: units and condition);
    sellable units go back on hand in `warehouse`, quarantined ones into that warehouse's quarantine;
    the credit note is issued at the net price paid (the return becomes credited)."""
    rma = _return(request.auth, return_id)
    require(request.auth, "orders.manage")
    errors = FieldErrors()
    warehouse = _warehouse(payload.warehouse, "warehouse", errors)
    if warehouse is None and "warehouse" not in errors.errors:
        errors.add("warehouse", gettext("Choose an active warehouse."))
    by_no = {line.order_line.line_no: line.pk for line in rma.lines.select_related("order_line")}
    lines = []
    for index, line in enumerate(payload.lines):
        if line.line_no not in by_no:
            errors.add(f"lines.{index}.line_no", gettext("This line is not on the return."))
        else:
            lines.append((by_no[line.line_no], line.received_quantity, line.condition))
    if errors.errors:
        raise errors
    returns.receive_return(
        return_request=rma, warehouse=warehouse, lines=lines, actor=request.auth, credited_on=payload.credited_on
    )
    return return_out(_return(request.auth, return_id))


@router.get("/returns/{return_id}/photos/{photo_id}")
def return_photo(request, return_id: IdParam, photo_id: IdParam):
    """A photo of a return you may see."""
    rma = _return(request.auth, return_id)
    photo = rma.photos.filter(pk=photo_id).first()
    if photo is None or not photo.file:
        raise NotFound()
    return upload_response(photo.file, photo.name)


@router.get("/credit-notes/{note_id}", response=CreditNoteOut)
def credit_note_detail(request, note_id: IdParam):
    """A credit note you may see, with what it credits per order line."""
    require(request.auth, "orders.view")
    note = (
        scope(CreditNote.objects.select_related("partner", "return_request__order"), request.auth)
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        raise NotFound()
    return credit_note_out(note)
