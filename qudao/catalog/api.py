"""API of the catalog: product lines, products, SKUs, units and sales scope rules (HQ), and the
partner's own catalogue.

HQ reading needs `catalog.view` (every HQ role), changing needs `catalog.manage`. A SKU's cost
price is answered only to administrators, finance and channel managers (the key is absent for
everyone else). The partner catalogue answers the on-sale SKUs the partner is authorised for
(catalog.scope); a SKU outside it answers 404, as does a partner the caller may not see.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from qudao.core import jobs
from qudao.core.api import require
from qudao.core.errors import FieldErrors, NotFound
from qudao.core.imports import preview_errors
from qudao.core.schemas import IdParam, PageParams, page_of, paginate
from qudao.partners.api_imports import XLSX_CONTENT_TYPE, JobOut
from qudao.partners.scoping import get_visible_partner

from . import importing, scope, selectors, services
from .models import Product, ProductImage, ProductLine, SalesScopeRule, Sku, UnitConversion
from .schemas import (
    CatalogFilters,
    CatalogItemFilters,
    CatalogItemOut,
    CatalogPreviewOut,
    ImageOut,
    LineIn,
    LinePatch,
    ProductDetailOut,
    ProductIn,
    ProductLineOut,
    ProductOut,
    ProductPatch,
    QuantityIn,
    QuantityOut,
    ScopeRuleFilters,
    ScopeRuleIn,
    ScopeRuleOut,
    SkuFilters,
    SkuIn,
    SkuOut,
    SkuPatch,
    UnitIn,
    UnitOut,
)

router = Router(tags=["catalog"])


# --- answer shapes ---------------------------------------------------------------------------


def ref(obj) -> dict | None:
    return {"id": obj.pk, "code": obj.code, "name": obj.name} if obj is not None else None


def line_out(line: ProductLine) -> dict:
    return {
        "id": line.pk,
        "code": line.code,
        "name": line.name,
        "parent": line.parent_id,
        "path": line.path,
        "depth": line.depth,
        "sort_order": line.sort_order,
        "is_active": line.is_active,
    }


def product_out(product: Product) -> dict:
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "product_line": ref(product.product_line),
        "description": product.description,
        "base_unit": product.base_unit,
        "tax_rate": str(Decimal(product.tax_rate).quantize(Decimal("0.0001"))),
        "lifecycle": product.lifecycle,
        "updated_at": product.updated_at,
    }


def sku_out(sku: Sku, with_cost: bool) -> dict:
    """`cost_price` is absent (not null) unless `with_cost`."""
    answer = {
        "id": sku.pk,
        "code": sku.code,
        "barcode": sku.barcode,
        "name": sku.name,
        "product": ref(sku.product),
        "product_line": ref(sku.product.product_line),
        "attributes": sku.attributes or {},
        "min_order_qty": sku.min_order_qty,
        "order_multiple": sku.order_multiple,
        "lifecycle": sku.lifecycle,
        "updated_at": sku.updated_at,
    }
    if with_cost:
        cost = sku.cost_price
        answer["cost_price"] = str(Decimal(cost).quantize(Decimal("0.0001"))) if cost is not None else None
    return answer


def unit_out(unit: UnitConversion) -> dict:
    return {"id": unit.pk, "unit": unit.unit, "factor": unit.factor}


def item_out(sku: Sku) -> dict:
    product = sku.product
    return {
        "id": sku.pk,
        "code": sku.code,
        "barcode": sku.barcode,
        "name": sku.name,
        "product": ref(product),
        "product_line": ref(product.product_line),
        "attributes": sku.attributes or {},
        "base_unit": product.base_unit,
        "tax_rate": str(Decimal(product.tax_rate).quantize(Decimal("0.0001"))),
        "min_order_qty": sku.min_order_qty,
        "order_multiple": sku.order_multiple,
        "units": [unit_out(unit) for unit in product.units.all()],
    }


def rule_out(rule: SalesScopeRule) -> dict:
    return {
        "id": rule.pk,
        "effect": rule.effect,
        "product_line": ref(rule.product_line),
        "sku": ref(rule.sku),
        "tier": rule.tier.code if rule.tier_id else None,
        "region": rule.region.code if rule.region_id else None,
        "partner": {"id": rule.partner.pk, "code": rule.partner.code, "name": str(rule.partner)}
        if rule.partner_id
        else None,
        "note": rule.note,
    }


def _get(model, pk):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


# --- product lines ---------------------------------------------------------------------------


@router.get("/catalog/lines", response=list[ProductLineOut])
def line_list(request):
    """The product-line tree in path order (every signed-in user: the portal filters by line)."""
    return [line_out(line) for line in selectors.line_tree()]


@router.post("/catalog/lines", response={201: ProductLineOut})
def line_create(request, payload: LineIn):
    require(request.auth, "catalog.manage")
    return Status(201, line_out(services.create_product_line(data=payload.model_dump())))


@router.patch("/catalog/lines/{line_id}", response=ProductLineOut)
def line_update(request, line_id: IdParam, payload: LinePatch):
    require(request.auth, "catalog.manage")
    line = _get(ProductLine, line_id)
    return line_out(services.update_product_line(line=line, data=payload.model_dump(exclude_unset=True)))


# --- products --------------------------------------------------------------------------------


@router.get("/catalog/products", response=page_of(ProductOut))
def product_list(request, filters: Query[CatalogFilters], page: Query[PageParams]):
    require(request.auth, "catalog.view")
    return paginate(selectors.product_list(filters.model_dump()), page, product_out)


def _product_detail(product_id: int, user) -> dict:
    product = (
        Product.objects.select_related("product_line")
        .prefetch_related("skus", "units", "images")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFound()
    with_cost = selectors.can_see_cost(user)
    return product_out(product) | {
        "skus": [sku_out(sku, with_cost) for sku in product.skus.all()],
        "units": [unit_out(unit) for unit in product.units.all()],
        "images": [{"id": image.pk, "url": f"/catalog/images/{image.pk}/"} for image in product.images.all()],
    }


@router.post("/catalog/products", response={201: ProductDetailOut}, exclude_unset=True)
def product_create(request, payload: ProductIn):
    require(request.auth, "catalog.manage")
    product = services.create_product(data=payload.model_dump())
    return Status(201, _product_detail(product.pk, request.auth))


@router.get("/catalog/products/{product_id}", response=ProductDetailOut, exclude_unset=True)
def product_detail(request, product_id: IdParam):
    require(request.auth, "catalog.view")
    return _product_detail(product_id, request.auth)


@router.patch("/catalog/products/{product_id}", response=ProductDetailOut, exclude_unset=True)
def product_update(request, product_id: IdParam, payload: ProductPatch):
    require(request.auth, "catalog.manage")
    product = _get(Product, product_id)
    services.update_product(product=product, data=payload.model_dump(exclude_unset=True))
    return _product_detail(product.pk, request.auth)


@router.post("/catalog/products/{product_id}/units", response={201: UnitOut})
def unit_create(request, product_id: IdParam, payload: UnitIn):
    require(request.auth, "catalog.manage")
    product = _get(Product, product_id)
    return Status(201, unit_out(services.add_unit(product=product, data=payload.model_dump())))


@router.post("/catalog/products/{product_id}/images", response={201: ImageOut})
def image_create(request, product_id: IdParam, image: UploadedFile | None = File(None)):  # noqa: B008
    """Add a picture (multipart "image": JPEG, PNG or WebP, at most 5 MB)."""
    require(request.auth, "catalog.manage")
    created = services.add_image(product=_get(Product, product_id), upload=image)
    return Status(201, {"id": created.pk, "url": f"/catalog/images/{created.pk}/"})


@router.delete("/catalog/images/{image_id}", response={204: None})
def image_delete(request, image_id: IdParam):
    require(request.auth, "catalog.manage")
    services.delete_image(image=_get(ProductImage, image_id))
    return Status(204, None)


@router.delete("/catalog/units/{unit_id}", response={204: None})
def unit_delete(request, unit_id: IdParam):
    require(request.auth, "catalog.manage")
    services.delete_unit(unit=_get(UnitConversion, unit_id))
    return Status(204, None)


# --- SKUs ------------------------------------------------------------------------------------


@router.get("/catalog/skus", response=page_of(SkuOut), exclude_unset=True)
def sku_list(request, filters: Query[SkuFilters], page: Query[PageParams]):
    require(request.auth, "catalog.view")
    with_cost = selectors.can_see_cost(request.auth)
    return paginate(selectors.sku_list(filters.model_dump()), page, lambda sku: sku_out(sku, with_cost))


@router.post("/catalog/skus", response={201: SkuOut}, exclude_unset=True)
def sku_create(request, payload: SkuIn):
    require(request.auth, "catalog.manage")
    sku = services.create_sku(data=payload.model_dump())
    return Status(201, sku_out(sku, selectors.can_see_cost(request.auth)))


@router.get("/catalog/skus/{sku_id}", response=SkuOut, exclude_unset=True)
def sku_detail(request, sku_id: IdParam):
    require(request.auth, "catalog.view")
    sku = Sku.objects.select_related("product__product_line").filter(pk=sku_id).first()
    if sku is None:
        raise NotFound()
    return sku_out(sku, selectors.can_see_cost(request.auth))


@router.patch("/catalog/skus/{sku_id}", response=SkuOut, exclude_unset=True)
def sku_update(request, sku_id: IdParam, payload: SkuPatch):
    require(request.auth, "catalog.manage")
    sku = _get(Sku, sku_id)
    services.update_sku(sku=sku, data=payload.model_dump(exclude_unset=True))
    sku = Sku.objects.select_related("product__product_line").get(pk=sku.pk)
    return sku_out(sku, selectors.can_see_cost(request.auth))


# --- sales scope rules -----------------------------------------------------------------------


@router.get("/catalog/scope-rules", response=page_of(ScopeRuleOut))
def rule_list(request, filters: Query[ScopeRuleFilters], page: Query[PageParams]):
    require(request.auth, "catalog.view")
    return paginate(selectors.scope_rules(filters.model_dump()), page, rule_out)


@router.post("/catalog/scope-rules", response={201: ScopeRuleOut})
def rule_create(request, payload: ScopeRuleIn):
    require(request.auth, "catalog.manage")
    rule = services.create_scope_rule(data=payload.model_dump())
    return Status(201, rule_out(selectors.scope_rules().get(pk=rule.pk)))


@router.delete("/catalog/scope-rules/{rule_id}", response={204: None})
def rule_delete(request, rule_id: IdParam):
    require(request.auth, "catalog.manage")
    services.delete_scope_rule(rule=_get(SalesScopeRule, rule_id))
    return Status(204, None)


# --- the partner's catalogue -----------------------------------------------------------------


def _catalogue_partner(user, partner_id: int | None):
    """Whose catalogue: a partner user's own (or, with ?partner=, one it may see); an HQ user
    must name a partner it may see (partners.scoping)."""
    if partner_id is not None:
        return get_visible_partner(user, partner_id)
    if user.partner is not None:
        return user.partner
    raise FieldErrors.single("partner", _("Name the partner whose catalogue to show."), code="required")


@router.get("/catalog", response=page_of(CatalogItemOut), tags=["catalog"])
def catalogue(request, filters: Query[CatalogItemFilters], page: Query[PageParams]):
    """The partner's catalogue: the on-sale SKUs it is authorised for (sales scope). No cost prices."""
    partner = _catalogue_partner(request.auth, filters.partner)
    skus = selectors.catalogue_for_partner(partner, filters.model_dump(exclude={"partner"}))
    return paginate(skus.prefetch_related("product__units"), page, item_out)


