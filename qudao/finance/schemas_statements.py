"""API schemas of statements (对账单) and their disputes; amounts are strings rounded to 0.01."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from qudao.core.schemas import Id, InputSchema, MoneyIn, MultilineText, TextSchema
from qudao.partners.schemas import PartnerRef


class StatementFilters(TextSchema):
    month: str | None = Field(None, description="The month, YYYY-MM (e.g. 2026-10).")
    partner: str | None = Field(None, description="A partner's id or code.")
    status: str | None = Field(None, description="issued, confirmed, disputed or resolved.")


class GenerateIn(InputSchema):
    month: str = Field(description="The month to generate, YYYY-MM; it must be over (settings.TIME_ZONE).")
    partner: Id | None = Field(
        None, description="Only this partner (its issued statement of the month is rebuilt); all partners if absent."
    )


class DisputeIn(InputSchema):
    lines: list[Id] = Field(description="Ids of lines of this statement (`lines[].id`).")
    comment: MultilineText = Field(description="What is wrong (required, at most 2,000 characters).")


class DisputeResolveIn(InputSchema):
    resolution: MultilineText = Field("", description="The explanation (required without an adjustment).")
    amount: MoneyIn | None = Field(
        None, description="An adjustment posted to the ledger today, signed in the book's direction."
    )
    book: str = Field("", description="The adjustment's book: receivable, prepayment or rebate.")


class UserRef(Schema):
    id: int
    name: str


class BookBalance(Schema):
    opening: str
    closing: str


class StatementLineOut(Schema):
    id: int
    position: int
    kind: str = Field(description="A ledger entry's kind, or open_invoice (an invoice open at the month's end).")
    kind_label: str
    book: str
    date: dt.date
    reference: str
    description: str
    amount: str = Field(description="The entry's amount; for an open invoice, what was outstanding at month end.")
    balance_after: str | None = Field(description="The book's balance after the entry (none for open invoices).")
    due_on: dt.date | None = Field(None, description="An open invoice's due date.")


class AdjustmentOut(Schema):
    id: int
    book: str
    amount: str
    date: dt.date


class DisputeOut(Schema):
    id: int
    statement_id: int
    statement: str
    status: str
    status_label: str
    lines: list[int]
    comment: str
    attachment_url: str | None
    raised_by: UserRef | None
    raised_at: dt.datetime
    resolution: str
    adjustment: AdjustmentOut | None
    resolved_by: UserRef | None
    resolved_at: dt.datetime | None


class StatementOut(Schema):
    id: int
    number: str
    partner: PartnerRef
    currency: str
    month: str
    period_start: dt.date
    period_end: dt.date
    status: str
    status_label: str
    balances: dict[str, BookBalance] = Field(description="{book: {opening, closing}} for every book.")
    issued_at: dt.datetime
    confirmed_by: UserRef | None
    confirmed_at: dt.datetime | None
    pdf_url: str
    xlsx_url: str


class StatementDetailOut(StatementOut):
    lines: list[StatementLineOut]
    disputes: list[DisputeOut]
