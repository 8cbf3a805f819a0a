"""Reading a PDF that Qudao wrote, without reportlab (and without a PDF library, none being a
dependency): its fonts (which are embedded, under which names) and the text its pages show, decoded
through each font's ToUnicode map, as a PDF viewer's copy and search do."""

from __future__ import annotations

import base64
import re
import zlib


def _inflate(data: bytes) -> bytes:
    for decode in (zlib.decompress, lambda raw: zlib.decompress(base64.a85decode(raw.strip(), adobe=True))):
        try:
            return decode(data)
        except Exception:  # noqa: BLE001 - not this encoding
            continue
    return data


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i] == 0x5C and i + 1 < len(raw):
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(raw[i + 1 : i + 2], raw[i + 1 : i + 2])
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def objects(pdf: bytes) -> dict[int, bytes]:
    return {int(number): body for number, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}


def _stream(body: bytes) -> bytes:
    match = re.search(rb"stream\r?\n(.*?)endstream", body, re.S)
    return _inflate(match.group(1)) if match else b""


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's code -> text (bfchar pairs and bfrange runs)."""
    table: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int.from_bytes(bytes.fromhex(start.decode()), "big")
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                table[code] = chr(first + offset)
    return table


def fonts(pdf: bytes) -> list[dict]:
    """Every font of the PDF: its resource name, BaseFont, subtype, whether its file is embedded
    (/FontFile2: TrueType; /FontFile3: CFF) and its ToUnicode map (code -> text)."""
    objs = objects(pdf)
    found = []
    for body in objs.values():
        if (
            not re.search(rb"/Type\s*/Font\b", body)
            or b"/FontDescriptor" not in body
            and b"/DescendantFonts" not in body
        ):
            continue
        name = re.search(rb"/Name\s*/([^\s/>\]]+)", body)
        base = re.search(rb"/BaseFont\s*/([^\s/>\]]+)", body)
        subtype = re.search(rb"/Subtype\s*/(\w+)", body)
        descriptor = re.search(rb"/FontDescriptor\s+(\d+) 0 R", body)
        embedded = False
        if descriptor:
            embedded = bool(re.search(rb"/FontFile[23]?\s+\d+ 0 R", objs.get(int(descriptor.group(1)), b"")))
        to_unicode = re.search(rb"/ToUnicode\s+(\d+) 0 R", body)
        found.append(
            {
                "name": name.group(1).decode() if name else "",
                "base_font": base.group(1).decode() if base else "",
                "subtype": subtype.group(1).decode() if subtype else "",
                "embedded": embedded,
                "to_unicode": _to_unicode(_stream(objs[int(to_unicode.group(1))])) if to_unicode else {},
            }
        )
    return found


def pdf_text(pdf: bytes) -> str:
    """The text a PDF's pages show (their Tj strings), each decoded through its font's ToUnicode map
    (a CID font with the UCS-2 encoding as UTF-16BE, any other as Latin-1)."""
    by_name = {font["name"]: font for font in fonts(pdf)}
    cid = {
        name
        for body in objects(pdf).values()
        if b"/Subtype /Type0" in body
        for name in re.findall(rb"/Name /([^\s/>\]]+)", body)
    }
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        content = _inflate(stream)
        font = ""
        for match in re.finditer(rb"/([^\s/]+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S):
            if match.group(1):
                font = match.group(1).decode("latin-1")
                continue
            raw = _unescape(match.group(2))
            table = by_name.get(font, {}).get("to_unicode")
            if table:
                texts.append("".join(table.get(byte, "\ufffd") for byte in raw))
            elif font.encode() in cid:
                texts.append(raw.decode("utf-16-be", "replace"))
            else:
                texts.append(raw.decode("latin-1"))
    return " ".join(texts)