@router.get("/catalog/items/{sku_id}", response=CatalogItemOut)
def catalogue_item(request, sku_id: IdParam, partner: IdParam | None = None):
    """One SKU of the partner's catalogue; a SKU it may not buy answers 404."""
    owner = _catalogue_partner(request.auth, partner)
    sku = (
        scope.allowed_skus(owner)
        .select_related("product__product_line")
        .prefetch_related("product__units")
        .filter(pk=sku_id)
        .first()
    )
    if sku is None:
        raise NotFound()
    return item_out(sku)


@router.post("/catalog/items/{sku_id}/quantity", response=QuantityOut)
def catalogue_quantity(request, sku_id: IdParam, payload: QuantityIn):
    """Check an order quantity of a SKU: converted to the base unit (3 箱 with 箱 = 12 件 is 36 件),
    at least the minimum order quantity and a multiple of the order multiple. HQ users may check
    any SKU; a partner user only the SKUs of its own catalogue (else 404)."""
    user = request.auth
    skus = Sku.objects.select_related("product")
    if not user.can("catalog.view"):
        if user.partner is None:
            raise NotFound()
        skus = scope.allowed_skus(user.partner).select_related("product")
    sku = skus.filter(pk=sku_id).first()
    if sku is None:
        raise NotFound()
    base_quantity = services.convert_quantity(sku, payload.quantity, payload.unit)
    services.check_order_quantity(sku, base_quantity)
    return {
        "sku": sku.code,
        "quantity": int(str(payload.quantity).strip()),
        "unit": payload.unit or sku.product.base_unit,
        "base_quantity": base_quantity,
        "base_unit": sku.product.base_unit,
    }


