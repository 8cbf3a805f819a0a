"""Domain events: written to the outbox in the caller's transaction, together with one webhook
delivery per subscribed endpoint (qudao.core.webhooks explains why the fan-out happens here)."""

from django.db import transaction
from django.utils import timezone

from .models import OutboxEvent


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
    return event
