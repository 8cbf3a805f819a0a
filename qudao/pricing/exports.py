"""Price lists (with their items) and promotions as .xlsx / .csv (qudao.core.exports).

- The price list page exports one row per item of every price list it shows (with its filters),
  a price list without items as one row with its item columns empty.
- A price list's own page exports its items with the columns of the price-list import first
  (pricing.importing: SKU code, price, from quantity), so the file can be edited and imported again.
- The promotion list exports its promotions with their audience, dates, values and consumption.
Price lists and promotions are HQ's (pricing.view), narrowed by visibility (pricing.visibility).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qudao.core.exports import ExportColumn, ListExport
from qudao.core.numbers import parse_id

from .importing import COLUMNS
from .models import PriceListItem
from .visibility import visible_price_lists, visible_promotions


def price_list_filters(params) -> dict:
    """The price list page's filters (its filter form: search, status, audience)."""
    from .forms import PriceListFilterForm

    form = PriceListFilterForm(params or None)
    return form.cleaned_data if form.is_valid() else {}


def price_lists(user, params):
    """The price lists the list page shows for `params`, by code."""
    filters = price_list_filters(params)
    lists = visible_price_lists(user).order_by("code")
    if filters.get("status"):
        lists = lists.filter(status=filters["status"])
    if filters.get("kind"):
        lists = lists.filter(kind=filters["kind"])
    q = (filters.get("q") or "").strip()
    if q:
        lists = lists.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return lists


def _audience_columns(path: str):
    def owner(row):
        return getattr(row, path) if path else row

    return (
        ExportColumn(_("Tier"), lambda row: owner(row).tier.name if owner(row).tier_id else ""),
        ExportColumn(_("Region"), lambda row: owner(row).region.display_name if owner(row).region_id else ""),
        ExportColumn(_("Partner code"), lambda row: owner(row).partner.code if owner(row).partner_id else ""),
    )


class _EmptyItem:
    """The item columns of a price list without items."""

    sku = None
    min_qty = None
    price = None

    def __init__(self, price_list):
        self.price_list = price_list


def _list_items(user, params):
    lists = price_lists(user, params)
    return (
        lists.select_related("tier", "region", "partner"),
        PriceListItem.objects.filter(price_list__in=lists.values("pk")).select_related("sku"),
    )


def _price_list_rows(user, params):
    """Items of the shown price lists, by list code, SKU code and quantity; a list without items
    once, with empty item columns. Two streamed queries merged in order (both by list code),
    never a query per list."""
    lists, items = _list_items(user, params)
    items = items.order_by("price_list__code", "sku__code", "min_qty", "pk").iterator(chunk_size=2000)
    pending = next(items, None)
    for price_list in lists.order_by("code").iterator(chunk_size=2000):
        found = False
        while pending is not None and pending.price_list_id == price_list.pk:
            pending.price_list = price_list
            found = True
            yield pending
            pending = next(items, None)
        if not found:
            yield _EmptyItem(price_list)


def _price_list_row_count(user, params) -> int:
    lists, items = _list_items(user, params)
    return items.count() + lists.filter(items__isnull=True).count()


PRICE_LIST_COLUMNS = (
    ExportColumn(_("Price list code"), lambda item: item.price_list.code),
    ExportColumn(_("Price list"), lambda item: item.price_list.name),
    ExportColumn(_("Audience"), lambda item: item.price_list.get_kind_display()),
    *_audience_columns("price_list"),
    ExportColumn(_("Currency"), lambda item: item.price_list.currency),
    ExportColumn(_("Valid from"), lambda item: item.price_list.valid_from, "date"),
    ExportColumn(_("Valid to"), lambda item: item.price_list.valid_to, "date"),
    ExportColumn(_("Priority"), lambda item: item.price_list.priority, "quantity"),
    ExportColumn(_("Status"), lambda item: item.price_list.get_status_display()),
    ExportColumn(_("SKU code"), lambda item: item.sku.code if item.sku else ""),
    ExportColumn(_("SKU"), lambda item: item.sku.name if item.sku else ""),
    ExportColumn(_("From quantity"), lambda item: item.min_qty, "quantity"),
    ExportColumn(_("Price"), lambda item: item.price, "price"),
)