# --- import and export -----------------------------------------------------------------------


def _job_out(job) -> dict:
    return jobs.job_payload(job) | {"url": f"/api/v1/jobs/{job.pk}"}


def _preview_out(job) -> dict:
    payload = (job.result or {}) if job.status == "succeeded" else {}
    commit_job = importing.commit_job_of(job)
    return {
        "id": job.pk,
        "status": job.status,
        "file_name": payload.get("file_name") or job.input_file.name.rsplit("/", 1)[-1],
        "created_at": job.created_at,
        "columns": payload.get("columns", []),
        "ignored_columns": payload.get("ignored_columns", []),
        "total_rows": payload.get("total_rows", 0),
        "counts": payload.get("counts", {}),
        "error_count": payload.get("error_count", 0),
        "can_commit": importing.can_commit(job),
        "rows": payload.get("rows", []),
        "errors": preview_errors(job, importing.flat_errors),
        "commit_job": _job_out(commit_job) if commit_job else None,
    }


@router.post("/catalog/imports", response={201: CatalogPreviewOut})
def catalog_import_create(request, file: UploadedFile | None = File(None)):  # noqa: B008
    """Upload an .xlsx (or .csv) of products and SKUs, one row per SKU: every row is checked,
    nothing is written yet."""
    return Status(201, _preview_out(importing.preview_import(user=request.auth, upload=file)))


@router.get("/catalog/imports/{int:preview_id}", response=CatalogPreviewOut)
def catalog_import_detail(request, preview_id: IdParam):
    return _preview_out(importing.get_preview(request.auth, preview_id))


@router.post("/catalog/imports/{int:preview_id}/commit", response={202: JobOut})
def catalog_import_commit(request, preview_id: IdParam):
    """Write a previewed file without errors, all or nothing, as a background job."""
    return Status(202, _job_out(importing.commit_import(user=request.auth, preview_id=preview_id)))


@router.get("/catalog/export.xlsx", response={200: None})
def catalog_export(request, filters: Query[SkuFilters]):
    """Products and SKUs as .xlsx in the import's columns (cost price only for those who may see it)."""
    stream = importing.export_catalog(request.auth, filters.model_dump())
    return FileResponse(stream, as_attachment=True, filename="catalog.xlsx", content_type=XLSX_CONTENT_TYPE)
