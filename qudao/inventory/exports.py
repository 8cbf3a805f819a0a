"""The stock list and the stock ledger as .xlsx / .csv (qudao.core.exports), with the lists' own
filter forms. Stock is HQ's (inventory.view); in the ledger, a reference naming a partner's
record outside the user's scope is blanked, as on the page (selectors.mask_entries)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qudao.core.exports import ExportColumn, ListExport

from . import selectors
from .forms import EntryFilterForm, StockFilterForm


def stock_filters(params) -> dict:
    form = StockFilterForm(params or None)
    return form.cleaned_data if form.is_valid() else {}


def entry_filters(params) -> dict:
    form = EntryFilterForm(params or None)
    return form.cleaned_data if form.is_valid() else {}


STOCK_COLUMNS = (
    ExportColumn(_("SKU code"), lambda level: level.sku.code),
    ExportColumn(_("SKU"), lambda level: level.sku.name),
    ExportColumn(_("Warehouse code"), lambda level: level.warehouse.code),
    ExportColumn(_("Warehouse"), lambda level: level.warehouse.name),
    ExportColumn(_("On hand"), lambda level: level.on_hand, "quantity"),
    ExportColumn(_("Reserved"), lambda level: level.reserved, "quantity"),
    ExportColumn(_("Available"), lambda level: level.on_hand - level.reserved, "quantity"),
    ExportColumn(_("Quarantined"), lambda level: level.quarantined, "quantity"),
    ExportColumn(_("Safety stock"), lambda level: level.safety_stock, "quantity"),
    ExportColumn(_("Updated"), lambda level: level.updated_at, "datetime"),
)

STOCK = ListExport(
    "inventory.stock",
    _("Stock"),
    "stock",
    STOCK_COLUMNS,
    lambda user, params: selectors.stock_list(stock_filters(params)),
    permission="inventory.view",
)


def _actor(entry) -> str:
    return (entry.actor.get_full_name() or entry.actor.username) if entry.actor_id else ""


ENTRY_COLUMNS = (
    ExportColumn(_("At"), lambda entry: entry.created_at, "datetime"),
    ExportColumn(_("SKU code"), lambda entry: entry.sku.code),
    ExportColumn(_("SKU"), lambda entry: entry.sku.name),
    ExportColumn(_("Warehouse code"), lambda entry: entry.warehouse.code),
    ExportColumn(_("Kind"), lambda entry: entry.get_kind_display()),
    ExportColumn(_("On hand change"), lambda entry: entry.on_hand_delta, "quantity"),
    ExportColumn(_("Reserved change"), lambda entry: entry.reserved_delta, "quantity"),
    ExportColumn(_("Quarantined change"), lambda entry: entry.quarantined_delta, "quantity"),
    ExportColumn(_("On hand after"), lambda entry: entry.on_hand_after, "quantity"),
    ExportColumn(_("Reserved after"), lambda entry: entry.reserved_after, "quantity"),
    ExportColumn(_("Quarantined after"), lambda entry: entry.quarantined_after, "quantity"),
    ExportColumn(_("Reference"), lambda entry: entry.reference),
    ExportColumn(_("Note"), lambda entry: entry.note),
    ExportColumn(_("By"), _actor),
)

ENTRIES = ListExport(
    "inventory.entries",
    _("Stock ledger"),
    "stock-ledger",
    ENTRY_COLUMNS,
    lambda user, params: selectors.entry_list(entry_filters(params), user=user),
    batch=selectors.mask_entries,
    permission="inventory.view",
)
