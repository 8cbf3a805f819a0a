"""Paying part of an order from the rebate fund (返利池): held at submission (at most the max share
of the total and what the fund has available), re-held when the order changes, released on cancel
or rejection, taken share by share as the goods ship (the shares add up exactly); credit counts
only the rest; unused rebate money expires first in, first out. Exact figures throughout; bad input
changes nothing. The catalogue: HOOD-A 1,299.00, HOOD-B 2,000.00, WASH-A 3,000.00."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from qudao.core.errors import FieldErrors
from qudao.core.models import OutboxEvent
from qudao.inventory.models import StockLevel, Warehouse
from qudao.orders import services, shipping
from qudao.orders.models import Order
from qudao.partners import funds
from qudao.partners.models import FundAccount, FundEntry

from .conftest import set_credit
from .test_pages import key_of, quick_rows, texts

REBATE = FundAccount.Kind.REBATE


def post(client, path, body, method="post"):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def rebate_fund(world, amount=None):
    """dist_js's rebate fund, with `amount` deposited first (by finance)."""
    if amount is not None:
        funds.deposit(partner=world.dist_js, amount=amount, actor=world.finance, kind=REBATE)
    account = funds.account_for(world.dist_js, REBATE)
    account.refresh_from_db()
    return account


def figures(world):
    account = rebate_fund(world)
    return account.balance, account.held


def entries(account, reference=None):
    rows = FundEntry.objects.filter(account=account).order_by("pk")
    if reference is not None:
        rows = rows.filter(reference=reference)
    return [(entry.kind, entry.balance_delta, entry.held_delta) for entry in rows]


def place(world, shop, rebate=None, method=None, **quantities):
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus[name].pk, "quantity": qty} for name, qty in quantities.items()],
        actor=world.dist_admin,
        payment_method=method,
        rebate_amount=rebate,
    )
    return order


def refusal(call) -> dict:
    with pytest.raises(FieldErrors) as raised:
        call()
    return {field: [str(message) for message in messages] for field, messages in raised.value.errors.items()}


def reserved(shop, key) -> int:
    return StockLevel.objects.get(sku=shop.skus[key]).reserved


# --- placing -------------------------------------------------------------------------------------


def test_it_holds_the_rebate_part_at_submission_and_credit_counts_only_the_rest(world, shop):
    # given: 2,000.00 in dist_js's rebate fund and a credit limit of 3,000.00
    account = rebate_fund(world, "2000")
    set_credit(world.dist_js, "3000")
    # when: it orders 3 HOOD-A (3,897.00 - over its credit) paying 1,000.00 from the rebate fund
    order = place(world, shop, rebate="1000.00", hood_a=3)
    # then: the 1,000.00 is held for the order; only the 2,897.00 left uses credit, so it passes
    assert (order.status, order.total, order.rebate_amount, order.remainder) == (
        "submitted",
        Decimal("3897.0000"),
        Decimal("1000.00"),
        Decimal("2897.0000"),
    )
    assert figures(world) == (Decimal("2000.0000"), Decimal("1000.0000"))
    assert entries(account) == [("deposit", 2000, 0), ("hold", 0, 1000)]
    assert FundEntry.objects.get(kind="hold").reference == order.number
    credit = services.credit_of(world.dist_js)
    assert (credit.open_orders, credit.available) == (Decimal("2897.0000"), Decimal("103.0000"))
    # and: operations confirms it against the same remainder
    assert services.confirm_order(order=order, actor=world.operations).status == "confirmed"
    # and: a prepaid order holds only the rest from the prepayment
    funds.deposit(partner=world.dist_js, amount="3000", actor=world.finance)
    prepaid = place(world, shop, rebate="500", method="prepayment", hood_b=1)
    prepayment = funds.account_for(world.dist_js)
    assert (prepaid.total, prepaid.rebate_amount, prepayment.held) == (Decimal("2000.0000"), 500, Decimal("1500.0000"))
    assert figures(world) == (Decimal("2000.0000"), Decimal("1500.0000"))


