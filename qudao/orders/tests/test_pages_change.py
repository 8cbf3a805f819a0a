"""Changing an order until it is confirmed, from the partner's order page in the portal and from
operations' HQ order page: the form shows the lines, previews them priced again, and applies them
(qudao.orders.services.change_order). Exact figures; bad input answers 422 and changes nothing;
a confirmed order cannot change; another partner's order answers 404."""

from __future__ import annotations

from decimal import Decimal

from qudao.core.models import OutboxEvent
from qudao.inventory import services as inventory
from qudao.orders.models import Order

from .conftest import set_credit
from .test_pages import place, texts


def available(shop) -> dict[str, int]:
    skus = shop.skus
    free = inventory.available([sku.pk for sku in skus.values()])
    return {name: free[sku.pk] for name, sku in skus.items()}


def state(order) -> tuple:
    """What a change would touch: status, total, lines, and the stock left."""
    order.refresh_from_db()
    lines = [(line.sku.code, line.quantity, line.line_total) for line in order.lines.order_by("line_no")]
    return order.status, order.total, lines


def form(*rows, **extra) -> dict:
    """A posted change form: rows of (code, quantity, existing[, remove])."""
    data = {"rows": str(len(rows)), **extra}
    for index, (code, quantity, existing, *remove) in enumerate(rows):
        data[f"code_{index}"] = code
        data[f"qty_{index}"] = quantity
        data[f"unit_{index}"] = ""
        if existing:
            data[f"line_{index}"] = "1"
        if remove:
            data[f"remove_{index}"] = "1"
    return data


