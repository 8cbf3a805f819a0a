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
