"""API of the orders context."""

from ninja import Router

router = Router(tags=["orders"])
