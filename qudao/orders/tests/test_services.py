"""Placing, approving, confirming, rejecting and cancelling orders: exact figures, and what each
step holds and gives back (stock, promotion consumption, credit)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.core import approvals
from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.models import ApprovalFlow, OutboxEvent
from qudao.inventory.models import StockLevel
from qudao.orders import services
from qudao.orders.models import Order, OrderStatusChange
from qudao.pricing.models import PromotionUsage
from qudao.pricing.tests.conftest import make_promo

from .conftest import set_credit

ON = date(2026, 6, 30)


def lines(shop, *pairs):
    return [{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs]


def reserved(shop, key):
    return sum(StockLevel.objects.filter(sku=shop.skus[key]).values_list("reserved", flat=True))


def place(world, shop, *pairs, key=None, partner=None, actor=None):
    return services.place_order(
        partner=partner or world.dist_js,
        lines=lines(shop, *pairs),
        actor=actor or world.dist_admin,
        idempotency_key=key,
        on=ON,
    )


def test_placing_an_order_prices_it_reserves_promotions_and_stock_and_submits_it(world, shop):
    # given: buy 2 HOOD-A get 1 free
    make_promo("a2plus1", "buy_x_get_y", sku=shop.skus["hood_a"], buy_qty=2, gift_qty=1)
    # when
    order, created = place(world, shop, ("hood_a", 2), ("wash_a", 1), key="k-1")
    # then: priced by the engine, the gift as a line of its own, submitted
    assert (created, order.status, order.total, order.list_total) == (
        True,
        "submitted",
        Decimal("5598.00"),
        Decimal("5598.00"),
    )
    assert order.number.startswith("SO") and len(order.number) == 12
    assert [(line.sku.code, line.quantity, line.line_total, line.gift_promotion) for line in order.lines.all()] == [
        ("HOOD-A", 2, Decimal("2598.0000"), ""),
        ("WASH-A", 1, Decimal("3000.0000"), ""),
        ("HOOD-A", 1, Decimal("0.0000"), "a2plus1"),
    ]
    # and: 3 HOOD-A (2 + the gift) and 1 WASH-A reserved, the promotion's use recorded
    assert (reserved(shop, "hood_a"), reserved(shop, "wash_a")) == (3, 1)
    assert list(PromotionUsage.objects.values_list("reference", "quantity", "amount")) == [
        (order.number, 1, Decimal("1299.0000"))
    ]
    # and: the timeline and the event
    assert list(order.status_changes.values_list("from_status", "to_status")) == [("draft", "submitted")]
    assert OutboxEvent.objects.filter(event_type="order.submitted", aggregate_id=order.number).count() == 1
    # and: the credit it holds
    credit = services.credit_of(world.dist_js)
    assert (credit.limit, credit.open_orders, credit.available) == (
        Decimal("100000.0000"),
        Decimal("5598.0000"),
        Decimal("94402.0000"),
    )


def test_a_retry_with_the_same_idempotency_key_returns_the_first_order(world, shop):
    first, created = place(world, shop, ("hood_a", 2), key="retry-1")
    again, created_again = place(world, shop, ("hood_a", 2), key="retry-1")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    # the same key with another request is not a retry: refused, nothing placed
    with pytest.raises(FieldErrors) as reused:
        place(world, shop, ("hood_a", 5), key="retry-1")
    assert (reused.value.code, list(reused.value.errors)) == ("idempotency_key_reused", ["idempotency_key"])
    assert Order.objects.count() == 1
    assert reserved(shop, "hood_a") == 2
    # the same key for another partner is another order
    set_credit(world.dealer_zj, "100000")
    other, created_other = place(world, shop, ("hood_a", 1), key="retry-1", partner=world.dealer_zj)
    assert created_other and other.pk != first.pk


def test_not_enough_stock_is_refused_on_the_line_and_nothing_is_kept(world, shop):
    make_promo("b-flash", "limited_special", sku=shop.skus["hood_b"], value=1800, budget_qty=5)
    with pytest.raises(FieldErrors) as refused:
        place(world, shop, ("hood_b", 2), ("wash_a", 21))
    assert list(refused.value.errors) == ["lines.1.quantity"]
    assert (Order.objects.count(), PromotionUsage.objects.count(), reserved(shop, "hood_b")) == (0, 0, 0)


def test_an_order_over_the_credit_limit_waits_for_approval_and_the_approver_decides(world, shop):
    # given: 5,000.00 of credit
    set_credit(world.dist_js, "5000")
    # when: an order of 6,000.00
    order, _created = place(world, shop, ("wash_a", 2))
    # then: it waits, with the reason, holding its stock
    assert (order.status, order.approval_reasons, reserved(shop, "wash_a")) == (
        "pending_approval",
        ["over_credit_limit"],
        2,
    )
    # when: the channel manager approves, then: submitted; operations may confirm it over the limit
    approvals.decide(request_id=order.approval_id, actor=world.channel, decision="approve", comment="老客户")
    order.refresh_from_db()
    assert order.status == "submitted"
    services.confirm_order(order=order, actor=world.operations)
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert list(order.status_changes.values_list("to_status", flat=True)) == [
        "submitted",
        "pending_approval",
        "submitted",
        "confirmed",
    ]


def test_a_rejected_approval_releases_everything(world, shop):
    set_credit(world.dist_js, "5000")
    make_promo("w50", "amount_off", sku=shop.skus["wash_a"], value=50, budget_qty=10)
    order, _created = place(world, shop, ("wash_a", 2))
    approvals.decide(request_id=order.approval_id, actor=world.channel, decision="reject", comment="超额")
    order.refresh_from_db()
    assert (order.status, reserved(shop, "wash_a")) == ("rejected", 0)
    assert PromotionUsage.objects.filter(reference=order.number, entry="release").count() == 1
    assert services.credit_of(world.dist_js).open_orders == 0


def test_over_the_credit_limit_with_no_approval_flow_is_refused_and_nothing_kept(world, shop):
    ApprovalFlow.objects.filter(subject_kind="order").update(is_active=False)
    set_credit(world.dist_js, "5000")
    with pytest.raises(Conflict) as refused:
        place(world, shop, ("wash_a", 2))
    assert str(refused.value.detail if hasattr(refused.value, "detail") else refused.value) != ""
    assert (Order.objects.count(), reserved(shop, "wash_a")) == (0, 0)


def test_confirmation_checks_the_credit_again(world, shop):
    # given: two orders of 3,000.00 within 6,000.00 of credit, then the limit is cut to 5,000.00
    set_credit(world.dist_js, "6000")
    first, _ = place(world, shop, ("wash_a", 1))
    second, _ = place(world, shop, ("wash_a", 1))
    set_credit(world.dist_js, "5000")
    # when / then: the first still fits (5,000 - 3,000 of the second = 2,000 < 3,000: no, refused)
    with pytest.raises(Conflict):
        services.confirm_order(order=first, actor=world.operations)
    services.cancel_order(order=second, actor=world.dist_admin, reason="不要了")
    services.confirm_order(order=first, actor=world.operations)
    first.refresh_from_db()
    assert first.status == "confirmed"


def test_cancelling_releases_stock_promotions_and_credit_and_who_may_cancel(world, shop):
    make_promo("b-flash", "limited_special", sku=shop.skus["hood_b"], value=1800, budget_qty=5)
    order, _ = place(world, shop, ("hood_b", 3))
    assert reserved(shop, "hood_b") == 3
    # a partner of another network may not; a reason is required
    with pytest.raises(Forbidden):
        services.cancel_order(order=order, actor=world.zj_admin, reason="x")
    with pytest.raises(FieldErrors):
        services.cancel_order(order=order, actor=world.dist_admin, reason=" ")
    services.cancel_order(order=order, actor=world.dist_admin, reason="下错了")
    order.refresh_from_db()
    assert (order.status, order.status_reason, reserved(shop, "hood_b")) == ("cancelled", "下错了", 0)
    assert services.credit_of(world.dist_js).open_orders == 0
    from qudao.pricing.models import Promotion

    assert Promotion.objects.get(code="b-flash").used_qty == 0
    # a cancelled order cannot be confirmed
    with pytest.raises(Conflict):
        services.confirm_order(order=order, actor=world.operations)
    assert OrderStatusChange.objects.filter(order=order, to_status="cancelled").count() == 1


def test_a_distributor_orders_for_its_sub_dealer(world, shop):
    set_credit(world.sub_js, "10000")
    order, _ = services.place_order(
        partner=world.sub_js, lines=lines(shop, ("hood_a", 1)), actor=world.dist_admin, ordered_by=world.dist_js, on=ON
    )
    assert (order.partner_id, order.ordered_by_partner_id, order.total) == (
        world.sub_js.pk,
        world.dist_js.pk,
        Decimal("1299.00"),
    )
    assert services.credit_of(world.sub_js).open_orders == Decimal("1299.0000")
    assert services.credit_of(world.dist_js).open_orders == 0


def test_the_partner_and_operations_hear_of_each_move(world, shop, django_capture_on_commit_callbacks, mailoutbox):
    from qudao.core.models import Notification

    def titles(user):
        rows = Notification.objects.filter(user=user, kind__startswith="order.").order_by("pk")
        return list(rows.values_list("title", flat=True))

    # given: dist_admin has an e-mail address and writes in English
    world.dist_admin.email, world.dist_admin.language = "dist@example.cn", "en"
    world.dist_admin.save()
    # when: an order is placed, then cancelled by operations
    with django_capture_on_commit_callbacks(execute=True):
        order, _ = place(world, shop, ("hood_a", 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, actor=world.operations, reason="缺货")
    # then: the partner's users heard of both; operations of both; another partner of neither
    expected = [f"Order {order.number}: Submitted", f"Order {order.number}: Cancelled"]
    assert (titles(world.dist_admin), titles(world.operations), titles(world.zj_admin)) == (expected, expected, [])
    mails = [message for message in mailoutbox if message.to == ["dist@example.cn"]]
    assert [message.subject for message in mails] == expected
    assert "缺货" in mails[1].body


def test_a_prepaid_order_holds_the_money_takes_it_as_goods_ship_and_gives_back_the_rest(world, shop):
    from qudao.inventory.models import Warehouse
    from qudao.orders import shipping
    from qudao.partners import funds

    # given: 10,000.00 prepaid
    funds.deposit(partner=world.dist_js, amount="10000", actor=world.finance)
    # when: an order of 2 HOOD-A (2,598.00) and 1 WASH-A (3,000.00) paid from the prepayment
    order, _ = services.place_order(
        partner=world.dist_js,
        lines=lines(shop, ("hood_a", 2), ("wash_a", 1)),
        actor=world.dist_admin,
        payment_method="prepayment",
        on=ON,
    )
    account = funds.account_for(world.dist_js)
    # then: the money is held, the credit untouched
    assert (account.balance, account.held, services.credit_of(world.dist_js).open_orders) == (
        Decimal("10000.0000"),
        Decimal("5598.0000"),
        Decimal("0"),
    )
    # when: it ships in two parts
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    hood_line, wash_line = order.lines.order_by("line_no")
    warehouse = Warehouse.objects.get(code="HQ")
    shipping.create_shipment(order=order, warehouse=warehouse, lines=[(hood_line.pk, 1)], actor=world.operations)
    account.refresh_from_db()
    assert (account.balance, account.held) == (Decimal("8701.0000"), Decimal("4299.0000"))  # 1,299.00 taken
    shipping.create_shipment(
        order=order, warehouse=warehouse, lines=[(hood_line.pk, 1), (wash_line.pk, 1)], actor=world.operations
    )
    account.refresh_from_db()
    assert (account.balance, account.held) == (Decimal("4402.0000"), Decimal("0.0000"))
    # and: an order beyond the prepayment is refused, nothing kept
    with pytest.raises(FieldErrors) as refused:
        services.place_order(
            partner=world.dist_js,
            lines=lines(shop, ("wash_a", 2)),
            actor=world.dist_admin,
            payment_method="prepayment",
            on=ON,
        )
    assert refused.value.errors == {"payment": ["Not enough prepayment: 4,402.00 available, 6,000.00 needed."]}
    assert Order.objects.count() == 1
    # and: a cancelled prepaid order gives its hold back
    small, _ = services.place_order(
        partner=world.dist_js, lines=lines(shop, ("hood_b", 1)), actor=world.dist_admin, payment_method="prepayment"
    )
    services.cancel_order(order=small, actor=world.dist_admin, reason="不要了")
    account.refresh_from_db()
    assert (account.balance, account.held) == (Decimal("4402.0000"), Decimal("0.0000"))


def test_an_order_is_changed_until_confirmed_repriced_and_reserved_again(world, shop):
    # given: a limited special on HOOD-B (3 in all) and an order of 2 HOOD-B
    make_promo("b-flash", "limited_special", sku=shop.skus["hood_b"], value=1800, budget_qty=3)
    order, _ = place(world, shop, ("hood_b", 2))
    assert (order.total, reserved(shop, "hood_b")) == (Decimal("3600.00"), 2)
    # when: the partner changes it to 4 HOOD-B and 1 WASH-A
    services.change_order(order=order, lines=lines(shop, ("hood_b", 4), ("wash_a", 1)), actor=world.dist_admin)
    order.refresh_from_db()
    # then: re-priced (3 at the special price, the 4th at list), stock reserved again
    assert order.total == Decimal("10400.00")  # 3 x 1,800 + 2,000 + 3,000
    assert [(line.sku.code, line.quantity, line.line_total) for line in order.lines.all()] == [
        ("HOOD-B", 4, Decimal("7400.0000")),
        ("WASH-A", 1, Decimal("3000.0000")),
    ]
    assert (reserved(shop, "hood_b"), reserved(shop, "wash_a")) == (4, 1)
    from qudao.pricing.models import Promotion

    assert Promotion.objects.get(code="b-flash").used_qty == 3
    assert list(
        PromotionUsage.objects.filter(reference=order.number).order_by("pk").values_list("entry", "round", "quantity")
    ) == [
        ("reserve", 0, 2),
        ("release", 0, -2),
        ("reserve", 1, 3),
    ]
    changed = OutboxEvent.objects.get(event_type="order.changed")
    assert [line["quantity"] for line in changed.payload["before"]] == [2]
    # and: a bad change is refused and changes nothing; once confirmed it cannot change
    with pytest.raises(FieldErrors):
        services.change_order(order=order, lines=lines(shop, ("wash_a", 99)), actor=world.dist_admin)
    order.refresh_from_db()
    assert (order.total, reserved(shop, "wash_a")) == (Decimal("10400.00"), 1)
    services.confirm_order(order=order, actor=world.operations)
    with pytest.raises(Conflict):
        services.change_order(order=order, lines=lines(shop, ("wash_a", 1)), actor=world.dist_admin)


def test_stock_can_be_reserved_at_confirmation_instead(world, shop, settings):
    settings.ORDER_RESERVE_STOCK_AT = "confirmed"
    order, _ = place(world, shop, ("wash_a", 3))
    assert reserved(shop, "wash_a") == 0
    services.confirm_order(order=order, actor=world.operations)
    assert reserved(shop, "wash_a") == 3
    # and: more than there is at confirmation is refused, the order stays submitted
    big, _ = place(world, shop, ("wash_a", 18))
    with pytest.raises(FieldErrors):
        services.confirm_order(order=big, actor=world.operations)
    big.refresh_from_db()
    assert (big.status, reserved(shop, "wash_a")) == ("submitted", 3)


def test_with_backorders_a_line_takes_what_there_is(world, shop, settings):
    settings.ORDER_ALLOW_BACKORDERS = True
    order, _ = place(world, shop, ("wash_a", 25))
    assert (order.status, reserved(shop, "wash_a")) == ("submitted", 20)