def test_it_refuses_more_than_the_share_or_the_fund_and_bad_amounts_writing_nothing(world, shop, settings):
    # given: 500.00 in the rebate fund; 3 HOOD-A cost 3,897.00, of which 30% is 1,169.10
    account = rebate_fund(world, "500")
    order = lambda rebate: place(world, shop, rebate=rebate, hood_a=3)  # noqa: E731
    # when / then: over the share and over the fund, both at once
    assert refusal(lambda: order("1169.11")) == {
        "rebate_amount": [
            "At most 30% of the order (1,169.10) can be paid from the rebate fund.",
            "The rebate fund has 500.00 available, less than 1,169.11.",
        ]
    }
    assert refusal(lambda: order("500.01")) == {
        "rebate_amount": ["The rebate fund has 500.00 available, less than 500.01."]
    }
    assert refusal(lambda: order("-1")) == {
        "rebate_amount": ["The amount paid from the rebate fund cannot be negative."]
    }
    assert refusal(lambda: order("1.001")) == {
        "rebate_amount": ["Enter the amount paid from the rebate fund in cents at most."]
    }
    assert refusal(lambda: order("lots")) == {
        "rebate_amount": ["Enter the amount to pay from the rebate fund, e.g. 100.00."]
    }
    # and: nothing was written - no order, no hold, no stock or promotion reserved
    assert Order.objects.count() == 0
    assert entries(account) == [("deposit", 500, 0)]
    assert figures(world) == (Decimal("500.0000"), Decimal("0.0000"))
    assert reserved(shop, "hood_a") == 0
    # when: at most the share of a smaller order, exactly (2 HOOD-A: 30% of 2,598.00 = 779.40)
    funds.deposit(partner=world.dist_js, amount="1000", actor=world.finance, kind=REBATE)
    placed = place(world, shop, rebate="779.40", hood_a=2)
    assert (placed.rebate_amount, figures(world)) == (Decimal("779.40"), (Decimal("1500.0000"), Decimal("779.4000")))
    # and: with the share set to 0 the rebate fund pays no orders
    settings.REBATE_MAX_SHARE = "0"
    assert refusal(lambda: order("1.00")) == {"rebate_amount": ["Orders cannot be paid from the rebate fund."]}
    assert place(world, shop, rebate="0", hood_a=1).rebate_amount == 0


def test_cancelling_or_rejecting_releases_the_rebate_hold(world, shop):
    # given: 1,000.00 in the rebate fund, two orders holding 779.40 and 200.00 of it
    account = rebate_fund(world, "1000")
    first = place(world, shop, rebate="779.40", hood_a=2)
    second = place(world, shop, rebate="200", hood_b=1)
    assert figures(world) == (Decimal("1000.0000"), Decimal("979.4000"))
    # when: the partner cancels the first, operations rejects the second
    services.cancel_order(order=first, actor=world.dist_admin, reason="买错了")
    assert figures(world) == (Decimal("1000.0000"), Decimal("200.0000"))
    services.reject_order(order=second, actor=world.operations, reason="停产")
    # then: everything is available again, through release entries
    assert figures(world) == (Decimal("1000.0000"), Decimal("0.0000"))
    assert entries(account, first.number) == [("hold", 0, Decimal("779.4")), ("release", 0, Decimal("-779.4"))]
    assert entries(account, second.number) == [("hold", 0, 200), ("release", 0, -200)]
    # and: cancelled orders no longer hold credit
    assert services.credit_of(world.dist_js).open_orders == 0


# --- changing ------------------------------------------------------------------------------------


