"""An order from a file (.xlsx, or .csv): one row per line, read into the rows of a quick order,
which the partner sees priced with every row's errors (the preview) before placing them as one
order. Nothing is written by reading a file.

Columns (header in Chinese, Traditional Chinese, English or the key):
    sku* SKU编码/条码 (SKU code or barcode), quantity* 数量, unit 单位
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from qudao.core.tabular import (
    Column,
    cell_text,
    check_cells,
    csv_rows,
    extension,
    file_error,
    read_upload,
    xlsx_rows,
)

from .carts import MAX_ROWS, Row

# An order file is read in the request (the partner sees its rows priced at once), so a workbook
# may expand to no more than this: 200 lines take a few kilobytes.
MAX_EXPANDED_BYTES = 5 * 1024 * 1024

COLUMNS: tuple[Column, ...] = (
    Column("sku", "SKU编码/条码", "SKU編碼/條碼", "SKU code or barcode", required=True),
    Column("quantity", "数量", "數量", "Quantity", required=True),
    Column("unit", "单位", "單位", "Unit"),
)
_HEADERS = {
    text.strip().lower(): column.key for column in COLUMNS for text in (column.key, column.zh, column.hant, column.en)
}
# headers people write by hand for the first column
_HEADERS.update({"sku编码": "sku", "sku編碼": "sku", "sku code": "sku", "条码": "sku", "barcode": "sku", "code": "sku"})


def read_rows(upload) -> list[Row]:
    """The rows of an uploaded order file (blank lines skipped), each with its row number.

    :raises FieldErrors: on "file": no file, too large, not .xlsx/.csv, unreadable, a workbook
        expanding to more than MAX_EXPANDED_BYTES, empty, a required column missing, no rows,
        more than MAX_ROWS rows.
    """
    name, content = read_upload(upload)
    if extension(name) == "xlsx":
        source = xlsx_rows(content, max_expanded_bytes=min(MAX_EXPANDED_BYTES, settings.IMPORT_MAX_EXPANDED_BYTES))
    else:
        source = csv_rows(content)
    keys, rows = None, []
    for number, values in source:
        texts = [cell_text(value) for value in values]
        if not any(texts):
            continue
        if keys is None:
            keys = [_HEADERS.get(text.strip().lower()) if text else None for text in texts]
            missing = [column for column in COLUMNS if column.required and column.key not in keys]
            if missing:
                raise file_error(
                    _("Required columns are missing: %(columns)s. The columns are: %(expected)s.")
                    % {
                        "columns": ", ".join(column.label() for column in missing),
                        "expected": ", ".join(column.label() for column in COLUMNS),
                    }
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise file_error(_("An order has at most %(max)s lines.") % {"max": MAX_ROWS})
        cells = {key: (texts[i] if i < len(texts) else "") for i, key in enumerate(keys) if key}
        # characters no field accepts become U+FFFD: the code then finds no SKU (its row error)
        # and is never sent to the database as it was
        check_cells(cells, multiline=frozenset())
        rows.append(
            Row(
                index=len(rows),
                code=cells.get("sku", "")[:64],
                quantity=cells.get("quantity", "")[:12],
                unit=cells.get("unit", "")[:20],
                source=number,
            )
        )
    if keys is None:
        raise file_error(_("The file is empty."))
    if not rows:
        raise file_error(_("The file has a header but no lines."))
    return rows
