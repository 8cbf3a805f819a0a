"""API of the inventory context."""

from ninja import Router

router = Router(tags=["inventory"])