def test_changing_an_order_holds_its_rebate_part_again(world, shop, api_client):
    # given: 3 HOOD-A (3,897.00) paying 1,000.00 from a rebate fund of 2,000.00
    account = rebate_fund(world, "2000")
    order = place(world, shop, rebate="1000", hood_a=3)
    # when: changed to 2 HOOD-A (2,598.00, of which 30% is 779.40) without naming the rebate part
    order = services.change_order(
        order=order, lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 2}], actor=world.dist_admin
    )
    # then: the part is lowered to the share of the new total and held again
    assert (order.total, order.rebate_amount) == (Decimal("2598.0000"), Decimal("779.40"))
    assert entries(account, order.number) == [
        ("hold", 0, 1000),
        ("release", 0, -1000),
        ("hold", 0, Decimal("779.4")),
    ]
    assert figures(world) == (Decimal("2000.0000"), Decimal("779.4000"))
    # when: changed again naming 500.00
    lines = [{"sku": shop.skus["hood_a"].pk, "quantity": 2}]
    order = services.change_order(order=order, lines=lines, actor=world.dist_admin, rebate_amount="500.00")
    assert (order.rebate_amount, figures(world)) == (Decimal("500.00"), (Decimal("2000.0000"), Decimal("500.0000")))
    assert services.credit_of(world.dist_js).open_orders == Decimal("2098.0000")
    # when: a change asks for more than the share: refused, nothing changed
    three = [{"sku": shop.skus["hood_a"].pk, "quantity": 3}]
    assert refusal(
        lambda: services.change_order(order=order, lines=three, actor=world.dist_admin, rebate_amount="1169.11")
    ) == {"rebate_amount": ["At most 30% of the order (1,169.10) can be paid from the rebate fund."]}
    order.refresh_from_db()
    assert (order.total, order.rebate_amount, figures(world)) == (
        Decimal("2598.0000"),
        Decimal("500.0000"),
        (Decimal("2000.0000"), Decimal("500.0000")),
    )
    assert (order.lines.get().quantity, reserved(shop, "hood_a")) == (2, 2)
    # when: the API changes it to 3 HOOD-A with 1,169.10 from the fund
    response = post(
        api_client(world.dist_admin),
        f"/api/v1/orders/{order.pk}/lines",
        {"lines": [{"sku": shop.skus["hood_a"].pk, "quantity": 3}], "rebate_amount": "1169.10"},
        method="put",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["rebate_amount"], body["remainder"]) == ("3897.00", "1169.10", "2727.90")
    assert figures(world) == (Decimal("2000.0000"), Decimal("1169.1000"))


# --- shipping ------------------------------------------------------------------------------------


def ship_one_at_a_time(world, order, line_nos):
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    hq, seen = Warehouse.objects.get(code="HQ"), []
    for line_no in line_nos:
        line = order.lines.get(line_no=line_no)
        shipping.create_shipment(order=order, warehouse=hq, lines=[(line.pk, 1)], actor=world.operations)
        seen.append(figures(world))
    return seen


def test_each_partial_shipment_takes_its_share_and_the_last_the_exact_rest(world, shop):
    # given: 2 HOOD-A and 1 WASH-A (5,598.00) on credit, 1,000.00 of it from the rebate fund
    account = rebate_fund(world, "2000")
    order = place(world, shop, rebate="1000", hood_a=2, wash_a=1)
    assert [(line.line_no, line.sku.code) for line in order.lines.all()] == [(1, "HOOD-A"), (2, "WASH-A")]
    # when: the washer leaves, then one hood, then the other
    seen = ship_one_at_a_time(world, order, [2, 1, 1])
    # then: 1,000 x 3,000/5,598 = 535.91, 1,000 x 1,299/5,598 = 232.05, and the last takes the rest, 232.04
    captures = [-entry.balance_delta for entry in FundEntry.objects.filter(account=account, kind="capture")]
    assert captures == [Decimal("535.91"), Decimal("232.05"), Decimal("232.04")]
    assert sum(captures) == Decimal("1000.00")
    assert seen == [
        (Decimal("1464.0900"), Decimal("464.0900")),
        (Decimal("1232.0400"), Decimal("232.0400")),
        (Decimal("1000.0000"), Decimal("0.0000")),
    ]
    order.refresh_from_db()
    assert order.status == "shipped"
    # and: the captures were published for the finance ledger
    published = OutboxEvent.objects.filter(event_type="fund.captured").order_by("pk")
    assert [Decimal(event.payload["amount"]) for event in published] == [
        Decimal("535.91"),
        Decimal("232.05"),
        Decimal("232.04"),
    ]


