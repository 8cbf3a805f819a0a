"""API of the inventory context (HQ and the ERP; partner users are refused with 403).

GET         /inventory/warehouses            warehouses (inventory.view)
POST        /inventory/warehouses            create one (inventory.manage)
GET, PATCH  /inventory/warehouses/{id}       one warehouse; change it (inventory.manage)
GET         /inventory/stock                 stock levels: ?sku=&warehouse=&q=&low=true (paginated)
POST        /inventory/stock/bulk            the ERP's stock counts, versioned, all or nothing (on hand only)
POST        /inventory/stock/{id}/quarantine/release   quarantined units to on hand (inventory.manage)
POST        /inventory/stock/{id}/quarantine/scrap     quarantined units written off, with the reason
GET         /inventory/entries               the stock ledger: ?sku=&warehouse=&reference=&kind=
POST        /inventory/imports               a stock count file (multipart "file") -> 201 its preview
GET         /inventory/imports/{id}          the preview (its creator or an administrator; else 404)
POST        /inventory/imports/{id}/commit   write the previewed file, all or nothing -> 202 the job
"""

from __future__ import annotations

from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from qudao.core import jobs
from qudao.core.api import require
from qudao.core.errors import NotFound
from qudao.core.imports import preview_errors
from qudao.core.schemas import IdParam, PageParams, page_of, paginate
from qudao.partners.api_imports import JobOut

from . import importing, selectors, services
from .models import StockEntry, StockLevel, Warehouse
from .schemas import (
    BulkIn,
    BulkOut,
    EntryFilters,
    EntryOut,
    QuarantineIn,
    StockFilters,
    StockOut,
    StockPreviewOut,
    WarehouseFilters,
    WarehouseIn,
    WarehouseOut,
    WarehousePatch,
)

router = Router(tags=["inventory"])


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": obj.code, "name": obj.name}


def warehouse_out(warehouse: Warehouse) -> dict:
    partner = warehouse.partner
    return {
        "id": warehouse.pk,
        "code": warehouse.code,
        "name": warehouse.name,
        "kind": warehouse.kind,
        "region": warehouse.region.code if warehouse.region_id else None,
        "serves": [region.code for region in warehouse.serves.all()],
        "partner": {"id": partner.pk, "code": partner.code, "name": str(partner)} if partner else None,
        "active": warehouse.active,
        "ships_to_partners": warehouse.ships_to_partners,
        "updated_at": warehouse.updated_at,
    }


def stock_out(level: StockLevel) -> dict:
    return {
        "id": level.pk,
        "warehouse": _ref(level.warehouse),
        "sku": _ref(level.sku),
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.available,
        "quarantined": level.quarantined,
        "safety_stock": level.safety_stock,
        "low": level.is_low,
        "band": services.availability_band(level.available, level.safety_stock),
        "erp_version": level.erp_version,
        "updated_at": level.updated_at,
    }


def entry_out(entry: StockEntry) -> dict:
    return {
        "id": entry.pk,
        "warehouse": _ref(entry.warehouse),
        "sku": _ref(entry.sku),
        "kind": entry.kind,
        "on_hand_delta": entry.on_hand_delta,
        "reserved_delta": entry.reserved_delta,
        "quarantined_delta": entry.quarantined_delta,
        "on_hand_after": entry.on_hand_after,
        "reserved_after": entry.reserved_after,
        "quarantined_after": entry.quarantined_after,
        "reference": entry.reference,
        "reference_hidden": getattr(entry, "reference_hidden", False),
        "note": entry.note,
        "actor": entry.actor.get_username() if entry.actor_id else None,
        "created_at": entry.created_at,
    }


@router.get("/inventory/warehouses", response=page_of(WarehouseOut))
def warehouse_list(request, filters: Query[WarehouseFilters], page: Query[PageParams]):
    require(request.auth, "inventory.view")
    return paginate(selectors.warehouse_list(filters.model_dump()), page, warehouse_out)


@router.post("/inventory/warehouses", response={201: WarehouseOut})
def warehouse_create(request, payload: WarehouseIn):
    require(request.auth, "inventory.manage")
    warehouse = services.create_warehouse(data=payload.model_dump(), actor=request.auth)
    return Status(201, warehouse_out(services.get_warehouse(warehouse.pk)))


@router.get("/inventory/warehouses/{warehouse_id}", response=WarehouseOut)
def warehouse_detail(request, warehouse_id: IdParam):
    require(request.auth, "inventory.view")
    return warehouse_out(services.get_warehouse(warehouse_id))


