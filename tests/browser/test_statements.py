"""A partner's statement (对账单) on a phone (375 px wide) in a real browser: the administrator
reads its balances and lines, disputes a line with a comment, and - once finance has explained it -
confirms the statement."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.finance import statements
from qudao.finance.models import Statement, StatementDispute
from qudao.finance.tests.test_statements import post

from .ui import assert_fits_phone, login


def test_it_lets_a_partner_admin_dispute_a_line_then_confirm_its_statement_on_a_phone(live_server, open_page, world):
    # given: dist_js's October with an invoice and a payment
    post(world.dist_js, "receivable", "invoice", "1000.00", date(2026, 10, 8), "INV-P1")
    post(world.dist_js, "receivable", "payment", "-400.00", date(2026, 10, 20), "PAY-P1", "回款")
    statement = statements.generate_statement(partner=world.dist_js, month="2026-10")
    base = live_server.url
    phone = open_page("phone")

    # when the administrator opens its statements
    login(phone, base, "dist_admin", PASSWORD)
    phone.goto(f"{base}/portal/finance/statements/")
    phone.click(f"[data-testid=statement-row][data-number={statement.number}] a")

    # then it sees the balances and the lines, and the page fits the phone
    expect(phone.locator("[data-testid=statement-number]")).to_have_text(statement.number)
    expect(phone.locator("[data-book=receivable] [data-testid=closing]")).to_have_text("600.00")
    expect(phone.locator("[data-testid=statement-line]")).to_have_count(2)
    assert_fits_phone(phone)

    # when it disputes the payment line
    phone.check("[data-testid=statement-line][data-position='2'] [data-testid=dispute-line]")
    phone.fill("[data-testid=dispute-comment]", "回款应为 500 元")
    phone.click("[data-testid=dispute-submit]")

    # then the statement is disputed, with the dispute listed
    expect(phone.locator("[data-testid=statement-status]")).to_have_text("Disputed")
    expect(phone.locator("[data-testid=dispute-item]")).to_have_count(1)
    dispute = StatementDispute.objects.get()
    assert list(dispute.lines.values_list("position", flat=True)) == [2]

    # when finance explains it and the administrator confirms
    statements.resolve_dispute(dispute=dispute, actor=world.finance, resolution="另 100 元于 11 月到账")
    phone.reload()
    expect(phone.locator("[data-testid=dispute-resolution]")).to_contain_text("另 100 元于 11 月到账")
    phone.click("[data-testid=confirm-statement]")

    # then it is confirmed
    expect(phone.locator("[data-testid=statement-status]")).to_have_text("Confirmed")
    assert Statement.objects.get(pk=statement.pk).status == "confirmed"
    assert_fits_phone(phone)
