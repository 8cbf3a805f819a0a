"""The partner 360 page in a real browser on a 375 px phone and at 1440 px: the orders panel with
its sales trend, and the audit trail's "show more" loading the next entries in place; nothing
overflows sideways."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD

from .test_portal_catalog import build_shop
from .ui import assert_fits_phone, login


def test_the_partner_360_page_reads_well_on_a_phone_and_shows_more_history(live_server, open_page, browser, world):
    from qudao.core.models import ObjectChange
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders import services
    from qudao.partners.models import Partner

    # given: dist_js with three orders and 25 changes of its payment terms by a named user
    skus = build_shop(world)
    warehouse = Warehouse.objects.create(code="HQ", name="总仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, 50) for sku in skus.values()], note="test")
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("100000"))
    for key in ("hood_a", "hood_b", "wash_a"):
        services.place_order(
            partner=world.dist_js, lines=[{"sku": skus[key].pk, "quantity": 1}], actor=world.dist_admin
        )
    world.channel.display_name = "王明"
    world.channel.save(update_fields=["display_name"])
    ObjectChange.objects.filter(partner_id=world.dist_js.pk).delete()  # only the 25 below
    start = timezone.now() - datetime.timedelta(days=30)
    for day in range(25):
        ObjectChange.objects.create(
            at=start + datetime.timedelta(days=day),
            actor=world.channel,
            action="update",
            content_type=ContentType.objects.get_for_model(Partner),
            object_id=str(world.dist_js.pk),
            object_repr=world.dist_js.audit_repr(),
            partner_id=world.dist_js.pk,
            before={"payment_terms_days": day},
            after={"payment_terms_days": day + 1},
        )
    base = live_server.url

    # when the channel manager opens the 360 page on a phone
    phone = open_page("phone")
    login(phone, base, "channel", PASSWORD)
    phone.goto(f"{base}/partners/{world.dist_js.pk}/")

    # then: the orders panel, the 12 bars of the trend, and ten readable audit entries; it fits
    expect(phone.locator("[data-testid=panel-recent-orders] li")).to_have_count(3)
    expect(phone.locator("[data-testid=trend-bar]")).to_have_count(12)
    entries = phone.locator("[data-testid=panel-audit] [data-testid=audit-entry]")
    expect(entries).to_have_count(10)
    expect(entries.first).to_contain_text("王明 changed payment terms (days) from 24 to 25")
    assert_fits_phone(phone)

    # when it asks for more: the next entries come in place, and there are no more to ask for
    phone.click("[data-testid=audit-more]")
    expect(entries).to_have_count(25)
    expect(entries.last).to_contain_text("王明 changed payment terms (days) from 0 to 1")
    expect(phone.locator("[data-testid=audit-more]")).to_have_count(0)
    assert_fits_phone(phone)

    # and at 1440 px the page has no horizontal scrolling either
    wide = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    try:
        desk = wide.new_page()
        login(desk, base, "channel", PASSWORD)
        desk.goto(f"{base}/partners/{world.dist_js.pk}/")
        expect(desk.locator("[data-testid=trend-bar]")).to_have_count(12)
        assert desk.evaluate("document.documentElement.scrollWidth") <= 1440
    finally:
        wide.close()