@router.patch("/inventory/warehouses/{warehouse_id}", response=WarehouseOut)
def warehouse_update(request, warehouse_id: IdParam, payload: WarehousePatch):
    require(request.auth, "inventory.manage")
    warehouse = services.get_warehouse(warehouse_id)
    services.update_warehouse(warehouse=warehouse, data=payload.model_dump(exclude_unset=True), actor=request.auth)
    return warehouse_out(services.get_warehouse(warehouse_id))


@router.get("/inventory/stock", response=page_of(StockOut))
def stock_list(request, filters: Query[StockFilters], page: Query[PageParams]):
    """Stock per SKU and warehouse: on hand, reserved, available, quarantined, safety stock."""
    require(request.auth, "inventory.view")
    return paginate(selectors.stock_list(filters.model_dump()), page, stock_out)


@router.post("/inventory/stock/bulk", response=BulkOut)
def stock_bulk(request, payload: BulkIn):
    """The ERP's stock counts: set on hand per (warehouse, SKU), each row with the ERP's version.
    All or nothing: any wrong or stale row refuses the whole batch (422, every row's error named
    `rows.<i>.<field>`; code "stale" when a row is stale). A row with the stored version and the
    same quantity is a replay ("unchanged"), so a retried batch changes nothing."""
    require(request.auth, "inventory.manage")
    rows = services.sync_stock(
        rows=[row.model_dump() for row in payload.rows], reference=payload.reference, actor=request.auth
    )
    updated = sum(1 for row in rows if row["status"] == "updated")
    return {"updated": updated, "unchanged": len(rows) - updated, "rows": rows}


def _level(level_id: int) -> StockLevel:
    level = StockLevel.objects.filter(pk=level_id).first()
    if level is None:
        raise NotFound()
    return level


def _level_out(level_id: int) -> dict:
    return stock_out(StockLevel.objects.select_related("warehouse", "sku").get(pk=level_id))


@router.post("/inventory/stock/{level_id}/quarantine/release", response=StockOut)
def quarantine_release(request, level_id: IdParam, payload: QuarantineIn):
    """Release quarantined units of this stock level to on hand (sellable again): available grows by
    `quantity`. 422 (`quantity`: 1 to the units in quarantine) changes nothing."""
    require(request.auth, "inventory.manage")
    level = _level(level_id)
    services.release_quarantine(
        warehouse_id=level.warehouse_id,
        sku_id=level.sku_id,
        quantity=payload.quantity,
        note=payload.note,
        actor=request.auth,
    )
    return _level_out(level_id)


@router.post("/inventory/stock/{level_id}/quarantine/scrap", response=StockOut)
def quarantine_scrap(request, level_id: IdParam, payload: QuarantineIn):
    """Write off quarantined units of this stock level, with the reason (`note`, required); on hand
    and available do not change. 422 changes nothing."""
    require(request.auth, "inventory.manage")
    level = _level(level_id)
    services.scrap_quarantine(
        warehouse_id=level.warehouse_id,
        sku_id=level.sku_id,
        quantity=payload.quantity,
        note=payload.note,
        actor=request.auth,
    )
    return _level_out(level_id)


@router.get("/inventory/entries", response=page_of(EntryOut))
def entry_list(request, filters: Query[EntryFilters], page: Query[PageParams]):
    """The stock ledger, newest first: every movement with its reference."""
    require(request.auth, "inventory.view")
    result = paginate(selectors.entry_list(filters.model_dump(), user=request.auth), page)
    return result | {"items": [entry_out(entry) for entry in selectors.mask_entries(request.auth, result["items"])]}


# --- stock import by file (brands without an ERP connection) ---------------------------------


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


@router.post("/inventory/imports", response={201: StockPreviewOut})
def stock_import_create(request, file: UploadedFile | None = File(None)):  # noqa: B008
    """Upload stock counts (.xlsx or .csv: warehouse_code, sku_code, on_hand, safety_stock): every
    row is checked, nothing is written yet."""
    return Status(201, _preview_out(importing.preview_import(user=request.auth, upload=file)))


@router.get("/inventory/imports/{int:preview_id}", response=StockPreviewOut)
def stock_import_detail(request, preview_id: IdParam):
    importing.require_import_permission(request.auth)
    return _preview_out(importing.get_preview(request.auth, preview_id))


@router.post("/inventory/imports/{int:preview_id}/commit", response={202: JobOut})
def stock_import_commit(request, preview_id: IdParam):
    """Write a previewed file without errors, all or nothing, as a background job."""
    return Status(202, _job_out(importing.commit_import(user=request.auth, preview_id=preview_id)))
