"""Web security in a real browser. A partner reports damage with a "photo" that is a genuine PNG
header followed by a page with a script, named 195 characters + ".html.png" (its kept name is cut
to end in ".html"); operations opens it from the HQ case page: Chromium shows an image, the script
never runs on Qudao's origin. And the Content-Security-Policy every page carries breaks nothing: the
live search (htmx), a confirmation before deleting, the language switch and the Swagger UI work
without a single violation."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from conftest import PASSWORD

from .test_portal_catalog import build_shop
from .ui import login

HOSTILE_PNG = (
    b"\x89PNG\r\n\x1a\n"
    + b"<html><head><title>pwned</title></head><body><script>"
    + b"document.title='pwned'; localStorage.setItem('pwned', document.cookie || 'yes');"
    + b"</script></body></html>"
)
HOSTILE_NAME = "a" * 195 + ".html.png"


def shipped_order(world):
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders import services, shipping
    from qudao.partners.models import Partner

    skus = build_shop(world)
    warehouse = Warehouse.objects.create(code="HQ", name="总仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(skus["hood_a"].pk, 10)], note="test")
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("100000"))
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": skus["hood_a"].pk, "quantity": 2}], actor=world.dist_admin
    )
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    shipping.create_shipment(
        order=order,
        warehouse=warehouse,
        lines=[(order.lines.get().pk, 2)],
        carrier="顺丰",
        tracking_number="SF9",
        actor=world.operations,
    )
    order.refresh_from_db()
    return order


def policy_violations(page) -> list[str]:
    """Console messages of the page that report a Content-Security-Policy violation."""
    found: list[str] = []

    def keep(message):
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", keep)
    return found


def test_a_hostile_photo_is_shown_as_an_image_never_run_as_a_page(live_server, open_page, world):
    # given: a shipped order; the partner's admin on its phone
    order = shipped_order(world)
    base = live_server.url
    phone = open_page("phone")
    login(phone, base, "dist_admin", PASSWORD)

    # when: it confirms receipt, one hood damaged, attaching the hostile "photo"
    phone.goto(f"{base}/portal/orders/{order.number}/")
    phone.click("[data-testid=report-problem] summary")
    phone.select_option("[data-testid=receipt-kind]", "damaged")
    phone.fill(f"#rq-{order.lines.get().pk}", "1")
    phone.set_input_files(
        "#receipt-photos", files=[{"name": HOSTILE_NAME, "mimeType": "image/png", "buffer": HOSTILE_PNG}]
    )
    with phone.expect_navigation():
        phone.click("[data-testid=confirm-receipt-submit]")

    # and: operations opens the case and its photo
    from qudao.orders.models import DiscrepancyCase

    case = DiscrepancyCase.objects.get(order=order)
    desk = open_page("desktop")
    violations = policy_violations(desk)
    login(desk, base, "operations", PASSWORD)
    desk.goto(f"{base}/orders/cases/{case.number}/")
    link = desk.locator("[data-testid=case-photo]")
    # (the photo shows as a thumbnail named by the file's name, linking to the full size)
    thumbnail = link.locator("img")
    expect(thumbnail).to_have_attribute("alt", "a" * 195 + ".html")
    response = desk.goto(base + link.get_attribute("href"))

    # then: Chromium shows it as the PNG it is; the script in it never ran on Qudao's origin
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert desk.evaluate("document.contentType") == "image/png"
    assert desk.title() != "pwned"
    desk.goto(f"{base}/orders/cases/{case.number}/")
    assert desk.evaluate("localStorage.getItem('pwned')") is None
    assert violations == []


def test_pages_keep_working_under_their_content_security_policy(live_server, open_page, world):
    # given: two price lists, channel at a desk
    from qudao.pricing.models import PriceList
    from qudao.pricing.tests.conftest import make_list

    build_shop(world)
    doomed = make_list("doomed", status="draft", priority=1)
    base = live_server.url
    desk = open_page("desktop")
    violations = policy_violations(desk)
    login(desk, base, "channel", PASSWORD)

    # when: it types in the partner list's live search (htmx, no page load)
    desk.goto(f"{base}/partners/")
    expect(desk.locator("#partner-table tbody tr")).to_have_count(3)
    desk.fill("#filter-q", world.dealer_zj.legal_name)
    # then: the table narrows to the one partner
    expect(desk.locator("#partner-table tbody tr")).to_have_count(1)

    # when: it deletes a price list but cancels the confirmation, then accepts it
    desk.goto(f"{base}/pricing/price-lists/{doomed.pk}/")
    desk.once("dialog", lambda dialog: dialog.dismiss())
    desk.click("[data-testid=delete]")
    desk.wait_for_timeout(300)
    assert PriceList.objects.filter(pk=doomed.pk).exists()
    desk.once("dialog", lambda dialog: dialog.accept())
    with desk.expect_navigation():
        desk.click("[data-testid=delete]")
    # then: only the accepted one deleted it
    assert not PriceList.objects.filter(pk=doomed.pk).exists()

    # when: it switches the language (the select submits its form)
    with desk.expect_navigation():
        desk.select_option("[data-testid=language-select]", "zh-hans")
    # then
    assert desk.evaluate("document.documentElement.lang") == "zh-hans"

    # when: the API's Swagger UI opens
    desk.goto(f"{base}/api/v1/docs")
    # then: it renders the API under its own policy
    expect(desk.locator("#swagger-ui .info .title")).to_contain_text("Qudao API")
    assert violations == []
