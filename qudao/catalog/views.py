"""HQ pages of the catalog: products (with their SKUs, units and images), product lines and the
sales scope. Pages parse, authorise, call a service or selector and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qudao.core import import_pages
from qudao.core.errors import FieldErrors
from qudao.core.pages import apply_field_errors, hq_page, paginate
from qudao.core.uploads import upload_response
from qudao.partners.api_imports import XLSX_CONTENT_TYPE
from qudao.partners.pickers import find_partner

from . import importing, scope, selectors, services
from .forms import (
    CatalogFilterForm,
    LineForm,
    ProductForm,
    ScopeCheckForm,
    ScopeRuleForm,
    SkuForm,
    UnitForm,
    attributes_text,
)
from .models import Product, ProductImage, ProductLine, SalesScopeRule, Sku, UnitConversion

import_pages.register_results(
    importing,
    preview_url="catalog:import_preview",
    result_url="catalog:products",
    result_label=gettext_lazy("Open the catalogue"),
)


@hq_page("catalog.view")
def product_list_view(request):
    form = CatalogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, selectors.product_list(filters))
    template = "catalog/_product_table.html" if request.headers.get("HX-Request") else "catalog/product_list.html"
    return render(
        request,
        template,
        {"form": form, "page": page, "products": page.object_list, "can_manage": request.user.can("catalog.manage")},
    )


@hq_page("catalog.view")
def product_detail_view(request, product_id):
    product = get_object_or_404(Product.objects.select_related("product_line"), pk=product_id)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "skus": product.skus.all(),
            "units": product.units.all(),
            "images": product.images.all(),
            "rules": selectors.scope_rules().filter(sku__product=product),
            "show_cost": selectors.can_see_cost(request.user),
            "can_manage": request.user.can("catalog.manage"),
            "unit_form": UnitForm(),
        },
    )


def _product_initial(product: Product) -> dict:
    return {
        "code": product.code,
        "name": product.name,
        "product_line": product.product_line.code,
        "base_unit": product.base_unit,
        "tax_rate": product.tax_rate,
        "lifecycle": product.lifecycle,
        "description": product.description,
    }


@hq_page("catalog.manage")
def product_form_view(request, product_id=None):
    product = get_object_or_404(Product, pk=product_id) if product_id else None
    form = ProductForm(request.POST or None, initial=_product_initial(product) if product else None)
    if request.method == "POST" and form.is_valid():
        try:
            if product:
                product = services.update_product(product=product, data=form.cleaned_data)
            else:
                product = services.create_product(data=form.cleaned_data)
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("Product %(name)s is saved.") % {"name": product.name})
            return redirect("catalog:product", product.pk)
    return render(request, "catalog/form.html", _form_context(form, product, _("Product"), product))


def _form_context(form, obj, kind, product=None):
    title = f"{kind} {obj}" if obj else _("New %(kind)s") % {"kind": kind.lower()}
    back = f"/catalog/products/{product.pk}/" if product else "/catalog/"
    return {"form": form, "title": title, "back": back}


@hq_page("catalog.manage")
def sku_form_view(request, product_id=None, sku_id=None):
    sku = get_object_or_404(Sku.objects.select_related("product"), pk=sku_id) if sku_id else None
    product = sku.product if sku else get_object_or_404(Product, pk=product_id)
    initial = None
    if sku:
        initial = {
            "code": sku.code,
            "name": sku.name,
            "barcode": sku.barcode or "",
            "specification": attributes_text(sku.attributes),
            "cost_price": sku.cost_price if sku.cost_price is not None else "",
            "min_order_qty": sku.min_order_qty,
            "order_multiple": sku.order_multiple,
            "lifecycle": sku.lifecycle,
        }
    form = SkuForm(request.POST or None, initial=initial, show_cost=selectors.can_see_cost(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        try:
            if sku:
                sku = services.update_sku(sku=sku, data=data)
            else:
                sku = services.create_sku(data=data | {"product": product})
        except FieldErrors as error:
            apply_field_errors(form, error, {"attributes": "specification"})
        else:
            messages.success(request, _("SKU %(code)s is saved.") % {"code": sku.code})
            return redirect("catalog:product", product.pk)
    return render(request, "catalog/form.html", _form_context(form, sku, _("SKU"), product))


@hq_page("catalog.manage")
@require_POST
def unit_add_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    form = UnitForm(request.POST)
    if form.is_valid():
        try:
            services.add_unit(product=product, data=form.cleaned_data)
        except FieldErrors as error:
            for messages_ in error.errors.values():
                for message in messages_:
                    messages.error(request, str(message))
        else:
            messages.success(request, _("The unit is added."))
    else:
        messages.error(request, _("Give a unit and how many base units it holds."))
    return redirect("catalog:product", product.pk)


@hq_page("catalog.manage")
@require_POST
def unit_delete_view(request, unit_id):
    unit = get_object_or_404(UnitConversion, pk=unit_id)
    product_id = unit.product_id
    services.delete_unit(unit=unit)
    messages.success(request, _("The unit is removed."))
    return redirect("catalog:product", product_id)


@hq_page("catalog.manage")
@require_POST
def image_add_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    try:
        services.add_image(product=product, upload=request.FILES.get("image"))
    except FieldErrors as error:
        for messages_ in error.errors.values():
            for message in messages_:
                messages.error(request, str(message))
    else:
        messages.success(request, _("The image is added."))
    return redirect("catalog:product", product.pk)


@hq_page("catalog.manage")
@require_POST
def image_delete_view(request, image_id):
    image = get_object_or_404(ProductImage, pk=image_id)
    product_id = image.product_id
    services.delete_image(image=image)
    messages.success(request, _("The image is removed."))
    return redirect("catalog:product", product_id)


@login_required
def image_view(request, image_id):
    """A product picture: for HQ users, and for partner users whose sales scope includes one of
    the product's on-sale SKUs (anyone else: 404)."""
    image = get_object_or_404(ProductImage, pk=image_id)
    if not request.user.is_hq:
        partner = request.user.partner
        if partner is None or not scope.allowed_skus(partner).filter(product_id=image.product_id).exists():
            raise Http404()
    return upload_response(image.image)


