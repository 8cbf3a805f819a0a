"""HQ pages of the inventory context: stock (with one level's movements and its corrections),
warehouses, the ledger and the stock import. Pages parse, authorise, call a service or selector
and render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qudao.core import exports as list_exports
from qudao.core import import_pages
from qudao.core.errors import FieldErrors
from qudao.core.pages import apply_field_errors, hq_page, paginate

from . import exports, importing, selectors, services
from .forms import (
    AdjustForm,
    EntryFilterForm,
    QuarantineReleaseForm,
    QuarantineScrapForm,
    ReceiveForm,
    SafetyStockForm,
    StockFilterForm,
    WarehouseForm,
)
from .models import StockLevel, Warehouse

import_pages.register_results(
    importing,
    preview_url="inventory:import_preview",
    result_url="inventory:stock",
    result_label=gettext_lazy("Open the stock"),
)


@hq_page("inventory.view")
def stock_list_view(request):
    if (download := list_exports.respond(request, exports.STOCK)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    form = StockFilterForm(request.GET or None)
    filters = exports.stock_filters(request.GET)
    page = paginate(request, selectors.stock_list(filters))
    template = "inventory/_stock_table.html" if request.headers.get("HX-Request") else "inventory/stock_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "levels": page.object_list,
            "can_manage": request.user.can("inventory.manage"),
            "low_count": services.low_stock().count(),
        },
    )


LEVEL_FORMS = {
    "safety": SafetyStockForm,
    "receive": ReceiveForm,
    "adjust": AdjustForm,
    "release": QuarantineReleaseForm,
    "scrap": QuarantineScrapForm,
}
QUARANTINE_ACTIONS = ("release", "scrap")


@hq_page("inventory.view")
def level_view(request, level_id):
    """One SKU in one warehouse: its counters, its latest movements, and (for managers) the
    forms to set the safety stock, receive goods, correct a count, and release or scrap units in
    quarantine."""
    level = get_object_or_404(StockLevel.objects.select_related("sku", "warehouse"), pk=level_id)
    can_manage = request.user.can("inventory.manage")
    forms = {name: form_class(prefix=name) for name, form_class in LEVEL_FORMS.items()}
    forms["safety"] = SafetyStockForm(prefix="safety", initial={"safety_stock": level.safety_stock})
    status = 200
    if request.method == "POST":
        if not can_manage:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied()
        action = request.POST.get("action")
        if action not in LEVEL_FORMS:
            raise Http404()
        form = forms[action] = LEVEL_FORMS[action](request.POST, prefix=action)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "safety":
                    services.set_safety_stock(
                        warehouse_id=level.warehouse_id, sku_id=level.sku_id, safety_stock=data["safety_stock"]
                    )
                elif action == "release":
                    services.release_quarantine(
                        warehouse_id=level.warehouse_id,
                        sku_id=level.sku_id,
                        quantity=data["quantity"],
                        note=data["note"],
                        actor=request.user,
                    )
                elif action == "scrap":
                    services.scrap_quarantine(
                        warehouse_id=level.warehouse_id,
                        sku_id=level.sku_id,
                        quantity=data["quantity"],
                        note=data["note"],
                        actor=request.user,
                    )
                elif action == "receive":
                    services.receive_stock(
                        warehouse_id=level.warehouse_id,
                        lines=[(level.sku_id, data["quantity"])],
                        reference=data["reference"],
                        actor=request.user,
                    )
                else:
                    services.adjust_stock(
                        warehouse_id=level.warehouse_id,
                        sku_id=level.sku_id,
                        delta=data["delta"],
                        reason=data["reason"],
                        actor=request.user,
                    )
            except FieldErrors as error:
                apply_field_errors(form, error, {"lines.0.quantity": "quantity"})
            else:
                messages.success(request, _("The stock of %(sku)s is saved.") % {"sku": level.sku.code})
                return redirect("inventory:level", level.pk)
        status = 422
    entries = selectors.mask_entries(
        request.user, selectors.entry_list({"sku": level.sku.code, "warehouse": level.warehouse_id})[:50]
    )
    return render(
        request,
        "inventory/level.html",
        {
            "level": level,
            "entries": entries,
            "forms": forms,
            "can_manage": can_manage,
            "quarantine_actions": QUARANTINE_ACTIONS,
        },
        status=status,
    )


@hq_page("inventory.view")
def warehouse_list_view(request):
    return render(
        request,
        "inventory/warehouses.html",
        {"warehouses": selectors.warehouse_list(), "can_manage": request.user.can("inventory.manage")},
    )


def _warehouse_initial(warehouse: Warehouse) -> dict:
    return {
        "code": warehouse.code,
        "name": warehouse.name,
        "kind": warehouse.kind,
        "region": warehouse.region.code if warehouse.region_id else "",
        "serves": [region.code for region in warehouse.serves.all()],
        "partner": warehouse.partner.code if warehouse.partner_id else "",
        "active": warehouse.active,
        "ships_to_partners": warehouse.ships_to_partners,
    }


@hq_page("inventory.manage")
def warehouse_form_view(request, warehouse_id=None):
    warehouse = get_object_or_404(Warehouse, pk=warehouse_id) if warehouse_id else None
    form = WarehouseForm(
        request.POST or None, initial=_warehouse_initial(warehouse) if warehouse else None, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["region"] = data.get("region") or None
        data["partner"] = data.get("partner") or None
        try:
            if warehouse:
                warehouse = services.update_warehouse(warehouse=warehouse, data=data, actor=request.user)
            else:
                warehouse = services.create_warehouse(data=data, actor=request.user)
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("Warehouse %(name)s is saved.") % {"name": warehouse.name})
            return redirect("inventory:warehouses")
    title = _("Warehouse %(code)s") % {"code": warehouse.code} if warehouse else _("New warehouse")
    return render(request, "inventory/form.html", {"form": form, "title": title, "back": "/inventory/warehouses/"})


@hq_page("inventory.view")
def entry_list_view(request):
    if (download := list_exports.respond(request, exports.ENTRIES)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    form = EntryFilterForm(request.GET or None)
    filters = exports.entry_filters(request.GET)
    page = paginate(request, selectors.entry_list(filters, user=request.user))
    entries = selectors.mask_entries(request.user, page.object_list)
    return render(request, "inventory/entries.html", {"form": form, "page": page, "entries": entries})


# --- import ------------------------------------------------------------------------------------


ACTION_LABELS = {
    "new": gettext_lazy("New"),
    "change": gettext_lazy("Changed"),
    "unchanged": gettext_lazy("Unchanged"),
}


@hq_page("inventory.manage")
def import_upload_view(request):
    return import_pages.upload(
        request, importing, template="inventory/import_upload.html", preview_url="inventory:import_preview"
    )


@hq_page("inventory.manage", partner_users="404")
def import_preview_view(request, preview_id):
    return import_pages.preview(
        request,
        importing,
        preview_id,
        template="inventory/import_preview.html",
        row_extra=lambda row: {"action_label": ACTION_LABELS.get(row["action"], row["action"])},
    )


@hq_page("inventory.manage", partner_users="404")
@require_POST
def import_commit_view(request, preview_id):
    return import_pages.commit(request, importing, preview_id, preview_url="inventory:import_preview")
