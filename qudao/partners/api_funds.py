"""API of a partner's fund accounts: balances and the ledger (the partner and HQ who see it),
deposits (finance)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from qudao.core.api import require
from qudao.core.schemas import IdParam, InputSchema, MoneyIn, MultilineText, PageParams, amount_out, page_of, paginate

from . import funds
from .models import FundAccount, FundEntry
from .scoping import get_visible_partner

router = Router(tags=["funds"])


class FundOut(Schema):
    kind: str
    currency: str
    balance: str
    held: str = Field(description="Set aside by submitted orders paid from this account.")
    available: str


class FundEntryOut(Schema):
    account: str = Field(description="The account: prepayment or rebate.")
    currency: str
    kind: str
    balance_delta: str
    held_delta: str
    reference: str = Field(description="The order, or the payment's reference.")
    note: str
    at: dt.datetime


class DepositIn(InputSchema):
    amount: MoneyIn
    reference: str = ""
    note: MultilineText = ""


def _fund_out(account: FundAccount) -> dict:
    return {
        "kind": account.kind,
        "currency": account.currency,
        "balance": amount_out(account.balance),
        "held": amount_out(account.held),
        "available": amount_out(account.available),
    }


@router.get("/partners/{partner_id}/funds", response=list[FundOut])
def fund_list(request, partner_id: IdParam):
    """The partner's fund accounts (prepayment) with balance, held and available."""
    require(request.auth, "partners.view")
    partner = get_visible_partner(request.auth, partner_id)
    funds.account_for(partner)
    return [_fund_out(account) for account in FundAccount.objects.filter(partner=partner)]


@router.get("/partners/{partner_id}/funds/entries", response=page_of(FundEntryOut))
def fund_entries(request, partner_id: IdParam, page: Query[PageParams], account: str | None = None):
    """The ledger of the partner's fund accounts, newest first (`account`: prepayment or rebate
    for one account only)."""
    require(request.auth, "partners.view")
    partner = get_visible_partner(request.auth, partner_id)
    entries = FundEntry.objects.filter(account__partner=partner).select_related("account")
    if account:
        entries = entries.filter(account__kind=account)
    return paginate(
        entries.order_by("-created_at", "-pk"),
        page,
        lambda entry: {
            "account": entry.account.kind,
            "currency": entry.account.currency,
            "kind": entry.kind,
            "balance_delta": amount_out(entry.balance_delta),
            "held_delta": amount_out(entry.held_delta),
            "reference": entry.reference,
            "note": entry.note,
            "at": entry.created_at,
        },
    )


@router.post("/partners/{partner_id}/funds/deposits", response={201: FundOut})
def fund_deposit(request, partner_id: IdParam, payload: DepositIn):
    """Finance records money received into the partner's prepayment account."""
    partner = get_visible_partner(request.auth, partner_id)
    require(request.auth, "partners.change_credit")
    funds.deposit(
        partner=partner, amount=payload.amount, reference=payload.reference, note=payload.note, actor=request.auth
    )
    return Status(201, _fund_out(funds.account_for(partner)))
