"""Domain events: written to the outbox in the caller's transaction (delivered later)."""

from .models import OutboxEvent


def publish(event_type: str, aggregate_type: str, aggregate_id, payload: dict | None = None) -> OutboxEvent:
    return OutboxEvent.objects.create(
        event_type=event_type, aggregate_type=aggregate_type, aggregate_id=str(aggregate_id), payload=payload or {}
    )
