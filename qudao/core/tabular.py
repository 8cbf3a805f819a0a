"""Reading tabular import files (.xlsx and .csv) - the part every import shares: the upload's
size and type checks, a workbook's expanded size checked before it is opened (`check_workbook`:
zip bombs), the rows of the first sheet (or of a UTF-8 / GB18030 text file with a
guessed delimiter), cells as text, and `Table.parse` that matches a header row in Chinese,
Traditional Chinese, English or the column keys to the import's columns.

Each import (partners, catalogue, stock, payments) declares its `Column`s and turns the parsed
rows into its own preview; the errors here are all on the "file" field, in the user's language,
but for cells breaking the text rule (`check_cells`: control characters; line breaks and tabs
but in a `multiline` column), which are errors of their row (`Parsed.cell_errors`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .errors import FieldErrors
from .validators import displayable_text, text_problem

MAX_COLUMNS = 60
MAX_WORKBOOK_MEMBERS = 1000  # files inside an .xlsx (a real one has 10 to 30)
MAX_COMPRESSION_RATIO = 200  # for members of more than RATIO_CHECKED_FROM_BYTES once expanded
RATIO_CHECKED_FROM_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    hant: str
    en: str
    required: bool = False
    multiline: bool = False  # a free text (a note): line breaks and tabs allowed in its cells

    def label(self, language: str | None = None) -> str:
        language = (language or get_language() or "").lower()
        if language.startswith("zh-hant") or language in ("zh-tw", "zh-hk", "zh-mo"):
            return self.hant
        if language.startswith("zh"):
            return self.zh
        return self.en


def cell_text(value) -> str:
    """A spreadsheet cell as text: whole numbers without ".0", dates in ISO format."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def check_cells(values: dict[str, str], multiline: set[str] | frozenset[str]) -> dict[str, list[str]]:
    """The text rule (core.validators) on a row's cells {column key: text}: the errors by column.
    A cell with characters no field accepts gets them replaced by U+FFFD in `values` (in place), so
    that the row is still shown, looked up and stored with its preview safely (PostgreSQL refuses a
    NUL in any query and in JSON); its error keeps the row from being imported."""
    errors: dict[str, list[str]] = {}
    for key, text in values.items():
        problem = text_problem(text, multiline=key in multiline)
        if problem:
            errors[key] = [problem]
            values[key] = displayable_text(text)
    return errors


def file_error(message) -> FieldErrors:
    return FieldErrors({"file": [message]}, detail=message)


