"""API schemas of orders. Amounts go in and out as strings."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from qudao.core.schemas import (
    UNIT_PRICE_DOC,
    Id,
    IdParam,
    InputSchema,
    MoneyIn,
    MultilineText,
    Quantity,
    Ref,
    TextSchema,
    whole_number,
)


class OrderLineIn(InputSchema):
    sku: Id
    quantity: Quantity
    unit: str | None = Field(None, description="An ordering unit of the product (e.g. 箱); the base unit if empty.")


class OrderUserRef(Schema):
    id: int
    username: str
    name: str


class OrderIn(InputSchema):
    partner: Id | None = Field(
        None,
        description="The buyer. A partner's user: its own partner (default), or one of its sub-dealers (a"
        " distributor). An HQ user holding orders.place_on_behalf (代客下单): required, a partner it sees.",
    )
    lines: list[OrderLineIn]
    note: MultilineText = ""
    payment_method: str | None = Field(
        None, description='"credit" or "prepayment" (as the brand allows; its default if empty).'
    )
    rebate_amount: MoneyIn | None = Field(
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
    net_unit_price: str = Field(description=UNIT_PRICE_DOC)
    line_total: str
    gift_promotion: str | None = Field(None, description="Set on a free line given by a buy-X-get-Y promotion.")
    shipped_quantity: int


class OrderStatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    at: dt.datetime
    by: str | None = Field(None, description="The user name of who made the move (null: the system).")


class OrderOut(Schema):
    id: int
    number: str
    partner: Ref
    ordered_by: Ref | None = Field(description="The distributor that placed it for one of its sub-dealers.")
    placed_by: OrderUserRef | None = Field(description="The user who placed it (the partner's, or HQ's on its behalf).")
    channel: str = Field(
        description='How it came in: "portal", "api" (the partner\'s own users), "hq" (HQ pages) or "erp" (HQ through'
        " the API) on the partner's behalf; empty for orders placed before the channel was recorded."
    )
    channel_label: str
    on_behalf: bool = Field(description='Placed by HQ on the partner\'s behalf (代客下单): channel "hq" or "erp".')
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
    history: list[OrderStatusChangeOut] | None = None


class OrderFilters(TextSchema):
    status: str | None = None
    partner: IdParam | None = None


class OrderLinesIn(InputSchema):
    lines: list[OrderLineIn]
    rebate_amount: MoneyIn | None = Field(
        None,
        description="The new part paid from the rebate fund (checked as when placing). Empty: the order's, lowered"
        " to the share of the new total if it is now above it.",
    )


class OrderReasonIn(InputSchema):
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
    limit: whole_number(1, 500, in_text=True) = Field(100, description="How many orders (1-500).")


class OrderChangesOut(Schema):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass it back to read what changed after these; null when empty.")
