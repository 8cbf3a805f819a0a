"""API schemas of the catalog. `SkuOut.cost_price` is left out of the answer (not null: absent)
for everyone but HQ administrators, finance and channel managers; the partner catalogue's items
(`CatalogItemOut`) have no cost field at all."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from qudao.core.schemas import (
    CodeOrId,
    DecimalIn,
    Id,
    IdParam,
    InputSchema,
    MultilineText,
    Quantity,
    Ref,
    SmallInt,
    TextSchema,
)

LifecycleIn = Literal["draft", "on_sale", "discontinued"]
EffectIn = Literal["allow", "deny"]


class ProductLineOut(Schema):
    id: int
    code: str
    name: str
    parent: int | None
    path: str
    depth: int
    sort_order: int
    is_active: bool


class LineIn(InputSchema):
    code: str
    name: str
    parent: CodeOrId | None = Field(None, description="Parent line: its code or id.")
    sort_order: SmallInt = 0
    is_active: bool = True


class LinePatch(InputSchema):
    code: str | None = None
    name: str | None = None
    parent: CodeOrId | None = None
    sort_order: SmallInt | None = None
    is_active: bool | None = None


class CatalogFilters(TextSchema):
    q: str | None = Field(None, description="Part of the name or code, or a whole barcode.")
    line: str | None = Field(None, description="Product line code or id: that line and every line below it.")
    lifecycle: LifecycleIn | None = None


class SkuFilters(CatalogFilters):
    product: IdParam | None = None


class UnitOut(Schema):
    id: int
    unit: str
    factor: Quantity


class UnitIn(InputSchema):
    unit: str
    factor: Quantity


class ProductOut(Schema):
    id: int
    code: str
    name: str
    product_line: Ref
    description: str
    base_unit: str
    tax_rate: str
    lifecycle: str
    updated_at: datetime


class ProductIn(InputSchema):
    code: str
    name: str
    product_line: CodeOrId = Field(..., description="Product line code or id.")
    description: MultilineText = ""
    base_unit: str = "件"
    tax_rate: DecimalIn = "0.13"
    lifecycle: LifecycleIn = "draft"


class ProductPatch(InputSchema):
    code: str | None = None
    name: str | None = None
    product_line: CodeOrId | None = None
    description: MultilineText | None = None
    base_unit: str | None = None
    tax_rate: DecimalIn | None = None
    lifecycle: LifecycleIn | None = None


class SkuOut(Schema):
    id: int
    code: str
    barcode: str | None
    name: str
    product: Ref
    product_line: Ref
    attributes: dict[str, str]
    cost_price: str | None = Field(None, description="Only for administrators, finance and channel managers.")
    min_order_qty: int
    order_multiple: int
    lifecycle: str
    updated_at: datetime


class ImageOut(Schema):
    id: int
    url: str


class ProductDetailOut(ProductOut):
    skus: list[SkuOut]
    units: list[UnitOut]
    images: list[ImageOut]


class SkuIn(InputSchema):
    product: CodeOrId = Field(..., description="Product code or id.")
    code: str
    barcode: str | None = None
    name: str
    attributes: dict[str, str] = {}
    cost_price: DecimalIn | None = None
    min_order_qty: Quantity = 1
    order_multiple: Quantity = 1
    lifecycle: LifecycleIn = "draft"


class SkuPatch(InputSchema):
    code: str | None = None
    barcode: str | None = None
    name: str | None = None
    attributes: dict[str, str] | None = None
    cost_price: DecimalIn | None = None
    min_order_qty: Quantity | None = None
    order_multiple: Quantity | None = None
    lifecycle: LifecycleIn | None = None


class ScopeRuleOut(Schema):
    id: int
    effect: str
    product_line: Ref | None
    sku: Ref | None
    tier: str | None
    region: str | None
    partner: Ref | None
    note: str


class ScopeRuleIn(InputSchema):
    effect: EffectIn = "allow"
    product_line: CodeOrId | None = Field(None, description="Product line code or id (or give a SKU).")
    sku: CodeOrId | None = Field(None, description="SKU code or id (or give a product line).")
    tier: str | None = Field(None, description="Tier code.")
    region: str | None = Field(None, description="Region code; covers every region inside it.")
    partner: Id | None = Field(None, description="Partner id (a partner rule names no tier or region).")
    note: MultilineText = ""


class ScopeRuleFilters(TextSchema):
    partner: IdParam | None = None
    line: str | None = None


class CatalogItemFilters(TextSchema):
    partner: IdParam | None = Field(
        None, description="Partner id (HQ users must give it; partner users see their own)."
    )
    q: str | None = Field(None, description="Part of the name or code, or a whole barcode.")
    line: str | None = Field(None, description="Product line code or id: that line and every line below it.")


class CatalogItemOut(Schema):
    """A SKU as a partner sees it: no cost price."""

    id: int
    code: str
    barcode: str | None
    name: str
    product: Ref
    product_line: Ref
    attributes: dict[str, str]
    base_unit: str
    tax_rate: str
    min_order_qty: int
    order_multiple: int
    units: list[UnitOut]


class CatalogImportRowOut(Schema):
    row: int
    product_code: str
    sku_code: str
    product_action: str
    sku_action: str
    errors: dict[str, list[str]]


class CatalogImportErrorOut(Schema):
    row: int
    column: str
    message: str


class CatalogPreviewOut(Schema):
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
    rows: list[CatalogImportRowOut]
    errors: list[CatalogImportErrorOut]
    commit_job: dict | None = None


class QuantityIn(InputSchema):
    quantity: Quantity
    unit: str | None = Field(None, description="An ordering unit of the product (e.g. 箱); the base unit if left out.")


class QuantityOut(Schema):
    sku: str
    quantity: int
    unit: str
    base_quantity: int
    base_unit: str