PRICE_LISTS = ListExport(
    "pricing.price_lists",
    _("Price lists"),
    "price-lists",
    PRICE_LIST_COLUMNS,
    _price_list_rows,
    count=_price_list_row_count,
    permission="pricing.view",
)


# --- one price list's items: the import's columns first ---------------------------------------------


def _items(user, params):
    price_list = visible_price_lists(user).filter(pk=parse_id(str(params.get("price_list") or "")) or 0).first()
    if price_list is None:
        return PriceListItem.objects.none()
    return price_list.items.select_related("sku").order_by("sku__code", "min_qty", "pk")


_ITEM_VALUES = {
    "sku": lambda item: item.sku.code,
    "price": lambda item: item.price,
    "min_qty": lambda item: item.min_qty,
}
_ITEM_KINDS = {"price": "price", "min_qty": "quantity"}

PRICE_LIST_ITEMS = ListExport(
    "pricing.price_list_items",
    _("Prices"),
    "price-list-items",
    (
        *(
            ExportColumn(column.label, _ITEM_VALUES[column.key], _ITEM_KINDS.get(column.key, "text"))
            for column in COLUMNS
        ),
        ExportColumn(_("SKU name"), lambda item: item.sku.name),  # ignored on import
    ),
    _items,
    permission="pricing.view",
)


# --- promotions ---------------------------------------------------------------------------------------


def promotions(user, params):
    """The promotions the promotion list shows for `params` (its status filter and search)."""
    from .forms import PromotionFilterForm

    form = PromotionFilterForm(params or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = visible_promotions(user).select_related("tier", "region", "partner", "product_line", "sku", "gift_sku")
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    q = (params.get("q") or "").strip()
    if q:
        rows = rows.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return rows


PROMOTION_COLUMNS = (
    ExportColumn(_("Promotion code"), lambda promotion: promotion.code),
    ExportColumn(_("Name"), lambda promotion: promotion.name),
    ExportColumn(_("Kind"), lambda promotion: promotion.get_kind_display()),
    ExportColumn(_("Status"), lambda promotion: promotion.get_status_display()),
    *_audience_columns(""),
    ExportColumn(_("Product line"), lambda promotion: promotion.product_line.name if promotion.product_line_id else ""),
    ExportColumn(_("SKU code"), lambda promotion: promotion.sku.code if promotion.sku_id else ""),
    ExportColumn(_("Valid from"), lambda promotion: promotion.valid_from, "date"),
    ExportColumn(_("Valid to"), lambda promotion: promotion.valid_to, "date"),
    ExportColumn(_("Stacking"), lambda promotion: promotion.get_stacking_display()),
    ExportColumn(_("Priority"), lambda promotion: promotion.priority, "quantity"),
    ExportColumn(_("Value"), lambda promotion: promotion.value, "price"),
    ExportColumn(_("Threshold"), lambda promotion: promotion.threshold, "money"),
    ExportColumn(_("Buy quantity"), lambda promotion: promotion.buy_qty, "quantity"),
    ExportColumn(_("Gift quantity"), lambda promotion: promotion.gift_qty, "quantity"),
    ExportColumn(_("Gift SKU code"), lambda promotion: promotion.gift_sku.code if promotion.gift_sku_id else ""),
    ExportColumn(_("Budget (quantity)"), lambda promotion: promotion.budget_qty, "quantity"),
    ExportColumn(_("Budget (amount)"), lambda promotion: promotion.budget_amount, "money"),
    ExportColumn(_("Used (quantity)"), lambda promotion: promotion.used_qty, "quantity"),
    ExportColumn(_("Used (amount)"), lambda promotion: promotion.used_amount, "money"),
)

PROMOTIONS = ListExport(
    "pricing.promotions", _("Promotions"), "promotions", PROMOTION_COLUMNS, promotions, permission="pricing.view"
)
