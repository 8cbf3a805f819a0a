"""After placing an order the partner reads that it worked, its status and what happens next; a
refused rebate amount in the catalogue's cart keeps the partner on the cart, the error beside the
field (HOOD-A 1,299.00)."""

from __future__ import annotations

import pytest
from django.utils import translation

from qudao.orders.models import Order

from .conftest import set_credit
from .test_pages import key_of, quick_rows
from .test_rebate_payment import rebate_fund


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_the_order_page_says_the_order_is_placed_and_waits_for_hq(world, shop, page_client, english):
    set_credit(world.dist_js, "100000")
    client = page_client(world.dist_admin)
    form = client.get("/portal/orders/quick/").content.decode()
    placed = client.post(
        "/portal/orders/quick/", quick_rows(("HOOD-A", "2"), idempotency_key=key_of(form)), follow=True
    )
    order = Order.objects.get()
    assert order.status == "submitted"
    assert placed.redirect_chain == [(f"/portal/orders/{order.number}/", 302)]
    assert (
        f'data-testid="message">Order {order.number} is placed (Submitted). Next, HQ confirms it; '
        "you are told when it is confirmed.</div>"
    ) in placed.content.decode()


def test_an_order_over_the_credit_limit_says_it_waits_for_approval_and_why(world, shop, page_client, english):
    set_credit(world.dist_js, "1000")
    client = page_client(world.dist_admin)
    form = client.get("/portal/orders/quick/").content.decode()
    placed = client.post(
        "/portal/orders/quick/", quick_rows(("HOOD-A", "2"), idempotency_key=key_of(form)), follow=True
    )
    order = Order.objects.get()
    assert (order.status, order.approval_reasons) == ("pending_approval", ["over_credit_limit"])
    assert (
        f"Order {order.number} is placed (Pending approval). It waits for HQ&#x27;s approval because it is over "
        "your available credit; you are told when it is decided."
    ) in placed.content.decode()


def test_a_refused_rebate_amount_keeps_the_partner_on_the_cart_with_the_error_beside_the_field(
    world, shop, page_client, english
):
    # given 500.00 in the rebate fund and 2 HOOD-A (2,598.00; 30% is 779.40) priced in the catalogue
    set_credit(world.dist_js, "100000")
    rebate_fund(world, "500")
    client = page_client(world.dist_admin)
    hood = shop.skus["hood_a"]
    quote = client.post("/portal/catalog/quote/", {f"qty_{hood.pk}": "2"}, HTTP_HX_REQUEST="true").content.decode()
    # the cart's place form is sent in place (htmx), once, and says it comes from the catalogue
    assert 'hx-post="/portal/orders/place/" hx-target="#quote-result" hx-swap="outerHTML"' in quote
    assert '<input type="hidden" name="source" value="catalog">' in quote
    form = {f"qty_{hood.pk}": "2", "idempotency_key": key_of(quote), "rebate_amount": "600", "source": "catalog"}

    # when it asks to pay 600.00 from the fund (in place, with htmx)
    refused = client.post("/portal/orders/place/", form, HTTP_HX_REQUEST="true")
    # then the cart comes back with the error beside the rebate amount, which keeps its value and
    # takes the focus; nothing is placed
    html = refused.content.decode()
    assert refused.status_code == 200 and 'id="quote-result"' in html
    assert (
        'value="600" autocomplete="off" data-testid="rebate-amount" aria-invalid="true" '
        'aria-describedby="rebate-amount-error" autofocus>'
    ) in html
    assert (
        '<div class="pt-error" id="rebate-amount-error" role="alert" data-testid="rebate-amount-error">'
        "<p>The rebate fund has 500.00 available, less than 600.00.</p></div>"
    ) in html
    assert html.index('data-testid="rebate-amount-error"') < html.index('data-testid="place-order"')
    assert Order.objects.count() == 0

    # without JavaScript the same cart is a full page, answered 422
    page = client.post("/portal/orders/place/", form)
    assert page.status_code == 422
    assert 'data-testid="rebate-amount-error"' in page.content.decode()
    assert 'data-testid="quick-form"' not in page.content.decode()

    # when it pays 400.00, then htmx is sent to the order, which says it is placed
    placed = client.post("/portal/orders/place/", form | {"rebate_amount": "400"}, HTTP_HX_REQUEST="true")
    order = Order.objects.get()
    assert (placed.status_code, placed["HX-Redirect"]) == (204, f"/portal/orders/{order.number}/")
    assert f"Order {order.number} is placed (Submitted)." in client.get(placed["HX-Redirect"]).content.decode()


