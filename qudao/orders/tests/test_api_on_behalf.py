"""The orders API on a partner's behalf (代客下单): an ERP's (or any HQ user's) token holding
orders.place_on_behalf places and changes orders for the partners it sees, idempotently; every
order answers who placed it and through which channel."""

from __future__ import annotations

import json

from qudao.core.models import OutboxEvent
from qudao.inventory.models import StockLevel
from qudao.orders.models import Order

from .conftest import set_credit


def post(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def put(client, path, body):
    return client.put(path, json.dumps(body), content_type="application/json")


def errors(response) -> dict:
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def written():
    return (Order.objects.count(), StockLevel.objects.filter(reserved__gt=0).count(), OutboxEvent.objects.count())


def test_an_erp_places_an_order_for_a_partner_once_and_it_says_who_placed_it(world, shop, api_client):
    # given: the ERP's integration user holds the operations role
    erp = api_client(world.operations)
    body = {
        "partner": world.dist_js.pk,
        "lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 2}],
        "note": "业务员 李四",
    }
    # when: it pushes an order taken by a sales rep, then retries it
    first = post(erp, "/api/v1/orders", body, HTTP_IDEMPOTENCY_KEY="ERP-SO-7781")
    retry = post(erp, "/api/v1/orders", body, HTTP_IDEMPOTENCY_KEY="ERP-SO-7781")
    # then: one order for dist_js, at its prices, placed on its behalf through the ERP channel
    assert (first.status_code, retry.status_code, retry.json()["id"]) == (201, 200, first.json()["id"])
    order = first.json()
    assert (order["partner"]["id"], order["ordered_by"], order["status"], order["total"], order["note"]) == (
        world.dist_js.pk,
        None,
        "submitted",
        "2598.00",
        "业务员 李四",
    )
    assert (order["channel"], order["channel_label"], order["on_behalf"], order["placed_by"]) == (
        "erp",
        "ERP on the partner's behalf",
        True,
        {"id": world.operations.pk, "username": "operations", "name": "operations"},
    )
    assert [(change["to_status"], change["by"]) for change in order["history"]] == [("submitted", "operations")]
    # and: the partner's user sees the same record of who placed it
    seen = api_client(world.dist_admin).get(f"/api/v1/orders/{order['id']}").json()
    assert (seen["channel"], seen["on_behalf"], seen["placed_by"]["username"]) == ("erp", True, "operations")
    assert Order.objects.count() == 1


def test_a_partner_users_order_through_the_api_is_its_own(world, shop, api_client):
    response = post(
        api_client(world.dist_staff), "/api/v1/orders", {"lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 1}]}
    )
    order = response.json()
    assert (response.status_code, order["channel"], order["on_behalf"], order["placed_by"]["username"]) == (
        201,
        "api",
        False,
        "dist_staff",
    )


def test_who_may_order_for_a_partner_through_the_api_and_a_refusal_changes_nothing(world, shop, api_client):
    body = {"partner": world.dist_js.pk, "lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 1}]}
    before = written()
    # HQ roles that do not order on a partner's behalf: 403, whether or not they name a partner
    for approver in (world.channel, world.finance):
        assert post(api_client(approver), "/api/v1/orders", body).status_code == 403
        assert post(api_client(approver), "/api/v1/orders", {"lines": body["lines"]}).status_code == 403
    # a partner outside the caller's scope: 404, as if it did not exist
    for outsider in (world.regional_zj, world.sales):
        refused = post(api_client(outsider), "/api/v1/orders", body)
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    # HQ must name the partner
    missing = post(api_client(world.operations), "/api/v1/orders", {"lines": body["lines"]})
    assert (missing.status_code, errors(missing)) == (422, {"partner": "Choose the partner to order for."})
    # a partner's user may not order for a partner outside its network
    assert post(api_client(world.zj_admin), "/api/v1/orders", body).status_code == 404
    assert written() == before


def test_hq_changes_a_partners_order_through_the_api(world, shop, api_client):
    # given: dealer_zj placed an order of 1 HOOD-B
    set_credit(world.dealer_zj, "100000")
    placed = post(
        api_client(world.zj_admin), "/api/v1/orders", {"lines": [{"sku": shop.skus["hood_b"].pk, "quantity": 1}]}
    ).json()
    path = f"/api/v1/orders/{placed['id']}/lines"
    change = {"lines": [{"sku": shop.skus["hood_b"].pk, "quantity": 3}]}
    # when: finance tries (403), a regional manager of Jiangsu tries (404: not its partner)
    assert put(api_client(world.finance), path, change).status_code == 403
    assert put(api_client(world.regional_js), path, change).status_code == 404
    # then: nothing changed
    assert Order.objects.get(pk=placed["id"]).total == 2000
    # when: sales, which owns dealer_zj, changes it
    changed = put(api_client(world.sales), path, change)
    # then: re-priced; still the partner's own order, placed by its user
    assert changed.status_code == 200
    body = changed.json()
    assert (body["total"], body["channel"], body["on_behalf"], body["placed_by"]["username"]) == (
        "6000.00",
        "api",
        False,
        "zj_admin",
    )
    event = OutboxEvent.objects.get(event_type="order.changed")
    assert (event.payload["changed_by"], event.payload["on_behalf"]) == (
        {"id": world.sales.pk, "username": "sales"},
        True,
    )
