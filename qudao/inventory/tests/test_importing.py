"""Stock import by file: preview with every row's errors, then all-or-nothing commit; broken files,
wrong columns and huge files are refused clearly and change nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.inventory import importing, services
from qudao.inventory.models import StockEntry, StockLevel

from .conftest import assert_ledger_matches_levels

pytestmark = pytest.mark.django_db


def xlsx(rows, name="stock.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv(text, name="stock.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding))


def _levels():
    return list(
        StockLevel.objects.order_by("pk").values_list("sku__code", "warehouse__code", "on_hand", "safety_stock")
    )


def test_it_previews_then_writes_the_counts_all_or_nothing(stock, world):
    # given: 5 hoods at HQ, 2 of them reserved
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 5)])
    services.reserve_stock(reference="SO-1", lines=[(hood, 2)])
    upload = xlsx(
        [
            ["仓库编码", "SKU编码", "在库数量", "安全库存", "备注"],
            ["HQ", "HOOD-1-S", 8, 3, "盘点"],
            ["EAST", "HOOD-1-S", 4, None, ""],
            ["HQ", "FRIDGE-1-W", "0", "", ""],
        ]
    )
    # when
    preview = importing.preview_import(user=world.operations, upload=upload)
    # then: nothing written yet
    payload = preview.result
    assert (preview.status, payload["can_commit"], payload["ignored_columns"]) == ("succeeded", True, ["备注"])
    assert payload["counts"] == {"changed": 1, "unchanged": 0, "new": 2}
    assert [(r["row"], r["action"], r["current"], r["on_hand"], r["delta"]) for r in payload["rows"]] == [
        (2, "change", 5, 8, 3),
        (3, "new", None, 4, 4),
        (4, "new", None, 0, 0),
    ]
    assert StockEntry.objects.filter(kind="adjustment").count() == 0
    # when
    job = importing.commit_import(user=world.operations, preview_id=preview.pk)
    # then
    assert job.status == "succeeded", job.error
    assert job.result == {"preview_id": preview.pk, "total_rows": 3, "changed": 2, "reference": f"IMPORT-{job.pk}"}
    assert stock.counters("hood_s", "hq") == (8, 2)
    assert stock.level("hood_s", "hq").safety_stock == 3
    assert stock.counters("hood_s", "east") == (4, 0)
    assert stock.counters("fridge_w", "hq") == (0, 0)
    entries = StockEntry.objects.filter(reference=f"IMPORT-{job.pk}").order_by("pk")
    assert [(e.kind, e.on_hand_delta, e.note, e.actor) for e in entries] == [
        ("adjustment", 3, "Stock import", world.operations),
        ("adjustment", 4, "Stock import", world.operations),
    ]
    assert_ledger_matches_levels()
    # and: the same file cannot be imported twice
    with pytest.raises(Conflict):
        importing.commit_import(user=world.operations, preview_id=preview.pk)


def test_every_bad_row_is_shown_and_nothing_can_be_committed(stock, world):
    # given
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 5)])
    services.reserve_stock(reference="SO-1", lines=[(hood, 4)])
    before = _levels()
    upload = csv(
        "warehouse_code,sku_code,on_hand,safety_stock\n"
        "HQ,HOOD-1-S,3,\n"
        "NOWHERE,HOOD-1-S,1,\n"
        "EAST,NOPE,-2,x\n"
        "EAST,HOOD-1-B,1.5,\n"
        "EAST,HOOD-1-B,2,\n"
    )
    # when
    preview = importing.preview_import(user=world.admin, upload=upload)
    # then
    assert preview.result["can_commit"] is False
    assert importing.flat_errors(preview.result["rows"]) == [
        {"row": 2, "column": "on_hand", "message": "4 units are reserved here; on hand cannot be less."},
        {"row": 3, "column": "warehouse_code", "message": "Unknown warehouse code."},
        {"row": 4, "column": "sku_code", "message": "Unknown SKU code."},
        {"row": 4, "column": "on_hand", "message": "Enter a whole number of 0 or more."},
        {"row": 4, "column": "safety_stock", "message": "Enter a whole number of 0 or more."},
        {"row": 5, "column": "on_hand", "message": "Enter a whole number of 0 or more."},
        {"row": 6, "column": "sku_code", "message": "This SKU and warehouse are also in row 5."},
    ]
    with pytest.raises(FieldErrors) as error:
        importing.commit_import(user=world.admin, preview_id=preview.pk)
    assert error.value.errors["rows.3.warehouse_code"] == ["Unknown warehouse code."]
    assert _levels() == before


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (csv(""), "The file is empty."),
        (csv("仓库编码,SKU编码\nHQ,HOOD-1-S\n"), "Required columns are missing: On hand (on_hand)."),
        (csv("仓库编码,SKU编码,在库数量,On hand\n"), "The column On hand appears twice in the header."),
        (csv("仓库编码,SKU编码,在库数量\n"), "The file has a header but no rows to import."),
        (
            SimpleUploadedFile("stock.xlsx", b"PK\x03\x04 not really"),
            "The file is not a readable .xlsx workbook. Open it in Excel or WPS and save it again.",
        ),
        (
            SimpleUploadedFile("stock.xls", b"\xd0\xcf\x11\xe0"),
            "Old .xls workbooks cannot be read. Save the file as .xlsx and upload it again.",
        ),
        (SimpleUploadedFile("stock.pdf", b"%PDF"), "Upload an .xlsx workbook or a .csv file."),
        (SimpleUploadedFile("stock.csv", b"\x00\x01\x02"), "The file is not a text .csv file."),
        (None, "Choose a file to import."),
    ],
)
def test_broken_files_are_refused_with_a_clear_message(stock, world, upload, message):
    # when / then
    with pytest.raises(FieldErrors) as error:
        importing.preview_import(user=world.operations, upload=upload)
    assert error.value.errors == {"file": [message]}
    assert StockLevel.objects.count() == 0


def test_huge_files_are_refused(stock, world, settings, monkeypatch):
    # given: more rows than allowed, and a file above the size limit
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows = "".join(f"HQ,HOOD-1-S,{i}\n" for i in range(4))
    # when / then
    with pytest.raises(FieldErrors) as error:
        importing.preview_import(user=world.operations, upload=csv("仓库编码,SKU编码,在库数量\n" + rows))
    assert error.value.errors == {"file": ["The file has more than 3 rows. Split it into files of at most 3 rows."]}
    settings.IMPORT_UPLOAD_MAX_BYTES = 10
    with pytest.raises(FieldErrors) as error:
        importing.preview_import(user=world.operations, upload=csv("仓库编码,SKU编码,在库数量\nHQ,HOOD-1-S,1\n"))
    assert error.value.errors == {"file": ["The file is too large (50\xa0bytes). The limit is 10\xa0bytes."]}


def test_only_inventory_managers_may_import(stock, world):
    with pytest.raises(Forbidden):
        importing.preview_import(user=world.channel, upload=csv("仓库编码,SKU编码,在库数量\nHQ,HOOD-1-S,1\n"))


def test_a_reservation_between_preview_and_commit_fails_the_import_whole(stock, world):
    # given: a valid preview setting HQ hoods to 3 and EAST to 9
    hood, hq = stock.sku("hood_s").pk, stock.warehouses["hq"].pk
    services.receive_stock(warehouse_id=hq, lines=[(hood, 5)])
    preview = importing.preview_import(
        user=world.operations, upload=csv("仓库编码,SKU编码,在库数量\nEAST,HOOD-1-S,9\nHQ,HOOD-1-S,3\n")
    )
    assert preview.result["can_commit"] is True
    # when: 4 are reserved before the commit
    services.reserve_stock(reference="SO-1", lines=[(hood, 4)])
    job = importing.commit_import(user=world.operations, preview_id=preview.pk)
    # then
    assert job.status == "failed"
    assert job.error["rows"] == [
        {"row": 3, "errors": {"on_hand": ["4 units are reserved here; on hand cannot be less."]}}
    ]
    assert stock.counters("hood_s", "hq") == (5, 4)
    assert stock.level("hood_s", "east") is None