def test_a_prepaid_order_pays_each_shipment_from_the_rebate_fund_and_the_prepayment(world, shop):
    # given: 3 HOOD-A (3,897.00) prepaid, 1,000.00 of it from the rebate fund, 2,897.00 from prepayment
    rebate_fund(world, "2000")
    funds.deposit(partner=world.dist_js, amount="10000", actor=world.finance)
    order = place(world, shop, rebate="1000", method="prepayment", hood_a=3)
    prepayment = funds.account_for(world.dist_js)
    prepayment.refresh_from_db()
    assert (prepayment.balance, prepayment.held) == (Decimal("10000.0000"), Decimal("2897.0000"))
    # when: one hood leaves at a time
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    hq, seen = Warehouse.objects.get(code="HQ"), []
    for _ in range(3):
        shipping.create_shipment(order=order, warehouse=hq, lines=[(order.lines.get().pk, 1)], actor=world.operations)
        prepayment.refresh_from_db()
        seen.append((*figures(world), prepayment.balance, prepayment.held))
    # then: each hood is paid 333.33 / 333.33 / 333.34 from the rebate fund and the rest from prepayment
    assert seen == [
        (Decimal("1666.6700"), Decimal("666.6700"), Decimal("9034.3300"), Decimal("1931.3300")),
        (Decimal("1333.3400"), Decimal("333.3400"), Decimal("8068.6600"), Decimal("965.6600")),
        (Decimal("1000.0000"), Decimal("0.0000"), Decimal("7103.0000"), Decimal("0.0000")),
    ]


# --- expiry --------------------------------------------------------------------------------------


def test_unused_rebate_money_expires_oldest_first_but_never_what_orders_hold(world, shop, settings):
    # given: deposits of 1,000.00 (100 days ago), 500.00 (40 days ago) and 200.00 (10 days ago);
    # 1,100.00 taken by a shipped order, 250.00 held by an open order
    account = rebate_fund(world)
    now = timezone.now()
    for amount, days in (("1000", 100), ("500", 40), ("200", 10)):
        entry = funds.deposit(partner=world.dist_js, amount=amount, actor=world.finance, kind=REBATE)
        FundEntry.objects.filter(pk=entry.pk).update(created_at=now - timedelta(days=days))
    funds.hold(partner=world.dist_js, amount=Decimal("1100"), reference="SO-OLD", kind=REBATE)
    funds.capture(partner=world.dist_js, reference="SO-OLD", kind=REBATE)
    open_order = place(world, shop, rebate="250", hood_a=1)
    assert figures(world) == (Decimal("600.0000"), Decimal("250.0000"))
    # when: money expires after 60 days - the 1,000.00 of 100 days ago was all used
    assert funds.expire_rebates(days=60, now=now) == []
    # when: after 30 days - 1,500.00 paid in before then, 1,100.00 used: 400.00 unused, of which
    # only 350.00 is not held by the open order
    settings.REBATE_EXPIRY_DAYS = 30
    from qudao.partners.tasks import expire_rebate_money

    assert expire_rebate_money.call_local() == 1
    assert figures(world) == (Decimal("250.0000"), Decimal("250.0000"))
    expired = FundEntry.objects.get(kind="expiry")
    assert (expired.balance_delta, expired.held_delta, expired.account_id) == (Decimal("-350.0000"), 0, account.pk)
    assert funds.expire_rebates(now=now) == []  # twice expires nothing more
    # when: the open order is cancelled, the last 50.00 of the old money expires; the 200.00 of 10 days stays
    services.cancel_order(order=open_order, actor=world.dist_admin, reason="不要了")
    assert [-entry.balance_delta for entry in funds.expire_rebates(now=now)] == [Decimal("50.0000")]
    assert figures(world) == (Decimal("200.0000"), Decimal("0.0000"))
    event = OutboxEvent.objects.filter(event_type="fund.expired").order_by("pk").last()
    assert (event.payload["kind"], Decimal(event.payload["amount"])) == ("rebate", Decimal("50"))
    # and: with QUDAO_REBATE_EXPIRY_DAYS 0 nothing ever expires
    settings.REBATE_EXPIRY_DAYS = 0
    assert funds.expire_rebates(now=now + timedelta(days=1000)) == []


# --- API -----------------------------------------------------------------------------------------


