"""Authorization matrix rows of the catalog context (API and pages)."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PARTNER_USERS, PORTAL, Case, expect, only

MANAGERS = ("admin", "channel")
HQ_READ = expect(200, anonymous=401, partners=403)


def managers(status):
    return only({p: status for p in MANAGERS}, 403, 401)


def targets(world) -> dict:
    from qudao.catalog import importing, services
    from qudao.catalog.tests.factories import build_catalog

    catalog = build_catalog()
    rule = services.create_scope_rule(data={"effect": "allow", "product_line": "home", "partner": world.dist_js.pk})
    image = services.add_image(product=catalog.products["hood"], upload=png(None)["image"])
    preview = importing.preview_import(user=world.channel, upload=import_file(None)["file"])
    return {
        "catalog_preview_id": preview.pk,
        "image_id": image.pk,
        "line_id": catalog.lines["cold"].pk,
        "product_id": catalog.products["hood"].pk,
        "sku_id": catalog.skus["hood_s"].pk,
        "unit_id": catalog.units["hood_box"].pk,
        "rule_id": rule.pk,
    }


def png(targets):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return {"image": SimpleUploadedFile("hood.png", buffer.getvalue(), content_type="image/png")}


def import_file(targets):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["产品编码", "产品名称", "产品线", "SKU编码", "SKU名称"])
    sheet.append(["MATRIX-P", "矩阵导入产品", "cold", "MATRIX-P-01", "矩阵导入产品 白色"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return {"file": SimpleUploadedFile("catalog.xlsx", buffer.getvalue())}


# the partner catalogue: HQ users must name a partner; dist_js (and those who see it) may read its catalogue
OWN_CATALOGUE = expect(422, anonymous=401, partners=200)
DIST_CATALOGUE = {
    "anonymous": 401,
    **{p: 200 for p in ("admin", "channel", "finance", "operations", "regional_js", "dist_admin", "dist_staff")},
    **{p: 404 for p in ("regional_zj", "sales", "sub_admin", "zj_admin")},
}
# HOOD-1-S is authorised for dist_js alone: other partners are told it does not exist
CATALOGUE_ITEM = expect(422, anonymous=401) | {"dist_admin": 200, "dist_staff": 200, "sub_admin": 404, "zj_admin": 404}

API_CASES = [
    Case("GET", "/api/v1/catalog/lines", expect(200, anonymous=401)),
    Case("POST", "/api/v1/catalog/lines", managers(201), body=lambda t: {"code": "matrix", "name": "矩阵"}),
    Case("PATCH", "/api/v1/catalog/lines/{line_id}", managers(200), body=lambda t: {"name": "冰箱洗衣机"}),
    Case("GET", "/api/v1/catalog/products", HQ_READ),
    Case(
        "POST",
        "/api/v1/catalog/products",
        managers(201),
        body=lambda t: {"code": "MATRIX-1", "name": "矩阵产品", "product_line": "cold"},
    ),
    Case("GET", "/api/v1/catalog/products/{product_id}", HQ_READ),
    Case("PATCH", "/api/v1/catalog/products/{product_id}", managers(200), body=lambda t: {"description": "矩阵"}),
    Case(
        "POST",
        "/api/v1/catalog/products/{product_id}/units",
        managers(201),
        body=lambda t: {"unit": "托", "factor": 240},
    ),
    Case("DELETE", "/api/v1/catalog/units/{unit_id}", managers(204)),
    Case("POST", "/api/v1/catalog/products/{product_id}/images", managers(201), body=png, multipart=True),
    Case("DELETE", "/api/v1/catalog/images/{image_id}", managers(204)),
    Case("GET", "/api/v1/catalog/skus", HQ_READ),
    Case(
        "POST",
        "/api/v1/catalog/skus",
        managers(201),
        body=lambda t: {"product": "HOOD-1", "code": "MATRIX-SKU", "name": "矩阵"},
    ),
    Case("GET", "/api/v1/catalog/skus/{sku_id}", HQ_READ),
    Case("PATCH", "/api/v1/catalog/skus/{sku_id}", managers(200), body=lambda t: {"min_order_qty": 4}),
    Case("GET", "/api/v1/catalog/scope-rules", HQ_READ),
    Case(
        "POST",
        "/api/v1/catalog/scope-rules",
        managers(201),
        body=lambda t: {"effect": "deny", "product_line": "kitchen", "tier": "gold"},
    ),
    Case("DELETE", "/api/v1/catalog/scope-rules/{rule_id}", managers(204)),
    Case("POST", "/api/v1/catalog/imports", managers(201), body=import_file, multipart=True),
    Case("GET", "/api/v1/catalog/imports/{catalog_preview_id}", only({p: 200 for p in MANAGERS}, 404, 401)),
    Case("POST", "/api/v1/catalog/imports/{catalog_preview_id}/commit", managers(202)),
    Case("GET", "/api/v1/catalog/export.xlsx", HQ_READ),
    Case("GET", "/api/v1/catalog", OWN_CATALOGUE),
    Case("GET", "/api/v1/catalog?partner={dist_js}", DIST_CATALOGUE),
    Case("GET", "/api/v1/catalog/items/{sku_id}", CATALOGUE_ITEM),
    Case("GET", "/api/v1/catalog/items/{sku_id}?partner={dist_js}", DIST_CATALOGUE),
    # HQ users may check any SKU; partners only their own catalogue's
    Case(
        "POST",
        "/api/v1/catalog/items/{sku_id}/quantity",
        expect(200, anonymous=401) | {"sub_admin": 404, "zj_admin": 404},
        body=lambda t: {"quantity": 1, "unit": "箱"},
    ),
]

HQ_VIEW = expect(200, anonymous=LOGIN, partners=PORTAL)
MANAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200, channel=200)


def manage_then(location):
    return MANAGE | {"admin": location, "channel": location}


PAGE_CASES = [
    Case("GET", "catalog/", HQ_VIEW, page=True),
    Case("GET", "catalog/", HQ_VIEW, page=True, params={"q": "HOOD", "line": "kitchen", "lifecycle": "on_sale"}),
    Case("GET", "catalog/products/new/", MANAGE, page=True),
    Case("POST", "catalog/products/new/", MANAGE, page=True),
    Case("GET", "catalog/products/{product_id}/", HQ_VIEW, page=True),
    Case("GET", "catalog/products/{product_id}/edit/", MANAGE, page=True),
    Case("GET", "catalog/products/{product_id}/skus/new/", MANAGE, page=True),
    Case(
        "POST",
        "catalog/products/{product_id}/units/",
        manage_then("catalog/products/{product_id}/"),
        page=True,
        params={"unit": "托", "factor": "240"},
    ),
    Case("GET", "catalog/skus/{sku_id}/edit/", MANAGE, page=True),
    Case(
        "POST",
        "catalog/products/{product_id}/images/",
        manage_then("catalog/products/{product_id}/"),
        page=True,
        body=png,
        multipart=True,
    ),
    # HOOD-1 is in dist_js's sales scope only
    Case(
        "GET",
        "catalog/images/{image_id}/",
        expect(200, anonymous=LOGIN) | {"sub_admin": 404, "zj_admin": 404},
        page=True,
    ),
    Case("POST", "catalog/images/{image_id}/delete/", manage_then("catalog/products/{product_id}/"), page=True),
    Case("POST", "catalog/units/{unit_id}/delete/", manage_then("catalog/products/{product_id}/"), page=True),
    Case("GET", "catalog/lines/", HQ_VIEW, page=True),
    Case("GET", "catalog/lines/new/", MANAGE, page=True),
    Case("GET", "catalog/lines/{line_id}/edit/", MANAGE, page=True),
    Case("GET", "catalog/import/", MANAGE, page=True),
    # no file: the managers are told to choose one
    Case("POST", "catalog/import/", MANAGE | {"admin": 422, "channel": 422}, page=True),
    Case("GET", "catalog/import/{catalog_preview_id}/", MANAGE | {p: 404 for p in PARTNER_USERS}, page=True),
    Case(
        "POST",
        "catalog/import/{catalog_preview_id}/commit/",
        manage_then("catalog/import/{catalog_preview_id}/") | {p: 404 for p in PARTNER_USERS},
        page=True,
    ),
    Case("GET", "catalog/export.xlsx", HQ_VIEW, page=True),
    Case("GET", "catalog/scope/", HQ_VIEW, page=True),
    Case(
        "POST",
        "catalog/scope/",
        expect(403, anonymous=LOGIN, partners=PORTAL, admin="catalog/scope/", channel="catalog/scope/"),
        page=True,
        params={"effect": "deny", "product_line": "kitchen", "tier": "gold"},
    ),
    Case("POST", "catalog/scope/{rule_id}/delete/", manage_then("catalog/scope/"), page=True),
]
