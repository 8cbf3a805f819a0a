"""`{{ value|figure:format }}`: a figure of the semantic layer as people read it (money with
thousands separators to the cent, ratios as percentages, counts with separators); empty: "—"."""

from __future__ import annotations

from django import template

from qudao.core.display import money_text, percent_text

register = template.Library()


@register.filter
def figure(value, format_: str = "") -> str:
    if value is None:
        return "—"
    if format_ == "money":
        return money_text(value)
    if format_ == "ratio":
        return percent_text(value)
    if format_ == "count":
        return f"{int(value):,}"
    return str(value)


@register.filter
def cell(row: dict, code: str):
    """{{ row|cell:code }}: a result row's value of a column (dimensions: their label)."""
    value = row.get(code)
    return value.get("label") if isinstance(value, dict) else value


@register.filter
def with_formats(cells: list, header: list) -> list[tuple]:
    """{% for value, format in line.cells|with_formats:pivot.header %}: each pivot cell with its column's format."""
    return [(value, column["format"]) for value, column in zip(cells, header, strict=False)]