def test_the_api_places_an_order_paying_part_from_the_rebate_fund(world, shop, api_client):
    rebate_fund(world, "2000")
    client = api_client(world.dist_admin)
    lines = [{"sku": shop.skus["hood_a"].pk, "quantity": 3}]
    # bad amounts: 422 on rebate_amount, nothing placed
    for bad, message in (
        ("-5", "The amount paid from the rebate fund cannot be negative."),
        ("1500", "At most 30% of the order (1,169.10) can be paid from the rebate fund."),
    ):
        response = post(client, "/api/v1/orders", {"lines": lines, "rebate_amount": bad})
        assert response.status_code == 422
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("rebate_amount", message)]
    assert post(client, "/api/v1/orders", {"lines": lines, "rebate_amount": 10.5}).status_code == 422
    assert Order.objects.count() == 0
    # a good one: 201 with the rebate part and the rest
    response = post(client, "/api/v1/orders", {"lines": lines, "rebate_amount": "1000.00"})
    assert response.status_code == 201
    body = response.json()
    assert (body["total"], body["rebate_amount"], body["remainder"], body["payment_method"]) == (
        "3897.00",
        "1000.00",
        "2897.00",
        "credit",
    )
    assert client.get(f"/api/v1/orders/{body['id']}").json()["rebate_amount"] == "1000.00"
    credit = client.get(f"/api/v1/partners/{world.dist_js.pk}/credit").json()
    assert credit["open_orders"] == "2897.00"


# --- pages ---------------------------------------------------------------------------------------


def test_the_portal_checkout_offers_the_rebate_fund_and_pays_part_of_the_order(world, shop, page_client):
    # given: 1,000.00 in the rebate fund
    rebate_fund(world, "1000")
    client = page_client(world.dist_admin)
    # the quick order shows what the fund has and, priced, the most this cart may use (30% of 3,897.00)
    page = client.get("/portal/orders/quick/").content.decode()
    assert texts(page, "rebate-available") == ["¥1,000.00"]
    assert 'name="rebate_amount"' in page and 'value="0"' in page
    priced = client.post("/portal/orders/quick/price/", quick_rows(("HOOD-A", "3"))).content.decode()
    assert (texts(priced, "rebate-available"), texts(priced, "rebate-usable")) == (["¥1,000.00"], ["¥1,000.00"])
    priced = client.post("/portal/orders/quick/price/", quick_rows(("HOOD-A", "2"))).content.decode()
    assert texts(priced, "rebate-usable") == ["¥779.40"]
    # over the share: 422 with the reason, nothing placed
    key = key_of(page)
    refused = client.post(
        "/portal/orders/quick/", quick_rows(("HOOD-A", "2"), idempotency_key=key, rebate_amount="800")
    )
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "At most 30% of the order (779.40) can be paid from the rebate fund." in html
    assert 'name="rebate_amount" id="id_rebate_amount" value="800"' in html
    assert (Order.objects.count(), figures(world)) == (0, (Decimal("1000.0000"), Decimal("0.0000")))
    # placed with 300.00 from the fund
    placed = client.post("/portal/orders/quick/", quick_rows(("HOOD-A", "2"), idempotency_key=key, rebate_amount="300"))
    order = Order.objects.get()
    assert (placed.status_code, order.rebate_amount, figures(world)) == (
        302,
        Decimal("300.00"),
        (Decimal("1000.0000"), Decimal("300.0000")),
    )
    # the order page and the credit page show the part paid from the rebate fund
    detail = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert (texts(detail, "order-rebate"), texts(detail, "order-remainder")) == (["−¥300.00"], ["¥2,298.00"])
    credit = client.get("/portal/credit/").content.decode()
    assert texts(credit, "rebate-available") == ["¥700.00"]
    assert texts(credit, "rebate-held") == ["¥300.00"]
    assert texts(credit, "credit-order-rebate") == ["¥300.00"]
    # the HQ order page shows it too
    hq = page_client(world.operations).get(f"/orders/{order.number}/").content.decode()
    assert (texts(hq, "order-rebate"), texts(hq, "order-remainder")) == (["CNY 300.00"], ["CNY 2,298.00"])


