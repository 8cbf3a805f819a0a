"""Idempotency-Key on placing orders: the same key with the same request (field order, spacing
and defaults do not matter) returns the first order; the same key with a different request is
refused with 422 `idempotency_key_reused` and places nothing."""

from __future__ import annotations

from qudao.inventory.models import StockLevel
from qudao.orders.models import Order
from qudao.pricing.models import PromotionUsage

from .test_pages import key_of, quick_rows, texts


def reserved(sku) -> int:
    return sum(StockLevel.objects.filter(sku=sku).values_list("reserved", flat=True))


def raw_post(client, path, text: str, **headers):
    return client.post(path, text, content_type="application/json", **headers)


def test_the_same_key_with_the_same_request_returns_the_first_order_and_with_another_is_refused(
    world, shop, api_client
):
    client = api_client(world.dist_admin)
    hood, wash = shop.skus["hood_a"].pk, shop.skus["wash_a"].pk
    # given: an order placed with key "po-7"
    first = raw_post(
        client,
        "/api/v1/orders",
        f'{{"lines": [{{"sku": {hood}, "quantity": 2}}, {{"sku": {wash}, "quantity": 1}}], "note": "周五到"}}',
        HTTP_IDEMPOTENCY_KEY="po-7",
    )
    assert first.status_code == 201
    order = first.json()

    # when: the same request is sent again, its fields in another order, spaced otherwise, with
    # the defaults spelt out (the buyer, the unit, the payment method, no rebate)
    retry = raw_post(
        client,
        "/api/v1/orders",
        f'{{ "note":"周五到",  "partner": {world.dist_js.pk}, "payment_method": "credit", "rebate_amount": "0",\n'
        f'  "lines":[{{"quantity":2,"sku":{hood},"unit":null}},{{"unit":"","sku":{wash},"quantity":1}}]}}',
        HTTP_IDEMPOTENCY_KEY="po-7",
    )
    # then: 200 with the first order
    assert (retry.status_code, retry.json()["id"], retry.json()["number"]) == (200, order["id"], order["number"])

    # when: the same key comes with another request (one more unit, or another note)
    for body in (
        f'{{"lines": [{{"sku": {hood}, "quantity": 3}}, {{"sku": {wash}, "quantity": 1}}], "note": "周五到"}}',
        f'{{"lines": [{{"sku": {hood}, "quantity": 2}}, {{"sku": {wash}, "quantity": 1}}], "note": "周六到"}}',
    ):
        reused = raw_post(client, "/api/v1/orders", body, HTTP_IDEMPOTENCY_KEY="po-7")
        # then: 422 naming the reuse, and nothing placed or reserved
        assert reused.status_code == 422
        assert reused["Content-Type"] == "application/problem+json"
        problem = reused.json()
        assert (problem["code"], problem["status"], problem["type"]) == (
            "idempotency_key_reused",
            422,
            "https://qudao.dev/problems/idempotency_key_reused",
        )
        message = (
            f"This Idempotency-Key was already used for {order['number']} with a different request."
            " Send a new key for a new request."
        )
        assert problem["detail"] == message
        assert problem["errors"] == [{"field": "idempotency_key", "message": message}]
    assert Order.objects.count() == 1
    assert (reserved(shop.skus["hood_a"]), reserved(shop.skus["wash_a"])) == (2, 1)
    assert PromotionUsage.objects.count() == 0

    # and: the key belongs to the partner: another partner may use the same key for its own order
    from .conftest import set_credit

    set_credit(world.dealer_zj, "100000")
    other = raw_post(
        api_client(world.zj_admin),
        "/api/v1/orders",
        f'{{"lines": [{{"sku": {wash}, "quantity": 1}}]}}',
        HTTP_IDEMPOTENCY_KEY="po-7",
    )
    assert other.status_code == 201 and other.json()["id"] != order["id"]


def test_a_portal_form_sent_again_with_other_lines_does_not_return_the_first_order(world, shop, page_client):
    client = page_client(world.dist_admin)
    key = key_of(client.get("/portal/orders/quick/").content.decode())
    # given: an order placed from the quick order
    placed = client.post("/portal/orders/quick/", quick_rows(("HOOD-A", "2"), idempotency_key=key, action="place"))
    order = Order.objects.get()
    assert placed.status_code == 302

    # when: the same form is sent again unchanged (a double tap), then: the same order
    again = client.post("/portal/orders/quick/", quick_rows(("HOOD-A", "2"), idempotency_key=key, action="place"))
    assert (again.status_code, again["Location"]) == (302, f"/portal/orders/{order.number}/")

    # when: it comes back (the browser's back button) with other lines
    changed = client.post("/portal/orders/quick/", quick_rows(("HOOD-A", "3"), idempotency_key=key, action="place"))
    # then: it is refused with the reason and a new key, nothing placed
    html = changed.content.decode()
    assert changed.status_code == 422
    assert texts(html, "quick-errors") == [
        f"This form already placed order {order.number}. Check the lines and place them again for a new order."
    ]
    assert key_of(html) != key
    assert Order.objects.count() == 1 and reserved(shop.skus["hood_a"]) == 2

    # when: placed again with the new key, then: a second order
    second = client.post(
        "/portal/orders/quick/", quick_rows(("HOOD-A", "3"), idempotency_key=key_of(html), action="place")
    )
    assert second.status_code == 302
    assert sorted(Order.objects.values_list("total", flat=True)) == [2598, 3897]
