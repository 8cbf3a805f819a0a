"""API of shipments, tracking, delivery confirmation and discrepancy cases (qudao.orders.shipping
holds the rules). Another partner's order, shipment or case answers 404.

POST  /orders/{id}/allocate            operations: confirmed -> allocated (optionally to warehouses)
POST  /orders/{id}/shipments           operations: ship lines from one warehouse
GET   /orders/{id}/shipments           the shipments with their lines and tracking timelines
POST  /shipments/{id}/tracking         operations, the ERP or a carrier: one tracking event
POST  /tracking/bulk                   the ERP's shipments and tracking, idempotent, all or nothing
POST  /orders/{id}/confirm-delivery    the partner confirms receipt (JSON, or multipart with photos)
POST  /orders/{id}/complete            operations: delivered -> completed
GET   /cases, /cases/{id}              discrepancy cases in scope
POST  /cases/{id}/resolve              operations closes a case
GET   /cases/{id}/photos/{photo_id}    a photo of a case
GET   /carriers                        the carriers a shipment may name (code, name, tracking URL)

Integrations (the ERP, a carrier's push) use an API token of a user holding the operations role.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError as PydanticValidationError

from qudao.core.api import require
from qudao.core.errors import FieldErrors, NotFound
from qudao.core.schemas import (
    IdParam,
    InputSchema,
    MultilineText,
    PageParams,
    PositiveSmallInt,
    Quantity,
    TextSchema,
    page_of,
    paginate,
)
from qudao.core.uploads import upload_response
from qudao.partners.scoping import scope

from . import shipping
from .api import _order, order_out
from .models import DiscrepancyCase, Order, Shipment
from .schemas import OrderOut, Ref

router = Router(tags=["shipments"])


# --- schemas -------------------------------------------------------------------------------------


class AllocateIn(InputSchema):
    warehouses: list[str] | None = Field(
        None,
        description="Warehouse codes to move the order's reservations to, filled in this order "
        "(empty: keep them where they are, reserving only what is missing).",
    )


class AllocationRowOut(Schema):
    sku: Ref
    warehouse: Ref
    quantity: int


class StockAllocationOut(Schema):
    order: OrderOut
    allocation: list[AllocationRowOut]


class ShipLineIn(InputSchema):
    line_no: PositiveSmallInt = Field(description="The order line's number (`lines[].line_no` of the order).")
    quantity: Quantity = Field(description="Base units.")


class ShipmentIn(InputSchema):
    warehouse: str = Field(description="The code of the warehouse the goods leave from; it must hold them reserved.")
    lines: list[ShipLineIn]
    carrier: str = Field(
        "", description="A carrier's code from GET /carriers (SF, JD, ZTO, ...); any other text is kept as it is."
    )
    tracking_number: str = ""
    shipped_at: dt.datetime | None = Field(None, description="When it left (default: now).")


class TrackingEventIn(InputSchema):
    status: str = Field(description="picked, shipped, in_transit, out_for_delivery, delivered or exception.")
    at: dt.datetime | None = Field(None, description="When it happened, with its time zone (default: now).")
    location: str = ""
    note: MultilineText = ""
    external_id: str = Field("", description="The sender's id of the event: a re-sent event is recorded once.")


class TrackingIn(TrackingEventIn):
    source: str = Field("operations", description="operations, erp or carrier.")


class ShipmentLineOut(Schema):
    line_no: int
    sku: Ref
    quantity: int


class TrackingEventOut(Schema):
    status: str
    status_label: str
    at: dt.datetime
    location: str
    note: str
    source: str
    external_id: str


class ShipmentOut(Schema):
    id: int
    number: str
    order: str
    warehouse: Ref
    carrier: str = Field(description="The carrier's code (GET /carriers), or the free text recorded.")
    carrier_name: str = Field(description="The carrier's name, or the free text recorded.")
    tracking_number: str
    tracking_url: str | None = Field(description="The carrier's tracking page for this number, when known.")
    status: str
    status_label: str
    external_id: str | None
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    lines: list[ShipmentLineOut]
    timeline: list[TrackingEventOut] = Field(description="Tracking events, oldest first.")


class BulkShipmentIn(InputSchema):
    external_id: str = Field(description="The ERP's number of the shipment: a re-sent row finds it again.")
    warehouse: str
    lines: list[ShipLineIn]
    carrier: str = ""
    tracking_number: str = ""
    shipped_at: dt.datetime | None = None


class ShipmentBulkRowIn(InputSchema):
    order: str = Field(description="The order number (SO...).")
    shipment: str | None = Field(None, description="An existing shipment's number (SH...), or ...")
    new_shipment: BulkShipmentIn | None = Field(None, description="... a new shipment.")
    events: list[TrackingEventIn] = []


class TrackingBulkIn(InputSchema):
    source: str = Field("erp", description="erp or carrier.")
    rows: list[ShipmentBulkRowIn]


class ShipmentBulkRowOut(Schema):
    row: int
    order: str
    shipment: str
    shipment_created: bool
    events_added: int
    events_unchanged: int
    status: str


class TrackingBulkOut(Schema):
    shipments_created: int
    events_added: int
    events_unchanged: int
    rows: list[ShipmentBulkRowOut]


class CaseLineIn(InputSchema):
    line_no: PositiveSmallInt
    quantity: Quantity


class DiscrepancyIn(InputSchema):
    kind: str = Field(description="short, damaged, wrong_item or other.")
    shipment: str | None = Field(None, description="The shipment's number, when one is concerned.")
    lines: list[CaseLineIn] = []
    description: MultilineText = ""


class ConfirmDeliveryIn(InputSchema):
    note: MultilineText = ""
    discrepancies: list[DiscrepancyIn] = []


class CaseLineOut(Schema):
    line_no: int
    sku: Ref
    quantity: int


class CasePhotoOut(Schema):
    id: int
    name: str
    size: int
    url: str


class CaseOut(Schema):
    id: int
    number: str
    order: str
    order_id: int
    partner: Ref
    shipment: str | None
    kind: str
    kind_label: str
    description: str
    status: str
    resolution: str
    resolved_at: dt.datetime | None
    created_at: dt.datetime
    lines: list[CaseLineOut]
    photos: list[CasePhotoOut]


class ConfirmationOut(Schema):
    order: OrderOut
    confirmed_by: str
    note: str
    at: dt.datetime
    cases: list[CaseOut]


class CaseFilters(TextSchema):
    status: str | None = Field(None, description="open or resolved.")
    order: IdParam | None = Field(None, description="An order's id.")


class CaseResolveIn(InputSchema):
    resolution: MultilineText = ""


# --- output --------------------------------------------------------------------------------------


def _ref(obj) -> dict:
    return {"id": obj.pk, "code": obj.code, "name": str(getattr(obj, "name", "") or obj)}


def shipment_out(shipment: Shipment) -> dict:
    return {
        "id": shipment.pk,
        "number": shipment.number,
        "order": shipment.order.number,
        "warehouse": _ref(shipment.warehouse),
        "carrier": shipment.carrier,
        "carrier_name": shipment.carrier_name,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "status": shipment.status,
        "status_label": str(shipment.get_status_display()),
        "external_id": shipment.external_id,
        "shipped_at": shipment.shipped_at,
        "delivered_at": shipment.delivered_at,
        "lines": [
            {"line_no": line.order_line.line_no, "sku": _ref(line.order_line.sku), "quantity": line.quantity}
            for line in shipment.lines.all()
        ],
        "timeline": [
            {
                "status": event.status,
                "status_label": str(event.get_status_display()),
                "at": event.at,
                "location": event.location,
                "note": event.note,
                "source": event.source,
                "external_id": event.external_id,
            }
            for event in sorted(shipment.events.all(), key=lambda event: (event.at, event.pk))
        ],
    }


def case_out(case: DiscrepancyCase) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "order": case.order.number,
        "order_id": case.order_id,
        "partner": {"id": case.order.partner.pk, "code": case.order.partner.code, "name": str(case.order.partner)},
        "shipment": case.shipment.number if case.shipment_id else None,
        "kind": case.kind,
        "kind_label": str(case.get_kind_display()),
        "description": case.description,
        "status": case.status,
        "resolution": case.resolution,
        "resolved_at": case.resolved_at,
        "created_at": case.created_at,
        "lines": [
            {"line_no": line.order_line.line_no, "sku": _ref(line.order_line.sku), "quantity": line.quantity}
            for line in case.lines.all()
        ],
        "photos": [
            {
                "id": photo.pk,
                "name": photo.name,
                "size": photo.size,
                "url": f"/api/v1/cases/{case.pk}/photos/{photo.pk}",
            }
            for photo in case.photos.all()
        ],
    }


def _shipments(user):
    return scope(
        Shipment.objects.select_related("order", "warehouse").prefetch_related("lines__order_line__sku", "events"),
        user,
        partner_field="order__partner",
    )


def _cases(user):
    return scope(
        DiscrepancyCase.objects.select_related("order__partner", "shipment").prefetch_related(
            "lines__order_line__sku", "photos"
        ),
        user,
        partner_field="order__partner",
    )


def _case(user, case_id: int) -> DiscrepancyCase:
    require(user, "orders.view")
    case = _cases(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    return case


def _line_ids(order: Order, lines, key: str) -> list[tuple[int, int]]:
    """(order_line_id, quantity) from the API's (line_no, quantity); unknown line numbers: 422."""
    ids = dict(order.lines.values_list("line_no", "pk"))
    errors = FieldErrors()
    pairs = []
    for index, line in enumerate(lines):
        if line.line_no not in ids:
            errors.add(f"{key}.{index}.line_no", gettext("This line is not on the order."))
        else:
            pairs.append((ids[line.line_no], line.quantity))
    if errors.errors:
        raise errors
    return pairs


