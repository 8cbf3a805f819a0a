"""Every page of the partner portal on a 375 x 812 phone, on the seeded demo (a distributor's admin
and a dealer's admin with months of orders, receivables, payments, statements and rebates): nothing
sticks out sideways, the compact header and the bottom tab bar leave the screen to the page, and
money never breaks in the middle of a figure. At 1440 px the portal keeps a top navigation."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page, expect

from conftest import ensure_reference_data
from qudao.catalog.models import Sku
from qudao.finance.models import Invoice, Statement
from qudao.inventory.services import partner_availability
from qudao.orders.models import Order, ReturnRequest
from qudao.partners.models import Partner
from qudao.rebates.models import RebateLine

from .ui import login

PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-US",
}
# header (brand, partner, menu) + a section's sub-tabs: at most this much of an 812 px screen
HEADER_BUDGET = 120
# the bottom tab bar: at most this (plus the safe area, none in a test browser)
TAB_BAR_BUDGET = 64


@pytest.fixture
def demo(transactional_db):
    ensure_reference_data()  # a transactional test starts from flushed tables
    call_command("seed", partners=12, verbosity=0)


def portal_pages(partner: Partner) -> list[str]:
    """Every page of the portal that the partner's admin may open, with one record of each kind."""
    pages = [
        "/portal/",
        "/portal/me/",
        "/portal/profile/",
        "/portal/profile/edit/",
        "/portal/profile/contacts/add/",
        "/portal/users/",
        "/portal/applications/",
        "/portal/catalog/",
        "/portal/orders/",
        "/portal/orders/quick/",
        "/portal/orders/import/",
        "/portal/orders/templates/",
        "/portal/credit/",
        "/portal/returns/",
        "/portal/finance/",
        "/portal/finance/payments/",
        "/portal/finance/payments/announce/",
        "/portal/finance/statements/",
        "/portal/rebates/",
        "/portal/rebates/statement/",
        "/portal/rebates/progress/",
    ]
    if partner.is_distributor:
        pages.append("/portal/sub-dealers/")
        sub_dealer = Partner.objects.filter(parent=partner).order_by("pk").first()
        if sub_dealer is not None:
            pages.append(f"/portal/sub-dealers/{sub_dealer.pk}/")
    orders = Order.objects.filter(partner=partner).order_by("-pk")
    for order in [orders.filter(status="shipped").first(), orders.filter(status="completed").first(), orders.first()]:
        if order is not None:
            pages.append(f"/portal/orders/{order.number}/")
    editable = orders.filter(status__in=["submitted", "pending_approval"]).first()
    if editable is not None:
        pages.append(f"/portal/orders/{editable.number}/change/")
    returnable = orders.filter(status__in=["delivered", "completed"]).first()
    if returnable is not None:
        pages.append(f"/portal/orders/{returnable.number}/return/")
    return_request = ReturnRequest.objects.filter(partner=partner).order_by("-pk").first()
    if return_request is not None:
        pages.append(f"/portal/returns/{return_request.number}/")
    invoice = Invoice.objects.filter(partner=partner).order_by("-pk").first()
    if invoice is not None:
        pages.append(f"/portal/finance/invoices/{invoice.number}/")
    statement = Statement.objects.filter(partner=partner).order_by("-pk").first()
    if statement is not None:
        pages.append(f"/portal/finance/statements/{statement.number}/")
    line = RebateLine.objects.filter(partner=partner, run__status="posted").order_by("-pk").first()
    if line is not None:
        pages.append(f"/portal/rebates/{line.pk}/")
    return pages


def overflow(page: Page) -> dict:
    return page.evaluate(
        """() => {
        const doc = document.documentElement;
        const wide = [...document.querySelectorAll('main *')]
          .filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1
                        && !el.closest('.pt-scroll, .pt-chips, .pt-order-links, .pt-subtabs'))
          .slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + (el.textContent || '').trim().slice(0, 40));
        return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
    }"""
    )


def chrome_heights(page: Page) -> dict:
    return page.evaluate(
        """() => {
        const top = document.querySelector('[data-testid=portal-topbar]');
        const tabs = document.querySelector('[data-testid=portal-tabbar]');
        const first = document.querySelector('main .pt-order-links, main .pt-subtabs, main .pt-chips');
        const sub = first ? first.getBoundingClientRect().height : 0;
        const height = el => el && getComputedStyle(el).display !== 'none' ? el.getBoundingClientRect().height : 0;
        return {top: height(top), tabs: height(tabs), sub,
                tabsFixed: tabs ? getComputedStyle(tabs).position : null};
    }"""
    )


def broken_figures(page: Page) -> list[str]:
    """Money figures drawn on more than one line (a figure's box taller than one line)."""
    return page.evaluate(
        r"""() => {
        const out = [];
        const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
          const node = walker.currentNode;
          const match = /\d{1,3}(,\d{3})+\.\d{2}/.exec(node.textContent);
          if (!match) continue;
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
          if (lines.size > 1) out.push(match[0]);
        }
        return out.slice(0, 5);
    }"""
    )