def read_upload(upload) -> tuple[str, bytes]:
    """The name and bytes of an uploaded import file, after the size and type checks.

    :raises FieldErrors: on "file".
    """
    if upload is None:
        raise file_error(_("Choose a file to import."))
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    size = getattr(upload, "size", None)
    limit = settings.IMPORT_UPLOAD_MAX_BYTES
    extension(name)
    content = upload.read(limit + 1) if size is None or size <= limit else b""
    if size is None or size <= limit:
        size = len(content)
    if size > limit:
        raise file_error(
            _("The file is too large (%(size)s). The limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if not content:
        raise file_error(_("The file is empty."))
    return name, content


def check_file(name: str, content: bytes) -> None:
    """What can be known of an import file without reading its rows, done in the upload request
    before the file is stored and its preview job started: its type, and for a workbook what it
    expands to (`check_workbook`).

    :raises FieldErrors: on "file"."""
    if extension(name) == "xlsx":
        check_workbook(content)


def extension(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "xls":
        raise file_error(_("Old .xls workbooks cannot be read. Save the file as .xlsx and upload it again."))
    if extension not in ("xlsx", "csv"):
        raise file_error(_("Upload an .xlsx workbook or a .csv file."))
    return extension


def _not_a_workbook() -> str:
    return _("The file is not a readable .xlsx workbook. Open it in Excel or WPS and save it again.")


def check_workbook(content: bytes, *, max_expanded_bytes: int | None = None) -> None:
    """Refuse a workbook that would take too much to open, from its zip directory alone (nothing
    is decompressed): more than MAX_WORKBOOK_MEMBERS files, members expanding to more than
    `max_expanded_bytes` (default IMPORT_MAX_EXPANDED_BYTES) in all, or a big member compressed
    more than MAX_COMPRESSION_RATIO times (a zip bomb: real sheets compress 5 to 50 times). The
    sizes are those the zip declares; Python's zipfile never expands a member beyond its declared
    size, so they bound what opening the workbook can cost.

    :raises FieldErrors: on "file"."""
    limit = max_expanded_bytes if max_expanded_bytes is not None else settings.IMPORT_MAX_EXPANDED_BYTES
    if not content.startswith(b"PK\x03\x04"):
        raise file_error(_not_a_workbook())
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise file_error(_not_a_workbook()) from None
    expanded = sum(member.file_size for member in members)
    too_compressed = any(
        member.file_size > RATIO_CHECKED_FROM_BYTES
        and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if len(members) > MAX_WORKBOOK_MEMBERS or expanded > limit or too_compressed:
        raise file_error(
            _(
                "The workbook is too big to open: it expands to %(size)s (the limit is %(limit)s). Save only the "
                "sheet to import, without pictures, as a new workbook."
            )
            % {"size": filesizeformat(expanded), "limit": filesizeformat(limit)}
        )


def xlsx_rows(content: bytes, *, max_expanded_bytes: int | None = None):
    import openpyxl

    not_a_workbook = _not_a_workbook()
    check_workbook(content, max_expanded_bytes=max_expanded_bytes)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors...
        raise file_error(not_a_workbook) from None
    try:
        if not workbook.worksheets:
            raise file_error(not_a_workbook)
        sheet = workbook.worksheets[0]
        try:
            yield from enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1)
        except FieldErrors:
            raise
        except Exception:
            raise file_error(not_a_workbook) from None
    finally:
        workbook.close()


def csv_rows(content: bytes):
    if b"\x00" in content[:8192]:
        raise file_error(_("The file is not a text .csv file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise file_error(_("The .csv file cannot be read: save it as UTF-8 or GB18030 (GBK) text."))
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        if "\t" in first_line:
            delimiter = "\t"
        elif ";" in first_line:
            delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, values in enumerate(reader, start=1):
            yield number, values[:MAX_COLUMNS]
    except csv.Error:
        raise file_error(_("The .csv file is malformed (check its quotes).")) from None


@dataclass
class Parsed:
    name: str
    columns: list[str]  # the column keys present, in file order
    ignored_columns: list[str]  # headers that are not import columns
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, {column key: text})
    # {row number: {column key: [messages]}}: cells breaking the text rule (check_cells); each
    # import adds them to its rows' errors
    cell_errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)


class Table:
    """The columns of one import and the most rows it takes; `parse` reads a file against them."""

    def __init__(self, columns: tuple[Column, ...], *, max_rows: int):
        self.columns = columns
        self.max_rows = max_rows
        self.by_key = {column.key: column for column in columns}
        self.multiline = frozenset(column.key for column in columns if column.multiline)
        self.headers = {
            text.strip().lower(): column.key
            for column in columns
            for text in (column.key, column.zh, column.hant, column.en)
        }

    def parse(self, name: str, content: bytes) -> Parsed:
        """The header (first non-empty row) and the rows of the file, as text by column key.

        :raises FieldErrors: on "file": unreadable, empty, a column twice or a required one
            missing, more than `max_rows` rows."""
        source = xlsx_rows(content) if extension(name) == "xlsx" else csv_rows(content)
        keys = None
        columns, ignored, rows, cell_errors = [], [], [], {}
        for number, values in source:
            texts = [cell_text(value) for value in values]
            if not any(texts):
                continue
            if keys is None:
                keys = []
                for text in texts:
                    key = self.headers.get(text.strip().lower()) if text else None
                    if text and key is None:
                        ignored.append(text)
                    elif key in columns:
                        raise file_error(
                            _("The column %(column)s appears twice in the header.")
                            % {"column": self.by_key[key].label()}
                        )
                    elif key:
                        columns.append(key)
                    keys.append(key)
                missing = [column for column in self.columns if column.required and column.key not in columns]
                if missing:
                    raise file_error(
                        _("Required columns are missing: %(columns)s.")
                        % {"columns": ", ".join(f"{column.label()} ({column.key})" for column in missing)}
                    )
                continue
            if len(rows) >= self.max_rows:
                raise file_error(
                    _("The file has more than %(max)s rows. Split it into files of at most %(max)s rows.")
                    % {"max": self.max_rows}
                )
            row = {key: (texts[i] if i < len(texts) else "") for i, key in enumerate(keys) if key}
            errors = check_cells(row, self.multiline)
            if errors:
                cell_errors[number] = errors
            rows.append((number, row))
        if keys is None:
            raise file_error(_("The file is empty."))
        if not rows:
            raise file_error(_("The file has a header but no rows to import."))
        return Parsed(name=name, columns=columns, ignored_columns=ignored, rows=rows, cell_errors=cell_errors)
