"""Reads of the inventory context (HQ only: `inventory.view`). Stock and the ledger are the brand's
own data; partner warehouses are listed to HQ like the others.

The scoping rule at the ledger's edge: an entry's reference may name a partner's record (an order
reserved, released or shipped; a return received). Every HQ reader sees every movement (the
quantities and running balances of a warehouse must add up), but the reference and note of an
entry that belongs to a partner outside the reader's scope are hidden (a regional manager does
not learn other regions' order and return numbers), and filtering by such a reference finds
nothing. Which partner a reference belongs to is told by the contexts that own those records
(orders registers its orders and returns with `register_reference_owner`): inventory knows
nothing of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import F, Q

from qudao.core.numbers import parse_id
from qudao.partners.scoping import partner_q, visible_partners

from .models import StockEntry, StockLevel, Warehouse

# (references) -> {reference: partner id} for the references a context recognises as its records
_reference_owners: list[Callable[[set[str]], dict[str, int]]] = []


def register_reference_owner(resolver: Callable[[set[str]], dict[str, int]]) -> None:
    """Let a higher context say which partner a ledger reference (its record's number) belongs to."""
    if resolver not in _reference_owners:
        _reference_owners.append(resolver)


def reference_owners(references: Iterable[str]) -> dict[str, int]:
    """{reference: partner id} for the references that name a partner's record."""
    wanted = {reference for reference in references if reference}
    owners: dict[str, int] = {}
    if wanted:
        for resolver in _reference_owners:
            owners.update(resolver(wanted))
    return owners


def hidden_references(user, references: Iterable[str]) -> set[str]:
    """The references among `references` that name a record of a partner outside `user`'s scope."""
    if partner_q(user) is None:  # sees every partner
        return set()
    owners = reference_owners(references)
    if not owners:
        return set()
    visible = set(visible_partners(user).filter(pk__in=set(owners.values())).values_list("pk", flat=True))
    return {reference for reference, partner_id in owners.items() if partner_id not in visible}


def mask_entries(user, entries: Iterable[StockEntry]) -> list[StockEntry]:
    """The entries as `user` may read them: the reference and note of an entry belonging to a
    partner outside its scope blanked (`reference_hidden` True). Entries are never saved again
    (the ledger is append-only), so blanking the loaded rows is safe."""
    entries = list(entries)
    hidden = hidden_references(user, (entry.reference for entry in entries))
    for entry in entries:
        entry.reference_hidden = entry.reference in hidden
        if entry.reference_hidden:
            entry.reference, entry.note = "", ""
    return entries


def warehouse_list(filters: dict | None = None):
    filters = filters or {}
    warehouses = Warehouse.objects.select_related("region", "partner").prefetch_related("serves")
    if filters.get("kind"):
        warehouses = warehouses.filter(kind=filters["kind"])
    if filters.get("active") is not None:
        warehouses = warehouses.filter(active=filters["active"])
    return warehouses.order_by("pk")


def stock_list(filters: dict | None = None):
    """Levels with their SKU and warehouse. Filters: q (part of the SKU code or name), sku (code),
    warehouse (code or id), low (available at or below the safety stock)."""
    filters = filters or {}
    levels = StockLevel.objects.select_related("sku", "warehouse").annotate(
        available_units=F("on_hand") - F("reserved")
    )
    q = (filters.get("q") or "").strip()
    if q:
        levels = levels.filter(Q(sku__code__icontains=q) | Q(sku__name__icontains=q) | Q(sku__barcode=q))
    if filters.get("sku"):
        levels = levels.filter(sku__code=str(filters["sku"]).strip())
    warehouse = filters.get("warehouse")
    if warehouse not in (None, ""):
        text = str(warehouse).strip()
        levels = levels.filter(Q(warehouse__code=text) | Q(warehouse_id=parse_id(text) or 0))
    if filters.get("low"):
        levels = levels.filter(on_hand__lte=F("reserved") + F("safety_stock"))
    return levels.order_by("sku__code", "warehouse__code")


def entry_list(filters: dict | None = None, user=None):
    """The ledger, newest first. Filters: sku (code), warehouse (code or id), reference, kind.
    With `user`, a reference naming a record of a partner outside its scope finds nothing (read
    the rows through `mask_entries`)."""
    filters = filters or {}
    entries = StockEntry.objects.select_related("sku", "warehouse", "actor")
    if filters.get("sku"):
        entries = entries.filter(sku__code=str(filters["sku"]).strip())
    warehouse = filters.get("warehouse")
    if warehouse not in (None, ""):
        text = str(warehouse).strip()
        entries = entries.filter(Q(warehouse__code=text) | Q(warehouse_id=parse_id(text) or 0))
    if filters.get("reference"):
        reference = str(filters["reference"]).strip()
        if user is not None and hidden_references(user, [reference]):
            return StockEntry.objects.none()
        entries = entries.filter(reference=reference)
    if filters.get("kind"):
        entries = entries.filter(kind=filters["kind"])
    return entries.order_by("-pk")