# --- allocation and shipments --------------------------------------------------------------------


@router.post("/orders/{order_id}/allocate", response=StockAllocationOut)
def order_allocate(request, order_id: IdParam, payload: AllocateIn):
    """Operations allocates a confirmed order: its stock reservations must cover what it still has
    to ship (what is missing is reserved). With `warehouses` (codes, in fill order) every
    reservation moves there, all or nothing; an allocated or partially shipped order may be
    allocated again this way."""
    from qudao.inventory.models import Warehouse

    order = _order(request.auth, order_id)  # someone else's order: 404 before any 403
    require(request.auth, "orders.manage")
    warehouse_ids = None
    if payload.warehouses:
        codes = [code.strip().upper() for code in payload.warehouses]
        found = dict(Warehouse.objects.filter(code__in=codes).values_list("code", "pk"))
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise FieldErrors.single(
                "warehouses", gettext("Unknown warehouse: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        warehouse_ids = [found[code] for code in codes]
    order = shipping.allocate_order(order=order, actor=request.auth, warehouse_ids=warehouse_ids)
    return {
        "order": order_out(_order(request.auth, order.pk), full=True),
        "allocation": [
            {"sku": _ref(row["sku"]), "warehouse": _ref(row["warehouse"]), "quantity": row["quantity"]}
            for row in shipping.allocation(order)
        ],
    }


@router.post("/orders/{order_id}/shipments", response={201: ShipmentOut})
def shipment_create(request, order_id: IdParam, payload: ShipmentIn):
    """Operations ships lines (by line number, in base units) of an allocated order from one
    warehouse that holds them reserved for it; never more than ordered minus already shipped. The
    order becomes partially shipped or shipped."""
    from qudao.inventory.models import Warehouse

    order = _order(request.auth, order_id)
    require(request.auth, "orders.manage")
    warehouse = Warehouse.objects.filter(code=payload.warehouse.strip().upper()).first()
    if warehouse is None:
        raise FieldErrors.single("warehouse", gettext("Unknown warehouse."))
    shipment = shipping.create_shipment(
        order=order,
        warehouse=warehouse,
        lines=_line_ids(order, payload.lines, "lines"),
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        shipped_at=payload.shipped_at,
        actor=request.auth,
    )
    return Status(201, shipment_out(_shipments(request.auth).get(pk=shipment.pk)))


@router.get("/orders/{order_id}/shipments", response=list[ShipmentOut])
def shipment_list(request, order_id: IdParam):
    """An order's shipments, each with its lines and its tracking timeline (oldest first)."""
    order = _order(request.auth, order_id)
    return [shipment_out(shipment) for shipment in _shipments(request.auth).filter(order=order)]


@router.post("/shipments/{shipment_id}/tracking", response={201: ShipmentOut, 200: ShipmentOut})
def shipment_track(request, shipment_id: IdParam, payload: TrackingIn):
    """One tracking event, from operations, the ERP or a carrier's push (an API token of a user
    with the operations role). 201 when recorded; 200 when the shipment already has an event with
    this `external_id` (or, without one, the same status and time): nothing is recorded twice. The
    shipment's status is its latest event by time. A "delivered" event does not confirm the order's
    receipt: the partner does."""
    require(request.auth, "orders.view")
    shipment = _shipments(request.auth).filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound()
    require(request.auth, "orders.manage")
    _event, created = shipping.add_tracking_event(
        shipment=shipment,
        status=payload.status,
        at=payload.at,
        location=payload.location,
        note=payload.note,
        source=payload.source,
        external_id=payload.external_id,
        actor=request.auth,
    )
    return Status(201 if created else 200, shipment_out(_shipments(request.auth).get(pk=shipment.pk)))


@router.post("/tracking/bulk", response=TrackingBulkOut)
def tracking_bulk(request, payload: TrackingBulkIn):
    """The ERP's shipments and tracking, at most 500 rows: each row names an order by number and an
    existing shipment by number, or a new shipment (with the ERP's `external_id`), and its events.
    Idempotent (a re-sent batch changes nothing) and all or nothing: any wrong row refuses the
    whole batch (422 naming every wrong row as `rows.<i>.<field>`)."""
    require(request.auth, "orders.manage")
    rows = shipping.import_tracking(
        rows=[row.model_dump() for row in payload.rows], actor=request.auth, source=payload.source
    )
    return {
        "shipments_created": sum(1 for row in rows if row["shipment_created"]),
        "events_added": sum(row["events_added"] for row in rows),
        "events_unchanged": sum(row["events_unchanged"] for row in rows),
        "rows": rows,
    }


# --- delivery ------------------------------------------------------------------------------------


def _inline(schema: dict) -> dict:
    """A pydantic JSON schema with its $defs written in place (OpenAPI resolves "#/..." refs from
    the document root, where these definitions are not)."""
    definitions = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(dict(definitions[node["$ref"].rsplit("/", 1)[-1]]))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return walk(schema)


_CONFIRM_SCHEMA = {
    "requestBody": {
        "content": {
            "application/json": {"schema": _inline(ConfirmDeliveryIn.model_json_schema())},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "payload": {"type": "string", "description": "The JSON body, as text."},
                        "photos.0": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "Photos of discrepancies[0] (photos.1 for the second...); "
                            "JPG, PNG or WebP, at most 5 MB each, 6 per discrepancy.",
                        },
                    },
                    "required": ["payload"],
                }
            },
        },
        "required": False,
    }
}
_PHOTO_FIELD = re.compile(r"^photos(?:\.(\d+))?$")


