"""Authorization matrix rows of the inventory context (API and pages): HQ data, read by every HQ
role, changed by administrators and operations; partner users get 403 (API) or their portal."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PARTNER_USERS, PORTAL, Case, expect, only

MANAGERS = ("admin", "operations")
HQ_READ = expect(200, anonymous=401, partners=403)


def managers(status):
    return only({p: status for p in MANAGERS}, 403, 401)


def targets(world) -> dict:
    from qudao.catalog.tests.factories import build_catalog
    from qudao.inventory import importing, services

    catalog = build_catalog()
    # it ships to no partner, so the orders' rows (reserving from shipping warehouses) never see its stock
    warehouse = services.create_warehouse(
        data={"code": "MX-HQ", "name": "矩阵总仓", "kind": "hq", "ships_to_partners": False}
    )
    services.receive_stock(warehouse_id=warehouse.pk, lines=[(catalog.skus["hood_s"].pk, 10)], reference="MX-PO")
    (entry,) = services.receive_stock(
        warehouse_id=warehouse.pk, lines=[(catalog.skus["hood_b"].pk, 3)], reference="MX-PO2"
    )
    level = services.set_safety_stock(warehouse_id=warehouse.pk, sku_id=catalog.skus["hood_b"].pk, safety_stock=1)
    # 2 units in quarantine, for the release and scrap rows (each persona's request is rolled back)
    services.quarantine_stock(
        warehouse_id=warehouse.pk, lines=[(catalog.skus["hood_b"].pk, 2)], reference="MX-RMA-Q", note="matrix"
    )
    preview = importing.preview_import(user=world.operations, upload=import_file(None)["file"])
    return {
        "inventory_warehouse_id": warehouse.pk,
        "inventory_level_id": level.pk,
        "inventory_preview_id": preview.pk,
    }


def import_file(targets):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("stock.csv", "仓库编码,SKU编码,在库数量\nMX-HQ,HOOD-1-S,12\n".encode())}


API_CASES = [
    Case("GET", "/api/v1/inventory/warehouses", HQ_READ),
    Case(
        "POST",
        "/api/v1/inventory/warehouses",
        managers(201),
        body=lambda t: {"code": "MX-NEW", "name": "矩阵新仓", "kind": "regional", "region": "320000"},
    ),
    Case("GET", "/api/v1/inventory/warehouses/{inventory_warehouse_id}", HQ_READ),
    Case(
        "PATCH",
        "/api/v1/inventory/warehouses/{inventory_warehouse_id}",
        managers(200),
        body=lambda t: {"name": "矩阵总仓（改）"},
    ),
    Case("GET", "/api/v1/inventory/stock", HQ_READ),
    Case("GET", "/api/v1/inventory/stock?low=true&warehouse=MX-HQ", HQ_READ),
    Case(
        "POST",
        "/api/v1/inventory/stock/bulk",
        managers(200),
        body=lambda t: {"rows": [{"warehouse": "MX-HQ", "sku": "HOOD-1-S", "on_hand": 11, "erp_version": 1}]},
    ),
    Case(
        "POST",
        "/api/v1/inventory/stock/{inventory_level_id}/quarantine/release",
        managers(200),
        body=lambda t: {"quantity": 1, "note": "矩阵放行"},
    ),
    Case(
        "POST",
        "/api/v1/inventory/stock/{inventory_level_id}/quarantine/scrap",
        managers(200),
        body=lambda t: {"quantity": 2, "note": "矩阵报废"},
    ),
    Case("GET", "/api/v1/inventory/entries", HQ_READ),
    Case("GET", "/api/v1/inventory/entries?reference=MX-PO", HQ_READ),
    Case("POST", "/api/v1/inventory/imports", managers(201), body=import_file, multipart=True),
    Case("GET", "/api/v1/inventory/imports/{inventory_preview_id}", managers(200)),
    Case("POST", "/api/v1/inventory/imports/{inventory_preview_id}/commit", managers(202)),
]

HQ_VIEW = expect(200, anonymous=LOGIN, partners=PORTAL)
MANAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200, operations=200)


def manage_then(location):
    return MANAGE | {p: location for p in MANAGERS}


PAGE_CASES = [
    Case("GET", "inventory/", HQ_VIEW, page=True),
    Case("GET", "inventory/", HQ_VIEW, page=True, params={"q": "HOOD", "warehouse": "MX-HQ", "low": "on"}),
    Case("GET", "inventory/stock/{inventory_level_id}/", HQ_VIEW, page=True),
    Case(
        "POST",
        "inventory/stock/{inventory_level_id}/",
        manage_then("inventory/stock/{inventory_level_id}/"),
        page=True,
        params={"action": "safety", "safety-safety_stock": "2"},
    ),
    Case(
        "POST",
        "inventory/stock/{inventory_level_id}/",
        manage_then("inventory/stock/{inventory_level_id}/"),
        page=True,
        params={"action": "release", "release-quantity": "1", "release-note": "矩阵放行"},
    ),
    Case(
        "POST",
        "inventory/stock/{inventory_level_id}/",
        manage_then("inventory/stock/{inventory_level_id}/"),
        page=True,
        params={"action": "scrap", "scrap-quantity": "2", "scrap-note": "矩阵报废"},
    ),
    Case("GET", "inventory/warehouses/", HQ_VIEW, page=True),
    Case("GET", "inventory/warehouses/new/", MANAGE, page=True),
    Case(
        "POST",
        "inventory/warehouses/new/",
        manage_then("inventory/warehouses/"),
        page=True,
        params={"code": "MX-W", "name": "矩阵仓", "kind": "regional"},
    ),
    Case("GET", "inventory/warehouses/{inventory_warehouse_id}/edit/", MANAGE, page=True),
    Case("GET", "inventory/entries/", HQ_VIEW, page=True),
    Case("GET", "inventory/entries/", HQ_VIEW, page=True, params={"reference": "MX-PO", "kind": "receipt"}),
    Case("GET", "inventory/import/", MANAGE, page=True),
    # no file: the managers are told to choose one
    Case("POST", "inventory/import/", MANAGE | {p: 422 for p in MANAGERS}, page=True),
    # the preview is operations' own (administrators see every job); partner users are told it does not exist
    Case("GET", "inventory/import/{inventory_preview_id}/", MANAGE | {p: 404 for p in PARTNER_USERS}, page=True),
    Case(
        "POST",
        "inventory/import/{inventory_preview_id}/commit/",
        manage_then("inventory/import/{inventory_preview_id}/") | {p: 404 for p in PARTNER_USERS},
        page=True,
    ),
]
