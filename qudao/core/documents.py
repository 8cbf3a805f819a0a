"""PDF documents (statements and the like) from a few kinds of blocks, with reportlab. Chinese is
set in reportlab's built-in CID font STSong-Light, so no font file ships with Qudao and a PDF
viewer renders it with its own Song typeface. Every text is plain text: markup characters are
escaped (`paragraph_text`) and characters the text rule refuses drawn as U+FFFD.

    documents.pdf("Title", [Title("..."), Text("..."), Heading("..."), Grid(rows, widths=(20, 40))])
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from .validators import displayable_text

FONT = "STSong-Light"


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Grid:
    """A table: `rows` of strings, the first the header (unless header=False); `widths` in mm;
    columns from `numeric_from` on are right-aligned (amounts)."""

    rows: list
    widths: tuple
    header: bool = True
    numeric_from: int | None = None


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def pdf(title: str, blocks: list) -> bytes:
    """An A4 PDF of `blocks`, with `title` in its metadata."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    styles = {
        Title: ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=4),
        Heading: ParagraphStyle("heading", fontName=font, fontSize=11, leading=16, spaceBefore=8, spaceAfter=2),
        Text: ParagraphStyle("text", fontName=font, fontSize=9, leading=12),
    }
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    story = []
    for block in blocks:
        if isinstance(block, Grid):
            commands = [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
            if block.header:
                commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
            if block.numeric_from is not None:
                commands.append(("ALIGN", (block.numeric_from, 1 if block.header else 0), (-1, -1), "RIGHT"))
            # long texts wrap inside their cell; short ones stay plain strings (faster)
            rows = [
                [
                    (Paragraph(paragraph_text(value), cell_style) if len(value) > 24 else cell_text(value))
                    if isinstance(value, str)
                    else value
                    for value in row
                ]
                for row in block.rows
            ]
            story.append(
                Table(
                    rows,
                    colWidths=[width * mm for width in block.widths],
                    style=TableStyle(commands),
                    repeatRows=1 if block.header else 0,
                )
            )
            story.append(Spacer(1, 3 * mm))
        else:
            story.append(Paragraph(_escape(block.text), styles[type(block)]))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
    )
    document.build(story)
    return buffer.getvalue()


def cell_text(value) -> str:
    """Text drawn as it is (a table cell): characters the text rule refuses, which data stored
    before the rule may hold, are drawn as U+FFFD."""
    return displayable_text(str(value))


def paragraph_text(value) -> str:
    """Text for a reportlab Paragraph, which reads a little markup (<b>, <font>, <img src=...>,
    <a href=...>, &entities;): user text must never be taken for it, or a name such as "A&B" or
    "<img src=...>" would break the document or pull a file into it."""
    return cell_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_escape = paragraph_text
