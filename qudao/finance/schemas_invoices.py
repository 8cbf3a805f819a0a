"""API schemas of receivables and the partner ledger (invoices, the ERP import, aging, ledger
entries, balances). Amounts are strings rounded to the cent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from qudao.core.schemas import UNIT_PRICE_DOC, IdParam, InputSchema, MoneyIn, MultilineText, TextSchema
from qudao.partners.schemas import PartnerRef


class InvoiceFilters(TextSchema):
    partner: IdParam | None = Field(None, description="Partner id.")
    status: Literal["open", "partially_paid", "paid", "void"] | None = None
    overdue: bool | None = Field(None, description="Only open invoices past their due date.")
    order: str | None = Field(None, description="Order number.")
    q: str | None = Field(None, description="Part of the number or the ERP reference.")


class InvoiceLineOut(Schema):
    order_line: int | None = Field(None, description="The order line's number on its order.")
    sku: str | None
    description: str
    quantity: int
    unit_price: str = Field(..., description=UNIT_PRICE_DOC)
    amount: str


class InvoiceAllocationOut(Schema):
    id: int
    source: str
    payment: str | None
    credit_note: str | None
    reference: str
    amount: str
    reverses: int | None
    allocated_on: date = Field(..., description="The business date of the allocation.")
    created_at: datetime


class LedgerEntryOut(Schema):
    id: int
    book: str
    kind: str
    kind_label: str
    currency: str
    amount: str
    balance_after: str
    occurred_on: date
    reference: str
    note: str
    reverses: int | None
    created_at: datetime


class InvoiceOut(Schema):
    id: int
    number: str
    partner: PartnerRef
    source: str
    order: str | None
    shipment: str | None
    external_ref: str
    currency: str
    issued_on: date
    due_on: date
    amount: str
    settled: str
    outstanding: str
    status: str
    status_label: str
    days_overdue: int
    note: str
    lines: list[InvoiceLineOut] | None = None
    allocations: list[InvoiceAllocationOut] | None = None
    ledger: list[LedgerEntryOut] | None = None


class InvoiceRowIn(InputSchema):
    partner: str = Field(..., description="Partner code.")
    external_ref: str = Field(..., description="The ERP's number of the invoice: with the partner, its identity.")
    issued_on: date
    due_on: date | None = Field(None, description="Empty: the issue date plus the partner's payment terms.")
    amount: MoneyIn
    currency: str | None = Field(None, description="Empty: the partner's currency.")
    note: MultilineText = ""


class InvoiceBulkIn(InputSchema):
    rows: list[InvoiceRowIn]


class InvoiceBulkRowOut(Schema):
    row: int
    status: Literal["created", "existing"]
    invoice: InvoiceOut


class InvoiceBulkOut(Schema):
    created: int
    existing: int
    rows: list[InvoiceBulkRowOut]


class AgingFilters(TextSchema):
    by: Literal["partner", "region", "overall"] = "partner"
    partner: IdParam | None = Field(None, description="Only this partner.")


class AgingRowOut(Schema):
    id: int | None = Field(None, description="Partner or region id (none overall).")
    code: str
    name: str
    currency: str
    current: str = Field(..., description="Not yet due.")
    d1_30: str
    d31_60: str
    d61_90: str
    d90_plus: str
    total: str


class AgingOut(Schema):
    by: str
    as_of: date
    rows: list[AgingRowOut]


class LedgerFilters(TextSchema):
    book: Literal["receivable", "prepayment", "rebate"] | None = None
    date_from: date | None = None
    date_to: date | None = None


class FundBalanceOut(Schema):
    balance: str
    held: str
    available: str


class BalancesOut(Schema):
    partner: PartnerRef
    currency: str
    receivable: str = Field(..., description="The receivable book's balance (invoices less payments and credits).")
    prepayment: str = Field(..., description="The prepayment book's balance.")
    rebate: str = Field(..., description="The rebate book's balance.")
    outstanding: str = Field(..., description="What open invoices have outstanding.")
    overdue: str = Field(..., description="What open invoices past their due date have outstanding.")
    open_invoices: int
    prepayment_fund: FundBalanceOut
    rebate_fund: FundBalanceOut
