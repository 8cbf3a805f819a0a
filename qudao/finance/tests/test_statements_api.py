"""The statements API: list and detail with exact figures, downloads, generate as a job, confirm,
dispute (JSON and multipart) and resolve; another partner's statement answers 404."""

from __future__ import annotations

import io
import json
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import OutboxEvent
from qudao.finance import statements
from qudao.finance.models import LedgerEntry, Statement, StatementDispute
from qudao.finance.tests.test_statements import OCTOBER, post, september_to_november

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def send(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_it_lists_and_shows_statements_with_their_figures_in_scope(world, api_client):
    # given
    september_to_november(world.dist_js)
    post(world.dealer_zj, "receivable", "invoice", "30.00", date(2026, 10, 4), "INV-Z")
    mine = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    theirs = statements.generate_statement(partner=world.dealer_zj, month=OCTOBER)
    # when
    listed = api_client(world.dist_staff).get("/api/v1/finance/statements", {"month": OCTOBER})
    everything = api_client(world.finance).get("/api/v1/finance/statements", {"status": "issued"})
    by_code = api_client(world.finance).get("/api/v1/finance/statements", {"partner": world.dealer_zj.code})
    detail = api_client(world.dist_admin).get(f"/api/v1/finance/statements/{mine.pk}")
    # then
    assert listed.status_code == 200
    assert [row["number"] for row in listed.json()["items"]] == [mine.number]
    assert everything.json()["count"] == 2
    assert [row["number"] for row in by_code.json()["items"]] == [theirs.number]
    body = detail.json()
    assert (body["month"], body["status"], body["currency"]) == ("2026-10", "issued", "CNY")
    assert body["balances"]["receivable"] == {"opening": "1000.00", "closing": "800.00"}
    assert [(line["position"], line["kind"], line["amount"], line["balance_after"]) for line in body["lines"]] == [
        (1, "payment", "-400.00", "600.00"),
        (2, "rebate_posted", "80.00", "80.00"),
        (3, "prepayment_out", "-200.00", "300.00"),
        (4, "invoice", "250.00", "850.00"),
        (5, "payment", "-50.00", "800.00"),
        (6, "open_invoice", "550.00", None),
        (7, "open_invoice", "250.00", None),
    ]
    assert body["lines"][5]["due_on"] == "2026-10-10"
    assert body["pdf_url"] == f"/api/v1/finance/statements/{mine.pk}/download?format=pdf"
    # another partner's statement, and no finance.view
    assert api_client(world.zj_admin).get(f"/api/v1/finance/statements/{mine.pk}").status_code == 404
    assert api_client(world.sub_admin).get(f"/api/v1/finance/statements/{mine.pk}").status_code == 404
    assert api_client(world.operations).get("/api/v1/finance/statements").status_code == 403
    bad = api_client(world.finance).get("/api/v1/finance/statements", {"month": "2026-13"})
    assert (bad.status_code, bad.json()["errors"]) == (
        422,
        [{"field": "month", "message": "Enter a month as YYYY-MM, e.g. 2026-10."}],
    )


def test_it_downloads_the_statement_as_pdf_and_xlsx(world, api_client):
    from openpyxl import load_workbook

    # given
    september_to_november(world.dist_js)
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    client = api_client(world.dist_staff)
    # when
    pdf = client.get(f"/api/v1/finance/statements/{statement.pk}/download", {"format": "pdf"})
    xlsx = client.get(f"/api/v1/finance/statements/{statement.pk}/download", {"format": "xlsx"})
    wrong = client.get(f"/api/v1/finance/statements/{statement.pk}/download", {"format": "doc"})
    # then
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF-")
    assert f'filename="{statement.number}-{world.dist_js.code}-2026-10.pdf"' in pdf["Content-Disposition"]
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[8]] == ["Receivable", 1000, 800] + [None] * 5
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "format")


def test_it_generates_a_month_as_a_job_for_finance_only(world, api_client):
    # given
    post(world.dealer_zj, "receivable", "invoice", "30.00", date(2026, 10, 4), "INV-Z")
    # when
    started = send(api_client(world.finance), "/api/v1/finance/statements/generate", {"month": OCTOBER})
    refused = send(api_client(world.channel), "/api/v1/finance/statements/generate", {"month": OCTOBER})
    partner_refused = send(api_client(world.dist_admin), "/api/v1/finance/statements/generate", {"month": OCTOBER})
    bad = send(api_client(world.finance), "/api/v1/finance/statements/generate", {"month": "10/2026"})
    # then
    assert started.status_code == 202
    job = started.json()
    assert (job["status"], job["result"]["generated"], job["url"]) == ("succeeded", 1, f"/jobs/{job['id']}/")
    assert (refused.status_code, partner_refused.status_code) == (403, 403)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "month")
    assert Statement.objects.count() == 1
    # one partner again: rebuilt while issued, 409 once confirmed
    statement = Statement.objects.get()
    rebuilt = send(
        api_client(world.finance),
        "/api/v1/finance/statements/generate",
        {"month": OCTOBER, "partner": world.dealer_zj.pk},
    )
    assert (rebuilt.status_code, rebuilt.json()["result"]["numbers"]) == (202, [statement.number])
    statements.confirm_statement(statement=statement, actor=world.zj_admin)
    conflict = send(
        api_client(world.finance),
        "/api/v1/finance/statements/generate",
        {"month": OCTOBER, "partner": world.dealer_zj.pk},
    )
    assert conflict.status_code == 409


