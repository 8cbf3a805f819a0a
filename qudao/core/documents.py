"""PDF documents (statements and the like) from a few kinds of blocks, with reportlab. Every
document opens with the brand's header (its logo and name, `brand_header`) and sets its text, Chinese
included, in WenQuanYi Micro Hei (文泉驿微米黑, a TrueType font shipped by the PyPI package
`paperang-p2-fonts-cjk`, Apache-2.0 / GPL-3.0 with the font exception), EMBEDDED in the PDF as a
subset of the glyphs the document uses (reportlab's TTFont subsets by itself: a statement is some
tens of kilobytes, not the font's five megabytes). So every viewer shows the same glyphs, on a
phone without Chinese fonts too, and the text is extractable (each subset carries a ToUnicode map).
Every text is plain text: markup characters are escaped (`paragraph_text`) and characters the text
rule refuses drawn as U+FFFD.

    documents.pdf("Title", [Title("..."), Text("..."), Heading("..."), Grid(rows, widths=(20, 40))])
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .validators import displayable_text

FONT = "QudaoCJK"
# the package and the file of the embedded font (a TrueType collection; its first face)
FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"


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


def font_path() -> str:
    """The font file on disk, from its package (never a system font)."""
    return str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE))


@cache
def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, font_path(), subfontIndex=0))
    return FONT


def font() -> str:
    """The name of Qudao's document font, registered with reportlab (embedded and subset in every
    PDF that uses it)."""
    return _register_font()


def brand_header(font_name: str | None = None) -> list:
    """The flowables a document opens with: the brand's logo (when one is set) beside its name, and
    a rule under them."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Image, Paragraph, Spacer, Table, TableStyle

    from .branding import brand

    current = brand()
    style = ParagraphStyle("brand", fontName=font_name or font(), fontSize=12, leading=16)
    name = Paragraph(paragraph_text(current.name), style)
    logo = None
    if current.logo_path:
        try:
            logo = Image(current.logo_path)
            height = 12 * mm
            logo.drawWidth = min(logo.imageWidth * height / max(logo.imageHeight, 1), 45 * mm)
            logo.drawHeight = height
        except Exception:  # noqa: BLE001 - an unreadable logo file must not cost the document
            logo = None
    if logo is not None:
        heading = Table([[logo, name]], colWidths=[logo.drawWidth + 4 * mm, None], hAlign="LEFT")
        heading.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    else:
        heading = name
    colour = colors.HexColor(current.colour) if current.colour else colors.grey
    return [
        heading,
        HRFlowable(width="100%", thickness=0.8, color=colour, spaceBefore=2, spaceAfter=2),
        Spacer(1, 3 * mm),
    ]


def pdf(title: str, blocks: list) -> bytes:
    """An A4 PDF of `blocks`, with `title` in its metadata."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_font()
    styles = {
        Title: ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=4),
        Heading: ParagraphStyle("heading", fontName=font, fontSize=11, leading=16, spaceBefore=8, spaceAfter=2),
        Text: ParagraphStyle("text", fontName=font, fontSize=9, leading=12),
    }
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    story = brand_header(font)
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