def _confirm_body(request) -> tuple[ConfirmDeliveryIn, dict[int, list]]:
    """The body as JSON, or as multipart with the JSON in `payload` and photos in `photos.<i>`."""
    photos: dict[int, list] = {}
    if request.content_type == "multipart/form-data":
        raw = request.POST.get("payload") or "{}"
        for name in request.FILES:
            match = _PHOTO_FIELD.match(name)
            if match is None:
                raise FieldErrors.single(name, gettext("This field is not accepted here."))
            photos.setdefault(int(match.group(1) or 0), []).extend(request.FILES.getlist(name))
    else:
        raw = request.body.decode("utf-8", errors="replace") or "{}"
    try:
        data = json.loads(raw)
    except ValueError:
        raise FieldErrors.single("payload", gettext("The request body is not valid JSON.")) from None
    try:
        body = ConfirmDeliveryIn.model_validate(data)
    except PydanticValidationError as error:
        raise NinjaValidationError(error.errors(include_url=False, include_context=False)) from None
    for index in photos:
        if index >= len(body.discrepancies):
            raise FieldErrors.single(f"photos.{index}", gettext("No discrepancy has this number."))
    return body, photos


@router.post("/orders/{order_id}/confirm-delivery", response=ConfirmationOut, openapi_extra=_CONFIRM_SCHEMA)
def order_confirm_delivery(request, order_id: IdParam):
    """The partner confirms receipt of a shipped order (shipped -> delivered), reporting what was
    wrong, if anything: each discrepancy (short, damaged, wrong_item, other; lines by line number,
    a description, photos) opens a case for operations. Send JSON, or multipart/form-data when
    photos are attached: the JSON in the `payload` field and the photos of discrepancy i as
    `photos.<i>` (JPG, PNG or WebP, at most 5 MB each, 6 per discrepancy)."""
    order = _order(request.auth, order_id)
    body, photos = _confirm_body(request)
    discrepancies = []
    for index, item in enumerate(body.discrepancies):
        discrepancies.append(
            {
                "kind": item.kind,
                "shipment": item.shipment,
                "lines": _line_ids(order, item.lines, f"discrepancies.{index}.lines"),
                "description": item.description,
                "photos": photos.get(index, []),
            }
        )
    confirmation = shipping.confirm_delivery(
        order=order, actor=request.auth, discrepancies=discrepancies, note=body.note
    )
    cases = _cases(request.auth).filter(pk__in=[case.pk for case in confirmation.opened_cases]).order_by("pk")
    return {
        "order": order_out(_order(request.auth, order.pk), full=True),
        "confirmed_by": confirmation.kind,
        "note": confirmation.note,
        "at": confirmation.at,
        "cases": [case_out(case) for case in cases],
    }


