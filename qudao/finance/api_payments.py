"""The finance API: payments (see docs/api.md)."""

from ninja import Router

router = Router(tags=["finance"])
