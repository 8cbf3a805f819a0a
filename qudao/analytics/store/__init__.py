"""The analytics store: a columnar copy of the facts of orders, shipments, credit notes, invoices,
payments, allocations and posted rebates, with the dimensions and each partner's history, fed
incrementally from the transactional database and never writing to it (ADR 0018, docs/analytics.md).

Public API (other code calls exactly these):
- `refresh()`: append what changed since the last refresh; answers a `RefreshResult`.
- `rebuild()`: read everything again into fresh segments.
- `reconcile()`: the differences between the store and the database, per source, month and
  partner (an empty list when they agree to the cent).
- `reader()`: an in-memory DuckDB connection with one view per table, for queries (the semantic
  layer's way in); close it when done.
"""

from __future__ import annotations

from .reconcile import Difference, reconcile
from .storage import store_dir
from .sync import ALL_TABLES, RefreshResult, rebuild, refresh


def reader():
    """A DuckDB connection (in memory) over the store's live segments; cheap to open."""
    from . import storage

    return storage.connect(ALL_TABLES)


__all__ = ["Difference", "RefreshResult", "rebuild", "reconcile", "reader", "refresh", "store_dir"]
