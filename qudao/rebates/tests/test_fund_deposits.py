"""Manual rebate fund deposits: finance enters a goodwill credit or a correction with a reason; it is
posted to the rebate fund (its entry, the partner ledger's rebate book, the audit trail, an event)
only once an administrator approves it - never by the one who entered it - and a negative correction
never takes money held by open orders. Bad input is refused field by field and changes nothing;
the API and the HQ page answer by scope."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from qudao.core import approvals
from qudao.core.errors import FieldErrors, Forbidden
from qudao.core.models import ApprovalRequest, ObjectChange, OutboxEvent
from qudao.finance.models import LedgerEntry
from qudao.partners import funds
from qudao.partners.models import FundAccount, FundEntry
from qudao.rebates import deposits
from qudao.rebates.models import RebateFundDeposit

pytestmark = pytest.mark.django_db
URL = "/api/v1/rebates/fund-deposits"


@pytest.fixture
def fund(world):
    """dist_js's rebate fund: 1,000.00 posted, 300.00 of it held by an open order."""
    funds.deposit(partner=world.dist_js, amount="1000.00", reference="RB-1/P", kind=FundAccount.Kind.REBATE)
    funds.hold(partner=world.dist_js, amount=D("300.00"), reference="SO-OPEN", kind=FundAccount.Kind.REBATE)
    return FundAccount.objects.get(partner=world.dist_js, kind=FundAccount.Kind.REBATE)


def account(world) -> tuple[D, D]:
    row = FundAccount.objects.get(partner=world.dist_js, kind=FundAccount.Kind.REBATE)
    return row.balance, row.held


def approve(deposit, actor):
    return approvals.decide(request_id=deposit.approval_id, actor=actor, decision="approve")


def test_a_goodwill_credit_is_posted_once_an_administrator_approves_it(world, fund):
    # when finance enters a goodwill credit of 500.00
    deposit = deposits.request_deposit(
        partner=world.dist_js,
        data={"kind": "goodwill", "amount": "500.00", "reason": "  渠道冲突补偿  "},
        actor=world.finance,
    )
    # then it waits for approval (flow 返利资金手工入账审批), nothing moved yet
    assert (deposit.number[:2], deposit.status, deposit.amount, deposit.reason) == (
        "RF",
        "pending_approval",
        D("500.00"),
        "渠道冲突补偿",
    )
    request = ApprovalRequest.objects.get(pk=deposit.approval_id)
    assert (request.subject_kind, request.flow.name, request.partner_id) == (
        "rebate_fund_deposit",
        "返利资金手工入账审批",
        world.dist_js.pk,
    )
    assert account(world) == (D("1000.0000"), D("300.0000"))
    assert OutboxEvent.objects.filter(event_type="rebate.fund_deposit_requested").count() == 1
    # when finance tries to decide it (not its step), then an administrator approves it
    with pytest.raises(Forbidden):
        approve(deposit, world.finance)
    approve(deposit, world.admin)
    # then the fund has 1,500.00: one deposit entry naming the deposit, the rebate book follows
    deposit.refresh_from_db()
    entry = FundEntry.objects.get(reference=deposit.number)
    assert (deposit.status, deposit.decided_by, deposit.fund_entry_id) == ("posted", world.admin, entry.pk)
    assert (entry.kind, entry.balance_delta, entry.note) == ("deposit", D("500.0000"), "Goodwill credit: 渠道冲突补偿")
    assert account(world) == (D("1500.0000"), D("300.0000"))
    ledger = LedgerEntry.objects.get(reference=deposit.number)
    assert (ledger.book, ledger.kind, ledger.amount) == ("rebate", "rebate_posted", D("500.0000"))
    assert list(
        OutboxEvent.objects.filter(event_type__startswith="rebate.fund_deposit").values_list("event_type", flat=True)
    ) == ["rebate.fund_deposit_requested", "rebate.fund_deposit_posted"]
    changes = ObjectChange.objects.filter(content_type__model="rebatefunddeposit", object_id=str(deposit.pk)).order_by(
        "pk"
    )
    assert [(c.action, (c.after or {}).get("status"), c.actor_id) for c in changes] == [
        ("create", "pending_approval", world.finance.pk),
        ("update", "pending_approval", world.finance.pk),  # the approval request linked
        ("update", "posted", world.admin.pk),
    ]


