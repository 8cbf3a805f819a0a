"""The cells of a list export (qudao.core.exports.ExportColumn): money rounded half up to cents,
unit prices with two to four decimals, local times without a zone, text always text."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from qudao.core.exports import ExportColumn, price_value


def cell(kind, value):
    return ExportColumn("x", lambda row: value, kind).cell(None)


def test_it_writes_each_kind_of_value_as_its_cell():
    assert cell("money", D("12345.675")) == D("12345.68")
    assert cell("money", D("-0.005")) == D("-0.01")
    assert cell("money", None) is None
    assert [str(price_value(D(v))) for v in ("1200.0000", "1150.1230", "1150.1234", "2.5", "0")] == [
        "1200.00",
        "1150.123",
        "1150.1234",
        "2.50",
        "0.00",
    ]
    assert str(cell("price", D("99.99995"))) == "100.00"
    at = datetime.datetime(2026, 12, 7, 16, 30, 59, tzinfo=ZoneInfo("UTC"))
    assert cell("datetime", at) == datetime.datetime(2026, 12, 8, 0, 30)  # Asia/Shanghai, to the minute
    assert cell("text", None) == ""
    assert cell("text", 42) == "42"
    assert cell("text", "=1+1") == "=1+1"  # core.spreadsheets keeps it text
