"""Statement pages: the HQ list (filters, generate a month), the HQ statement with its disputes
resolved in place, and the portal's statement (confirm, dispute lines with checkboxes, a comment
and an attachment); downloads from both sides."""

from __future__ import annotations

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import Job
from qudao.finance import statements
from qudao.finance.models import LedgerEntry, Statement, StatementDispute
from qudao.finance.tests.test_statements import OCTOBER, post, september_to_november

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_it_lists_statements_with_filters_and_generates_a_month(world, page_client):
    # given
    september_to_november(world.dist_js)
    post(world.dealer_zj, "receivable", "invoice", "30.00", date(2026, 9, 4), "INV-Z")
    statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    client = page_client(world.finance)
    # when
    listed = client.get("/finance/statements/", {"month": OCTOBER})
    filtered = client.get("/finance/statements/", {"partner": world.dealer_zj.code})
    bad = client.get("/finance/statements/", {"month": "2026-13"})
    # then
    assert listed.status_code == 200
    html = listed.content.decode()
    assert html.count('data-testid="statement-row"') == 1 and 'data-testid="generate-form"' in html
    assert filtered.content.decode().count('data-testid="statement-row"') == 0
    assert "Enter a month as YYYY-MM, e.g. 2026-10." in bad.content.decode()
    assert 'data-testid="generate-form"' not in page_client(world.channel).get("/finance/statements/").content.decode()
    # when: finance generates September
    started = client.post("/finance/statements/generate/", {"month": "2026-09"})
    refused = client.post("/finance/statements/generate/", {"month": "2099-01"})
    # then
    job = Job.objects.get(kind="finance.statements")
    assert (started.status_code, started["Location"]) == (302, f"/jobs/{job.pk}/")
    assert (job.status, job.result["generated"]) == ("succeeded", 2)
    job_page = client.get(f"/jobs/{job.pk}/")
    assert job_page.status_code == 200 and "Statements generated" in job_page.content.decode()
    # ... which ends with a link to the statements of the month
    assert (
        '<a class="btn btn-primary" href="/finance/statements/?month=2026-09" data-testid="job-result">'
        "See the statements of 2026-09</a>"
    ) in job_page.content.decode()
    assert refused.status_code == 422
    assert "Statements are generated for months that are over." in refused.content.decode()
    assert Statement.objects.filter(period_start=date(2026, 9, 1)).count() == 2
    # one statement generated again from its page while it is issued
    october = Statement.objects.get(period_start=date(2026, 10, 1))
    assert 'data-testid="rebuild"' in client.get(f"/finance/statements/{october.number}/").content.decode()
    again = client.post(f"/finance/statements/{october.number}/rebuild/")
    rebuilt = Job.objects.order_by("-pk").first()
    assert (again.status_code, again["Location"]) == (302, f"/jobs/{rebuilt.pk}/")
    assert rebuilt.result["numbers"] == [october.number]
    assert (
        f'href="/finance/statements/{october.number}/" data-testid="job-result">Open statement {october.number}</a>'
        in (client.get(f"/jobs/{rebuilt.pk}/").content.decode())
    )
    assert page_client(world.channel).post("/finance/statements/generate/", {"month": "2026-09"}).status_code == 403


def test_it_shows_a_statement_to_hq_and_finance_resolves_its_dispute_in_place(world, page_client):
    # given
    september_to_november(world.dist_js)
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    dispute = statements.dispute_statement(
        statement=statement,
        line_ids=[statement.lines.get(position=2).pk],
        comment="返利少了",
        actor=world.dist_admin,
        attachment=SimpleUploadedFile("proof.png", PNG),
    )
    client = page_client(world.finance)
    # when
    page = client.get(f"/finance/statements/{statement.number}/")
    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="statement-line"') == 5 and html.count('data-testid="open-invoice"') == 2
    assert 'data-book="receivable"><td>Receivable</td><td class="num" data-label="Opening balance" ' in html
    assert ">1,000.00</td>" in html and ">800.00</td>" in html
    assert 'data-testid="resolve-form"' in html and "返利少了" in html
    assert page_client(world.channel).get(f"/finance/statements/{statement.number}/").status_code == 200
    assert (
        'data-testid="resolve-form"'
        not in page_client(world.channel).get(f"/finance/statements/{statement.number}/").content.decode()
    )
    attachment = client.get(f"/finance/statements/disputes/{dispute.pk}/attachment/")
    assert b"".join(attachment.streaming_content) == PNG
    assert 'data-testid="rebuild"' not in html  # disputed: never generated again
    refused = client.post(f"/finance/statements/{statement.number}/rebuild/")
    assert (refused.status_code, refused["Location"]) == (302, f"/finance/statements/{statement.number}/")
    assert not Job.objects.filter(kind="finance.statements").exists()
    # when: a bad resolution, then an adjustment
    bad = client.post(f"/finance/statements/disputes/{dispute.pk}/resolve/", {"amount": "abc", "book": "rebate"})
    done = client.post(
        f"/finance/statements/disputes/{dispute.pk}/resolve/", {"amount": "20", "book": "rebate", "resolution": "补记"}
    )
    # then
    assert bad.status_code == 422 and "Enter a number." in bad.content.decode()
    assert (done.status_code, done["Location"]) == (302, f"/finance/statements/{statement.number}/")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.adjustment.amount) == ("adjusted", 20)
    assert Statement.objects.get(pk=statement.pk).status == "resolved"
    assert page_client(world.channel).post(f"/finance/statements/disputes/{dispute.pk}/resolve/").status_code == 403


