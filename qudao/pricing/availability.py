"""How much of a SKU a partner may see is in stock, for the portal's catalogue. Stock is the
inventory context's, which comes after pricing (dependencies point down): inventory registers the
function that answers (`register_availability`, in its AppConfig.ready), and the catalogue asks
through `availability`. Without one registered the catalogue shows no stock badge."""

from __future__ import annotations

from collections.abc import Callable, Iterable

_source: Callable[[list[int]], dict[int, dict]] | None = None


def register_availability(source: Callable[[list[int]], dict[int, dict]]) -> None:
    """`source(sku_ids)` -> {sku_id: {"band": "in_stock" | "low" | "out", "label": ..., "mode": ...}},
    what a partner may be shown (qudao.inventory.services.availability_display)."""
    global _source
    _source = source


def availability(sku_ids: Iterable[int]) -> dict[int, dict]:
    ids = list(sku_ids)
    if _source is None or not ids:
        return {}
    return _source(ids)
