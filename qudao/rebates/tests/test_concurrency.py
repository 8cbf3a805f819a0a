"""Posting one run from several workers at once on PostgreSQL (skipped on SQLite): every partner
is paid exactly once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from qudao.partners.models import FundEntry
from qudao.partners.tests.test_concurrency import run_concurrently
from qudao.rebates import runs
from qudao.rebates.models import RebateRun
from qudao.rebates.tests.conftest import rebate_balance

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_four_workers_posting_one_run_pay_each_partner_once(books, world):
    # given an approved run over three partners (100,000 / 200,000 / 300,000 shipped)
    partners = [world.dist_js, world.sub_js, world.dealer_zj]
    for index, partner in enumerate(partners, start=1):
        books.sale(partner, "hood_a", 100 * index, "1000", date(2025, 2, 1))
    policy = books.policy(target_partners=[partner.code for partner in partners])
    run = runs.compute_run(policy=policy, period=date(2025, 2, 1), kind="final", actor=world.finance)
    runs.approve_run(run=run, actor=world.finance)
    # when four workers post it at once
    results = run_concurrently(4, lambda i: runs.post_run(run=run, actor=world.finance).status)
    # then every worker ends with a posted run, and each partner got one deposit
    assert [outcome for outcome in results] == [("ok", "posted")] * 4
    run = RebateRun.objects.get(pk=run.pk)
    assert (run.posted_count, run.posted_total) == (3, D("15000.00"))
    assert FundEntry.objects.filter(reference__startswith=f"{run.number}/").count() == 3
    assert [rebate_balance(partner) for partner in partners] == [D("2000.00"), D("4000.00"), D("9000.00")]


def test_corrections_approved_at_once_never_take_money_held_by_open_orders(world):
    # given a rebate fund of 1,000.00 with 300.00 held by an open order (700.00 available), and two
    # negative corrections of 500.00, each possible alone, waiting for approval
    import importlib

    from django.apps import apps

    from qudao.core import approvals
    from qudao.core.errors import FieldErrors
    from qudao.partners import funds
    from qudao.partners.models import FundAccount
    from qudao.rebates import deposits

    # a transactional test database is emptied between tests: the default flow is loaded again
    importlib.import_module("qudao.rebates.migrations.0006_fund_deposits").load_flow(apps, None)
    funds.deposit(partner=world.dist_js, amount="1000.00", reference="RB-1/P", kind=FundAccount.Kind.REBATE)
    funds.hold(partner=world.dist_js, amount=D("300.00"), reference="SO-OPEN", kind=FundAccount.Kind.REBATE)
    waiting = [
        deposits.request_deposit(
            partner=world.dist_js,
            data={"kind": "correction", "amount": "-500", "reason": f"冲回 {n}"},
            actor=world.finance,
        )
        for n in (1, 2)
    ]
    # when an administrator approves both at the same moment
    results = run_concurrently(
        2,
        lambda i: approvals.decide(request_id=waiting[i].approval_id, actor=world.admin, decision="approve").status,
    )
    # then one is posted, the other refused on its amount, and the fund is never overdrawn
    assert sorted(status for status, _value in results) == ["error", "ok"]
    refused = next(value for status, value in results if status == "error")
    assert isinstance(refused, FieldErrors) and list(refused.errors) == ["amount"]
    account = FundAccount.objects.get(partner=world.dist_js, kind=FundAccount.Kind.REBATE)
    assert (account.balance, account.held) == (D("500.0000"), D("300.0000"))
    statuses = sorted(deposit.status for deposit in type(waiting[0]).objects.all())
    assert statuses == ["pending_approval", "posted"]
