"""Orders under real concurrency on PostgreSQL (skipped on SQLite, whose writers are serialised):
the last units of stock, one credit limit, one rebate fund, and retried submissions with one
Idempotency-Key."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from qudao.accounts.services import issue_token
from qudao.inventory.models import StockLevel
from qudao.orders.models import Order
from qudao.partners.tests.test_concurrency import run_concurrently

from .conftest import set_credit, stock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
]


def _order_over_http(token, sku_id, quantity, key=None, partner=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    body = {"lines": [{"sku": sku_id, "quantity": quantity}]}
    if partner:
        body["partner"] = partner
    response = Client().post("/api/v1/orders", body, content_type="application/json", **headers)
    return response.status_code, response.json()


def test_fifty_orders_for_the_last_ten_units_promise_exactly_ten(world, catalogue):
    # given: 10 WASH-A left, plenty of credit for dist_js and dealer_zj
    stock(catalogue.skus["wash_a"], 10)
    set_credit(world.dist_js, "10000000")
    set_credit(world.dealer_zj, "10000000")
    tokens = [issue_token(user=user, name="concurrency")[1] for user in (world.dist_admin, world.zj_admin)]
    sku_id = catalogue.skus["wash_a"].pk
    # when: 50 orders of 1 unit at once
    results = run_concurrently(50, lambda i: _order_over_http(tokens[i % 2], sku_id, 1))
    # then: exactly 10 placed, 40 refused on the line, no negative stock
    statuses = sorted(status for _kind, (status, _body) in results)
    assert statuses == [201] * 10 + [422] * 40
    refused = [body for _kind, (status, body) in results if status == 422]
    assert {error["field"] for body in refused for error in body["errors"]} == {"lines.0.quantity"}
    level = StockLevel.objects.get(sku_id=sku_id)
    assert (level.on_hand, level.reserved) == (10, 10)
    assert Order.objects.count() == 10


def test_fifty_orders_against_one_credit_limit_never_pass_it_without_approval(world, catalogue):
    # given: credit for exactly 10 washers (10 x 3,000.00)
    stock(catalogue.skus["wash_a"], 100)
    set_credit(world.dist_js, "30000")
    _token, raw = issue_token(user=world.dist_admin, name="concurrency")
    sku_id = catalogue.skus["wash_a"].pk
    # when: 50 orders of one washer at once
    results = run_concurrently(50, lambda i: _order_over_http(raw, sku_id, 1))
    # then: 10 submitted within the limit, the other 40 wait for an approver
    assert (
        sorted(body["status"] for _kind, (_status, body) in results) == ["pending_approval"] * 40 + ["submitted"] * 10
    )
    submitted = Order.objects.filter(partner=world.dist_js, status="submitted")
    assert sum(order.total for order in submitted) == Decimal("30000.0000")


def test_fifty_retries_with_one_idempotency_key_make_one_order(world, catalogue):
    stock(catalogue.skus["hood_a"], 100)
    set_credit(world.dist_js, "10000000")
    _token, raw = issue_token(user=world.dist_admin, name="concurrency")
    sku_id = catalogue.skus["hood_a"].pk
    results = run_concurrently(50, lambda i: _order_over_http(raw, sku_id, 2, key="submit-once"))
    codes = sorted(status for _kind, (status, _body) in results)
    assert codes == [200] * 49 + [201]
    assert len({body["number"] for _kind, (_status, body) in results}) == 1
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(sku_id=sku_id).reserved == 2


def test_twenty_orders_paying_from_one_rebate_fund_never_overdraw_it(world, catalogue):
    from qudao.partners import funds
    from qudao.partners.models import FundAccount

    # given: 1,000.00 in dist_js's rebate fund, enough for 10 orders paying 100.00 each from it
    stock(catalogue.skus["hood_a"], 100)
    set_credit(world.dist_js, "10000000")
    funds.deposit(partner=world.dist_js, amount="1000", actor=world.finance, kind=FundAccount.Kind.REBATE)
    _token, raw = issue_token(user=world.dist_admin, name="concurrency")
    sku_id = catalogue.skus["hood_a"].pk

    def order(i):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        body = {"lines": [{"sku": sku_id, "quantity": 1}], "rebate_amount": "100.00"}
        response = Client().post("/api/v1/orders", body, content_type="application/json", **headers)
        return response.status_code, response.json()

    # when: 20 such orders at once
    results = run_concurrently(20, order)
    # then: 10 placed, 10 refused on rebate_amount; the fund holds exactly what the placed orders use
    assert sorted(status for _kind, (status, _body) in results) == [201] * 10 + [422] * 10
    refused = [body for _kind, (status, body) in results if status == 422]
    assert {(error["field"], error["message"]) for body in refused for error in body["errors"]} == {
        ("rebate_amount", "The rebate fund has 0.00 available, less than 100.00.")
    }
    account = FundAccount.objects.get(partner=world.dist_js, kind=FundAccount.Kind.REBATE)
    assert (account.balance, account.held) == (Decimal("1000.0000"), Decimal("1000.0000"))
    assert sum(o.rebate_amount for o in Order.objects.all()) == Decimal("1000.0000")
    assert StockLevel.objects.get(sku_id=sku_id).reserved == 10