def test_a_negative_correction_never_takes_money_held_by_open_orders(world, fund):
    # given 700.00 available (1,000.00 less 300.00 held)
    # when finance asks to take 800.00
    with pytest.raises(FieldErrors) as refused:
        deposits.request_deposit(
            partner=world.dist_js, data={"kind": "correction", "amount": "-800", "reason": "多计"}, actor=world.finance
        )
    # then refused on the amount, nothing written
    assert {k: [str(m) for m in v] for k, v in refused.value.errors.items()} == {
        "amount": ["Only 700.00 is available to take (money held by open orders is not)."]
    }
    assert RebateFundDeposit.objects.count() == 0
    # when it asks for 600.00 and, before the approval, another order sets 200.00 more aside
    deposit = deposits.request_deposit(
        partner=world.dist_js, data={"kind": "correction", "amount": "-600", "reason": "多计"}, actor=world.finance
    )
    funds.hold(partner=world.dist_js, amount=D("200.00"), reference="SO-NEW", kind=FundAccount.Kind.REBATE)
    # then the approval is refused with the reason, and nothing moved (the request still waits)
    with pytest.raises(FieldErrors) as refused:
        approve(deposit, world.admin)
    assert [str(m) for m in refused.value.errors["amount"]] == ["Only 500.00 is available to take."]
    deposit.refresh_from_db()
    assert (deposit.status, ApprovalRequest.objects.get(pk=deposit.approval_id).status) == (
        "pending_approval",
        "pending",
    )
    assert account(world) == (D("1000.0000"), D("500.0000"))
    # when the administrator rejects it instead
    approvals.decide(request_id=deposit.approval_id, actor=world.admin, decision="reject", comment="订单已占用")
    # then nothing is posted
    deposit.refresh_from_db()
    assert (deposit.status, deposit.fund_entry_id) == ("rejected", None)
    assert account(world) == (D("1000.0000"), D("500.0000"))
    # and a correction of -500.00 (all that is available) is posted as a negative adjustment
    deposit = deposits.request_deposit(
        partner=world.dist_js, data={"kind": "correction", "amount": "-500.00", "reason": "冲回"}, actor=world.finance
    )
    approve(deposit, world.admin)
    assert account(world) == (D("500.0000"), D("500.0000"))
    ledger = LedgerEntry.objects.get(reference=deposit.number)
    assert (ledger.book, ledger.kind, ledger.amount) == ("rebate", "adjustment", D("-500.0000"))


def test_whoever_entered_a_deposit_may_not_approve_it(world, fund):
    # given an administrator enters a deposit
    deposit = deposits.request_deposit(
        partner=world.dist_js, data={"kind": "goodwill", "amount": "100", "reason": "补偿"}, actor=world.admin
    )
    # when the same administrator approves it
    with pytest.raises(Forbidden, match="someone else must approve it"):
        approve(deposit, world.admin)
    # then nothing changed: the request still waits, nothing posted
    deposit.refresh_from_db()
    assert (deposit.status, ApprovalRequest.objects.get(pk=deposit.approval_id).status) == (
        "pending_approval",
        "pending",
    )
    assert account(world) == (D("1000.0000"), D("300.0000"))