@pytest.mark.parametrize(
    ("quantities", "refused", "error"),
    [
        (("25", "2"), "hood_a", "Only 20 available."),  # 20 of each in stock
        (("2", "3"), "hood_b", "Order HOOD-B in multiples of 2"),  # HOOD-B is sold from 2, by 2
    ],
    ids=["over-the-stock", "not-a-multiple"],
)
def test_a_refused_line_keeps_the_partner_on_the_cart_with_the_error_beside_the_line(
    world, shop, page_client, english, quantities, refused, error
):
    # given HOOD-A and HOOD-B (sold from 2, by 2) in the catalogue's cart, one line refused
    hood_a, hood_b = shop.skus["hood_a"], shop.skus["hood_b"]
    type(hood_b).objects.filter(pk=hood_b.pk).update(min_order_qty=2, order_multiple=2)
    client = page_client(world.dist_admin)
    quote = client.post("/portal/catalog/quote/", {f"qty_{hood_a.pk}": "2"}, HTTP_HX_REQUEST="true").content.decode()
    form = {
        f"qty_{hood_a.pk}": quantities[0],
        f"qty_{hood_b.pk}": quantities[1],
        "idempotency_key": key_of(quote),
        "source": "catalog",
    }
    line, other = (hood_a, hood_b) if refused == "hood_a" else (hood_b, hood_a)

    # when the cart is placed (in place, with htmx)
    answer = client.post("/portal/orders/place/", form, HTTP_HX_REQUEST="true")

    # then the cart comes back, not the quick order page, with the error beside that line's quantity
    html = answer.content.decode()
    assert answer.status_code == 200 and 'id="quote-result"' in html
    assert 'data-testid="quick-form"' not in html
    beside = html[html.index(f'id="qty-error-{line.pk}"') :]
    assert error in beside[: beside.index("</div>")]
    assert f'id="qty-error-{other.pk}" hx-swap-oob="true" role="alert" data-testid="qty-error"></div>' in html
    assert Order.objects.count() == 0

    # without JavaScript the same cart is a full page (422) with the line and its error
    page = client.post("/portal/orders/place/", form)
    assert page.status_code == 422
    assert error in page.content.decode() and 'data-testid="quick-form"' not in page.content.decode()


def test_the_hq_order_page_gives_the_approval_reasons_as_sentences(world, shop, page_client, english):
    # given an order waiting for approval because it is over the partner's credit
    set_credit(world.dist_js, "1000")
    client = page_client(world.dist_admin)
    form = client.get("/portal/orders/quick/").content.decode()
    client.post("/portal/orders/quick/", quick_rows(("HOOD-A", "2"), idempotency_key=key_of(form)))
    order = Order.objects.get()
    assert order.approval_reasons == ["over_credit_limit"]

    # when HQ opens the order and its approval
    page = page_client(world.channel).get(f"/orders/{order.number}/").content.decode()
    approval = page_client(world.channel).get(f"/approvals/{order.approval_id}/").content.decode()

    # then the reason reads as words, never as its key
    assert '<span class="small muted">(Over the available credit)</span>' in page
    assert "<dt>Why it needs approval</dt><dd>Over the available credit</dd>" in approval
    assert "over_credit_limit" not in page and "over_credit_limit" not in approval
