"""The finance API: statements (see docs/api.md)."""

from ninja import Router

router = Router(tags=["finance"])
