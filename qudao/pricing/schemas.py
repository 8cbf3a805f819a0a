"""API schemas of pricing: price lists (items, rules), floor prices, and the price quote (the
waterfall). Amounts go in and out as strings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from qudao.core.schemas import (
    UNIT_PRICE_DOC,
    DecimalIn,
    Id,
    IdParam,
    InputSchema,
    MoneyIn,
    Quantity,
    Ref,
    RegionRef,
    SmallInt,
    TextSchema,
)


class PriceListIn(InputSchema):
    code: str
    name: str
    tier: str | None = Field(None, description="Tier code (a tier or tier-in-region list).")
    region: str | None = Field(None, description="Region code (a region or tier-in-region list).")
    partner: Id | None = Field(None, description="Partner id (a partner's own list).")
    currency: str = "CNY"
    valid_from: dt.date
    valid_to: dt.date | None = None
    priority: SmallInt = 0


class PriceListPatch(InputSchema):
    code: str | None = None
    name: str | None = None
    tier: str | None = None
    region: str | None = None
    partner: Id | None = None
    currency: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    priority: SmallInt | None = None


class PriceListFilters(TextSchema):
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
    sku: Id
    min_qty: Quantity = Field(1, description="From this quantity (in the base unit) up; 1 is the base row.")
    price: DecimalIn


class ItemOut(Schema):
    id: int
    sku: Ref
    min_qty: int
    price: str


class RuleIn(InputSchema):
    product_line: Id
    method: Literal["percent_of_base", "fixed_discount"]
    value: DecimalIn
    rounding: Literal["0.01", "0.1", "1"] = "0.01"


class FloorIn(InputSchema):
    sku: Id
    price: DecimalIn
    currency: str = "CNY"
    valid_from: dt.date
    valid_to: dt.date | None = None


class FloorPatch(InputSchema):
    price: DecimalIn | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class FloorFilters(TextSchema):
    sku: IdParam | None = None


class FloorOut(Schema):
    id: int
    sku: Ref
    price: str
    currency: str
    valid_from: dt.date
    valid_to: dt.date | None


class QuoteLineIn(InputSchema):
    sku: Id
    quantity: Quantity
    unit: str | None = Field(None, description="An ordering unit of the product (e.g. 箱); the base unit if empty.")


class QuoteIn(InputSchema):
    partner: Id | None = Field(None, description="The partner to price for (HQ); a partner user prices for itself.")
    date: dt.date | None = Field(None, description="The order date; today if empty.")
    lines: list[QuoteLineIn]


class PriceSourceOut(Schema):
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
    source: PriceSourceOut
    floor_price: str | None = Field(None, description="HQ only.")
    floor_applied: bool
    promotions: list[dict]
    net_unit_price: str = Field(description=UNIT_PRICE_DOC)
    line_total: str


class GiftOut(Schema):
    promotion: str
    sku: Ref
    quantity: int
    unit: str
    list_price: str = Field(description="What each gift unit would have cost; the gift line is priced at zero.")
    net_unit_price: str
    line_total: str
    gift: bool = True


class QuoteOut(Schema):
    partner: Ref
    date: dt.date
    currency: str
    lines: list[QuoteLineOut]
    gifts: list[GiftOut] = Field(default_factory=list, description="Free lines of buy-X-get-Y promotions.")
    total: str
    promotions_not_applied: list[dict]


class ReservationIn(QuoteIn):
    reference: str = Field(description="The order's number: a reference reserves its promotions once.")


class UsageOut(Schema):
    promotion: str
    quantity: int
    amount: str


class ReservationOut(QuoteOut):
    reference: str
    usage: list[UsageOut]


class ReleaseOut(Schema):
    reference: str
    released: list[UsageOut]


PromotionKind = Literal[
    "percent_off",
    "amount_off",
    "special_price",
    "limited_special",
    "threshold",
    "tiered_threshold",
    "buy_x_get_y",
    "bundle",
]


class PromotionIn(InputSchema):
    code: str
    name: str
    kind: PromotionKind
    stacking: Literal["exclusive", "stackable"] | None = Field(
        None, description="Required: exclusive, or stackable within `stack_group`."
    )
    stack_group: str = ""
    priority: SmallInt = 0
    tier: str | None = None
    region: str | None = None
    partner: Id | None = None
    product_line: Id | None = None
    sku: Id | None = None
    valid_from: dt.date
    valid_to: dt.date | None = None
    value: DecimalIn | None = None
    threshold: MoneyIn | None = None
    per_each: bool = False
    tiers: list[list[MoneyIn]] = Field(default_factory=list, description='[["5000", "200"], ["10000", "500"]]')
    buy_qty: Quantity | None = Field(None, description="buy_x_get_y: for every this many base units bought ...")
    gift_qty: Quantity | None = Field(None, description="... this many gift units free.")
    gift_sku: Id | None = Field(None, description="buy_x_get_y: the gift SKU's id; empty: the same SKU.")
    bundle_items: list[tuple[Id, Quantity]] = Field(
        default_factory=list, description="bundle: [[sku id, quantity], ...]; `value` is the price of one set."
    )
    partner_cap_qty: Quantity | None = Field(None, description="Limit: at most this quantity per partner.")
    budget_qty: Quantity | None = Field(None, description="Limit: at most this quantity in all.")
    budget_amount: MoneyIn | None = Field(None, description="Limit: at most this much discount in all.")


class PromotionPatch(InputSchema):
    """Only the fields sent change. A started promotion takes only name, valid_to, priority and limits."""

    code: str | None = None
    name: str | None = None
    kind: PromotionKind | None = None
    stacking: Literal["exclusive", "stackable"] | None = None
    stack_group: str | None = None
    priority: SmallInt | None = None
    tier: str | None = None
    region: str | None = None
    partner: Id | None = None
    product_line: Id | None = None
    sku: Id | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    value: DecimalIn | None = None
    threshold: MoneyIn | None = None
    per_each: bool | None = None
    tiers: list[list[MoneyIn]] | None = None
    buy_qty: Quantity | None = None
    gift_qty: Quantity | None = None
    gift_sku: Id | None = None
    bundle_items: list[tuple[Id, Quantity]] | None = None
    partner_cap_qty: Quantity | None = None
    budget_qty: Quantity | None = None
    budget_amount: MoneyIn | None = None


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
    buy_qty: int | None
    gift_qty: int | None
    gift_sku: int | None
    bundle_items: list[list[int]]
    partner_cap_qty: int | None
    budget_qty: int | None
    budget_amount: str | None
    used_qty: int = Field(description="Quantity reserved by orders and not released (limited promotions).")
    used_amount: str = Field(description="Discount reserved by orders and not released (limited promotions).")


class UsageEntryOut(Schema):
    reference: str = Field(description="The order.")
    partner: Ref
    entry: Literal["reserve", "release"]
    quantity: int
    amount: str
    at: dt.datetime


class PromotionUsageOut(Schema):
    promotion: str
    quantity: int = Field(description="What orders have taken and not given back.")
    amount: str
    orders: int
    partners: int
    partner_cap_qty: int | None
    budget_qty: int | None
    budget_amount: str | None


class CataloguePriceFilters(TextSchema):
    partner: IdParam | None = Field(None, description="The partner (HQ); a partner user sees its own.")
    q: str = Field("", description="Search by SKU code or name, product code or name, or barcode.")
    product_line: IdParam | None = Field(None, description="A product line, with the lines below it.")
    date: dt.date | None = Field(None, description="The day; today if empty.")


class OpenPromotionOut(Schema):
    code: str
    name: str
    kind: str
    description: str = Field(description="The offer in words, in the caller's language.")
    left: int | None = Field(None, description="What the partner may still get under the quantity limits.")


class CataloguePriceOut(Schema):
    """A SKU the partner may buy, with its own price for the smallest order it may place."""

    sku: Ref
    product: Ref
    barcode: str | None
    base_unit: str
    min_order_qty: int
    order_multiple: int
    quantity: int = Field(description="The quantity priced: the smallest order (base units).")
    list_price: str | None = Field(None, description="The partner's own list price; null: price on request.")
    net_unit_price: str | None = Field(description=UNIT_PRICE_DOC)
    promotions: list[OpenPromotionOut]
