"""Ordering on a partner's behalf (代客下单): an HQ user holding orders.place_on_behalf places and
changes an order for a partner it can see, with exactly the partner's prices, credit, stock and
approval rules; the order records who placed it, for whom and through which channel, and the
partner's users are told."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.core.models import ApprovalRequest, Notification, ObjectChange, OutboxEvent
from qudao.inventory.models import StockLevel
from qudao.orders import selectors, services
from qudao.orders.models import Order
from qudao.pricing.tests.conftest import make_list, make_promo

from .conftest import set_credit

ON = date(2026, 6, 30)


def lines(shop, *pairs):
    return [{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs]


def reserved(shop, key):
    return sum(StockLevel.objects.filter(sku=shop.skus[key]).values_list("reserved", flat=True))


def place_for(world, shop, actor, partner, *pairs, **extra):
    return services.place_order(partner=partner, lines=lines(shop, *pairs), actor=actor, on=ON, **extra)


def written():
    """What a refused order must not leave behind: orders, reserved stock, events."""
    return (Order.objects.count(), StockLevel.objects.filter(reserved__gt=0).count(), OutboxEvent.objects.count())


def test_operations_places_an_order_for_a_partner_at_its_own_prices_holding_its_credit_and_stock(
    world, shop, django_capture_on_commit_callbacks
):
    # given: dist_js has a price of its own for HOOD-A (1,199.00; the base list says 1,299.00) and
    # 5% off WASH-A
    make_list("dist-own", partner=world.dist_js, priority=5, items=[(shop.skus["hood_a"], "1199.00")])
    make_promo("wash-95", "percent_off", sku=shop.skus["wash_a"], value=5)
    # when: operations takes its order by phone on the HQ page
    with django_capture_on_commit_callbacks(execute=True):
        order, created = place_for(
            world, shop, world.operations, world.dist_js, ("hood_a", 2), ("wash_a", 1), idempotency_key="tel-1"
        )
    # then: priced for dist_js (2 x 1,199.00 + 3,000.00 - 5%), submitted, credit and stock held
    assert (created, order.status, order.total, order.list_total) == (
        True,
        "submitted",
        Decimal("5248.00"),
        Decimal("5398.00"),
    )
    assert [(line.sku.code, line.quantity, line.net_unit_price, line.line_total) for line in order.lines.all()] == [
        ("HOOD-A", 2, Decimal("1199.0000"), Decimal("2398.0000")),
        ("WASH-A", 1, Decimal("2850.0000"), Decimal("2850.0000")),
    ]
    assert (reserved(shop, "hood_a"), reserved(shop, "wash_a")) == (2, 1)
    credit = services.credit_of(world.dist_js)
    assert (credit.open_orders, credit.available) == (Decimal("5248.0000"), Decimal("94752.0000"))
    # and: who placed it, for whom, through which channel
    order.refresh_from_db()
    assert (order.partner_id, order.created_by_id, order.ordered_by_partner_id, order.channel, order.on_behalf) == (
        world.dist_js.pk,
        world.operations.pk,
        None,
        "hq",
        True,
    )
    assert list(order.status_changes.values_list("to_status", "actor__username")) == [("submitted", "operations")]
    # and: the order.* event says so too
    submitted = OutboxEvent.objects.get(event_type="order.submitted", aggregate_id=order.number)
    assert {key: submitted.payload[key] for key in ("partner", "channel", "on_behalf", "placed_by")} == {
        "partner": world.dist_js.pk,
        "channel": "hq",
        "on_behalf": True,
        "placed_by": {"id": world.operations.pk, "username": "operations"},
    }
    # and: the audit trail's record of the order names the channel and who placed it
    created_row = ObjectChange.objects.get(action="create", object_repr=order.number)
    assert (created_row.after["channel"], created_row.after["created_by"]) == ("hq", world.operations.pk)
    # and: the partner's users are told who placed it for them; another partner's are not
    told = Notification.objects.filter(kind="order.placed_for_you").order_by("user__username")
    assert [(row.user.username, row.title, row.url) for row in told] == [
        ("dist_admin", f"Order {order.number} was placed for you by operations", f"/portal/orders/{order.number}/"),
        ("dist_staff", f"Order {order.number} was placed for you by operations", f"/portal/orders/{order.number}/"),
    ]
    assert told[0].body == ("金陵商贸, 5,248.00 CNY. You may change or cancel it until it is confirmed.")
    # when: the same call is retried with the same Idempotency-Key, then: the first order
    again, created_again = place_for(
        world, shop, world.operations, world.dist_js, ("hood_a", 2), ("wash_a", 1), idempotency_key="tel-1"
    )
    assert (created_again, again.pk, Order.objects.count()) == (False, order.pk, 1)
    # and: the key sent again with another request is refused, and nothing more is placed
    with pytest.raises(FieldErrors) as refused:
        place_for(world, shop, world.operations, world.dist_js, ("hood_a", 9), idempotency_key="tel-1")
    assert refused.value.errors["idempotency_key"][0].startswith(
        f"This Idempotency-Key was already used for {order.number}"
    )
    assert Order.objects.count() == 1


def test_an_order_placed_on_behalf_over_the_partners_credit_waits_for_approval_like_its_own(world, shop):
    # given: 5,000.00 of credit
    set_credit(world.dist_js, "5000")
    # when: a regional manager of Jiangsu orders 2 WASH-A (6,000.00) for it
    order, _created = place_for(world, shop, world.regional_js, world.dist_js, ("wash_a", 2))
    # then: it waits for the approval the partner's own order would need, holding its stock
    assert (order.status, order.approval_reasons, reserved(shop, "wash_a")) == (
        "pending_approval",
        ["over_credit_limit"],
        2,
    )
    request = ApprovalRequest.objects.get(pk=order.approval_id)
    assert (request.submitted_by_id, request.context["channel"], request.context["placed_by"]) == (
        world.regional_js.pk,
        "hq",
        "regional_js",
    )
    assert order.channel == "hq"


def test_only_holders_of_the_permission_order_for_partners_they_see_and_a_refusal_writes_nothing(world, shop):
    set_credit(world.dealer_zj, "100000")
    before = written()
    # a regional manager of Zhejiang and sales (which owns dealer_zj only) do not see dist_js: 404
    for outsider in (world.regional_zj, world.sales):
        with pytest.raises(NotFound):
            place_for(world, shop, outsider, world.dist_js, ("hood_a", 1))
    # the channel manager and finance see it but do not place orders (they approve them): 403
    for approver in (world.channel, world.finance):
        with pytest.raises(Forbidden):
            place_for(world, shop, approver, world.dist_js, ("hood_a", 1))
    assert written() == before
    # a suspended partner takes no orders from HQ: refused on `partner`
    from qudao.partners.models import Partner

    Partner.objects.filter(pk=world.dist_js.pk).update(status="suspended")
    world.dist_js.refresh_from_db()
    with pytest.raises(FieldErrors) as refused:
        place_for(world, shop, world.operations, world.dist_js, ("hood_a", 1))
    assert {key: [str(m) for m in ms] for key, ms in refused.value.errors.items()} == {
        "partner": ["金陵商贸 is suspended: orders are placed for active partners only."]
    }
    assert written() == before
    # sales orders for the partner it owns
    order, _created = place_for(world, shop, world.sales, world.dealer_zj, ("hood_b", 1))
    assert (order.partner_id, order.created_by_id, order.channel, order.total) == (
        world.dealer_zj.pk,
        world.sales.pk,
        "hq",
        Decimal("2000.00"),
    )


def test_an_order_for_a_sub_dealer_follows_the_scope_rule(world, shop, django_capture_on_commit_callbacks):
    # given: sub_js, a sub-dealer of dist_js in Suzhou, with credit
    set_credit(world.sub_js, "10000")
    # when: the regional manager of Jiangsu orders for it through the API (the ERP channel)
    with django_capture_on_commit_callbacks(execute=True):
        order, _created = place_for(world, shop, world.regional_js, world.sub_js, ("hood_a", 1), via="api")
    # then: the buyer is the sub-dealer, placed by HQ (not by its distributor), through the ERP channel
    assert (order.partner_id, order.ordered_by_partner_id, order.created_by_id, order.channel) == (
        world.sub_js.pk,
        None,
        world.regional_js.pk,
        "erp",
    )
    assert services.credit_of(world.sub_js).open_orders == Decimal("1299.0000")
    # and: the sub-dealer's users and its distributor's see it (the scope rule); another partner does not
    visible = {user: selectors.orders(world.users[user]).filter(pk=order.pk).exists() for user in world.users}
    assert {user for user, seen in visible.items() if seen} == {
        "admin",
        "channel",
        "finance",
        "operations",
        "regional_js",
        "dist_admin",
        "dist_staff",
        "sub_admin",
    }
    # and: the buyer's users are the ones told it was placed for them
    assert list(Notification.objects.filter(kind="order.placed_for_you").values_list("user__username", flat=True)) == [
        "sub_admin"
    ]


def test_a_partner_placing_its_own_order_is_recorded_as_such(world, shop):
    web, _ = place_for(world, shop, world.dist_admin, world.dist_js, ("hood_a", 1))
    api, _ = place_for(world, shop, world.dist_staff, world.dist_js, ("hood_a", 1), via="api")
    assert [(o.channel, o.on_behalf, o.created_by_id) for o in (web, api)] == [
        ("portal", False, world.dist_admin.pk),
        ("api", False, world.dist_staff.pk),
    ]
    submitted = OutboxEvent.objects.get(event_type="order.submitted", aggregate_id=api.number)
    assert (submitted.payload["channel"], submitted.payload["on_behalf"], submitted.payload["placed_by"]) == (
        "api",
        False,
        {"id": world.dist_staff.pk, "username": "dist_staff"},
    )
    assert Notification.objects.filter(kind="order.placed_for_you").count() == 0


def test_hq_changes_an_order_on_the_partners_behalf_and_the_partner_is_told(
    world, shop, django_capture_on_commit_callbacks
):
    # given: dealer_zj placed an order of 1 HOOD-B
    set_credit(world.dealer_zj, "100000")
    order, _ = place_for(world, shop, world.zj_admin, world.dealer_zj, ("hood_b", 1))
    # when: sales, which owns dealer_zj, changes it to 2 HOOD-B and 1 WASH-A on the phone
    with django_capture_on_commit_callbacks(execute=True):
        services.change_order(order=order, lines=lines(shop, ("hood_b", 2), ("wash_a", 1)), actor=world.sales)
    order.refresh_from_db()
    # then: re-priced and reserved with the partner's rules; the channel it was placed through stays
    assert (order.total, order.status, order.channel, order.created_by_id) == (
        Decimal("7000.00"),
        "submitted",
        "portal",
        world.zj_admin.pk,
    )
    assert (reserved(shop, "hood_b"), reserved(shop, "wash_a")) == (2, 1)
    # and: the event records who changed it, on the partner's behalf
    changed = OutboxEvent.objects.get(event_type="order.changed")
    assert (changed.payload["changed_by"], changed.payload["on_behalf"], changed.payload["channel"]) == (
        {"id": world.sales.pk, "username": "sales"},
        True,
        "portal",
    )
    # and: the partner's user is told
    told = Notification.objects.get(kind="order.changed_for_you")
    assert (told.user_id, told.title) == (world.zj_admin.pk, f"Order {order.number} was changed for you by sales")
    assert told.body == "西湖家电, now 7,000.00 CNY. You may change or cancel it until it is confirmed."
    # when: the partner changes its own order, then: not on its behalf, nobody is told
    with django_capture_on_commit_callbacks(execute=True):
        services.change_order(order=order, lines=lines(shop, ("hood_b", 1)), actor=world.zj_admin)
    last = OutboxEvent.objects.filter(event_type="order.changed").order_by("-pk").first()
    assert (last.payload["changed_by"]["username"], last.payload["on_behalf"]) == ("zj_admin", False)
    assert Notification.objects.filter(kind="order.changed_for_you").count() == 1


def test_who_may_change_an_order_on_the_partners_behalf(world, shop):
    order, _ = place_for(world, shop, world.dist_admin, world.dist_js, ("hood_b", 1))
    # outside the scope: 404; seeing it without the permission: 403; nothing changes
    with pytest.raises(NotFound):
        services.change_order(order=order, lines=lines(shop, ("hood_b", 3)), actor=world.regional_zj)
    for approver in (world.channel, world.finance):
        with pytest.raises(Forbidden):
            services.change_order(order=order, lines=lines(shop, ("hood_b", 3)), actor=approver)
    order.refresh_from_db()
    assert (order.total, reserved(shop, "hood_b"), OutboxEvent.objects.filter(event_type="order.changed").count()) == (
        Decimal("2000.00"),
        1,
        0,
    )
    # the regional manager of Jiangsu may
    services.change_order(order=order, lines=lines(shop, ("hood_b", 3)), actor=world.regional_js)
    order.refresh_from_db()
    assert (order.total, reserved(shop, "hood_b")) == (Decimal("6000.00"), 3)


def test_a_retried_push_answers_the_order_it_placed_even_once_the_partner_is_suspended(world, shop):
    from qudao.partners.models import Partner

    # given: the ERP placed an order for dist_js, then HQ suspended dist_js
    order, _created = place_for(world, shop, world.operations, world.dist_js, ("hood_a", 1), idempotency_key="ERP-1")
    Partner.objects.filter(pk=world.dist_js.pk).update(status="suspended")
    world.dist_js.refresh_from_db()
    # when: the ERP retries the same push, then: the order it placed, not a refusal
    again, created = place_for(world, shop, world.operations, world.dist_js, ("hood_a", 1), idempotency_key="ERP-1")
    assert (created, again.pk) == (False, order.pk)
    # and: a new order is refused
    with pytest.raises(FieldErrors):
        place_for(world, shop, world.operations, world.dist_js, ("hood_a", 1), idempotency_key="ERP-2")
    assert Order.objects.count() == 1