def test_the_partner_changes_quantities_removes_and_adds_lines_repriced_with_the_stock_moved(world, shop, page_client):
    # given: 10,000.00 of credit and a submitted order of 2 HOOD-A and 1 WASH-A (5,598.00)
    set_credit(world.dist_js, "10000")
    order = place(world, shop, hood_a=2, wash_a=1)
    client = page_client(world.dist_staff)
    assert available(shop) == {"hood_a": 18, "hood_b": 20, "wash_a": 19}

    # when the partner opens its order, then: a "Change order" action leads to the form
    detail = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert f'href="/portal/orders/{order.number}/change/" data-testid="change-order"' in detail
    page = client.get(f"/portal/orders/{order.number}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert texts(html, "row-sku") == ["HOOD-A HOOD-A", "WASH-A WASH-A"]
    assert 'name="qty_0" id="qty_0" value="2"' in html and 'name="qty_1" id="qty_1" value="1"' in html
    assert html.count('data-testid="code-input"') == 3  # three blank rows to add lines

    # when it previews 3 HOOD-A, WASH-A removed, 2 HOOD-B added (htmx, nothing saved)
    rows = (("HOOD-A", "3", True), ("WASH-A", "1", True, "remove"), ("HOOD-B", "2", False), ("", "", False))
    preview = client.post(
        f"/portal/orders/{order.number}/change/", form(*rows, action="preview"), HTTP_HX_REQUEST="true"
    )
    # then the rows come back priced, the removed one marked, with the new total
    assert preview.status_code == 200
    html = preview.content.decode()
    assert texts(html, "row-total") == ["¥3,897.00", "¥4,000.00"]
    assert texts(html, "row-removed") == ["Removed"]
    assert texts(html, "quick-total") == ["¥7,897.00"]
    assert state(order) == (
        "submitted",
        Decimal("5598.00"),
        [("HOOD-A", 2, Decimal("2598.0000")), ("WASH-A", 1, Decimal("3000.0000"))],
    )

    # when it saves them
    saved = client.post(f"/portal/orders/{order.number}/change/", form(*rows))

    # then: back on the order page, told it is changed; re-priced, the stock moved with the lines
    assert (saved.status_code, saved["Location"]) == (302, f"/portal/orders/{order.number}/")
    assert state(order) == (
        "submitted",
        Decimal("7897.00"),
        [("HOOD-A", 3, Decimal("3897.0000")), ("HOOD-B", 2, Decimal("4000.0000"))],
    )
    assert available(shop) == {"hood_a": 17, "hood_b": 18, "wash_a": 20}
    assert OutboxEvent.objects.filter(event_type="order.changed", aggregate_id=order.number).count() == 1
    html = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert texts(html, "message") == [f"Order {order.number} is changed; it does not need approval."]
    assert texts(html, "line-total") == ["¥3,897.00", "¥4,000.00"]
    assert texts(html, "order-total") == ["¥7,897.00"]

    # when: a quantity of 0 drops a line, and more brings the order over the credit limit
    over = client.post(
        f"/portal/orders/{order.number}/change/",
        form(("HOOD-A", "0", True), ("HOOD-B", "2", True), ("wash-a", "3", False)),
    )
    # then it waits for approval again, and says so
    assert over.status_code == 302
    assert state(order) == (
        "pending_approval",
        Decimal("13000.00"),
        [("HOOD-B", 2, Decimal("4000.0000")), ("WASH-A", 3, Decimal("9000.0000"))],
    )
    assert available(shop) == {"hood_a": 20, "hood_b": 18, "wash_a": 17}
    html = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert texts(html, "message") == [f"Order {order.number} is changed and now awaits approval."]
    assert 'data-testid="change-order"' in html  # pending approval: it may still change


def test_bad_changes_answer_422_on_their_row_and_change_nothing(world, shop, page_client):
    # given a submitted order of 2 HOOD-A; HOOD-B is sold from 2, in multiples of 2
    shop.skus["hood_b"].__class__.objects.filter(pk=shop.skus["hood_b"].pk).update(min_order_qty=2, order_multiple=2)
    order = place(world, shop, hood_a=2)
    before = (state(order), available(shop))
    client = page_client(world.dist_admin)

    # when the partner sends a negative quantity, a fraction, an unknown code, too few, an odd number
    cases = [
        (form(("HOOD-A", "-1", True)), "Enter a quantity of at least 1."),
        (form(("HOOD-A", "1.5", True)), "Enter a whole number."),
        (form(("HOOD-A", "2", True), ("NOPE-9", "1", False)), "No product has this code or barcode."),
        (form(("HOOD-A", "2", True), ("HOOD-B", "1", False)), "Order at least 2 件 of HOOD-B."),
        (form(("HOOD-A", "2", True), ("HOOD-B", "3", False)), "Order HOOD-B in multiples of 2 件."),
        (form(("HOOD-A", "21", True)), None),  # more than the stock: refused by the service
    ]
    for data, message in cases:
        answer = client.post(f"/portal/orders/{order.number}/change/", data)
        # then: 422 with the message next to the row, and nothing changed
        assert answer.status_code == 422, data
        html = answer.content.decode()
        if message is not None:
            assert texts(html, "row-error") == [message]
        else:
            assert len(texts(html, "row-error")) == 1
        assert (state(order), available(shop)) == before
    # removing every line is refused too (cancel the order instead)
    empty = client.post(f"/portal/orders/{order.number}/change/", form(("HOOD-A", "2", True, "remove")))
    assert empty.status_code == 422
    assert texts(empty.content.decode(), "quick-errors") == ["Enter a SKU code and a quantity on at least one row."]
    assert (state(order), available(shop)) == before
    assert not OutboxEvent.objects.filter(event_type="order.changed").exists()


def test_a_confirmed_order_cannot_change_and_another_partners_order_is_not_found(world, shop, page_client):
    # given a confirmed order of dist_js
    order = place(world, shop, hood_a=2)
    from qudao.orders import services

    services.confirm_order(order=order, actor=world.operations)
    before = (state(order), available(shop))
    client = page_client(world.dist_admin)

    # when the partner tries to change it (page and POST)
    detail = client.get(f"/portal/orders/{order.number}/").content.decode()
    page = client.get(f"/portal/orders/{order.number}/change/")
    posted = client.post(f"/portal/orders/{order.number}/change/", form(("HOOD-A", "3", True)))

    # then: no action on the order page; back on it with the reason; nothing changed
    assert 'data-testid="change-order"' not in detail
    assert (page.status_code, page["Location"]) == (302, f"/portal/orders/{order.number}/")
    assert (posted.status_code, posted["Location"]) == (302, f"/portal/orders/{order.number}/")
    html = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert texts(html, "message") == [
        "An order can be changed only until it is confirmed.",
        "An order can be changed only until it is confirmed.",
    ]
    assert (state(order), available(shop)) == before

    # and: another partner's users and HQ users without the right
    submitted = place(world, shop, wash_a=1)
    zj = page_client(world.zj_admin)
    assert zj.get(f"/portal/orders/{submitted.number}/change/").status_code == 404
    assert zj.post(f"/portal/orders/{submitted.number}/change/", form(("WASH-A", "2", True))).status_code == 404
    assert page_client(world.regional_zj).get(f"/orders/{submitted.number}/change/").status_code == 404
    assert (
        page_client(world.finance).post(f"/orders/{submitted.number}/change/", form(("WASH-A", "2", True))).status_code
        == 403
    )
    assert (
        'data-testid="change-order"'
        not in page_client(world.finance).get(f"/orders/{submitted.number}/").content.decode()
    )
    assert state(submitted)[:2] == ("submitted", Decimal("3000.00"))


def test_operations_changes_an_order_on_the_hq_page(world, shop, page_client):
    from qudao.pricing.tests.conftest import make_promo

    # given: for each 2 HOOD-A bought, 1 HOOD-B free; an order of 2 HOOD-A (with its gift) and 1 WASH-A
    make_promo(
        "gift-b",
        "buy_x_get_y",
        sku=shop.skus["hood_a"],
        buy_qty=2,
        gift_qty=1,
        gift_sku=shop.skus["hood_b"],
        per_each=True,
    )
    order = place(world, shop, hood_a=2, wash_a=1)
    ops = page_client(world.operations)
    assert available(shop) == {"hood_a": 18, "hood_b": 19, "wash_a": 19}

    # when operations opens the order and its change page
    detail = ops.get(f"/orders/{order.number}/").content.decode()
    page = ops.get(f"/orders/{order.number}/change/").content.decode()

    # then: the action, and the form with the order's own lines; the gift is shown, not editable
    assert f'href="/orders/{order.number}/change/" data-testid="change-order"' in detail
    assert texts(page, "row-sku") == ["HOOD-A HOOD-A", "WASH-A WASH-A"]
    assert texts(page, "change-gift") == ["HOOD-B HOOD-B × 1 件"]

    # when it changes HOOD-A to 4 (two gifts now) and removes WASH-A; with a bad row first
    bad = ops.post(
        f"/orders/{order.number}/change/",
        form(("HOOD-A", "4", True), ("WASH-A", "1", True, "remove"), ("NOPE", "1", False)),
    )
    assert bad.status_code == 422
    assert texts(bad.content.decode(), "row-error") == ["No product has this code or barcode."]
    assert state(order)[1] == Decimal("5598.00")
    done = ops.post(f"/orders/{order.number}/change/", form(("HOOD-A", "4", True), ("WASH-A", "1", True, "remove")))

    # then: re-priced with the gift worked out again, the stock moved
    assert (done.status_code, done["Location"]) == (302, f"/orders/{order.number}/")
    assert state(order) == (
        "submitted",
        Decimal("5196.00"),
        [("HOOD-A", 4, Decimal("5196.0000")), ("HOOD-B", 2, Decimal("0.0000"))],
    )
    assert available(shop) == {"hood_a": 16, "hood_b": 18, "wash_a": 20}
    html = ops.get(f"/orders/{order.number}/").content.decode()
    assert f"Order {order.number} is changed; it does not need approval." in html
    assert texts(html, "line-total") == ["5,196.00", "0.00"]
    # once confirmed, the page sends operations back with the reason
    ops.post(f"/orders/{order.number}/confirm/")
    refused = ops.post(f"/orders/{order.number}/change/", form(("HOOD-A", "2", True)))
    assert (refused.status_code, refused["Location"]) == (302, f"/orders/{order.number}/")
    assert "An order can be changed only until it is confirmed." in ops.get(f"/orders/{order.number}/").content.decode()
    assert state(order)[:2] == ("confirmed", Decimal("5196.00"))
    assert Order.objects.count() == 1