def test_it_fits_every_portal_page_on_a_phone_with_a_compact_header_and_a_tab_bar(live_server, browser, demo):
    # given the seeded demo: a distributor's admin and a dealer's admin, each on a 375 x 812 phone
    for username, code in [("dist_admin", "P000001"), ("dealer_admin", "P000006")]:
        walk_portal_on_a_phone(live_server, browser, username, code)
    # and the dealer orders from its catalogue with steppers, stock badges and a cart total in view
    orders_with_steppers_and_a_sticky_cart_total(live_server, browser)
    # and at 1440 px the portal keeps a top navigation
    keeps_a_top_navigation_on_a_desktop(live_server, browser)


def orders_with_steppers_and_a_sticky_cart_total(live_server, browser) -> None:
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    phone = context.new_page()
    login(phone, live_server.url, "dealer_admin", settings.DEMO_PASSWORD)
    phone.goto(live_server.url + "/portal/catalog/")

    # then every card shows the stock band the inventory gives for its SKU
    cards = phone.locator("[data-testid=sku-card]")
    codes = cards.evaluate_all("cards => cards.map(card => card.dataset.code)")
    assert codes
    skus = {sku.code: sku for sku in Sku.objects.filter(code__in=codes)}
    bands = partner_availability([sku.pk for sku in skus.values()])
    shown = phone.locator("[data-testid=sku-card]").evaluate_all(
        "cards => cards.map(card => [card.dataset.code, card.querySelector('[data-testid=sku-stock]').dataset.band])"
    )
    assert shown == [[code, bands[skus[code].pk]["band"]] for code in codes]

    # when it taps + twice and − once on the first product
    card = cards.first
    sku = skus[codes[0]]
    quantity = card.locator("[data-testid=qty-input]")
    card.locator("[data-testid=qty-plus]").click()
    expect(quantity).to_have_value(str(sku.min_order_qty))
    card.locator("[data-testid=qty-plus]").click()
    expect(quantity).to_have_value(str(sku.min_order_qty + sku.order_multiple))
    card.locator("[data-testid=qty-minus]").click()
    card.locator("[data-testid=qty-minus]").click()

    # then it steps by the order multiple above the minimum order quantity, and down to nothing
    expect(quantity).to_have_value("")

    # when it orders the minimum and prices the order
    card.locator("[data-testid=qty-plus]").click()
    phone.click("[data-testid=price-order]")

    # then the total and the button stay in view above the tab bar, whatever the length of the cart
    bar = phone.locator("[data-testid=cart-bar]")
    expect(bar.locator("[data-testid=quote-total]")).to_be_visible()
    expect(bar.locator("[data-testid=place-order]")).to_be_visible()
    box = bar.bounding_box()
    tabbar = phone.locator("[data-testid=portal-tabbar]").bounding_box()
    assert box is not None and tabbar is not None
    assert box["y"] + box["height"] <= tabbar["y"] + 1, (box, tabbar)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def walk_portal_on_a_phone(live_server, browser, username: str, code: str) -> None:
    partner = Partner.objects.get(code=code)
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    phone = context.new_page()
    base = live_server.url
    phone.goto(f"{base}/login/", timeout=60_000)  # the server's first page (slow on a busy machine)
    login(phone, base, username, settings.DEMO_PASSWORD)
    problems = []

    for path in portal_pages(partner):
        # when it opens each page of its portal
        response = phone.goto(base + path)

        # then the page answers, fits the width, and the header and the tabs take little room
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        sizes = overflow(phone)
        if sizes["scroll"] > sizes["client"]:
            problems.append(f"{path} is {sizes['scroll']} px wide: {sizes['wide']}")
        heights = chrome_heights(phone)
        if heights["top"] + heights["sub"] > HEADER_BUDGET:
            problems.append(f"{path}: header {heights['top']} + sub-tabs {heights['sub']} px")
        if not 0 < heights["tabs"] <= TAB_BAR_BUDGET or heights["tabsFixed"] != "fixed":
            problems.append(f"{path}: tab bar {heights}")
        broken = broken_figures(phone)
        if broken:
            problems.append(f"{path}: money broken over lines: {broken}")
    assert problems == [], "\n".join(problems)

    # the tab bar marks the section the page belongs to
    phone.goto(base + "/portal/finance/statements/")
    expect(phone.locator("[data-testid=portal-tabbar] [aria-current=page]")).to_have_attribute(
        "data-testid", "nav-finance"
    )
    phone.click("[data-testid=portal-tabbar] [data-testid=nav-catalog]")
    expect(phone).to_have_url(re.compile(r"/portal/catalog/$"))
    expect(phone.locator("[data-testid=portal-tabbar] [aria-current=page]")).to_have_attribute(
        "data-testid", "nav-catalog"
    )
    context.close()


def keeps_a_top_navigation_on_a_desktop(live_server, browser) -> None:
    # given the dealer's admin on a 1440 px screen
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    desk = context.new_page()
    login(desk, live_server.url, "dealer_admin", settings.DEMO_PASSWORD)

    # then the sections are a navigation at the top, not a bar at the bottom
    tabbar = desk.locator("[data-testid=portal-tabbar]")
    box = tabbar.bounding_box()
    assert box is not None and box["y"] < 150, box
    assert desk.evaluate("getComputedStyle(document.querySelector('[data-testid=portal-tabbar]')).position") != "fixed"
    expect(desk.locator("[data-testid=nav-rebates]")).to_be_visible()
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1440
    context.close()
