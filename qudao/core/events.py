"""Domain events: written to the outbox in the caller's transaction, together with one webhook
delivery per subscribed endpoint (qudao.core.webhooks explains why the fan-out happens here).

A higher context reacts to a lower one's events in-process with `subscribe` (finance raises an
invoice when orders publishes `shipment.created`): the handler runs inside `publish`, in the same
transaction, so the reaction commits or rolls back with the change itself. A lower context never
imports a higher one (../shared/DESIGN.md); it only publishes.
"""

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .models import OutboxEvent

# event type -> handlers(event), in the order they subscribed (apps' ready(), in INSTALLED_APPS order)
_subscribers: dict[str, list[Callable[[OutboxEvent], None]]] = defaultdict(list)


def subscribe(event_type: str, handler: Callable[[OutboxEvent], None]) -> None:
    """Call `handler(event)` for every `event_type` event, in the publisher's transaction (an
    exception in the handler rolls the publisher's change back). Subscribing twice is once."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def publish(event_type: str, aggregate_type: str, aggregate_id, payload: dict | None = None) -> OutboxEvent:
    from . import webhooks

    now = timezone.now()
    event = OutboxEvent.objects.create(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload or {},
        created_at=now,
        published_at=now,
    )
    if webhooks.fan_out(event):
        transaction.on_commit(webhooks.kick)
    for handler in _subscribers.get(event_type, ()):
        handler(event)
    return event
