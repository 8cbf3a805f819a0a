"""Manual rebate fund deposits in the API (on the rebates router; see docs/api.md). HQ records:
partner users get 403; a deposit of a partner the caller does not see answers 404.

GET  /rebates/fund-deposits           deposits in scope (?partner=<id>, ?status=)
POST /rebates/fund-deposits           enter one (rebates.settle: finance, administrators) -> 201,
                                      pending approval; posted when approved
GET  /rebates/fund-deposits/{id}      one deposit
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Schema, Status

from qudao.core.errors import Forbidden
from qudao.core.schemas import Id, IdParam, InputSchema, MoneyIn, PageParams, TextSchema, amount_out, page_of, paginate
from qudao.partners.scoping import get_visible_partner

from . import deposits, selectors
from .api import router
from .models import RebateFundDeposit


class DepositPartnerRef(Schema):
    id: int
    code: str
    name: str


class FundDepositIn(InputSchema):
    partner: Id = Field(description="The partner's id (one you may see).")
    kind: str = Field(description="goodwill (a goodwill credit: above zero) or correction (above or below zero).")
    amount: MoneyIn = Field(
        description="Whole cents, not zero, at most 1,000,000.00 either way; a negative correction takes at most "
        "what the fund has available (money held by open orders is never taken)."
    )
    reason: str = Field("", description="Why (required, at most 500 characters): the partner ledger shows it.")


class FundDepositOut(Schema):
    id: int
    number: str
    partner: DepositPartnerRef
    currency: str
    kind: str
    kind_label: str
    amount: str
    reason: str
    status: str = Field(description="pending_approval, posted or rejected.")
    status_label: str
    approval_id: int | None
    requested_by: str | None
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    fund_entry: int | None = Field(None, description="The rebate fund's entry, once posted.")


class FundDepositFilters(TextSchema):
    partner: IdParam | None = None
    status: str | None = Field(None, description="pending_approval, posted or rejected.")


def deposit_out(deposit: RebateFundDeposit) -> dict:
    return {
        "id": deposit.pk,
        "number": deposit.number,
        "partner": {"id": deposit.partner_id, "code": deposit.partner.code, "name": str(deposit.partner)},
        "currency": deposit.currency,
        "kind": deposit.kind,
        "kind_label": str(deposit.get_kind_display()),
        "amount": amount_out(deposit.amount),
        "reason": deposit.reason,
        "status": deposit.status,
        "status_label": str(deposit.get_status_display()),
        "approval_id": deposit.approval_id,
        "requested_by": str(deposit.requested_by) if deposit.requested_by_id else None,
        "requested_at": deposit.requested_at,
        "decided_at": deposit.decided_at,
        "fund_entry": deposit.fund_entry_id,
    }


@router.get("/rebates/fund-deposits", response=page_of(FundDepositOut))
def fund_deposit_list(request, filters: Query[FundDepositFilters], page: Query[PageParams]):
    """Manual deposits into the rebate funds of the partners you see, newest first."""
    rows = selectors.fund_deposits(request.auth, partner_id=filters.partner, status=filters.status or "")
    return paginate(rows, page, deposit_out)


@router.post("/rebates/fund-deposits", response={201: FundDepositOut})
def fund_deposit_create(request, body: FundDepositIn):
    """Enter a goodwill credit or a correction of a partner's rebate fund, with its reason. It waits
    for approval (flow 返利资金手工入账审批) and is posted when approved. 422 with every wrong field
    (kind, amount, reason); 409 when no approval flow is configured; nothing is written then."""
    user = request.auth
    selectors.require_hq(user)
    partner = get_visible_partner(user, body.partner)
    if not user.can("rebates.settle"):
        raise Forbidden()
    deposit = deposits.request_deposit(partner=partner, data=body.model_dump(exclude={"partner"}), actor=user)
    return Status(201, deposit_out(selectors.get_fund_deposit(user, deposit.pk)))


@router.get("/rebates/fund-deposits/{deposit_id}", response=FundDepositOut)
def fund_deposit_detail(request, deposit_id: IdParam):
    return deposit_out(selectors.get_fund_deposit(request.auth, deposit_id))
