"""API of shipments, tracking, delivery confirmation and discrepancy cases."""

from ninja import Router

router = Router(tags=["shipments"])
