"""The orders API: placing with an Idempotency-Key, scoping (404), operations' moves, credit."""

from __future__ import annotations

import json


def post(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_a_partner_places_an_order_once_and_follows_it(world, shop, api_client):
    client = api_client(world.dist_admin)
    body = {"lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 2}], "note": "周五前到货"}
    # when: submitted, then retried with the same key
    first = post(client, "/api/v1/orders", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    retry = post(client, "/api/v1/orders", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    # then: one order, 201 then 200
    assert (first.status_code, retry.status_code) == (201, 200)
    order = first.json()
    assert retry.json()["number"] == order["number"]
    assert (order["status"], order["total"], order["note"], order["partner"]["id"]) == (
        "submitted",
        "2598.00",
        "周五前到货",
        world.dist_js.pk,
    )
    assert [(line["sku"]["code"], line["quantity"], line["line_total"]) for line in order["lines"]] == [
        ("HOOD-A", 2, "2598.00")
    ]
    assert [(change["from_status"], change["to_status"]) for change in order["history"]] == [("draft", "submitted")]
    # and: the partner sees its credit
    credit = client.get(f"/api/v1/partners/{world.dist_js.pk}/credit").json()
    assert (credit["limit"], credit["open_orders"], credit["available"]) == ("100000.00", "2598.00", "97402.00")
    # and: another partner's user does not see the order (404), operations confirms it
    assert api_client(world.zj_admin).get(f"/api/v1/orders/{order['id']}").status_code == 404
    confirmed = post(api_client(world.operations), f"/api/v1/orders/{order['id']}/confirm", {})
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "confirmed")
    # and: once confirmed, the partner may no longer cancel it (409), operations may
    refused = post(client, f"/api/v1/orders/{order['id']}/cancel", {"reason": "不要了"})
    assert refused.status_code == 409
    cancelled = post(api_client(world.operations), f"/api/v1/orders/{order['id']}/cancel", {"reason": "缺货"})
    assert cancelled.json()["status"] == "cancelled"


def test_bad_orders_are_refused_field_by_field_and_change_nothing(world, shop, api_client):
    from qudao.orders.models import Order

    client = api_client(world.dist_admin)
    response = post(
        client,
        "/api/v1/orders",
        {"lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 0}, {"sku": 999999, "quantity": 1}]},
    )
    assert response.status_code == 422
    assert {error["field"]: error["message"] for error in response.json()["errors"]} == {
        "lines.0.quantity": "Enter a whole number from 1 to 1000000000.",
    }
    response = post(client, "/api/v1/orders", {"lines": [{"sku": 999999, "quantity": 1}]})
    assert {error["field"]: error["message"] for error in response.json()["errors"]} == {
        "lines.0.sku": "This SKU is not available to this partner."
    }
    # ordering for a partner that is not below you: 404
    other = post(client, "/api/v1/orders", {"partner": world.dealer_zj.pk, "lines": [{"sku": 1, "quantity": 1}]})
    assert other.status_code == 404
    # HQ does not place orders for partners here
    assert post(api_client(world.channel), "/api/v1/orders", {"lines": []}).status_code == 403
    assert Order.objects.count() == 0


def test_a_distributor_orders_for_its_sub_dealer_who_sees_it(world, shop, api_client):
    from .conftest import set_credit

    set_credit(world.sub_js, "10000")
    response = post(
        api_client(world.dist_admin),
        "/api/v1/orders",
        {"partner": world.sub_js.pk, "lines": [{"sku": shop.skus["wash_a"].pk, "quantity": 1}]},
    )
    assert response.status_code == 201
    order = response.json()
    assert (order["partner"]["id"], order["ordered_by"]["id"]) == (world.sub_js.pk, world.dist_js.pk)
    listed = api_client(world.sub_admin).get("/api/v1/orders").json()
    assert [item["number"] for item in listed["items"]] == [order["number"]]


def test_prepayment_through_the_api(world, shop, api_client):
    # finance records 3,000.00 received; the partner sees it and pays an order from it
    deposit = post(api_client(world.finance), f"/api/v1/partners/{world.dist_js.pk}/funds/deposits", {"amount": "3000"})
    assert (deposit.status_code, deposit.json()["available"]) == (201, "3000.00")
    bad = post(api_client(world.finance), f"/api/v1/partners/{world.dist_js.pk}/funds/deposits", {"amount": "-1"})
    assert bad.status_code == 422
    client = api_client(world.dist_admin)
    body = {"lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 2}], "payment_method": "prepayment"}
    order = post(client, "/api/v1/orders", body).json()
    assert (order["payment_method"], order["total"]) == ("prepayment", "2598.00")
    funds = client.get(f"/api/v1/partners/{world.dist_js.pk}/funds").json()
    assert funds == [
        {"kind": "prepayment", "currency": "CNY", "balance": "3000.00", "held": "2598.00", "available": "402.00"}
    ]
    entries = client.get(f"/api/v1/partners/{world.dist_js.pk}/funds/entries").json()
    assert [(entry["account"], entry["kind"], entry["reference"]) for entry in entries["items"]] == [
        ("prepayment", "hold", order["number"]),
        ("prepayment", "deposit", ""),
    ]
    rebate = client.get(f"/api/v1/partners/{world.dist_js.pk}/funds/entries?account=rebate").json()
    assert rebate["items"] == []
    # the partner cannot deposit; another partner cannot see the account
    assert post(client, f"/api/v1/partners/{world.dist_js.pk}/funds/deposits", {"amount": "1"}).status_code == 403
    assert api_client(world.zj_admin).get(f"/api/v1/partners/{world.dist_js.pk}/funds").status_code == 404
    # a second order beyond what is left is refused on `payment`
    refused = post(client, "/api/v1/orders", body)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "payment")


def test_an_erp_reads_the_orders_changed_since_its_cursor(world, shop, api_client):
    from datetime import timedelta

    from django.utils import timezone

    from qudao.orders.models import Order

    client = api_client(world.dist_admin)
    first = post(client, "/api/v1/orders", {"lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 1}]}).json()
    second = post(client, "/api/v1/orders", {"lines": [{"sku": shop.skus["wash_a"].pk, "quantity": 1}]}).json()
    erp = api_client(world.operations)
    # fresh changes wait a few seconds
    assert erp.get("/api/v1/orders/changes").json()["items"] == []
    earlier = timezone.now() - timedelta(minutes=5)
    Order.objects.filter(pk=first["id"]).update(updated_at=earlier)
    Order.objects.filter(pk=second["id"]).update(updated_at=earlier + timedelta(seconds=1))
    page = erp.get("/api/v1/orders/changes", {"limit": 1}).json()
    assert [order["number"] for order in page["items"]] == [first["number"]]
    page = erp.get("/api/v1/orders/changes", {"cursor": page["next_cursor"]}).json()
    assert [order["number"] for order in page["items"]] == [second["number"]]
    cursor = page["next_cursor"]
    assert erp.get("/api/v1/orders/changes", {"cursor": cursor}).json() == {"items": [], "next_cursor": cursor}
    # the first order changes again: it comes once more, after the cursor
    Order.objects.filter(pk=first["id"]).update(updated_at=earlier + timedelta(seconds=2))
    again = erp.get("/api/v1/orders/changes", {"cursor": cursor}).json()
    assert [order["number"] for order in again["items"]] == [first["number"]]
    assert erp.get("/api/v1/orders/changes", {"cursor": "garbage"}).status_code == 422
    # a partner reads only its own
    assert api_client(world.zj_admin).get("/api/v1/orders/changes").json()["items"] == []
