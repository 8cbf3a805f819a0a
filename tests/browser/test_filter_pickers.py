"""The partner picker in a list's filter bar, in a real browser: finance types a partner's Chinese
name into the payment list's filter, picks it, and the table (htmx) shows only its payments, the
address keeping ?partner=<code> so the link and the export filter the same way; on a 375 px phone
the filter bar fits."""

from __future__ import annotations

from playwright.sync_api import expect

from conftest import PASSWORD

from .ui import assert_fits_phone, login


def test_finance_filters_payments_by_a_partner_picked_by_name(live_server, browser, world):
    from qudao.finance import payments

    payments.record_payment(
        partner=world.dist_js, data={"amount": "300.00", "received_on": "2026-11-26"}, actor=world.finance
    )
    payments.record_payment(
        partner=world.dealer_zj, data={"amount": "200.00", "received_on": "2026-11-26"}, actor=world.finance
    )
    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, base, "finance", PASSWORD)
        page.goto(f"{base}/finance/payments/")
        rows = page.locator("[data-testid=payment-row]")
        expect(rows).to_have_count(2)
        page.locator("[data-testid=picker-input-partner]").press_sequentially("金陵", delay=50)
        option = page.locator("[data-testid=picker-partner] [data-testid=picker-option]")
        expect(option).to_have_count(1)
        option.click()
        expect(page.locator("#id_partner")).to_have_value(world.dist_js.code)
        expect(rows).to_have_count(1)
        assert f"partner={world.dist_js.code}" in page.url
        # the link reopens the same list, the picker showing the name
        page.goto(f"{base}/finance/payments/?partner={world.dist_js.code}")
        expect(rows).to_have_count(1)
        expect(page.locator("[data-testid=picker-input-partner]")).to_have_value(
            f"{world.dist_js.legal_name} · {world.dist_js.code}"
        )
        page.set_viewport_size({"width": 375, "height": 812})
        assert_fits_phone(page)
    finally:
        context.close()
