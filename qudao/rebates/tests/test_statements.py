"""The partner's rebate statement: the fund's opening balance, its movements and closing balance in
a span of days, the rebates posted in it, the .xlsx and PDF, the pages and the API, scoped."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from qudao.partners import funds
from qudao.partners.models import FundAccount, FundEntry
from qudao.rebates import runs, statements
from qudao.rebates.models import RebateLine
from qudao.rebates.tests.conftest import at

REBATE = FundAccount.Kind.REBATE


@pytest.fixture
def fund(books, world):
    """5,940.00 posted on 20 December 2025 by a run for Q1 2025; then, in the statement's year, a
    deposit of 1,000.00, an order holding 2,000.00 of which 1,500.00 is taken as it ships."""
    policy = books.policy()
    books.sale(world.dist_js, "hood_a", 198, "1500.00", date(2025, 2, 10))
    run = runs.compute_run(policy=policy, period=date(2025, 2, 1), kind="final", actor=world.finance)
    runs.approve_run(run=run, actor=world.finance)
    run = runs.post_run(run=run, actor=world.finance)
    FundEntry.objects.filter(account__kind=REBATE).update(created_at=at(date(2025, 12, 20)))
    RebateLine.objects.filter(run=run).update(posted_at=at(date(2025, 12, 20)))
    funds.deposit(partner=world.dist_js, amount="1000.00", reference="GOODWILL", note="补偿", kind=REBATE)
    funds.hold(partner=world.dist_js, amount=D("2000.00"), reference="SO-REBATE-1", kind=REBATE)
    funds.capture(partner=world.dist_js, reference="SO-REBATE-1", amount=D("1500.00"), kind=REBATE)
    return run


def test_it_gives_the_opening_balance_every_movement_and_the_closing_balance(fund, world):
    # when: this year's statement
    this_year = date(timezone.localdate().year, 1, 1)
    statement = statements.rebate_statement(world.dist_js, this_year, timezone.localdate())
    # then: 5,940.00 at the start, +1,000.00 and -1,500.00, 5,440.00 at the end, 500.00 still held
    assert (statement.opening, statement.closing, statement.held) == (D("5940.00"), D("5440.00"), D("500.00"))
    assert [(entry.kind, entry.balance_delta, entry.reference) for entry in statement.movements] == [
        ("deposit", D("1000.00"), "GOODWILL"),
        ("capture", D("-1500.00"), "SO-REBATE-1"),
    ]
    assert statement.totals == {"deposit": D("1000.00"), "capture": D("-1500.00")}
    assert statement.lines == []  # the run was posted last year
    # when: December 2025
    december = statements.rebate_statement(world.dist_js, date(2025, 12, 1), date(2025, 12, 31))
    # then: nothing before, the run's 5,940.00 posted, and how it was earned
    assert (december.opening, december.closing) == (D("0"), D("5940.00"))
    assert [(line.run.number, line.posted_amount) for line in december.lines] == [(fund.number, D("5940.00"))]
    assert statements.line_description(december.lines[0]) == "Tier 2: 2%"
    # and another partner's statement holds none of it
    other = statements.rebate_statement(world.dealer_zj, date(2025, 1, 1), timezone.localdate())
    assert (other.opening, other.closing, other.movements, other.lines) == (D("0"), D("0"), [], [])


def test_it_refuses_days_that_are_not_a_span(world):
    from qudao.core.errors import FieldErrors

    for raw_from, raw_to, errors in (
        ("2026-13-01", "2026-01-31", {"from": ["Enter a date as YYYY-MM-DD."]}),
        ("2026-02-01", "2026-01-31", {"to": ["The last day comes before the first."]}),
        ("2020-01-01", "2026-01-31", {"to": ["A statement covers at most three years."]}),
    ):
        with pytest.raises(FieldErrors) as error:
            statements.clean_span(raw_from, raw_to)
        assert error.value.errors == errors


def test_the_xlsx_and_the_pdf_carry_the_figures(fund, world):
    from openpyxl import load_workbook

    statement = statements.rebate_statement(world.dist_js, date(2025, 12, 1), date(2026, 12, 31))
    sheet = load_workbook(io.BytesIO(statements.statement_xlsx(statement))).active
    values = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Rebate statement of 南京金陵商贸有限公司, 2025-12-01 to 2026-12-31"]
    assert ["Balance at the start", D("0")] in values
    assert ["Rebate posted", D("6940")] in values  # 5,940.00 by the run, 1,000.00 by hand
    assert ["Used for an order", D("-1500")] in values
    assert ["Balance at the end", D("5440")] in values
    assert ["Set aside for open orders now", D("500")] in values
    posted = [row for row in values if row and row[0] == "2025-12-20" and len(row) == 7]
    assert posted == [
        ["2025-12-20", f"测试返利 ({fund.policy.code})", "2025-01-01 - 2025-03-31", D("297000"), "Tier 2: 2%",
         D("5940"), D("5940")]
    ]  # fmt: skip
    pdf = statements.statement_pdf(statement)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 2000


def test_the_partner_reads_and_downloads_its_own_statement_and_hq_reads_the_partners_it_sees(
    fund, world, page_client, api_client
):
    # given: the partner's administrator in the portal
    portal = page_client(world.dist_admin)
    # when: it opens December 2025
    page = portal.get("/portal/rebates/statement/?from=2025-12-01&to=2025-12-31")
    # then: the run's line and the balances
    assert page.status_code == 200
    body = page.content.decode()
    assert "5,940.00" in body and fund.policy.name in body and 'data-testid="statement-line"' in body
    # the phone's stacked cards: every cell of a posted line says what it is
    line_row = body.split('<tr data-testid="statement-line">', 1)[1].split("</tr>", 1)[0]
    assert line_row.count("<td") == 6 and line_row.count("data-label=") == 6
    download = portal.get("/portal/rebates/statement/?from=2025-12-01&to=2025-12-31&format=xlsx")
    assert download["Content-Type"] == statements_content("xlsx")
    assert (
        download["Content-Disposition"] == f'attachment; filename="rebates-{world.dist_js.code}-20251201-20251231.xlsx"'
    )
    assert portal.get("/portal/rebates/statement/?from=2025-12-01&to=2025-12-31&format=pdf").content[:4] == b"%PDF"
    bad = portal.get("/portal/rebates/statement/?from=2025-12-31&to=2025-12-01")
    assert (bad.status_code, "The last day comes before the first." in bad.content.decode()) == (422, True)
    # and the partner 360 page's rebates panel lists the posted rebate and links the statement
    panel = page_client(world.finance).get(f"/partners/{world.dist_js.pk}/").content.decode()
    assert 'data-testid="panel-posted"' in panel and "<strong>5,940.00</strong>" in panel
    assert f'href="/rebates/partners/{world.dist_js.pk}/statement/"' in panel
    # and HQ: finance reads it; a regional manager of Zhejiang does not see the partner (404)
    assert page_client(world.finance).get(f"/rebates/partners/{world.dist_js.pk}/statement/").status_code == 200
    assert page_client(world.regional_zj).get(f"/rebates/partners/{world.dist_js.pk}/statement/").status_code == 404
    # and the API, with the same figures
    answer = api_client(world.dist_admin).get(
        f"/api/v1/partners/{world.dist_js.pk}/rebate-statement?from=2025-12-01&to=2026-12-31"
    )
    assert answer.status_code == 200
    data = answer.json()
    assert (data["opening"], data["closing"], data["held"]) == ("0.00", "5440.00", "500.00")
    assert data["totals"] == {"deposit": "6940.00", "capture": "-1500.00"}
    assert [(row["kind"], row["amount"]) for row in data["movements"]] == [
        ("deposit", "5940.00"),
        ("deposit", "1000.00"),
        ("capture", "-1500.00"),
    ]
    assert [(row["run"], row["posted"], row["earned"]) for row in data["lines"]] == [
        (fund.number, "5940.00", "Tier 2: 2%")
    ]
    refused = api_client(world.dist_admin).get(f"/api/v1/partners/{world.dist_js.pk}/rebate-statement?from=x")
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "from")
    assert api_client(world.zj_admin).get(f"/api/v1/partners/{world.dist_js.pk}/rebate-statement").status_code == 404


def statements_content(file_format: str) -> str:
    from qudao.rebates.views_statements import CONTENT_TYPES

    return CONTENT_TYPES[file_format]


def test_the_xlsx_writes_formula_like_and_control_character_text_as_plain_text(fund, world):
    from openpyxl import load_workbook

    # given: a deposit whose note a spreadsheet would evaluate, a policy name holding a control
    # character stored before the text rule (straight to the database)
    funds.deposit(partner=world.dist_js, amount="10.00", reference="@REF", note="=cmd|' /C calc'!A0", kind=REBATE)
    type(fund.policy).objects.filter(pk=fund.policy.pk).update(name="测试\x0b返利")
    statement = statements.rebate_statement(world.dist_js, date(2025, 12, 1), timezone.localdate())

    # when
    sheet = load_workbook(io.BytesIO(statements.statement_xlsx(statement))).active

    # then: exact texts in string cells; amounts numbers
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value is not None}
    for text in ("=cmd|' /C calc'!A0", "@REF"):
        assert (cells[text].data_type, cells[text].quotePrefix) == ("s", True)
    assert f"测试\ufffd返利 ({fund.policy.code})" in cells
    assert statements.statement_pdf(statement).startswith(b"%PDF")
