"""Importing a price list's items from a file (pricing.importing): the preview's exact errors
(unknown SKU, negative / too precise / huge price, a quantity that is not one, duplicate rows, a
formula, below the floor price), the commit all or nothing and audited, files refused as a whole
(broken, a zip bomb, the wrong kind, a price list that takes no new prices) with nothing changed,
the template, and the export of a price list's items that imports again unchanged."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.errors import FieldErrors, Forbidden
from qudao.core.models import Job, ObjectChange
from qudao.core.tests.export_reading import content_of, rows_of
from qudao.pricing import importing
from qudao.pricing.models import FloorPrice, PriceList, PriceListItem

D = Decimal


def xlsx(rows) -> SimpleUploadedFile:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a text starting with "=", as a user may type it after a quote
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("prices.xlsx", buffer.getvalue())


@pytest.fixture
def draft(world, catalogue):
    """A draft price list for gold partners with HOOD-A at 1,200.00; HOOD-B has a floor of 1,500.00."""
    price_list = PriceList.objects.create(code="gold-2027", name="金牌 2027", valid_from=date(2027, 1, 1))
    PriceListItem.objects.create(price_list=price_list, sku=catalogue.skus["hood_a"], price=D("1200.00"))
    FloorPrice.objects.create(sku=catalogue.skus["hood_b"], price=D("1500.00"), valid_from=date(2020, 1, 1))
    return price_list


def items(price_list):
    return sorted(
        (item.sku.code, item.min_qty, item.price) for item in PriceListItem.objects.filter(price_list=price_list)
    )


def test_it_previews_every_row_s_errors_exactly_and_writes_nothing(world, draft):
    # given a file with one good row and one of each mistake
    upload = xlsx(
        [
            ["SKU code", "Price", "From quantity"],
            ["HOOD-A", "1150.00", 1],  # row 2: a change
            ["NOPE-1", "10", 1],  # row 3: unknown SKU
            ["HOOD-B", "-5", 1],  # row 4: negative
            ["HOOD-B", "1600.12345", 2],  # row 5: 5 decimals
            ["HOOD-B", "99999999999999999", 3],  # row 6: huge
            ["HOOD-B", "1400", 4],  # row 7: below the floor
            ["HOOD-B", "1600", "1.5"],  # row 8: not a whole quantity
            ["WASH-A", "2900", 10],  # row 9: a new break
            ["WASH-A", "2800", 10],  # row 10: the same SKU and quantity again
            ['=HYPERLINK("http://evil")', "1", 1],  # row 11: a formula
            ["WASH-A", "", 1],  # row 12: no price
        ]
    )
    # when channel previews it
    preview = importing.preview_import(user=world.channel, price_list=draft, upload=upload)
    # then every error is on its row and column, and nothing changed
    assert preview.status == Job.Status.SUCCEEDED
    errors = [(e["row"], e["column"], e["message"]) for e in importing.flat_errors(preview.result["rows"])]
    assert errors == [
        (3, "sku", "Unknown SKU code NOPE-1."),
        (4, "price", "The amount cannot be negative."),
        (5, "price", "Enter an amount with at most 4 decimal places."),
        (6, "price", "Enter an amount, e.g. 1299.00."),
        (7, "price", "The price is below the floor price of 1500.0000 for this SKU."),
        (8, "min_qty", "Enter a whole quantity of at least 1."),
        (10, "row", "The same SKU and quantity are on row 9 already: keep one of them."),
        (11, "sku", "This cell holds a formula (it starts with =). Enter the value itself."),
        (12, "price", "Enter a price."),
    ]
    assert preview.result["counts"] == {"new": 1, "changed": 1, "unchanged": 0}
    assert preview.result["can_commit"] is False
    assert [row["action"] for row in preview.result["rows"][:1]] == ["change"]
    assert items(draft) == [("HOOD-A", 1, D("1200.0000"))]
    # and the commit is refused, with the errors by row
    with pytest.raises(FieldErrors) as refused:
        importing.commit_import(user=world.channel, preview_id=preview.pk)
    assert refused.value.errors["rows.3.sku"] == ["Unknown SKU code NOPE-1."]
    assert items(draft) == [("HOOD-A", 1, D("1200.0000"))]


def test_it_commits_a_clean_file_all_at_once_and_records_it(world, draft):
    # given a clean file: a change, a new SKU, a quantity break
    upload = xlsx(
        [["sku", "price", "min_qty"], ["HOOD-A", "1150.00", None], ["HOOD-B", "1600.5", 1], ["HOOD-B", 1550, 10]]
    )
    preview = importing.preview_import(user=world.channel, price_list=draft, upload=upload)
    assert preview.result["can_commit"] is True
    # when it is committed
    job = importing.commit_import(user=world.channel, preview_id=preview.pk)
    # then every price is written, and the price list's trail says so
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result | {} == {
        "preview_id": preview.pk,
        "price_list": draft.pk,
        "total_rows": 3,
        "new": 2,
        "changed": 1,
    }
    assert items(draft) == [
        ("HOOD-A", 1, D("1150.0000")),
        ("HOOD-B", 1, D("1600.5000")),
        ("HOOD-B", 10, D("1550.0000")),
    ]
    change = ObjectChange.objects.filter(object_id=str(draft.pk), message__startswith="Prices imported").get()
    assert (change.actor, change.before, change.after) == (world.channel, {"items": 1}, {"items": 3})
    assert change.message == "Prices imported from prices.xlsx: 2 new, 1 changed."
    assert importing.commit_succeeded_message(job) == "3 prices imported: 2 new, 1 changed."
    # and the same preview is not imported twice
    from qudao.core.errors import Conflict

    with pytest.raises(Conflict):
        importing.commit_import(user=world.channel, preview_id=preview.pk)


def test_it_writes_nothing_when_the_list_stopped_being_editable_before_the_commit(world, draft):
    # given a clean preview, then the list is activated (pending approval or active)
    preview = importing.preview_import(
        user=world.channel, price_list=draft, upload=xlsx([["sku", "price"], ["HOOD-A", "1100"], ["WASH-A", "2900"]])
    )
    PriceList.objects.filter(pk=draft.pk).update(status=PriceList.Status.ACTIVE)
    # when the commit runs, then it fails whole and nothing changed
    job = importing.commit_import(user=world.channel, preview_id=preview.pk)
    assert job.status == Job.Status.FAILED
    assert job.message == "Only a draft or rejected price list can change its prices; create a new list instead."
    assert job.error["errors"] == {
        "file": ["Only a draft or rejected price list can change its prices; create a new list instead."]
    }
    assert items(draft) == [("HOOD-A", 1, D("1200.0000"))]


def test_it_refuses_files_that_cannot_be_imported_and_people_who_may_not(world, draft, settings):
    # a broken workbook, the wrong kind, a zip bomb, an old .xls, an empty file: refused at once
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (settings.IMPORT_MAX_EXPANDED_BYTES + 1))
    cases = [
        (SimpleUploadedFile("prices.xlsx", b"PK\x03\x04 not really"), "The file is not a readable .xlsx workbook."),
        (SimpleUploadedFile("prices.pdf", b"%PDF-1.4"), "Upload an .xlsx workbook or a .csv file."),
        (SimpleUploadedFile("prices.xlsx", bomb.getvalue()), "The workbook is too big to open"),
        (SimpleUploadedFile("prices.xls", b"\xd0\xcf\x11\xe0"), "Old .xls workbooks cannot be read."),
        (SimpleUploadedFile("prices.csv", b"sku,min_qty\nHOOD-A,1\n"), "Required columns are missing: Price (price)."),
    ]
    for upload, message in cases:
        with pytest.raises(FieldErrors) as refused:
            importing.preview_import(user=world.channel, price_list=draft, upload=upload)
        assert refused.value.errors["file"][0].startswith(message), refused.value.errors
    # a list that takes no new prices
    active = PriceList.objects.create(code="old", name="旧价", valid_from=date(2020, 1, 1), status="active")
    with pytest.raises(FieldErrors) as refused:
        importing.preview_import(
            user=world.channel, price_list=active, upload=xlsx([["sku", "price"], ["HOOD-A", "1"]])
        )
    assert refused.value.errors["file"] == [
        "Only a draft or rejected price list can change its prices; create a new list instead."
    ]
    # people without pricing.manage
    with pytest.raises(Forbidden):
        importing.preview_import(user=world.finance, price_list=draft, upload=xlsx([["sku", "price"], ["HOOD-A", "1"]]))
    # and nothing changed anywhere
    assert items(draft) == [("HOOD-A", 1, D("1200.0000"))]
    assert not Job.objects.filter(kind=importing.COMMIT_KIND).exists()


def test_the_pages_upload_preview_and_commit_and_the_export_imports_again(world, draft, page_client):
    client = page_client(world.channel)
    # the price list page offers the import and the exports
    page = client.get(f"/pricing/price-lists/{draft.pk}/").content.decode()
    assert f'href="/pricing/price-lists/{draft.pk}/import/"' in page
    assert f'href="/pricing/price-lists/{draft.pk}/?format=xlsx"' in page
    # the template: the import's header, and its instructions
    template = client.get("/pricing/price-lists/import/template.xlsx")
    assert template.status_code == 200
    assert rows_of(template) == [["SKU code", "Price", "From quantity"]]
    # upload, preview, commit
    response = client.post(
        f"/pricing/price-lists/{draft.pk}/import/", {"file": xlsx([["SKU code", "Price"], ["WASH-A", "2999.99"]])}
    )
    preview = Job.objects.get(kind=importing.PREVIEW_KIND)
    assert response.status_code == 302
    assert response["Location"] == f"/pricing/price-lists/{draft.pk}/import/{preview.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "WASH-A" in page and 'data-testid="import-commit"' in page
    # another price list's URL for this preview is not found, nor another user's preview
    other = PriceList.objects.create(code="other", name="其他", valid_from=date(2027, 1, 1))
    assert client.get(f"/pricing/price-lists/{other.pk}/import/{preview.pk}/").status_code == 404
    assert page_client(world.admin).get(f"/pricing/price-lists/{draft.pk}/import/{preview.pk}/").status_code == 200
    response = client.post(f"/pricing/price-lists/{draft.pk}/import/{preview.pk}/commit/")
    assert response.status_code == 302 and response["Location"] == f"/pricing/price-lists/{draft.pk}/"
    assert items(draft) == [("HOOD-A", 1, D("1200.0000")), ("WASH-A", 1, D("2999.9900"))]
    # a bad upload answers 422 with the error on the page
    response = client.post(f"/pricing/price-lists/{draft.pk}/import/", {"file": SimpleUploadedFile("x.txt", b"x")})
    assert response.status_code == 422
    assert "Upload an .xlsx workbook or a .csv file." in response.content.decode()
    # the price list's export: the import's columns first; it imports again, unchanged
    exported = client.get(f"/pricing/price-lists/{draft.pk}/", {"format": "xlsx"})
    rows = rows_of(exported)
    assert rows == [
        ["SKU code", "Price", "From quantity", "SKU name"],
        ["HOOD-A", 1200, 1, "HOOD-A"],
        ["WASH-A", 2999.99, 1, "WASH-A"],
    ]
    again = importing.preview_import(
        user=world.channel, price_list=draft, upload=SimpleUploadedFile("again.xlsx", content_of(exported))
    )
    assert again.result["can_commit"] is True
    assert again.result["counts"] == {"new": 0, "changed": 0, "unchanged": 2}
    # finance sees prices but may not import
    assert page_client(world.finance).get(f"/pricing/price-lists/{draft.pk}/import/").status_code == 403