def test_the_catalogue_cart_places_an_order_paying_part_from_the_rebate_fund(world, shop, page_client):
    # given: 500.00 in the rebate fund, 2 HOOD-A priced in the catalogue
    rebate_fund(world, "500")
    client = page_client(world.dist_admin)
    hood = shop.skus["hood_a"]
    quote = client.post("/portal/catalog/quote/", {f"qty_{hood.pk}": "2"}, HTTP_HX_REQUEST="true").content.decode()
    assert (texts(quote, "rebate-available"), texts(quote, "rebate-usable")) == (["¥500.00"], ["¥500.00"])
    # when: placed with 450.00 from the fund
    form = {f"qty_{hood.pk}": "2", "idempotency_key": key_of(quote), "rebate_amount": "450.00"}
    response = client.post("/portal/orders/place/", form)
    # then: the order holds 450.00 of the fund
    order = Order.objects.get()
    assert (response.status_code, order.rebate_amount, figures(world)) == (
        302,
        Decimal("450.00"),
        (Decimal("500.0000"), Decimal("450.0000")),
    )
    # and: more than is left is refused on the quick order page, nothing placed
    form = {f"qty_{hood.pk}": "2", "idempotency_key": "another-key", "rebate_amount": "60"}
    refused = client.post("/portal/orders/place/", form)
    assert refused.status_code == 422
    assert "The rebate fund has 50.00 available, less than 60.00." in refused.content.decode()
    assert Order.objects.count() == 1


# --- returns -------------------------------------------------------------------------------------


def test_a_return_gives_the_rebate_share_back_to_the_fund_and_credits_the_rest(world, shop, api_client, page_client):
    from qudao.orders import returns
    from qudao.orders.models import CreditNote

    # given: 3 HOOD-A (3,897.00) paying 1,000.00 from a rebate fund of 2,000.00, shipped in full
    account = rebate_fund(world, "2000")
    order = place(world, shop, rebate="1000", hood_a=3)
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    hq, line = Warehouse.objects.get(code="HQ"), order.lines.get()
    shipping.create_shipment(order=order, warehouse=hq, lines=[(line.pk, 3)], actor=world.operations)
    assert figures(world) == (Decimal("1000.0000"), Decimal("0.0000"))

    def give_back(quantity):
        rma = returns.request_return(
            order=order, lines=[(line.pk, quantity)], reason="damaged", description="", actor=world.dist_admin
        )
        returns.approve_return(return_request=rma, actor=world.operations)
        returns.receive_return(
            return_request=rma, warehouse=hq, lines=[(rma.lines.get().pk, quantity, "sellable")], actor=world.operations
        )
        return CreditNote.objects.get(return_request=rma)

    # when: one hood comes back: 1,299.00, of which 1,000 x 1,299/3,897 = 333.33 was paid from the fund
    first = give_back(1)
    # then: 333.33 goes back to the rebate fund, the credit note is the rest, 965.67
    assert (first.value, first.rebate_amount, first.amount) == (
        Decimal("1299.0000"),
        Decimal("333.33"),
        Decimal("965.67"),
    )
    assert figures(world) == (Decimal("1333.3300"), Decimal("0.0000"))
    assert entries(account, first.number) == [("deposit", Decimal("333.33"), 0)]
    # when: the other two come back: the fund gets the exact rest of its 1,000.00, 666.67
    second = give_back(2)
    assert (second.value, second.rebate_amount, second.amount) == (
        Decimal("2598.0000"),
        Decimal("666.67"),
        Decimal("1931.33"),
    )
    assert figures(world) == (Decimal("2000.0000"), Decimal("0.0000"))
    # and: the API shows both parts
    body = api_client(world.dist_admin).get(f"/api/v1/credit-notes/{second.pk}").json()
    assert (body["amount"], body["rebate_amount"]) == ("1931.33", "666.67")
    # and: the return pages too (the partner's and HQ's)
    number = second.return_request.number
    portal = page_client(world.dist_admin).get(f"/portal/returns/{number}/").content.decode()
    assert (texts(portal, "credit-rebate"), texts(portal, "credit-amount")) == (["CNY 666.67"], ["CNY 1,931.33"])
    hq_page = page_client(world.operations).get(f"/orders/returns/{number}/").content.decode()
    assert (texts(hq_page, "credit-rebate"), texts(hq_page, "credit-amount")) == (["−CNY 666.67"], ["CNY 1,931.33"])