def test_it_lets_the_partner_admin_dispute_lines_and_confirm_in_the_portal(world, page_client):
    from openpyxl import load_workbook

    # given
    september_to_november(world.dist_js)
    post(world.dealer_zj, "receivable", "invoice", "30.00", date(2026, 10, 4), "INV-Z")
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    other = statements.generate_statement(partner=world.dealer_zj, month=OCTOBER)
    admin = page_client(world.dist_admin)
    url = f"/portal/finance/statements/{statement.number}/"
    # when
    listed = admin.get("/portal/finance/statements/")
    page = admin.get(url)
    staff_page = page_client(world.dist_staff).get(url)
    # then
    assert listed.content.decode().count('data-testid="statement-row"') == 1
    html = page.content.decode()
    assert html.count('name="lines"') == 7 and 'data-testid="confirm-statement"' in html
    assert 'name="lines"' not in staff_page.content.decode() and "confirm-statement" not in staff_page.content.decode()
    assert page_client(world.zj_admin).get(url).status_code == 404
    # downloads
    xlsx = admin.get(f"/finance/statements/{statement.number}/download/", {"format": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content)).active["B9"].value == 500
    assert admin.get(f"/finance/statements/{statement.number}/download/", {"format": "pdf"}).content[:5] == b"%PDF-"
    # when: a line of another statement and no comment - shown, nothing written
    refused = admin.post(f"{url}dispute/", {"lines": [str(other.lines.get().pk)], "comment": ""})
    assert refused.status_code == 422
    assert "is not a line of this statement." in refused.content.decode()
    assert "Say what is wrong." in refused.content.decode()
    assert StatementDispute.objects.count() == 0
    # when: two lines disputed with a photo
    line_ids = [str(statement.lines.get(position=p).pk) for p in (2, 6)]
    sent = admin.post(
        f"{url}dispute/",
        {"lines": line_ids, "comment": "返利与未结发票有误", "attachment": SimpleUploadedFile("p.png", PNG)},
    )
    # then
    assert (sent.status_code, sent["Location"]) == (302, url)
    dispute = StatementDispute.objects.get()
    assert sorted(dispute.lines.values_list("position", flat=True)) == [2, 6]
    assert Statement.objects.get(pk=statement.pk).status == "disputed"
    assert page_client(world.dist_staff).post(f"{url}dispute/", {"lines": line_ids, "comment": "x"}).status_code == 403
    # when: finance explains, the partner confirms
    statements.resolve_dispute(dispute=dispute, actor=world.finance, resolution="已核对，无误")
    assert "已核对，无误" in admin.get(url).content.decode()
    confirmed = admin.post(f"{url}confirm/")
    # then
    assert (confirmed.status_code, confirmed["Location"]) == (302, url)
    statement.refresh_from_db()
    assert (statement.status, statement.confirmed_by) == ("confirmed", world.dist_admin)
    type(world.dist_admin).objects.filter(pk=world.dist_admin.pk).update(display_name="周建华")
    history = page_client(world.finance).get(f"/finance/statements/{statement.number}/").content.decode()
    # who moved it, by the name people know (not the login name)
    assert "· 周建华</li>" in history and "· dist_admin</li>" not in history
    steps = [
        status for status in ("issued", "disputed", "resolved", "confirmed") if f'data-status="{status}"' in history
    ]
    assert history.count('data-testid="history-step"') == 4 and steps == ["issued", "disputed", "resolved", "confirmed"]
    assert page_client(world.dist_staff).post(f"{url}confirm/").status_code == 403
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 0
