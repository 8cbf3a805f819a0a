"""Payments by bank or ERP file: preview with per-row errors, then all or nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import Job
from qudao.finance import importing, ledger, payments
from qudao.finance.models import Allocation, Book, LedgerEntry, Payment
from qudao.finance.tests.test_payments import three_invoices


def csv_file(text: str, name: str = "bank.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


def xlsx_file(rows) -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("bank.xlsx", buffer.getvalue())


def test_it_previews_a_bank_file_with_every_rows_errors_and_writes_nothing(world):
    # given a booked reference and a file with one good row and seven bad ones
    payments.record_payment(
        partner=world.dist_js,
        data={"amount": "1.00", "received_on": "2026-11-01", "bank_reference": "BK-OLD"},
        actor=world.finance,
    )
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    code, zj = world.dist_js.code, world.dealer_zj.code
    text = (
        "伙伴编码,金额,到账日期,银行流水号,付款人,备注\n"
        f"{code},1000.00,2026-11-20,BK-1,金陵商贸,十一月回款\n"  # 2: fine
        "NOPE,10,2026-11-20,BK-2,,\n"  # 3: unknown partner
        f"{code},-5,2026-11-20,BK-3,,\n"  # 4: negative
        f"{code},0,2026/11/20,BK-4,,\n"  # 5: zero (the date with slashes is fine)
        f"{code},12.345,2026-11-20,BK-5,,\n"  # 6: not whole cents
        f"{code},10,twentieth,BK-6,,\n"  # 7: not a date
        f"{zj},10,{tomorrow},BK-7,,\n"  # 8: in the future
        f"{code},10,2026-11-20,BK-1,,\n"  # 9: BK-1 again in the file
        f"{code},10,2026-11-20,BK-OLD,,\n"  # 10: already booked
        f"{zj},10,2026-11-20,BK-1,,\n"  # 11: BK-1 of another partner: fine
    )
    counts = (Payment.objects.count(), LedgerEntry.objects.count())
    # when
    job = importing.preview_import(user=world.finance, upload=csv_file(text))
    # then
    booked = Payment.objects.get().number
    assert (job.kind, job.status) == ("finance.payment_import_preview", "succeeded")
    result = job.result
    assert (result["total_rows"], result["counts"], result["total_amount"], result["can_commit"]) == (
        10,
        {"valid": 2, "with_errors": 8},
        "1010.00",
        False,
    )
    assert importing.flat_errors(result["rows"]) == [
        {"row": 3, "column": "partner_code", "message": "No partner has the code NOPE."},
        {"row": 4, "column": "amount", "message": "The amount must be greater than zero."},
        {"row": 5, "column": "amount", "message": "The amount must be greater than zero."},
        {"row": 6, "column": "amount", "message": "The amount has more than two decimals (whole cents only)."},
        {"row": 7, "column": "received_on", "message": "Enter a date such as 2026-11-27."},
        {"row": 8, "column": "received_on", "message": "The date cannot be in the future."},
        {"row": 9, "column": "bank_reference", "message": "Row 2 has the same bank reference for this partner."},
        {
            "row": 10,
            "column": "bank_reference",
            "message": f"This bank reference is already booked for this partner (payment {booked}).",
        },
    ]
    assert (Payment.objects.count(), LedgerEntry.objects.count()) == counts
    # and committing it is refused with the same errors
    with pytest.raises(FieldErrors) as error:
        importing.commit_import(user=world.finance, preview_id=job.pk)
    assert error.value.errors["rows.3.partner_code"] == ["No partner has the code NOPE."]
    assert (Payment.objects.count(), LedgerEntry.objects.count()) == counts


def test_it_books_a_clean_xlsx_file_all_at_once_oldest_first(world):
    # given three open invoices of dist_js (6000.00) and a workbook by credit code and partner code
    a, b, c = three_invoices(world.dist_js)
    rows = [
        ["统一社会信用代码", "partner_code", "Amount", "received_on", "bank_reference", "payer", "method"],
        [world.dist_js.credit_code, None, 1500, "2026-11-21", "BK-X1", "金陵商贸", "银行转账"],
        [None, world.dist_js.code, "1000.50", "2026-11-20", "BK-X2", None, "cash"],
        [None, world.dealer_zj.code, 99.9, "2026-11-20", "BK-X3", None, None],
    ]
    preview = importing.preview_import(user=world.finance, upload=xlsx_file(rows))
    assert preview.result["can_commit"] is True and preview.result["total_amount"] == "2600.40"
    # when
    job = importing.commit_import(user=world.finance, preview_id=preview.pk)
    # then (the older payment of 11-20 pays first)
    assert (job.kind, job.status) == ("finance.payment_import", "succeeded"), job.error
    assert {k: job.result[k] for k in ("booked", "total_amount", "allocated")} == {
        "booked": 3,
        "total_amount": "2600.40",
        "allocated": "2500.50",
    }
    first = Payment.objects.get(bank_reference="BK-X2")
    second = Payment.objects.get(bank_reference="BK-X1")
    assert (first.source, first.method, first.amount) == ("import", "cash", Decimal("1000.5000"))
    assert (second.method, second.payer_name) == ("bank_transfer", "金陵商贸")
    assert [(r.invoice.number, r.amount) for r in Allocation.objects.filter(payment=first).order_by("pk")] == [
        ("INV-A", Decimal("1000.0000")),
        ("INV-B", Decimal("0.5000")),
    ]
    assert [(r.invoice.number, r.amount) for r in Allocation.objects.filter(payment=second)] == [
        ("INV-B", Decimal("1500.0000"))
    ]
    assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("3499.5000")
    assert ledger.balance_of(world.dealer_zj, Book.RECEIVABLE) == Decimal("-99.9000")
    # importing the same file again is refused: every reference is booked
    again = importing.preview_import(user=world.finance, upload=xlsx_file(rows))
    assert again.result["counts"] == {"valid": 0, "with_errors": 3}
    with pytest.raises(Conflict):
        importing.commit_import(user=world.finance, preview_id=preview.pk)
    assert Payment.objects.count() == 3


def test_it_refuses_broken_files_with_a_clear_error(world, settings, monkeypatch):
    # given
    settings.IMPORT_UPLOAD_MAX_BYTES = 1000
    monkeypatch.setattr(importing.TABLE, "max_rows", 2)
    three_rows = "伙伴编码,金额,到账日期,银行流水号\n" + "P1,1,2026-11-01,B1\n" * 3
    cases = [
        (None, "Choose a file to import."),
        (SimpleUploadedFile("bank.pdf", b"%PDF-1.4"), "Upload an .xlsx workbook or a .csv file."),
        (
            SimpleUploadedFile("bank.xlsx", b"not a zip"),
            "The file is not a readable .xlsx workbook. Open it in Excel or WPS and save it again.",
        ),
        (SimpleUploadedFile("bank.csv", b""), "The file is empty."),
        (
            SimpleUploadedFile("bank.csv", b"a" * 1001),
            "The file is too large (1001\xa0bytes). The limit is 1000\xa0bytes.",
        ),
        (csv_file("伙伴编码,金额,到账日期,银行流水号\n"), "The file has a header but no rows to import."),
        (csv_file(three_rows), "The file has more than 2 rows. Split it into files of at most 2 rows."),
        (
            csv_file("金额,到账日期,银行流水号\n1,2026-11-01,B\n"),
            "Required columns are missing: Partner code (partner_code) / Credit code (credit_code).",
        ),
    ]
    for upload, message in cases:
        # when
        with pytest.raises(FieldErrors) as error:
            importing.preview_import(user=world.finance, upload=upload)
        # then
        assert error.value.errors == {"file": [message]}, message
    # the last three were stored and refused by their preview job (parsing is the job's): none
    # can be committed
    assert list(Job.objects.values_list("status", flat=True)) == ["failed"] * 3


def test_it_imports_through_the_api_preview_then_commit(world, api_client):
    # given
    three_invoices(world.dist_js)
    client = api_client(world.finance)
    upload = csv_file(f"partner_code,amount,received_on,bank_reference\n{world.dist_js.code},1200,2026-11-20,BK-API\n")
    # when
    response = client.post("/api/v1/finance/payments/imports", {"file": upload})
    # then
    assert response.status_code == 201, response.content
    preview = response.json()
    assert (preview["total_rows"], preview["error_count"], preview["can_commit"]) == (1, 0, True)
    assert client.get(f"/api/v1/finance/payments/imports/{preview['id']}").status_code == 200
    assert api_client(world.admin).get(f"/api/v1/finance/payments/imports/{preview['id']}").status_code == 200
    assert api_client(world.channel).get(f"/api/v1/finance/payments/imports/{preview['id']}").status_code == 403
    response = client.post(f"/api/v1/finance/payments/imports/{preview['id']}/commit")
    assert response.status_code == 202 and response.json()["status"] == "succeeded"
    assert client.post(f"/api/v1/finance/payments/imports/{preview['id']}/commit").status_code == 409
    assert Payment.objects.get().allocated == Decimal("1200.0000")
