"""Statements under real concurrency (PostgreSQL; skipped on SQLite, whose writers are serialised):
the same month generated at once gives one statement, and a confirmation racing a dispute lets
exactly one of them through."""

from __future__ import annotations

from datetime import date

import pytest

from qudao.core.errors import Conflict
from qudao.finance import statements
from qudao.finance.models import Statement, StatementDispute
from qudao.finance.tests.test_statements import post
from qudao.partners.models import Partner
from qudao.partners.tests.test_concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_it_generates_one_statement_when_the_same_month_is_generated_at_once(world):
    # given
    post(world.dist_js, "receivable", "invoice", "100.00", date(2026, 10, 8), "INV-C")
    partner_id = world.dist_js.pk
    # when
    results = run_concurrently(
        6, lambda i: statements.generate_statement(partner=Partner.objects.get(pk=partner_id), month="2026-10").number
    )
    # then: one statement with its one line; every other attempt either rebuilt it or was refused
    assert Statement.objects.count() == 1
    statement = Statement.objects.get()
    assert statement.lines.count() == 1
    assert {value for status, value in results if status == "ok"} <= {statement.number}
    assert all(isinstance(value, Conflict) for status, value in results if status == "error")


def test_it_lets_either_the_confirmation_or_the_dispute_through_never_both(world):
    # given
    post(world.dist_js, "receivable", "invoice", "100.00", date(2026, 10, 8), "INV-C")
    statement = statements.generate_statement(partner=world.dist_js, month="2026-10")
    line_id = statement.lines.get().pk
    admin = world.dist_admin

    def act(index):
        current = Statement.objects.get(pk=statement.pk)
        if index % 2 == 0:
            return statements.confirm_statement(statement=current, actor=admin).status
        return statements.dispute_statement(statement=current, line_ids=[line_id], comment="并发", actor=admin).pk

    # when
    results = run_concurrently(4, act)
    # then
    statement.refresh_from_db()
    disputes = StatementDispute.objects.count()
    if statement.status == "confirmed":
        assert disputes == 0
    else:
        assert (statement.status, disputes) == ("disputed", 2)
    assert all(isinstance(value, Conflict) for status, value in results if status == "error")
