"""Reading what an export answered, for tests: the workbook's rows as values, and its cells."""

from __future__ import annotations

import io


def content_of(response) -> bytes:
    """The answer's bytes (a streamed answer is read once and kept)."""
    if not hasattr(response, "_export_bytes"):
        streamed = getattr(response, "streaming", False)
        response._export_bytes = b"".join(response.streaming_content) if streamed else response.content
    return response._export_bytes


def workbook_of(response):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(content_of(response)))


def sheet_of(response):
    return workbook_of(response).worksheets[0]


def rows_of(response) -> list[list]:
    """The rows of the first sheet as lists of values (header first)."""
    return [list(row) for row in sheet_of(response).iter_rows(values_only=True)]


def column(rows: list[list], header: str) -> list:
    """The values of one column below its header."""
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def csv_of(response) -> str:
    content = content_of(response)
    assert content.startswith(b"\xef\xbb\xbf"), "a .csv starts with a UTF-8 byte order mark (Excel reads Chinese)"
    return content[3:].decode("utf-8")
