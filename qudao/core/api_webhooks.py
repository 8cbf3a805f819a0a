"""API of outgoing webhooks (endpoints, deliveries, replay), for administrators
(webhooks.manage). How receivers verify and handle the requests: docs/webhooks.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from qudao.core.schemas import TextSchema

from . import webhooks
from .api import require
from .errors import NotFound
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .schemas import IdParam, InputSchema, PageParams, page_of, paginate

router = Router(tags=["webhooks"])

PERMISSION = "webhooks.manage"


# --- schemas ---------------------------------------------------------------------------------


class EndpointIn(InputSchema):
    name: str
    url: str
    event_types: list[str] = Field(
        default_factory=list, description='Event types to receive ("order.shipped", "order.*"); empty for all.'
    )
    active: bool = True


class EndpointPatch(InputSchema):
    name: str | None = None
    url: str | None = None
    event_types: list[str] | None = None
    active: bool | None = None


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class EndpointSecretOut(EndpointOut):
    secret: str = Field(description="The signing secret. Shown only here: store it now.")


class EndpointRef(Schema):
    id: int
    name: str


class AttemptOut(Schema):
    number: int
    at: datetime
    duration_ms: int
    status_code: int | None
    error: str
    succeeded: bool


class DeliveryOut(Schema):
    id: int
    endpoint: EndpointRef
    event_id: int
    event_type: str
    aggregate_type: str
    aggregate_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class DeliveryFilters(TextSchema):
    endpoint: IdParam | None = Field(None, description="Id of the endpoint.")
    status: Literal["pending", "failed", "delivered", "dead"] | None = None
    event_type: str | None = Field(None, description='Exact event type, e.g. "order.shipped".')


class EndpointFilters(TextSchema):
    active: bool | None = None


# --- helpers ---------------------------------------------------------------------------------


def endpoint_out(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "url": endpoint.url,
        "event_types": endpoint.event_types or [],
        "active": endpoint.active,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def delivery_out(delivery: WebhookDelivery) -> dict:
    is_open = delivery.status in WebhookDelivery.OPEN
    return {
        "id": delivery.pk,
        "endpoint": {"id": delivery.endpoint_id, "name": delivery.endpoint.name},
        "event_id": delivery.event_id,
        "event_type": delivery.event.event_type,
        "aggregate_type": delivery.aggregate_type,
        "aggregate_id": delivery.aggregate_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at if is_open else None,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
    }


def delivery_detail_out(delivery: WebhookDelivery) -> dict:
    attempts = WebhookAttempt.objects.filter(delivery=delivery).order_by("pk")
    return delivery_out(delivery) | {
        "payload": webhooks.payload_of(delivery.event),
        "attempt_log": [
            {
                "number": attempt.number,
                "at": attempt.at,
                "duration_ms": attempt.duration_ms,
                "status_code": attempt.status_code,
                "error": attempt.error,
                "succeeded": attempt.succeeded,
            }
            for attempt in attempts
        ],
    }


def _get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def _get_delivery(delivery_id: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    return delivery


# --- endpoints -------------------------------------------------------------------------------


@router.get("/webhooks/endpoints", response=page_of(EndpointOut))
def endpoint_list(request, filters: Query[EndpointFilters], page: Query[PageParams]):
    require(request.auth, PERMISSION)
    endpoints = WebhookEndpoint.objects.all()
    if filters.active is not None:
        endpoints = endpoints.filter(active=filters.active)
    return paginate(endpoints.order_by("name", "pk"), page, endpoint_out)


@router.post("/webhooks/endpoints", response={201: EndpointSecretOut})
def endpoint_create(request, payload: EndpointIn):
    """Create an endpoint. The answer carries its signing `secret`, shown this once."""
    require(request.auth, PERMISSION)
    endpoint = webhooks.create_endpoint(data=payload.model_dump())
    return Status(201, endpoint_out(endpoint) | {"secret": endpoint.secret})


@router.get("/webhooks/endpoints/{endpoint_id}", response=EndpointOut)
def endpoint_detail(request, endpoint_id: IdParam):
    require(request.auth, PERMISSION)
    return endpoint_out(_get_endpoint(endpoint_id))


@router.patch("/webhooks/endpoints/{endpoint_id}", response=EndpointOut)
def endpoint_update(request, endpoint_id: IdParam, payload: EndpointPatch):
    """Change an endpoint; `"active": false` stops deliveries to it (they wait, in order)."""
    require(request.auth, PERMISSION)
    endpoint = _get_endpoint(endpoint_id)
    return endpoint_out(webhooks.update_endpoint(endpoint=endpoint, data=payload.model_dump(exclude_unset=True)))


@router.delete("/webhooks/endpoints/{endpoint_id}", response={204: None})
def endpoint_delete(request, endpoint_id: IdParam):
    """Delete an endpoint with its delivery log (deactivate it instead to keep them)."""
    require(request.auth, PERMISSION)
    webhooks.delete_endpoint(endpoint=_get_endpoint(endpoint_id))
    return Status(204, None)


@router.post("/webhooks/endpoints/{endpoint_id}/rotate-secret", response=EndpointSecretOut)
def endpoint_rotate_secret(request, endpoint_id: IdParam):
    """A new signing secret (shown this once); the old one stops signing at once."""
    require(request.auth, PERMISSION)
    endpoint = webhooks.rotate_secret(endpoint=_get_endpoint(endpoint_id))
    return endpoint_out(endpoint) | {"secret": endpoint.secret}


@router.post("/webhooks/endpoints/{endpoint_id}/test", response=DeliveryDetailOut)
def endpoint_test(request, endpoint_id: IdParam):
    """Send a `webhook.ping` event to this endpoint now and answer with its delivery: `status`
    "delivered", or "failed" with the receiver's answer in `last_status_code` / `last_error`."""
    require(request.auth, PERMISSION)
    return delivery_detail_out(webhooks.ping(endpoint=_get_endpoint(endpoint_id)))


# --- deliveries ------------------------------------------------------------------------------


@router.get("/webhooks/deliveries", response=page_of(DeliveryOut))
def delivery_list(request, filters: Query[DeliveryFilters], page: Query[PageParams]):
    """The delivery log, newest first."""
    require(request.auth, PERMISSION)
    deliveries = WebhookDelivery.objects.select_related("endpoint", "event")
    if filters.endpoint is not None:
        deliveries = deliveries.filter(endpoint_id=filters.endpoint)
    if filters.status:
        deliveries = deliveries.filter(status=filters.status)
    if filters.event_type:
        deliveries = deliveries.filter(event__event_type=filters.event_type)
    return paginate(deliveries.order_by("-pk"), page, delivery_out)


@router.get("/webhooks/deliveries/{delivery_id}", response=DeliveryDetailOut)
def delivery_detail(request, delivery_id: IdParam):
    """One delivery with the payload sent and every attempt."""
    require(request.auth, PERMISSION)
    return delivery_detail_out(_get_delivery(delivery_id))


@router.post("/webhooks/deliveries/{delivery_id}/replay", response=DeliveryDetailOut)
def delivery_replay(request, delivery_id: IdParam):
    """Send a delivered or dead delivery again (409 while it is still pending or failed). It
    goes out at the next dispatch, after any earlier open delivery of the same aggregate."""
    require(request.auth, PERMISSION)
    return delivery_detail_out(webhooks.replay(delivery=_get_delivery(delivery_id)))
