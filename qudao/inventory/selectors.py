"""Reads of the inventory context (HQ only: `inventory.view`). Stock and the ledger are the brand's
own data; partner warehouses are listed to HQ like the others."""

from __future__ import annotations

from django.db.models import F, Q

from qudao.core.numbers import parse_id

from .models import StockEntry, StockLevel, Warehouse


def warehouse_list(filters: dict | None = None):
    filters = filters or {}
    warehouses = Warehouse.objects.select_related("region", "partner")
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


def entry_list(filters: dict | None = None):
    """The ledger, newest first. Filters: sku (code), warehouse (code or id), reference, kind."""
    filters = filters or {}
    entries = StockEntry.objects.select_related("sku", "warehouse", "actor")
    if filters.get("sku"):
        entries = entries.filter(sku__code=str(filters["sku"]).strip())
    warehouse = filters.get("warehouse")
    if warehouse not in (None, ""):
        text = str(warehouse).strip()
        entries = entries.filter(Q(warehouse__code=text) | Q(warehouse_id=parse_id(text) or 0))
    if filters.get("reference"):
        entries = entries.filter(reference=str(filters["reference"]).strip())
    if filters.get("kind"):
        entries = entries.filter(kind=filters["kind"])
    return entries.order_by("-pk")