@hq_page("catalog.view")
def line_list_view(request):
    return render(
        request,
        "catalog/lines.html",
        {"lines": selectors.line_tree(), "can_manage": request.user.can("catalog.manage")},
    )


@hq_page("catalog.manage")
def line_form_view(request, line_id=None):
    line = get_object_or_404(ProductLine.objects.select_related("parent"), pk=line_id) if line_id else None
    initial = None
    if line:
        initial = {
            "code": line.code,
            "name": line.name,
            "parent": line.parent.code if line.parent else "",
            "sort_order": line.sort_order,
            "is_active": line.is_active,
        }
    form = LineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if line:
                services.update_product_line(line=line, data=form.data_for_service())
            else:
                services.create_product_line(data=form.data_for_service())
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("The product line is saved."))
            return redirect("catalog:lines")
    context = _form_context(form, line, _("Product line"))
    context["back"] = "/catalog/lines/"
    return render(request, "catalog/form.html", context)


@hq_page("catalog.view")
def scope_view(request):
    can_manage = request.user.can("catalog.manage")
    form = ScopeRuleForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not can_manage:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied()
        if form.is_valid():
            try:
                services.create_scope_rule(data=form.data_for_service())
            except FieldErrors as error:
                apply_field_errors(form, error)
            else:
                messages.success(request, _("The rule is added."))
                return redirect("catalog:scope")
    page = paginate(request, selectors.scope_rules({"line": request.GET.get("line")}))
    # "what may this partner buy?": a partner the user may see (partners.scoping), by code
    checked, authorised = None, None
    # the partner picker's id, or a code, credit code or exact name typed without picking
    code = (request.GET.get("partner") or request.GET.get("partner__search") or "").strip()[:100]
    if code:
        checked = find_partner(request.user, code)
        if checked is not None:
            authorised = selectors.catalogue_for_partner(checked)
    return render(
        request,
        "catalog/scope.html",
        {
            "form": form,
            "page": page,
            "rules": page.object_list,
            "can_manage": can_manage,
            "partner_code": code,
            "partner_picker": ScopeCheckForm(initial={"partner": checked.pk if checked else code}, user=request.user),
            "checked": checked,
            "authorised_count": authorised.count() if authorised is not None else 0,
            "authorised": authorised[:50] if authorised is not None else [],
        },
    )


@hq_page("catalog.manage")
@require_POST
def scope_delete_view(request, rule_id):
    services.delete_scope_rule(rule=get_object_or_404(SalesScopeRule, pk=rule_id))
    messages.success(request, _("The rule is deleted."))
    return redirect("catalog:scope")


# --- import and export -----------------------------------------------------------------------


ACTION_LABELS = {
    "create": gettext_lazy("New"),
    "update": gettext_lazy("Changed"),
    "unchanged": gettext_lazy("Unchanged"),
    "same": gettext_lazy("As above"),
}


@hq_page("catalog.manage")
def import_upload_view(request):
    return import_pages.upload(
        request, importing, template="catalog/import_upload.html", preview_url="catalog:import_preview"
    )


@hq_page("catalog.manage", partner_users="404")
def import_preview_view(request, preview_id):
    return import_pages.preview(
        request,
        importing,
        preview_id,
        template="catalog/import_preview.html",
        row_extra=lambda row: {
            "product_label": ACTION_LABELS.get(row["product_action"], row["product_action"]),
            "sku_label": ACTION_LABELS.get(row["sku_action"], row["sku_action"]),
        },
    )


@hq_page("catalog.manage", partner_users="404")
@require_POST
def import_commit_view(request, preview_id):
    return import_pages.commit(request, importing, preview_id, preview_url="catalog:import_preview")


@hq_page("catalog.view")
def export_view(request):
    form = CatalogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    stream = importing.export_catalog(request.user, filters)
    return FileResponse(stream, as_attachment=True, filename="catalog.xlsx", content_type=XLSX_CONTENT_TYPE)
