"""API of outgoing webhooks (endpoints, deliveries, replay)."""

from ninja import Router

router = Router(tags=["webhooks"])
