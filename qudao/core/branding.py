"""The brand's face: its name, short name, logo and colour, as the settings page keeps them
(`BrandSettings`), for the pages (`BRAND` in every template), the log-in page, e-mails' sender name
and PDFs. One read of the settings row per use; nothing is cached across requests, so a change is
seen at once by every process."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
LOGO_KINDS = ("png", "jpg", "jpeg", "webp")
LOGO_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Brand:
    name: str
    short_name: str
    logo_url: str  # "" without a logo
    colour: str  # "#RRGGBB" or ""
    logo_path: str  # the logo's file on disk, for PDFs ("" without a logo)

    def __str__(self) -> str:
        return self.name


def brand() -> Brand:
    """The brand as configured now (the product's name when no brand name is set)."""
    from .models import BrandSettings

    # read only (no get_or_create): a page never writes, the defaults stand in for a missing row
    row = BrandSettings.objects.filter(pk=1).first() or BrandSettings()
    name = (row.brand_name or "").strip() or str(settings.PRODUCT_NAME)
    logo_url = logo_path = ""
    if row.logo:
        # the change time in the address: a new logo is fetched at once, the same one is cached
        logo_url = f"{reverse('core:brand_logo')}?v={int(row.updated_at.timestamp())}"
        try:
            logo_path = row.logo.path
        except NotImplementedError:  # a storage without local files
            logo_path = ""
    return Brand(
        name=name,
        short_name=(row.short_name or "").strip() or name,
        logo_url=logo_url,
        colour=row.primary_colour if COLOUR.match(row.primary_colour or "") else "",
        logo_path=logo_path,
    )


def sender(address: str | None = None) -> str:
    """The From header of Qudao's e-mails: the brand's name before the configured address
    ("恒达电器 <noreply@example.com>")."""
    from email.headerregistry import Address
    from email.utils import formataddr, parseaddr

    configured = address or settings.DEFAULT_FROM_EMAIL
    _name, email = parseaddr(configured)
    if not email:
        return configured
    try:
        Address(addr_spec=email)
    except (ValueError, IndexError):
        return configured
    return formataddr((brand().name, email))