def test_the_api_takes_a_deposit_checks_every_field_and_answers_by_scope(world, fund, api_client):
    finance = api_client(world.finance)
    body = {"partner": world.dist_js.pk, "kind": "goodwill", "amount": "500.00", "reason": "补偿"}
    # when the amount is not whole cents (the API's money type refuses it before anything else)
    bad_amount = finance.post(URL, json.dumps({**body, "amount": "12.345"}), content_type="application/json")
    # then 422 on the amount
    assert bad_amount.status_code == 422
    assert [(e["field"], e["message"]) for e in bad_amount.json()["errors"]] == [
        ("amount", 'Enter an amount with at most 13 digits before the decimal point and 2 after it, e.g. "500000.00".')
    ]
    # when the body is wrong in every other field
    bad = finance.post(
        URL,
        json.dumps({"partner": world.dist_js.pk, "kind": "gift", "amount": "12.34", "reason": ""}),
        content_type="application/json",
    )
    # then 422 with each field, nothing written
    assert bad.status_code == 422
    assert {e["field"]: e["message"] for e in bad.json()["errors"]} == {
        "kind": "Choose goodwill or correction.",
        "reason": "Give the reason.",
    }
    for amount, message in (
        ("0", "Enter an amount other than zero."),
        ("-5", "A goodwill credit adds money: enter an amount above zero."),
        ("1000000.01", "At most 1,000,000.00 by hand; larger sums go through a rebate run."),
    ):
        response = finance.post(URL, json.dumps({**body, "amount": amount}), content_type="application/json")
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("amount", message)]
    assert RebateFundDeposit.objects.count() == 0
    # when it is right
    created = finance.post(URL, json.dumps(body), content_type="application/json")
    # then 201, waiting for approval
    assert created.status_code == 201, created.content
    out = created.json()
    assert {key: out[key] for key in ("kind", "amount", "reason", "status", "currency", "fund_entry")} == {
        "kind": "goodwill",
        "amount": "500.00",
        "reason": "补偿",
        "status": "pending_approval",
        "currency": "CNY",
        "fund_entry": None,
    }
    assert out["partner"]["code"] == world.dist_js.code
    # and who may: the channel manager sees dist_js but may not deposit (403); a regional manager of
    # another region does not see it (404); partner users never (403)
    for user, status in ((world.channel, 403), (world.regional_zj, 404), (world.dist_admin, 403)):
        assert api_client(user).post(URL, json.dumps(body), content_type="application/json").status_code == status
    assert RebateFundDeposit.objects.count() == 1
    assert api_client(world.channel).get(f"{URL}/{out['id']}").json()["number"] == out["number"]
    assert api_client(world.regional_zj).get(f"{URL}/{out['id']}").status_code == 404
    assert api_client(world.regional_zj).get(URL).json()["count"] == 0
    assert api_client(world.finance).get(URL, {"partner": world.dist_js.pk}).json()["count"] == 1


def test_the_hq_page_shows_the_fund_and_takes_a_deposit(world, fund, page_client):
    path = f"/rebates/partners/{world.dist_js.pk}/fund/"
    client = page_client(world.finance)
    # when finance opens the partner's rebate fund
    html = client.get(path).content.decode()
    # then the balance and what is available
    assert 'data-testid="fund-balance">CNY 1,000.00<' in html
    assert 'data-testid="fund-available">700.00<' in html
    # when it sends a deposit without a reason
    refused = client.post(path, {"kind": "goodwill", "amount": "200", "reason": ""})
    assert refused.status_code == 422
    assert "Give the reason." in refused.content.decode()
    assert RebateFundDeposit.objects.count() == 0
    # when it sends a good one
    sent = client.post(path, {"kind": "goodwill", "amount": "200", "reason": "展会补贴"})
    # then back to the page, the deposit listed as waiting
    assert (sent.status_code, sent.headers["Location"]) == (302, path)
    html = client.get(path).content.decode()
    assert html.count('data-testid="fund-deposit"') == 1
    assert "展会补贴" in html
    # and the channel manager reads the page but may not send one
    assert page_client(world.channel).get(path).status_code == 200
    assert page_client(world.channel).post(path, {"kind": "goodwill", "amount": "1", "reason": "x"}).status_code == 403
    assert RebateFundDeposit.objects.count() == 1


def test_the_fund_page_links_the_deposits_approval_only_for_who_may_open_it(world, fund, page_client):
    """Operations may read a partner's rebate fund but not its approval requests: the pending
    deposit's status is shown without a link (the link answered 404); finance keeps the link."""
    deposit = deposits.request_deposit(
        partner=world.dist_js, data={"kind": "goodwill", "amount": "500.00", "reason": "补偿"}, actor=world.finance
    )
    # its approval's title shows money the one way: currency first, separators, two decimals
    assert "CNY 500.00" in ApprovalRequest.objects.get(pk=deposit.approval_id).title
    link = f'href="/approvals/{deposit.approval_id}/"'
    url = f"/rebates/partners/{world.dist_js.pk}/fund/"
    finance_page = page_client(world.finance).get(url)
    assert finance_page.status_code == 200 and link in finance_page.content.decode()
    operations = page_client(world.operations)
    operations_page = operations.get(url)
    assert operations_page.status_code == 200
    assert link not in operations_page.content.decode()
    assert operations.get(f"/approvals/{deposit.approval_id}/").status_code == 404
