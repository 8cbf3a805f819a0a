"""API schemas of the inventory context: warehouses, stock levels, the ledger and the ERP's bulk
stock update. Quantities are whole numbers in the SKU's base unit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from qudao.core.numbers import MAX_ID
from qudao.core.schemas import InputSchema, MultilineText, Quantity, QuantityOrZero, Ref, TextSchema


def _erp_version(value: Any) -> int | str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("erp_version_type", "Give a whole number or an ISO 8601 time stamp.")


# The ERP's version of a stock row: a JSON integer (0 to 2^63 - 1) or an ISO 8601 time stamp.
ErpVersionIn = Annotated[
    int | str,
    BeforeValidator(_erp_version),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ID}, {"type": "string"}]}),
]

WarehouseKind = Literal["hq", "regional", "partner"]


class WarehouseFilters(TextSchema):
    kind: WarehouseKind | None = None
    active: bool | None = None


class WarehouseIn(InputSchema):
    code: str = Field(..., description="Unique, at most 20 letters, digits, - or _ (stored upper-case).")
    name: str
    kind: WarehouseKind = "regional"
    region: str | None = Field(None, description="Region code, e.g. 320000.")
    serves: list[str] = Field(
        default_factory=list,
        description="City or province codes the warehouse serves first (ADR 0014); empty: its own region.",
    )
    partner: str | None = Field(None, description="The partner's code or id (kind partner only).")
    active: bool = True
    ships_to_partners: bool = True


class WarehousePatch(InputSchema):
    code: str | None = None
    name: str | None = None
    kind: WarehouseKind | None = None
    region: str | None = None
    serves: list[str] | None = None
    partner: str | None = None
    active: bool | None = None
    ships_to_partners: bool | None = None


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region: str | None
    serves: list[str]
    partner: Ref | None
    active: bool
    ships_to_partners: bool
    updated_at: datetime


class StockFilters(TextSchema):
    sku: str | None = Field(None, description="SKU code.")
    warehouse: str | None = Field(None, description="Warehouse code (or id).")
    q: str | None = Field(None, description="Part of the SKU code or name, or its barcode.")
    low: bool | None = Field(None, description="true: only levels at or below their safety stock.")


class StockOut(Schema):
    id: int
    warehouse: Ref
    sku: Ref
    on_hand: int
    reserved: int
    available: int
    quarantined: int = Field(..., description="Units in quarantine: not on hand, never available.")
    safety_stock: int
    low: bool
    band: str
    erp_version: int | None
    updated_at: datetime


class EntryFilters(TextSchema):
    sku: str | None = Field(None, description="SKU code.")
    warehouse: str | None = Field(None, description="Warehouse code (or id).")
    reference: str | None = Field(None, description="An order number or another reference, exactly.")
    kind: (
        Literal[
            "receipt",
            "adjustment",
            "reserve",
            "release",
            "shipment",
            "return",
            "erp_sync",
            "quarantine",
            "unquarantine",
            "scrap",
        ]
        | None
    ) = None


class EntryOut(Schema):
    id: int
    warehouse: Ref
    sku: Ref
    kind: str
    on_hand_delta: int
    reserved_delta: int
    quarantined_delta: int
    on_hand_after: int
    reserved_after: int
    quarantined_after: int
    reference: str = Field(..., description="Empty when reference_hidden.")
    reference_hidden: bool = Field(
        False, description="The entry belongs to a partner outside your scope: its reference and note are hidden."
    )
    note: str
    actor: str | None
    created_at: datetime


class QuarantineIn(InputSchema):
    quantity: Quantity = Field(..., description="Units to take out of quarantine: 1 to the units in quarantine.")
    note: MultilineText = Field("", description="Why (required to scrap), at most 300 characters.")


class StockBulkRowIn(InputSchema):
    warehouse: str = Field(..., description="Warehouse code.")
    sku: str = Field(..., description="SKU code.")
    on_hand: QuantityOrZero = Field(
        ...,
        description="Units on hand now, as the ERP counts them. Quarantined units are Qudao's own and not "
        "part of on hand: the ERP never sets them.",
    )
    erp_version: ErpVersionIn = Field(
        ...,
        description="The ERP's version of this row: a whole number that grows with each change, or an ISO 8601 "
        "time stamp with its time zone. A row not newer than the stored version is refused as stale.",
    )


class BulkIn(InputSchema):
    reference: str = Field("", description="The ERP's batch reference, written on the ledger entries.")
    rows: list[StockBulkRowIn]


class StockBulkRowOut(Schema):
    row: int
    warehouse: str
    sku: str
    status: Literal["updated", "unchanged"]
    on_hand: int
    delta: int


class BulkOut(Schema):
    updated: int
    unchanged: int
    rows: list[StockBulkRowOut]


class StockImportRowOut(Schema):
    row: int
    warehouse_code: str
    sku_code: str
    on_hand: int | None
    current: int | None
    delta: int | None
    reserved: int
    safety_stock: int | None
    action: str
    errors: dict[str, list[str]]


class StockImportErrorOut(Schema):
    row: int
    column: str
    message: str


class StockPreviewOut(Schema):
    id: int
    status: str
    file_name: str
    created_at: datetime
    columns: list[str]
    ignored_columns: list[str]
    total_rows: int
    counts: dict[str, int]
    error_count: int
    can_commit: bool
    rows: list[StockImportRowOut]
    errors: list[StockImportErrorOut]
    commit_job: dict | None = None
