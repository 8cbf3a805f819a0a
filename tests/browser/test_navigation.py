"""The HQ menu in a real browser: its groups open by keyboard on an office screen, and on a 375 px
phone the menu folds behind one button and the page never scrolls sideways."""

from __future__ import annotations

from playwright.sync_api import expect

from conftest import PASSWORD

from .ui import assert_fits_phone, login, open_menu_item, scroll_width


def test_the_menu_opens_by_keyboard_on_a_wide_screen(live_server, browser, world):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, live_server.url, "operations", PASSWORD)
        returns = page.locator("nav.mainnav [data-testid=nav-returns]")
        expect(returns).to_be_hidden()
        # when operations tabs to the Orders group and presses Enter, then its items show
        summary = page.locator("[data-testid=nav-group-orders] > summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(returns).to_be_visible()
        # Escape closes it again and gives the focus back to the group
        page.keyboard.press("Escape")
        expect(returns).to_be_hidden()
        assert page.evaluate("document.activeElement.textContent.trim()") == "Orders"
        # opening another group closes the first
        summary.click()
        page.locator("[data-testid=nav-group-products] > summary").click()
        expect(returns).to_be_hidden()
        expect(page.locator("nav.mainnav a[href='/inventory/']")).to_be_visible()
        # and following an item marks its group and page as current
        open_menu_item(page, "nav-returns")
        assert page.url.endswith("/orders/returns/")
        expect(page.locator("[data-testid=nav-group-orders]")).to_have_class("nav-group active")
        assert scroll_width(page) <= 1440
    finally:
        context.close()


def test_the_menu_folds_behind_one_button_on_a_phone(live_server, open_page, world):
    page = open_page("phone")
    login(page, live_server.url, "finance", PASSWORD)
    toggle = page.locator("[data-testid=nav-toggle]")
    menu = page.locator("[data-testid=nav-menu]")
    expect(toggle).to_be_visible()
    expect(menu).to_be_hidden()
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 110, f"the header takes {header['height']} px"
    # when finance opens the menu and the finance group, then its pages are listed
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.locator("[data-testid=nav-group-finance] > summary").click()
    statements = page.locator("nav.mainnav a[href='/finance/statements/']")
    expect(statements).to_be_visible()
    assert_fits_phone(page)
    with page.expect_navigation():
        statements.click()
    expect(menu).to_be_hidden()
    expect(toggle).to_contain_text("Finance")
    assert_fits_phone(page)
