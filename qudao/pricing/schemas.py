"""API schemas of pricing: price lists (items, rules), floor prices, and the price quote (the
waterfall). Amounts go in and out as strings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from qudao.core.schemas import AmountIn, InputSchema


class Ref(Schema):
    id: int
    code: str
    name: str


class RegionRef(Schema):
    code: str
    name: str


class PriceListIn(InputSchema):
    code: str
    name: str
    tier: str | None = Field(None, description="Tier code (a tier or tier-in-region list).")
    region: str | None = Field(None, description="Region code (a region or tier-in-region list).")
    partner: int | None = Field(None, description="Partner id (a partner's own list).")
    currency: str = "CNY"
    valid_from: dt.date
    valid_to: dt.date | None = None
    priority: int = 0


class PriceListPatch(InputSchema):
    code: str | None = None
    name: str | None = None
    tier: str | None = None
    region: str | None = None
    partner: int | None = None
    currency: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    priority: int | None = None


class PriceListFilters(Schema):
    status: Literal["draft", "pending_approval", "active", "rejected"] | None = None
    kind: Literal["base", "region", "tier", "tier_region", "partner"] | None = None
    valid_on: dt.date | None = Field(None, description="Only lists valid on this date.")
    q: str | None = Field(None, description="Part of the code or name.")


class RuleOut(Schema):
    id: int
    product_line: Ref
    method: str
    value: str
    rounding: str


class PriceListOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    tier: Ref | None
    region: RegionRef | None
    partner: Ref | None
    currency: str
    valid_from: dt.date
    valid_to: dt.date | None
    priority: int
    status: str
    approval: int | None
    item_count: int
    rules: list[RuleOut]
    updated_at: dt.datetime


class ItemIn(InputSchema):
    sku: int
    min_qty: int = Field(1, description="From this quantity (in the base unit) up; 1 is the base row.")
    price: AmountIn


class ItemOut(Schema):
    id: int
    sku: Ref
    min_qty: int
    price: str


class RuleIn(InputSchema):
    product_line: int
    method: Literal["percent_of_base", "fixed_discount"]
    value: AmountIn
    rounding: Literal["0.01", "0.1", "1"] = "0.01"


class FloorIn(InputSchema):
    sku: int
    price: AmountIn
    currency: str = "CNY"
    valid_from: dt.date
    valid_to: dt.date | None = None


class FloorPatch(InputSchema):
    price: AmountIn | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class FloorFilters(Schema):
    sku: int | None = None


class FloorOut(Schema):
    id: int
    sku: Ref
    price: str
    currency: str
    valid_from: dt.date
    valid_to: dt.date | None


class QuoteLineIn(InputSchema):
    sku: int
    quantity: int
    unit: str | None = Field(None, description="An ordering unit of the product (e.g. 箱); the base unit if empty.")


class QuoteIn(InputSchema):
    partner: int | None = Field(None, description="The partner to price for (HQ); a partner user prices for itself.")
    date: dt.date | None = Field(None, description="The order date; today if empty.")
    lines: list[QuoteLineIn]


class SourceOut(Schema):
    price_list: str
    kind: str
    via: str
    min_qty: int | None
    base_price: str | None
    rule: str


class QuoteLineOut(Schema):
    index: int
    sku: Ref
    quantity: int
    unit: str
    unit_quantity: int
    list_price: str
    source: SourceOut
    floor_price: str | None = Field(None, description="HQ only.")
    floor_applied: bool
    promotions: list[dict]
    net_unit_price: str
    line_total: str


class QuoteOut(Schema):
    partner: Ref
    date: dt.date
    currency: str
    lines: list[QuoteLineOut]
    total: str
    promotions_not_applied: list[dict]


class PromotionIn(InputSchema):
    code: str
    name: str
    kind: Literal["percent_off", "amount_off", "special_price", "threshold", "tiered_threshold"]
    stacking: Literal["exclusive", "stackable"] | None = Field(
        None, description="Required: exclusive, or stackable within `stack_group`."
    )
    stack_group: str = ""
    priority: int = 0
    tier: str | None = None
    region: str | None = None
    partner: int | None = None
    product_line: int | None = None
    sku: int | None = None
    valid_from: dt.date
    valid_to: dt.date | None = None
    value: AmountIn | None = None
    threshold: AmountIn | None = None
    per_each: bool = False
    tiers: list[list[AmountIn]] = Field(default_factory=list, description='[["5000", "200"], ["10000", "500"]]')


class PromotionStatusIn(InputSchema):
    status: Literal["draft", "active", "ended"]


class PromotionOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    status: str
    stacking: str
    stack_group: str
    priority: int
    tier: str | None
    region: str | None
    partner: int | None
    product_line: int | None
    sku: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    value: str | None
    threshold: str | None
    per_each: bool
    tiers: list[list[str]]
