"""Small helpers the browser tests share: logging in through the real log-in page, the phone-width
check and a tiny but genuine PDF for the licence upload."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PHONE_WIDTH = 375


def login(page: Page, base_url: str, identifier: str, password: str, next_path: str = "") -> None:
    """Log in through /login/ as a person would (optionally ?next=); waits for the page the app
    sends the user to."""
    page.goto(f"{base_url}/login/" + (f"?next={next_path}" if next_path else ""))
    page.fill("#id_identifier", identifier)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form[action='/login/'] button[type=submit]")
    expect(page.locator("[data-testid=current-user]")).to_be_visible()


def scroll_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def assert_fits_phone(page: Page) -> None:
    """Nothing sticks out sideways on a 375 px wide screen (no horizontal scrolling)."""
    width = scroll_width(page)
    assert width <= PHONE_WIDTH, f"{page.url} is {width} px wide on a {PHONE_WIDTH} px screen"


def tiny_pdf() -> bytes:
    """A minimal, well-formed one-page PDF (the upload checks the content, not only the name)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def texts(page: Page, selector: str) -> list[str]:
    return [" ".join(text.split()) for text in page.locator(selector).all_text_contents()]


def partner_marks(partners) -> dict[str, list[str]]:
    """What would betray a partner on a page: its legal and short name, code and credit code."""
    fields = ("legal_name", "short_name", "code", "credit_code")
    return {partner.code: [getattr(partner, f) for f in fields if getattr(partner, f)] for partner in partners}


def assert_no_partner_shown(page: Page, marks: dict[str, list[str]]) -> None:
    """None of these partners appears anywhere in the page's HTML (attributes included)."""
    html = page.content()
    for code, values in marks.items():
        for value in values:
            # whole values only: partner code P2611270001 is also the tail of application number AP2611270001
            found = re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", html)
            assert found is None, f"{page.url} shows partner {code}: {value!r}"


def open_menu_item(page: Page, testid: str) -> None:
    """Go to an HQ menu item as a person would: unfold the menu (narrow screens) and open its
    group's dropdown when the link is not on screen, then follow it."""
    link = page.locator(f"nav.mainnav [data-testid={testid}]")
    if not link.is_visible():
        toggle = page.locator("[data-testid=nav-toggle]")
        if toggle.is_visible():
            toggle.click()
        group = page.locator(f"details[data-nav-group]:has([data-testid={testid}]) > summary")
        if not link.is_visible() and group.count():
            group.click()
    with page.expect_navigation():
        link.click()
