"""API schemas of orders. Amounts go in and out as strings."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from qudao.core.schemas import AmountIn, InputSchema, MultilineText, TextSchema


class Ref(Schema):
    id: int
    code: str
    name: str


class OrderLineIn(InputSchema):
    sku: int
    quantity: int
    unit: str | None = Field(None, description="An ordering unit of the product (e.g. 箱); the base unit if empty.")


class OrderIn(InputSchema):
    partner: int | None = Field(
        None, description="The buyer: your own partner (default), or one of your sub-dealers (a distributor)."
    )
    lines: list[OrderLineIn]
    note: MultilineText = ""
    payment_method: str | None = Field(
        None, description='"credit" or "prepayment" (as the brand allows; its default if empty).'
    )
    rebate_amount: AmountIn | None = Field(
        None,
        description="Pay this much from your rebate fund (返利池), in cents at most: at most what the fund has"
        " available and QUDAO_REBATE_MAX_SHARE percent of the order's total after pricing. Held now, taken as the"
        " goods ship; the rest is paid by payment_method. Empty: 0.",
    )


class OrderLineOut(Schema):
    line_no: int
    sku: Ref
    unit: str
    unit_quantity: int
    quantity: int
    list_price: str
    promotions: list[dict]
    net_unit_price: str
    line_total: str
    gift_promotion: str | None = Field(None, description="Set on a free line given by a buy-X-get-Y promotion.")
    shipped_quantity: int


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    at: dt.datetime


class OrderOut(Schema):
    id: int
    number: str
    partner: Ref
    ordered_by: Ref | None
    status: str
    status_label: str
    status_reason: str
    currency: str
    list_total: str
    total: str
    payment_method: str
    rebate_amount: str = Field(description="The part of the total paid from the rebate fund.")
    remainder: str = Field(description="The rest of the total, paid by payment_method.")
    note: str
    approval: str | None = Field(None, description="The approval request's number while it waits.")
    approval_reasons: list[str]
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    lines: list[OrderLineOut] | None = None
    history: list[StatusChangeOut] | None = None


class OrderFilters(TextSchema):
    status: str | None = None
    partner: int | None = None


class OrderLinesIn(InputSchema):
    lines: list[OrderLineIn]
    rebate_amount: AmountIn | None = Field(
        None,
        description="The new part paid from the rebate fund (checked as when placing). Empty: the order's, lowered"
        " to the share of the new total if it is now above it.",
    )


class ReasonIn(InputSchema):
    reason: MultilineText = ""


class CreditOut(Schema):
    partner: Ref
    currency: str
    limit: str
    open_orders: str = Field(description="What submitted, not yet completed orders hold.")
    receivables: str
    used: str
    available: str


class ChangesFilters(TextSchema):
    cursor: str | None = Field(None, description="The `next_cursor` of the previous call; empty: from the start.")
    limit: int = Field(100, ge=1, le=500)


class OrderChangesOut(Schema):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass it back to read what changed after these; null when empty.")
