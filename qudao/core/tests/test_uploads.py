"""Uploaded files: the kind is read from their bytes, the stored and offered names follow that
kind, and nothing under MEDIA_ROOT is ever served by its name."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.uploads import download_name, sniff_kind, stored_name

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 12
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PNG, "png"),
        (JPEG, "jpeg"),
        (WEBP, "webp"),
        (PDF, "pdf"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # a RIFF that is not WebP
        (b"<html><script>", None),
        (b"GIF89a" + b"\x00" * 10, None),
        (b"", None),
    ],
)
def test_the_kind_comes_from_the_first_bytes(head, kind):
    assert sniff_kind(head) == kind


def test_the_stored_name_ends_in_the_extension_of_the_bytes_never_the_typed_one():
    # given: a PNG and a PDF named like pages, and bytes of no known kind
    png = SimpleUploadedFile("a" * 195 + ".html.png", PNG + b"<script>")
    pdf = SimpleUploadedFile("slip.html", PDF)
    other = SimpleUploadedFile("x.png", b"<html>")

    # then
    assert (stored_name(png, "photo"), stored_name(pdf, "proof"), stored_name(other)) == (
        "photo.png",
        "proof.pdf",
        "upload.bin",
    )
    assert png.read() == PNG + b"<script>"  # the upload is read from its start again


@pytest.mark.parametrize(
    ("name", "kind", "offered"),
    [
        ("dent.png", "png", "dent.png"),
        ("dent.html", "png", "dent.png"),
        ("a" * 195 + ".html", "png", "a" * 195 + ".png"),
        ("dent.html.png", "png", "dent.html.png"),
        ("照片.JPEG", "jpeg", "照片.JPEG"),
        ("照片.jpg", "jpeg", "照片.jpg"),
        ("scan.pdf", "png", "scan.png"),
        ("PM2611270001", "pdf", "PM2611270001.pdf"),
        ("discrepancies/2026/11/DC1-ab12cd34.png", "png", "DC1-ab12cd34.png"),
        ("..\\..\\evil.html", None, "evil.bin"),
        ("", "webp", "file.webp"),
    ],
)
def test_the_offered_name_ends_in_the_extension_of_the_bytes(name, kind, offered):
    assert download_name(name, kind) == offered


def test_nothing_under_media_root_is_served_by_its_name(db, client, settings):
    # given: a page stored among the uploads, where the public fallback used to look
    name = f"{uuid.uuid4().hex}.html"
    public = Path(settings.MEDIA_ROOT) / "public"
    public.mkdir(parents=True, exist_ok=True)
    (public / name).write_text("<script>alert(1)</script>")
    try:
        # when / then: no URL serves it
        assert client.get(f"/media/public/{name}").status_code == 404
        assert client.get(f"/media/{name}").status_code == 404
    finally:
        (public / name).unlink()
