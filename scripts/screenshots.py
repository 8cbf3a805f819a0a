"""Screenshots of Qudao's key pages for the README (docs/screenshots/), taken in Debian's chromium.

Run against a served demo (the README's run command, or `qudao serve` on a seeded database):

    .venv/bin/python scripts/screenshots.py --base http://127.0.0.1:8000

HQ pages are taken at 1440 px, the partner portal on a 375 px phone; the Chinese pages need a CJK
font on the machine (Debian: fonts-wqy-microhei).
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "qudao-demo-2026"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 812}


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def first_link(page, pattern: str) -> str | None:
    """The first link on the page whose href matches `pattern` (a detail page of the demo's data)."""
    for href in page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))"):
        if href and re.fullmatch(pattern, href):
            return href
    return None


def shoot(page, base: str, path: str, name: str, full_page: bool = False) -> None:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"{name}: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    base = args.base.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        hq = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = hq.new_page()
        log_in(page, base, "channel")
        shoot(page, base, "/workbench/", "hq-workbench")  # where HQ lands: to-dos, KPI cards, charts
        shoot(page, base, "/partners/", "hq-partners")
        page.goto(base + "/partners/")
        partner = first_link(page, r"/partners/\d+/")
        if partner:
            shoot(page, base, partner, "hq-partner-360")
        page.goto(base + "/orders/")
        order = first_link(page, r"/orders/SO\d+/")
        shoot(page, base, "/orders/", "hq-orders")
        if order:
            shoot(page, base, order, "hq-order")
        shoot(page, base, "/approvals/", "hq-approvals")
        shoot(page, base, "/rebates/policies/new/", "hq-rebate-policy-form", full_page=True)
        hq.close()

        finance = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = finance.new_page()
        log_in(page, base, "finance")
        page.goto(base + "/finance/statements/")
        statement = first_link(page, r"/finance/statements/ST\d+/")
        if statement:
            shoot(page, base, statement, "hq-statement")
        finance.close()

        phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, device_scale_factor=2)
        page = phone.new_page()
        log_in(page, base, "dealer_admin")
        shoot(page, base, "/portal/", "portal-home")
        shoot(page, base, "/portal/catalog/", "portal-catalogue")
        shoot(page, base, "/portal/orders/", "portal-orders")
        shoot(page, base, "/portal/finance/", "portal-finance")
        phone.close()
        browser.close()


if __name__ == "__main__":
    main()
