"""API schemas of payments (回款). Amounts go in and out as strings."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from qudao.core.schemas import Id, IdParam, InputSchema, MoneyIn, MultilineText, Ref, TextSchema


class InvoiceRef(Schema):
    id: int
    number: str


ALLOCATED_ON = (
    "The business date of the allocations (YYYY-MM-DD; default: the day they are made), e.g. the day the ERP "
    "settled the invoices: not in the future, not before the money arrived, not before an invoice's issue date "
    "(oldest first then pays only the invoices issued by then)."
)


class AllocationIn(InputSchema):
    invoice: str = Field(..., description="The invoice's id or number (an open invoice of the payment's partner).")
    amount: MoneyIn = Field(..., description="At most what the invoice has outstanding, in cents.")


class PaymentIn(InputSchema):
    partner: Id = Field(..., description="The paying partner's id.")
    amount: MoneyIn = Field(..., description="Greater than zero, in whole cents.")
    received_on: str = Field(..., description="The date the money arrived (YYYY-MM-DD), not in the future.")
    method: str = Field("bank_transfer", description="bank_transfer, acceptance_bill, cash or other.")
    bank_reference: str = Field("", description="The bank's reference; one payment per partner and reference.")
    payer_name: str = ""
    note: MultilineText = ""
    allocations: list[AllocationIn] | None = Field(
        None,
        description="Allocate by hand to these invoices (the sum at most the amount; the rest stays unallocated)."
        " Empty: oldest first (oldest due date, then oldest issue date).",
    )
    allocated_on: str | None = Field(None, description=ALLOCATED_ON)


class AllocationsIn(InputSchema):
    allocations: list[AllocationIn] | None = Field(
        None, description="The invoices and amounts; empty: oldest first, up to what the payment has left."
    )
    allocated_on: str | None = Field(None, description=ALLOCATED_ON)


class PaymentReasonIn(InputSchema):
    reason: MultilineText = ""


class AnnouncementForm(TextSchema):
    """A partner's announcement (multipart, with the proof as the file "proof")."""

    amount: str = ""
    received_on: str = ""
    bank_reference: str = ""
    payer_name: str = ""
    method: str = "bank_transfer"
    note: MultilineText = ""


class PaymentFilters(TextSchema):
    partner: IdParam | None = None
    status: str | None = Field(None, description="announced, confirmed, rejected or reversed")
    source: str | None = Field(None, description="finance, import or partner")
    method: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    q: str | None = Field(None, description="Part of the number, the bank reference or the payer.")


class PaymentAllocationOut(Schema):
    id: int
    invoice: InvoiceRef
    amount: str
    reverses: int | None = None
    allocated_on: dt.date = Field(..., description="The business date of the allocation.")
    created_at: dt.datetime


class PaymentOut(Schema):
    id: int
    number: str
    partner: Ref
    currency: str
    amount: str
    allocated: str
    unallocated: str
    received_on: dt.date
    method: str
    method_label: str
    bank_reference: str
    payer_name: str
    note: str
    source: str
    source_label: str
    status: str
    status_label: str
    proof_url: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str
    created_at: dt.datetime
    allocations: list[PaymentAllocationOut] | None = None


class PaymentImportRowOut(Schema):
    row: int
    partner_code: str
    credit_code: str
    partner: str
    partner_id: int | None = None
    amount: str
    received_on: str
    allocated_on: str = ""
    bank_reference: str
    payer_name: str
    method: str
    note: str
    errors: dict[str, list[str]]


class PaymentImportErrorOut(Schema):
    row: int
    column: str
    message: str


class PaymentPreviewOut(Schema):
    id: int
    status: str
    file_name: str
    created_at: dt.datetime
    columns: list[str]
    ignored_columns: list[str]
    total_rows: int
    counts: dict[str, int]
    total_amount: str
    error_count: int
    can_commit: bool
    rows: list[PaymentImportRowOut]
    errors: list[PaymentImportErrorOut]
    commit_job: dict | None = None