def test_it_confirms_disputes_and_resolves_through_the_api(world, api_client):
    # given
    september_to_november(world.dist_js)
    post(world.dealer_zj, "receivable", "invoice", "30.00", date(2026, 10, 4), "INV-Z")
    statement = statements.generate_statement(partner=world.dist_js, month=OCTOBER)
    other = statements.generate_statement(partner=world.dealer_zj, month=OCTOBER)
    line = statement.lines.get(position=2)
    admin = api_client(world.dist_admin)
    base = f"/api/v1/finance/statements/{statement.pk}"
    # when: refused attempts first - nothing written
    staff = send(api_client(world.dist_staff), f"{base}/disputes", {"lines": [line.pk], "comment": "x"})
    foreign = send(admin, f"{base}/disputes", {"lines": [other.lines.get().pk], "comment": "x"})
    other_partner = send(api_client(world.zj_admin), f"{base}/disputes", {"lines": [line.pk], "comment": "x"})
    into_other = send(admin, f"/api/v1/finance/statements/{other.pk}/disputes", {"lines": [line.pk], "comment": "x"})
    # then
    assert staff.status_code == 403
    assert (foreign.status_code, foreign.json()["errors"]) == (
        422,
        [{"field": "lines", "message": f"{other.lines.get().pk} is not a line of this statement."}],
    )
    assert (other_partner.status_code, into_other.status_code) == (404, 404)
    assert StatementDispute.objects.count() == 0
    assert not OutboxEvent.objects.filter(event_type="statement.disputed").exists()
    # when: disputed with a photo (multipart)
    disputed = admin.post(
        f"{base}/disputes",
        {
            "payload": json.dumps({"lines": [line.pk], "comment": "返利少了 20 元"}),
            "attachment": SimpleUploadedFile("photo.png", PNG),
        },
    )
    # then
    assert disputed.status_code == 201, disputed.content
    dispute = disputed.json()
    assert (dispute["status"], dispute["lines"], dispute["comment"]) == ("open", [line.pk], "返利少了 20 元")
    attachment = api_client(world.finance).get(dispute["attachment_url"])
    assert (attachment.status_code, b"".join(attachment.streaming_content)) == (200, PNG)
    assert (attachment["Content-Type"], attachment["Content-Disposition"], attachment["X-Content-Type-Options"]) == (
        "image/png",
        f'inline; filename="{statement.number}-{dispute["id"]}.png"',
        "nosniff",
    )
    assert api_client(world.zj_admin).get(dispute["attachment_url"]).status_code == 404
    assert admin.get(base).json()["status"] == "disputed"
    assert send(admin, f"{base}/confirm", {}).status_code == 409
    # when: finance resolves with an adjustment
    resolve = f"/api/v1/finance/statements/disputes/{dispute['id']}/resolve"
    assert send(admin, resolve, {"resolution": "x"}).status_code == 403
    invalid = send(api_client(world.finance), resolve, {"amount": "20.00", "book": "cash"})
    assert (invalid.status_code, invalid.json()["errors"][0]["field"]) == (422, "book")
    resolved = send(api_client(world.finance), resolve, {"amount": "20.00", "book": "rebate", "resolution": "补记"})
    # then
    assert resolved.status_code == 200
    body = resolved.json()
    assert (body["status"], body["adjustment"]["book"], body["adjustment"]["amount"]) == ("adjusted", "rebate", "20.00")
    assert LedgerEntry.objects.get(pk=body["adjustment"]["id"]).kind == "adjustment"
    assert admin.get(base).json()["status"] == "resolved"
    assert send(api_client(world.finance), resolve, {"resolution": "again"}).status_code == 409
    # when: the partner confirms
    confirmed = send(admin, f"{base}/confirm", {})
    # then
    assert confirmed.status_code == 200
    assert (confirmed.json()["status"], confirmed.json()["confirmed_by"]["id"]) == ("confirmed", world.dist_admin.pk)
    assert send(admin, f"{base}/confirm", {}).status_code == 409