@router.post("/orders/{order_id}/complete", response=OrderOut)
def order_complete(request, order_id: IdParam):
    """Operations completes a delivered order (its discrepancy cases resolved first: else 409)."""
    order = _order(request.auth, order_id)
    require(request.auth, "orders.manage")
    order = shipping.complete_order(order=order, actor=request.auth)
    return order_out(_order(request.auth, order.pk), full=True)


# --- cases ---------------------------------------------------------------------------------------


@router.get("/cases", response=page_of(CaseOut))
def case_list(request, filters: Query[CaseFilters], page: Query[PageParams]):
    """Discrepancy cases in your scope, newest first (operations works on the open ones)."""
    require(request.auth, "orders.view")
    cases = _cases(request.auth)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.order:
        cases = cases.filter(order_id=filters.order)
    return paginate(cases.order_by("-created_at", "-pk"), page, case_out)


@router.get("/cases/{case_id}", response=CaseOut)
def case_detail(request, case_id: IdParam):
    return case_out(_case(request.auth, case_id))


@router.post("/cases/{case_id}/resolve", response=CaseOut)
def case_resolve(request, case_id: IdParam, payload: CaseResolveIn):
    """Operations closes a case with its resolution (the reporter is told in-app)."""
    case = _case(request.auth, case_id)
    require(request.auth, "orders.manage")
    shipping.resolve_case(case=case, actor=request.auth, resolution=payload.resolution)
    return case_out(_case(request.auth, case.pk))


@router.get("/cases/{case_id}/photos/{photo_id}")
def case_photo(request, case_id: IdParam, photo_id: IdParam):
    """A photo of a case you may see."""
    case = _case(request.auth, case_id)
    photo = case.photos.filter(pk=photo_id).first()
    if photo is None or not photo.file:
        raise NotFound()
    return upload_response(photo.file, photo.name)


class CarrierOut(Schema):
    code: str
    name: str
    tracking_url: str = Field(description="The tracking page, `{number}` standing for the tracking number.")


@router.get("/carriers", response=list[CarrierOut])
def carrier_list(request):
    """The carriers a shipment may name by code (orders.carriers; a deployment may set its own)."""
    from .carriers import carriers

    return [{"code": item.code, "name": str(item.name), "tracking_url": item.tracking_url} for item in carriers()]
