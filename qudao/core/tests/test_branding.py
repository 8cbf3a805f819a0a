"""The brand's face (settings > brand): its name, short name, logo and colour, kept by the
administrator, shown in the HQ header, the portal's header and the log-in page, named as the
sender of e-mails and printed at the top of every PDF, whose Chinese font travels inside it."""

from __future__ import annotations

import io
import re
from email.header import decode_header, make_header

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from qudao.core import branding, documents
from qudao.core.models import BrandSettings
from qudao.core.notifications import notify
from qudao.core.tests.pdf_reading import fonts, pdf_text

BRAND = {
    "brand_name": "恒达电器股份有限公司",
    "short_name": "恒达",
    "primary_colour": "#0a7e3c",
    "default_currency": "CNY",
    "parent_must_cover_child_region": "on",
    "credit_change_approval_threshold": "100000.00",
    "approval_reminder_hours": "24",
}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def png(width=60, height=20, colour=(200, 16, 46)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def test_it_shows_the_brands_name_logo_and_colour_everywhere_once_the_administrator_sets_them(world, page_client):
    # given the administrator on the brand settings page
    admin = page_client(world.admin)

    # when it saves a name, a short name, a colour and a logo
    response = admin.post("/settings/", BRAND | {"logo": SimpleUploadedFile("恒达.png", png(), "image/png")})

    # then they are kept (the colour in capitals, the logo under the name of the kind its bytes are)
    assert response.status_code == 302
    row = BrandSettings.current()
    assert (row.brand_name, row.short_name, row.primary_colour) == ("恒达电器股份有限公司", "恒达", "#0A7E3C")
    assert re.fullmatch(r"brand/logo-\d{20}\.png", row.logo.name)
    brand = branding.brand()
    assert brand.logo_url == f"/brand/logo/?v={int(row.updated_at.timestamp())}"

    # and the logo is served to anyone (the log-in page shows it) as the PNG it is
    logo = page_client(None).get("/brand/logo/")
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    assert b"".join(logo.streaming_content) == png()

    # and the HQ header, the portal's header and the log-in page show the brand
    hq = admin.get("/partners/").content.decode()
    assert '<span data-testid="brand-name">恒达电器股份有限公司</span>' in hq
    assert f'src="{brand.logo_url}"' in hq
    assert ":root { --brand-colour: #0A7E3C; }" in hq
    portal = page_client(world.dist_admin).get("/portal/").content.decode()
    assert 'data-testid="brand-name">恒达</span>' in portal
    assert 'data-testid="brand-logo"' in portal
    login = page_client(None).get("/login/").content.decode()
    assert "恒达电器股份有限公司" in login and 'data-testid="login-brand-logo"' in login

    # and e-mails come from the brand
    mail.outbox.clear()
    world.finance.email = "finance@example.com"
    world.finance.save(update_fields=["email"])
    notify([world.finance], kind="test", title="Hello", body="A test", email=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].from_email == branding.sender()
    sender = str(make_header(decode_header(str(mail.outbox[0].message()["From"]))))
    assert sender == "恒达电器股份有限公司 <no-reply@qudao.local>"

    # when it removes the logo
    admin.post("/settings/", BRAND | {"remove_logo": "on"})

    # then the pages show the name alone and the logo's address answers 404
    assert BrandSettings.current().logo.name == ""
    assert 'data-testid="brand-logo"' not in page_client(world.dist_admin).get("/portal/").content.decode()
    assert page_client(None).get("/brand/logo/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("short_name", "恒" * 21, "Ensure this value has at most 20 characters (it has 21)."),
        ("primary_colour", "green", "Enter a colour as #RRGGBB, e.g. #C8102E."),
        (
            "logo",
            SimpleUploadedFile("logo.svg", b"<svg/>", "image/svg+xml"),
            "Upload the logo as a PNG, JPEG or WebP image.",
        ),
        (
            "logo",
            SimpleUploadedFile("logo.png", b"<html>not a png", "image/png"),
            "This file is not a PNG, JPEG or WebP image.",
        ),
    ],
)
def test_it_refuses_a_bad_brand_face_at_its_field_and_changes_nothing(world, page_client, field, value, message):
    # given the brand as it is
    before = BrandSettings.current()

    # when the administrator saves a bad value
    response = page_client(world.admin).post("/settings/", BRAND | {field: value})

    # then the field says what is wrong and nothing changed
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    after = BrandSettings.current()
    assert (after.brand_name, after.short_name, after.primary_colour, after.logo.name) == (
        before.brand_name,
        before.short_name,
        before.primary_colour,
        before.logo.name,
    )


def test_it_falls_back_to_the_brand_name_without_a_short_name(world):
    BrandSettings.objects.filter(pk=BrandSettings.current().pk).update(brand_name="Acme 电器", short_name="")

    brand = branding.brand()

    assert (brand.name, brand.short_name, brand.logo_url, brand.colour) == ("Acme 电器", "Acme 电器", "", "")
    assert branding.sender("Qudao <no-reply@qudao.local>") == "=?utf-8?b?QWNtZSDnlLXlmag=?= <no-reply@qudao.local>"


def test_it_embeds_a_subset_of_its_chinese_font_and_opens_every_pdf_with_the_brands_header(world, tmp_path):
    # given a brand with a logo
    row = BrandSettings.current()
    row.brand_name = "恒达电器股份有限公司"
    row.logo.save("logo-1.png", io.BytesIO(png()), save=True)

    # when a document with Chinese text is written
    pdf = documents.pdf(
        "对账单",
        [
            documents.Title("对账单 2026-10"),
            documents.Grid([["应收单", "金额"], ["INV-1", "80,000.00"]], widths=(40, 30)),
        ],
    )

    # then its one font is WenQuanYi Micro Hei from the package, embedded as a subset (/FontFile2)
    found = fonts(pdf)
    assert {re.sub(r"^[A-Z]{6}\+|-\d+$", "", font["base_font"]) for font in found} == {"WenQuanYiMicroHei"}
    assert all(re.match(r"[A-Z]{6}\+", font["base_font"]) and font["embedded"] for font in found)
    assert b"/FontFile2" in pdf and b"STSong" not in pdf
    assert documents.font_path().endswith("paperang_p2_fonts_cjk/fonts/wqy-microhei.ttc")
    assert len(pdf) < 200_000  # a subset, not the font's 5 MB

    # and its text reads back (ToUnicode), the brand's name first, then the document
    text = pdf_text(pdf)
    assert text.split()[0] == "恒达电器股份有限公司"
    for shown in ("对账单 2026-10", "应收单", "金额", "INV-1", "80,000.00"):
        assert shown in text

    # and the brand's logo is drawn as an image
    assert b"/Subtype /Image" in pdf
