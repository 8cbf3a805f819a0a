"""Returns (RMA) and credit notes: exact credited amounts at the net price paid after an allocated
order discount, quantities limited by what was shipped across returns, stock back in the ledger
(sellable on hand, quarantined into the same warehouse's quarantine), events, notifications, and
the API and pages with their scoping."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.models import Notification, OutboxEvent
from qudao.inventory import services as inventory
from qudao.inventory.models import StockEntry, StockLevel, Warehouse
from qudao.orders import returns, services, shipping
from qudao.orders.models import CreditNote, Order, ReturnRequest
from qudao.partners.tests.test_concurrency import run_concurrently
from qudao.pricing.tests.conftest import make_promo

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def delivered_order(world, shop, *pairs):
    """An order of dist_js, confirmed, allocated, shipped in full from HQ and confirmed delivered."""
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs],
        actor=world.dist_admin,
    )
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(line.pk, line.quantity) for line in order.lines.all()],
        actor=world.operations,
    )
    shipping.confirm_delivery(order=order, actor=world.dist_admin)
    order.refresh_from_db()
    return order


def discounted_order(world, shop):
    """3 HOOD-A (1,299.00) + 1 WASH-A (3,000.00) = 6,897.00, spend 5,000 get 300 off allocated to
    the lines: HOOD-A 3,727.49 (1,242.4967 a unit), WASH-A 2,869.51."""
    make_promo("t5000", "threshold", threshold=5000, value=300)
    return delivered_order(world, shop, ("hood_a", 3), ("wash_a", 1))


def line(order, line_no):
    return order.lines.get(line_no=line_no)


def hq_on_hand(shop, key):
    return StockLevel.objects.get(sku=shop.skus[key], warehouse__code="HQ").on_hand


def return_events(order):
    return list(
        OutboxEvent.objects.filter(aggregate_id=order.number, event_type__startswith="return.")
        .order_by("pk")
        .values_list("event_type", flat=True)
    )


def approved_return(world, order, *pairs, reason="damaged"):
    rma = returns.request_return(
        order=order,
        lines=[(line(order, line_no).pk, quantity) for line_no, quantity in pairs],
        reason=reason,
        description="外壳破损",
        actor=world.dist_admin,
    )
    return returns.approve_return(return_request=rma, actor=world.operations, note="请寄回")


# --- services ------------------------------------------------------------------------------------


def test_it_credits_one_returned_unit_at_the_net_price_paid_after_the_allocated_discount(world, shop):
    # given: a delivered order whose 300.00 off was allocated to its lines
    order = discounted_order(world, shop)
    assert (line(order, 1).line_total, line(order, 1).net_unit_price) == (Decimal("3727.49"), Decimal("1242.4967"))
    assert hq_on_hand(shop, "hood_a") == 17
    # when: 1 HOOD-A is requested back, approved and received sellable into HQ
    rma = returns.request_return(
        order=order,
        lines=[(line(order, 1).pk, 1)],
        reason="damaged",
        description="外壳破损",
        photos=[SimpleUploadedFile("broken.png", PNG)],
        actor=world.dist_admin,
    )
    assert (rma.number[:3], rma.status, rma.partner_id, rma.photos.count()) == ("RMA", "requested", world.dist_js.pk, 1)
    returns.approve_return(return_request=rma, actor=world.operations, note="请寄回")
    rma = returns.receive_return(
        return_request=rma,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(rma.lines.get().pk, 1, "sellable")],
        actor=world.operations,
    )
    # then: credited 1,242.50 (1,242.4967 rounded once), stock back on hand with a return entry
    rma.refresh_from_db()
    note = CreditNote.objects.get(return_request=rma)
    assert (rma.status, note.number[:2], note.partner_id, note.currency, note.amount) == (
        "credited",
        "CN",
        world.dist_js.pk,
        "CNY",
        Decimal("1242.50"),
    )
    assert list(note.lines.values_list("order_line__line_no", "quantity", "unit_price", "amount")) == [
        (1, 1, Decimal("1242.4967"), Decimal("1242.50"))
    ]
    assert hq_on_hand(shop, "hood_a") == 18
    entry = StockEntry.objects.get(reference=rma.number)
    assert (entry.kind, entry.sku.code, entry.warehouse.code, entry.on_hand_delta, entry.quarantined_delta) == (
        "return",
        "HOOD-A",
        "HQ",
        1,
        0,
    )
    assert return_events(order) == ["return.requested", "return.approved", "return.received", "return.credited"]
    credited = OutboxEvent.objects.get(event_type="return.credited")
    assert (credited.aggregate_type, credited.payload["credit_note"], credited.payload["amount"]) == (
        "order",
        note.number,
        "1242.50",
    )
    assert Notification.objects.filter(user=world.dist_admin, kind="return.approved").count() == 1
    assert returns.order_line_returned(line(order, 1)) == 1


def test_it_never_credits_more_than_the_line_total_over_several_returns(world, shop):
    # given: 1 HOOD-A already credited at 1,242.50
    order = discounted_order(world, shop)
    hq = Warehouse.objects.get(code="HQ")
    first = approved_return(world, order, (1, 1))
    returns.receive_return(
        return_request=first, warehouse=hq, lines=[(first.lines.get().pk, 1, "sellable")], actor=world.operations
    )
    # when: the other 2 come back, with the WASH-A
    second = approved_return(world, order, (1, 2), (2, 1))
    returns.receive_return(
        return_request=second,
        warehouse=hq,
        lines=[(row.pk, row.quantity, "sellable") for row in second.lines.all()],
        actor=world.operations,
    )
    # then: 2,484.99 + 2,869.51: the three HOOD-A credited 3,727.49 in all, the line total
    note = CreditNote.objects.get(return_request=second)
    assert list(note.lines.values_list("order_line__line_no", "quantity", "amount")) == [
        (1, 2, Decimal("2484.99")),
        (2, 1, Decimal("2869.51")),
    ]
    assert note.amount == Decimal("5354.50")


def test_it_refuses_returning_more_than_shipped_also_across_two_returns(world, shop):
    # given: 3 HOOD-A delivered, 2 already asked back
    order = discounted_order(world, shop)
    approved_return(world, order, (1, 2))
    # when: 2 more are asked
    with pytest.raises(FieldErrors) as error:
        returns.request_return(
            order=order, lines=[(line(order, 1).pk, 2)], reason="unwanted", description="", actor=world.dist_admin
        )
    # then: refused, nothing written
    assert error.value.errors == {"lines.0.quantity": ["At most 1 of line 1 may still be returned."]}
    assert ReturnRequest.objects.count() == 1
    # and: 4 at once, split on two rows of one request, is refused too
    with pytest.raises(FieldErrors) as error:
        returns.request_return(
            order=order,
            lines=[(line(order, 2).pk, 1), (line(order, 2).pk, 1)],
            reason="unwanted",
            actor=world.dist_admin,
        )
    assert error.value.errors == {"lines.1.quantity": ["At most 0 of line 2 may still be returned."]}


def test_it_frees_the_units_of_a_rejected_return(world, shop):
    # given: all 3 HOOD-A asked back, then rejected
    order = discounted_order(world, shop)
    rma = returns.request_return(order=order, lines=[(line(order, 1).pk, 3)], reason="quality", actor=world.dist_admin)
    with pytest.raises(FieldErrors) as error:
        returns.reject_return(return_request=rma, actor=world.operations, note="")
    assert error.value.errors == {"note": ["Say why the return is rejected."]}
    returns.reject_return(return_request=rma, actor=world.operations, note="超过退货期")
    # when: asked again
    again = returns.request_return(
        order=order, lines=[(line(order, 1).pk, 3)], reason="quality", actor=world.dist_admin
    )
    # then
    rma.refresh_from_db()
    assert (rma.status, rma.decision_note, again.lines.get().quantity) == ("rejected", "超过退货期", 3)
    assert Notification.objects.filter(user=world.dist_admin, kind="return.rejected").count() == 1
    with pytest.raises(Conflict):
        returns.approve_return(return_request=rma, actor=world.operations)


def test_it_receives_quarantined_units_into_the_quarantine_of_the_same_warehouse(world, shop):
    # given: 2 HOOD-A and 1 WASH-A approved for return; HQ holds 17 HOOD-A and 19 WASH-A
    order = discounted_order(world, shop)
    rma = approved_return(world, order, (1, 2), (2, 1))
    hq = Warehouse.objects.get(code="HQ")
    hood, wash = (rma.lines.get(order_line__line_no=no).pk for no in (1, 2))
    # when: the 2 HOOD-A came back sellable, the WASH-A damaged (quarantine), all into HQ
    returns.receive_return(
        return_request=rma, warehouse=hq, lines=[(hood, 2, "sellable"), (wash, 1, "quarantine")], actor=world.operations
    )
    # then: HOOD-A on hand and available +2; WASH-A quarantined +1, on hand and available unchanged
    levels = {
        level.sku.code: (level.on_hand, level.reserved, level.quarantined, level.available)
        for level in StockLevel.objects.filter(warehouse=hq, sku__code__in=["HOOD-A", "WASH-A"]).select_related("sku")
    }
    assert levels == {"HOOD-A": (19, 0, 0, 19), "WASH-A": (19, 0, 1, 19)}
    assert inventory.available([shop.skus["hood_a"].pk, shop.skus["wash_a"].pk]) == {
        shop.skus["hood_a"].pk: 19,
        shop.skus["wash_a"].pk: 19,
    }
    assert not Warehouse.objects.exclude(code="HQ").exists()
    # and: one ledger entry per movement, with the RMA number
    entries = StockEntry.objects.filter(reference=rma.number).order_by("pk")
    assert [
        (
            e.kind,
            e.sku.code,
            e.warehouse.code,
            e.on_hand_delta,
            e.quarantined_delta,
            e.on_hand_after,
            e.quarantined_after,
        )
        for e in entries
    ] == [("return", "HOOD-A", "HQ", 2, 0, 19, 0), ("quarantine", "WASH-A", "HQ", 0, 1, 19, 1)]
    assert {e.actor_id for e in entries} == {world.operations.pk}
    assert list(rma.lines.order_by("order_line__line_no").values_list("received_quantity", "condition")) == [
        (2, "sellable"),
        (1, "quarantine"),
    ]
    # and: credited for every unit received, quarantined or not (2 x 1,242.4967 + 2,869.51)
    assert CreditNote.objects.get(return_request=rma).amount == Decimal("5354.50")
    # when: operations releases the quarantined unit after checking it
    inventory.release_quarantine(
        warehouse_id=hq.pk, sku_id=shop.skus["wash_a"].pk, quantity=1, note="检查完好", actor=world.operations
    )
    # then: it may be sold again
    assert inventory.available([shop.skus["wash_a"].pk]) == {shop.skus["wash_a"].pk: 20}


def test_it_refuses_bad_receipts_and_other_actors(world, shop):
    # given
    order = discounted_order(world, shop)
    rma = returns.request_return(order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.dist_admin)
    hq = Warehouse.objects.get(code="HQ")
    # then: not yet approved
    with pytest.raises(Conflict) as conflict:
        returns.receive_return(
            return_request=rma, warehouse=hq, lines=[(rma.lines.get().pk, 1, "sellable")], actor=world.operations
        )
    assert str(conflict.value.detail) == "A return that is Requested cannot be received."
    # then: a partner user cannot decide; another partner cannot ask
    with pytest.raises(Forbidden):
        returns.approve_return(return_request=rma, actor=world.dist_admin)
    with pytest.raises(Forbidden):
        returns.request_return(order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.zj_admin)
    returns.approve_return(return_request=rma, actor=world.operations)
    with pytest.raises(FieldErrors) as error:
        returns.receive_return(
            return_request=rma, warehouse=hq, lines=[(rma.lines.get().pk, 2, "broken")], actor=world.operations
        )
    assert error.value.errors == {
        "lines.0.quantity": ["Enter a whole number from 0 to 1."],
        "lines.0.condition": ["Choose one of: sellable, quarantine."],
    }
    with pytest.raises(FieldErrors) as error:
        returns.receive_return(
            return_request=rma, warehouse=hq, lines=[(rma.lines.get().pk, 0, "sellable")], actor=world.operations
        )
    assert error.value.errors == {"lines": ["Receive at least one unit."]}
    assert StockEntry.objects.filter(reference=rma.number).count() == 0


def test_it_refuses_a_return_of_an_order_not_yet_shipped(world, shop):
    # given: a confirmed order
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 1}], actor=world.dist_admin
    )
    # when / then
    with pytest.raises(Conflict) as conflict:
        returns.request_return(order=order, lines=[(line(order, 1).pk, 1)], reason="unwanted", actor=world.dist_admin)
    assert str(conflict.value.detail) == "An order that is Submitted cannot be returned."


def test_it_refuses_a_fake_photo(world, shop):
    order = discounted_order(world, shop)
    with pytest.raises(FieldErrors) as error:
        returns.request_return(
            order=order,
            lines=[(line(order, 1).pk, 1)],
            reason="other",
            photos=[SimpleUploadedFile("x.png", b"GIF89a" + b"\x00" * 20)],
            actor=world.dist_admin,
        )
    assert error.value.errors == {
        "description": ["Describe why the goods come back."],
        "photos": ["The file is not a real JPG, PNG or WebP photo."],
    }


# --- API -----------------------------------------------------------------------------------------


def test_it_runs_a_return_through_the_api(world, shop, api_client):
    # given: the discounted order delivered to dist_js
    order = discounted_order(world, shop)
    partner, ops = api_client(world.dist_admin), api_client(world.operations)
    # when: the partner asks back 1 HOOD-A, with a photo (multipart)
    response = partner.post(
        f"/api/v1/orders/{order.pk}/returns",
        {
            "payload": json.dumps(
                {"reason": "damaged", "description": "外壳破损", "lines": [{"line_no": 1, "quantity": 1}]}
            ),
            "photos": SimpleUploadedFile("broken.png", PNG),
        },
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["reason"], body["order"], len(body["photos"])) == (
        "requested",
        "damaged",
        order.number,
        1,
    )
    assert body["lines"] == [
        {
            "line_no": 1,
            "sku": {"id": shop.skus["hood_a"].pk, "code": "HOOD-A", "name": "HOOD-A"},
            "quantity": 1,
            "received_quantity": 0,
            "condition": None,
            "net_unit_price": "1242.4967",
        }
    ]
    rma_id = body["id"]
    assert partner.get(body["photos"][0]["url"]).status_code == 200
    # when: operations approves and receives it
    assert post(ops, f"/api/v1/returns/{rma_id}/approve", {"note": "请寄回"}).json()["status"] == "approved"
    response = post(
        ops,
        f"/api/v1/returns/{rma_id}/receive",
        {"warehouse": "HQ", "lines": [{"line_no": 1, "received_quantity": 1, "condition": "sellable"}]},
    )
    # then: credited 1,242.50
    assert response.status_code == 200, response.content
    note = response.json()["credit_note"]
    assert (response.json()["status"], note["amount"], note["currency"], note["order"]) == (
        "credited",
        "1242.50",
        "CNY",
        order.number,
    )
    assert note["lines"] == [
        {
            "line_no": 1,
            "sku": {"id": shop.skus["hood_a"].pk, "code": "HOOD-A", "name": "HOOD-A"},
            "quantity": 1,
            "unit_price": "1242.4967",
            "amount": "1242.50",
        }
    ]
    assert partner.get(f"/api/v1/credit-notes/{note['id']}").json()["amount"] == "1242.50"
    assert [row["number"] for row in partner.get("/api/v1/returns").json()["items"]] == [body["number"]]


def test_it_answers_over_returns_and_other_partners_in_the_api(world, shop, api_client):
    # given
    order = discounted_order(world, shop)
    partner = api_client(world.dist_admin)
    # when: more than shipped
    response = post(
        partner,
        f"/api/v1/orders/{order.pk}/returns",
        {"reason": "unwanted", "lines": [{"line_no": 1, "quantity": 4}, {"line_no": 9, "quantity": 1}]},
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "lines.1.line_no", "message": "This line is not on the order."}]
    response = post(
        partner, f"/api/v1/orders/{order.pk}/returns", {"reason": "unwanted", "lines": [{"line_no": 1, "quantity": 4}]}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "lines.0.quantity", "message": "At most 3 of line 1 may still be returned."}
    ]
    # when: another partner asks, or looks
    rma = approved_return(world, order, (1, 1))
    other = api_client(world.zj_admin)
    assert post(other, f"/api/v1/orders/{order.pk}/returns", {"reason": "unwanted", "lines": []}).status_code == 404
    assert other.get(f"/api/v1/returns/{rma.pk}").status_code == 404
    assert other.get("/api/v1/returns").json()["items"] == []
    # then: the partner may not approve its own return
    assert post(partner, f"/api/v1/returns/{rma.pk}/reject", {"note": "x"}).status_code == 403


def test_it_receives_quarantined_units_through_the_api_and_refuses_the_old_quarantine_warehouse(
    world, shop, api_client
):
    # given: 1 WASH-A approved for return; HQ holds 19
    order = discounted_order(world, shop)
    rma = approved_return(world, order, (2, 1))
    ops = api_client(world.operations)
    body = {"warehouse": "HQ", "lines": [{"line_no": 2, "received_quantity": 1, "condition": "quarantine"}]}
    # when: a client still names a quarantine warehouse
    refused = post(ops, f"/api/v1/returns/{rma.pk}/receive", body | {"quarantine_warehouse": "QC"})
    # then: unknown fields are refused, nothing received
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["quarantine_warehouse"]
    assert StockEntry.objects.filter(reference=rma.number).count() == 0
    # when
    response = post(ops, f"/api/v1/returns/{rma.pk}/receive", body)
    # then: into HQ's quarantine, credited; on hand and available unchanged
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["lines"][0]["condition"]) == ("credited", "quarantine")
    level = StockLevel.objects.get(sku=shop.skus["wash_a"], warehouse__code="HQ")
    assert (level.on_hand, level.quarantined, level.available) == (19, 1, 19)
    stock = ops.get("/api/v1/inventory/stock", {"warehouse": "HQ", "sku": "WASH-A"}).json()["items"][0]
    assert (stock["on_hand"], stock["quarantined"], stock["available"]) == (19, 1, 19)


# --- pages ---------------------------------------------------------------------------------------


def test_it_requests_a_return_from_the_portal_and_operations_receives_it_in_hq(world, shop, page_client):
    # given
    order = discounted_order(world, shop)
    partner = page_client(world.dist_admin)
    hood = line(order, 1)
    assert (
        f'href="/portal/orders/{order.number}/return/"'
        in partner.get(f"/portal/orders/{order.number}/").content.decode()
    )
    form = partner.get(f"/portal/orders/{order.number}/return/")
    assert form.status_code == 200
    assert form.content.decode().count('data-testid="return-line"') == 2
    # when: too many, then right
    refused = partner.post(
        f"/portal/orders/{order.number}/return/", {f"qty_{hood.pk}": "4", "reason": "damaged", "description": "破损"}
    )
    assert refused.status_code == 422
    assert "At most 3 of line 1 may still be returned." in refused.content.decode()
    response = partner.post(
        f"/portal/orders/{order.number}/return/",
        {f"qty_{hood.pk}": "1", "reason": "damaged", "description": "破损", "photos": SimpleUploadedFile("a.png", PNG)},
    )
    # then
    rma = ReturnRequest.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/portal/returns/{rma.number}/")
    assert rma.photos.count() == 1
    assert rma.number in partner.get("/portal/returns/").content.decode()
    # when: operations approves and receives it from its pages
    ops = page_client(world.operations)
    assert rma.number in ops.get("/orders/returns/").content.decode()
    assert ops.post(f"/orders/returns/{rma.number}/approve/", {"note": ""}).status_code == 302
    hq = Warehouse.objects.get(code="HQ")
    response = ops.post(
        f"/orders/returns/{rma.number}/receive/",
        {f"received_{rma.lines.get().pk}": "1", f"condition_{rma.lines.get().pk}": "sellable", "warehouse": hq.pk},
    )
    # then: credited; the partner sees the credit note
    assert (response.status_code, response["Location"]) == (302, f"/orders/returns/{rma.number}/")
    assert 'data-testid="credit-amount">CNY 1,242.50' in ops.get(response["Location"]).content.decode()
    assert "CNY 1,242.50" in partner.get(f"/portal/returns/{rma.number}/").content.decode()


def test_operations_receives_quarantined_units_into_the_same_warehouse_from_the_hq_page(world, shop, page_client):
    # given: 1 WASH-A approved for return
    order = discounted_order(world, shop)
    rma = approved_return(world, order, (2, 1))
    ops = page_client(world.operations)
    return_line = rma.lines.get().pk
    # then: one warehouse to choose, no quarantine warehouse any more
    page = ops.get(f"/orders/returns/{rma.number}/").content.decode()
    assert 'name="warehouse"' in page and "quarantine_warehouse" not in page
    # when
    response = ops.post(
        f"/orders/returns/{rma.number}/receive/",
        {
            f"received_{return_line}": "1",
            f"condition_{return_line}": "quarantine",
            "warehouse": str(Warehouse.objects.get(code="HQ").pk),
        },
    )
    # then
    assert (response.status_code, response["Location"]) == (302, f"/orders/returns/{rma.number}/")
    level = StockLevel.objects.get(sku=shop.skus["wash_a"], warehouse__code="HQ")
    assert (level.on_hand, level.quarantined, level.available) == (19, 1, 19)
    assert list(StockEntry.objects.filter(reference=rma.number).values_list("kind", "quarantined_delta")) == [
        ("quarantine", 1)
    ]


def test_it_answers_404_for_another_partners_return_page(world, shop, page_client):
    # given
    order = discounted_order(world, shop)
    rma = approved_return(world, order, (1, 1))
    other = page_client(world.zj_admin)
    # then
    assert other.get(f"/portal/returns/{rma.number}/").status_code == 404
    assert other.get(f"/portal/orders/{order.number}/return/").status_code == 404
    assert rma.number not in other.get("/portal/returns/").content.decode()
    assert page_client(world.regional_zj).get(f"/orders/returns/{rma.number}/").status_code == 404
    # and: an HQ user who sees it but does not manage orders may not decide
    assert page_client(world.finance).post(f"/orders/returns/{rma.number}/reject/", {"note": "x"}).status_code == 403


# --- cancelling ------------------------------------------------------------------------------------


def return_history(rma):
    """(before status, after status, after note) of each audit row of the return, oldest first."""
    from django.contrib.contenttypes.models import ContentType

    from qudao.core.models import ObjectChange

    rows = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(ReturnRequest), object_id=str(rma.pk)
    ).order_by("pk")
    return [((row.before or {}).get("status"), row.after["status"], row.after["decision_note"]) for row in rows]


def test_it_lets_the_partner_cancel_its_approved_return_and_frees_its_units(world, shop):
    # given: 2 of the 3 HOOD-A asked back and approved; only 1 may still be asked
    order = discounted_order(world, shop)
    rma = approved_return(world, order, (1, 2))
    assert returns.returned_quantities(order) == {line(order, 1).pk: 2}
    assert returns.returnable_quantities(order)[line(order, 1).pk] == 1
    # when: the partner's administrator cancels it without a reason
    cancelled = returns.cancel_return(return_request=rma, actor=world.dist_admin, reason="")
    # then: cancelled, recorded like a decision, with a history row approved -> cancelled
    rma.refresh_from_db()
    assert (cancelled.status, rma.status, rma.decided_by, rma.decision_note) == (
        "cancelled",
        "cancelled",
        world.dist_admin,
        "",
    )
    assert rma.decided_at is not None
    assert return_history(rma) == [
        (None, "requested", ""),
        ("requested", "approved", "请寄回"),
        ("approved", "cancelled", ""),
    ]
    # and: the event, operations told in-app, the partner not
    assert return_events(order) == ["return.requested", "return.approved", "return.cancelled"]
    event = OutboxEvent.objects.get(event_type="return.cancelled")
    assert (event.aggregate_type, event.aggregate_id, event.payload) == (
        "order",
        order.number,
        {
            "number": rma.number,
            "order": order.number,
            "partner": world.dist_js.pk,
            "status": "cancelled",
            "from_status": "approved",
            "by": "partner",
            "note": "",
        },
    )
    told = Notification.objects.get(user=world.operations, kind="return.cancelled")
    assert (told.title, told.url) == (
        f"Return {rma.number} of order {order.number} cancelled",
        f"/orders/returns/{rma.number}/",
    )
    assert list(Notification.objects.filter(kind="return.cancelled").values_list("user", flat=True)) == [
        world.operations.pk
    ]
    # and: the cancelled return holds nothing; all 3 may be asked back again
    assert returns.returned_quantities(order) == {}
    assert returns.returnable_quantities(order)[line(order, 1).pk] == 3
    again = returns.request_return(
        order=order, lines=[(line(order, 1).pk, 3)], reason="quality", actor=world.dist_admin
    )
    assert (again.status, again.lines.get().quantity) == ("requested", 3)


def test_it_lets_operations_cancel_a_requested_return_only_with_a_reason(world, shop):
    # given: 1 HOOD-A asked back
    order = discounted_order(world, shop)
    rma = returns.request_return(order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.dist_admin)
    # when: operations cancels without a reason
    with pytest.raises(FieldErrors) as error:
        returns.cancel_return(return_request=rma, actor=world.operations, reason="  ")
    # then: refused, nothing changed
    assert error.value.errors == {"reason": ["Say why the return is cancelled."]}
    rma.refresh_from_db()
    assert (rma.status, rma.decided_at, return_events(order)) == ("requested", None, ["return.requested"])
    # when: with a reason
    returns.cancel_return(return_request=rma, actor=world.operations, reason="客户电话撤回")
    # then: cancelled, the partner's users told, operations not
    rma.refresh_from_db()
    assert (rma.status, rma.decided_by, rma.decision_note) == ("cancelled", world.operations, "客户电话撤回")
    assert return_history(rma)[-1] == ("requested", "cancelled", "客户电话撤回")
    assert OutboxEvent.objects.get(event_type="return.cancelled").payload["by"] == "operations"
    told = Notification.objects.filter(kind="return.cancelled").order_by("user__username")
    assert [(n.user.username, n.body, n.url) for n in told] == [
        (world.dist_admin.username, "客户电话撤回", f"/portal/returns/{rma.number}/"),
        (world.dist_staff.username, "客户电话撤回", f"/portal/returns/{rma.number}/"),
    ]
    assert returns.returnable_quantities(order)[line(order, 1).pk] == 3


def test_it_refuses_to_cancel_a_decided_or_received_return_or_for_others(world, shop):
    # given: a rejected, a credited and a cancelled return of the order, and a requested one
    order = discounted_order(world, shop)
    hq = Warehouse.objects.get(code="HQ")
    rejected = returns.request_return(
        order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.dist_admin
    )
    returns.reject_return(return_request=rejected, actor=world.operations, note="超过退货期")
    credited = approved_return(world, order, (1, 1))
    returns.receive_return(
        return_request=credited, warehouse=hq, lines=[(credited.lines.get().pk, 1, "sellable")], actor=world.operations
    )
    cancelled = approved_return(world, order, (2, 1))
    returns.cancel_return(return_request=cancelled, actor=world.dist_admin)
    requested = returns.request_return(
        order=order, lines=[(line(order, 1).pk, 2)], reason="unwanted", actor=world.dist_admin
    )
    before = (
        list(ReturnRequest.objects.order_by("pk").values_list("status", "decision_note")),
        OutboxEvent.objects.count(),
        Notification.objects.count(),
    )
    # when / then: 409 for the decided ones, whoever asks
    for rma, label in ((rejected, "Rejected"), (credited, "Credited"), (cancelled, "Cancelled")):
        with pytest.raises(Conflict) as conflict:
            returns.cancel_return(return_request=rma, actor=world.operations, reason="x")
        assert str(conflict.value.detail) == f"A return that is {label} cannot be cancelled."
    with pytest.raises(Conflict):
        returns.cancel_return(return_request=credited, actor=world.dist_admin)
    # then: 403 for another partner, an HQ user who does not manage orders, the system
    for actor in (world.zj_admin, world.sub_admin, world.finance, world.sales, None):
        with pytest.raises(Forbidden):
            returns.cancel_return(return_request=requested, actor=actor, reason="x")
    # and: nothing changed
    assert (
        list(ReturnRequest.objects.order_by("pk").values_list("status", "decision_note")),
        OutboxEvent.objects.count(),
        Notification.objects.count(),
    ) == before
    assert returns.returnable_quantities(order) == {line(order, 1).pk: 0, line(order, 2).pk: 1}


def test_the_partner_s_staff_may_ask_for_a_return_but_not_cancel_one(world, shop, api_client, page_client):
    # given: a return dist_staff asked for itself (partner staff may request returns), and one its
    # administrator asked for and operations approved
    order = discounted_order(world, shop)
    own = returns.request_return(order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.dist_staff)
    approved = approved_return(world, order, (2, 1))
    before = (
        list(ReturnRequest.objects.order_by("pk").values_list("status", "decided_at")),
        OutboxEvent.objects.count(),
        Notification.objects.count(),
    )
    staff = page_client(world.dist_staff)

    # when: the staff member cancels through the service, the API and the portal
    with pytest.raises(Forbidden):
        returns.cancel_return(return_request=own, actor=world.dist_staff)
    api = post(api_client(world.dist_staff), f"/api/v1/returns/{approved.pk}/cancel", {"reason": "不退了"})
    page = staff.post(f"/portal/returns/{own.number}/cancel/", {"reason": "不退了"})

    # then: 403 everywhere, nothing changed; the portal shows no cancel button to the staff member,
    # and still does to the administrator
    assert (api.status_code, api.json()["code"], page.status_code) == (403, "forbidden", 403)
    assert (
        list(ReturnRequest.objects.order_by("pk").values_list("status", "decided_at")),
        OutboxEvent.objects.count(),
        Notification.objects.count(),
    ) == before
    assert 'data-testid="cancel-form"' not in staff.get(f"/portal/returns/{own.number}/").content.decode()
    admin_page = page_client(world.dist_admin).get(f"/portal/returns/{own.number}/").content.decode()
    assert 'data-testid="cancel-form"' in admin_page


def test_it_cancels_a_return_through_the_api(world, shop, api_client):
    # given: a requested return of 1 HOOD-A
    order = discounted_order(world, shop)
    rma = returns.request_return(order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.dist_admin)
    ops, partner = api_client(world.operations), api_client(world.dist_admin)
    # when: operations without a reason; another partner; an HQ reader
    missing = post(ops, f"/api/v1/returns/{rma.pk}/cancel", {})
    other = post(api_client(world.zj_admin), f"/api/v1/returns/{rma.pk}/cancel", {"reason": "x"})
    reader = post(api_client(world.finance), f"/api/v1/returns/{rma.pk}/cancel", {"reason": "x"})
    # then: 422 on reason, 404, 403; nothing changed
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "reason", "message": "Say why the return is cancelled."}]
    assert (other.status_code, reader.status_code) == (404, 403)
    assert ReturnRequest.objects.get(pk=rma.pk).status == "requested"
    # when: the partner cancels it
    response = post(partner, f"/api/v1/returns/{rma.pk}/cancel", {"reason": "不退了"})
    # then: cancelled, the reason kept; a second cancel is a conflict
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["status_label"], body["decision_note"]) == ("cancelled", "Cancelled", "不退了")
    again = post(ops, f"/api/v1/returns/{rma.pk}/cancel", {"reason": "x"})
    assert again.status_code == 409
    assert again.json()["detail"] == "A return that is Cancelled cannot be cancelled."
    assert [row["status"] for row in partner.get("/api/v1/returns?status=cancelled").json()["items"]] == ["cancelled"]


def test_it_cancels_a_return_from_the_portal_and_from_hq(world, shop, page_client):
    # given: two requested returns of 1 HOOD-A each
    order = discounted_order(world, shop)
    mine = returns.request_return(order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.dist_admin)
    theirs = returns.request_return(
        order=order, lines=[(line(order, 1).pk, 1)], reason="damaged", actor=world.dist_admin
    )
    partner, ops = page_client(world.dist_admin), page_client(world.operations)
    # then: both pages offer the cancel form
    assert 'data-testid="cancel-form"' in partner.get(f"/portal/returns/{mine.number}/").content.decode()
    assert 'data-testid="cancel-form"' in ops.get(f"/orders/returns/{theirs.number}/").content.decode()
    # when: the partner cancels on the portal
    response = partner.post(f"/portal/returns/{mine.number}/cancel/", {"reason": "下错了"})
    # then
    assert (response.status_code, response["Location"]) == (302, f"/portal/returns/{mine.number}/")
    page = partner.get(response["Location"]).content.decode()
    assert 'data-testid="return-status">Cancelled' in page and 'data-testid="cancel-form"' not in page
    assert ReturnRequest.objects.get(pk=mine.pk).decision_note == "下错了"
    # when: operations cancels without a reason, then with one
    refused = ops.post(f"/orders/returns/{theirs.number}/cancel/", {"reason": ""})
    assert refused.status_code == 422
    assert 'data-testid="cancel-error"><li>Say why the return is cancelled.</li>' in refused.content.decode()
    assert ReturnRequest.objects.get(pk=theirs.pk).status == "requested"
    response = ops.post(f"/orders/returns/{theirs.number}/cancel/", {"reason": "重复申请"})
    # then
    assert (response.status_code, response["Location"]) == (302, f"/orders/returns/{theirs.number}/")
    assert ReturnRequest.objects.get(pk=theirs.pk).status == "cancelled"
    # and: cancelling again is refused with a message; other partners get 404, HQ readers 403
    again = partner.post(f"/portal/returns/{mine.number}/cancel/", {"reason": ""})
    assert (again.status_code, again["Location"]) == (302, f"/portal/returns/{mine.number}/")
    assert "A return that is Cancelled cannot be cancelled." in partner.get(again["Location"]).content.decode()
    assert page_client(world.zj_admin).post(f"/portal/returns/{mine.number}/cancel/", {}).status_code == 404
    assert page_client(world.finance).post(f"/orders/returns/{theirs.number}/cancel/", {}).status_code == 403
    assert returns.returnable_quantities(order)[line(order, 1).pk] == 3


# --- concurrency (PostgreSQL) ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_it_lets_only_three_of_eight_simultaneous_requests_take_the_three_units_shipped(world, shop):
    # given: 3 HOOD-A delivered
    order = discounted_order(world, shop)
    line_id = line(order, 1).pk

    def ask(_index):
        fresh = Order.objects.get(pk=order.pk)
        return returns.request_return(order=fresh, lines=[(line_id, 1)], reason="unwanted", actor=world.dist_admin)

    # when: 8 partner users' requests of 1 unit at once
    results = run_concurrently(8, ask)
    # then: exactly 3 requested, 5 refused with the figure left
    assert sorted(status for status, _value in results) == ["error"] * 5 + ["ok"] * 3
    refusals = {str(value.errors["lines.0.quantity"][0]) for status, value in results if status == "error"}
    assert refusals == {"At most 0 of line 1 may still be returned."}
    assert ReturnRequest.objects.filter(order=order).count() == 3
    assert returns.returnable_quantities(order)[line_id] == 0
