"""An order waiting for approval that is cancelled, rejected or changed takes its approval request
with it: the request is withdrawn in the same transaction (status "withdrawn", the withdrawal in
its history, an `approval.withdrawn` event), leaves the approvers' inbox, their notifications of it
are marked read, and deciding it answers 409. A change that still needs approval starts a new
request, for the order as changed."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from qudao.core import approvals
from qudao.core.errors import Conflict
from qudao.core.models import ApprovalFlow, ApprovalRequest, Notification, OutboxEvent
from qudao.inventory.models import StockLevel
from qudao.orders import services
from qudao.orders.models import Order

from .conftest import set_credit
from .test_pages import texts


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def reserved(sku) -> int:
    return sum(StockLevel.objects.filter(sku=sku).values_list("reserved", flat=True))


def regional_flow() -> ApprovalFlow:
    """Orders approved by the regional manager of the partner's region (Jiangsu for dist_js)."""
    flow = ApprovalFlow.objects.create(subject_kind="order", name="区域订单审批", priority=10)
    flow.steps.create(sequence=1, name="区域经理审核", approver_role="regional_manager", match_region=True)
    return flow


def waiting_order(world, shop, capture, quantity=2) -> Order:
    """An order of `quantity` WASH-A (3,000.00 each) over dist_js's 5,000.00 of credit: it waits
    for the regional manager, who is notified (the notification is sent once committed)."""
    regional_flow()
    set_credit(world.dist_js, "5000")
    with capture(execute=True):
        order, _created = services.place_order(
            partner=world.dist_js,
            lines=[{"sku": shop.skus["wash_a"].pk, "quantity": quantity}],
            actor=world.dist_admin,
        )
    assert (order.status, order.approval.status) == ("pending_approval", "pending")
    return order


def unread(user, request) -> int:
    return Notification.objects.filter(user=user, url=f"/approvals/{request.pk}/", read_at__isnull=True).count()


def inbox(client) -> list[str]:
    return [item["number"] for item in client.get("/api/v1/approvals?box=inbox").json()["items"]]


def test_cancelling_an_order_waiting_for_approval_withdraws_its_request(
    world, shop, api_client, page_client, django_capture_on_commit_callbacks
):
    # given: an order waiting for the regional manager, in its inbox and notifications
    order = waiting_order(world, shop, django_capture_on_commit_callbacks)
    request = order.approval
    approver = api_client(world.regional_js)
    assert (inbox(approver), unread(world.regional_js, request)) == ([request.number], 1)

    # when: the partner cancels it
    cancelled = post(api_client(world.dist_admin), f"/api/v1/orders/{order.pk}/cancel", {"reason": "改买别的"})

    # then: the order is cancelled, everything released, and its request withdrawn with it
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert reserved(shop.skus["wash_a"]) == 0
    request.refresh_from_db()
    assert (request.status, request.current_step, request.decided_at is not None) == ("withdrawn", None, True)
    assert list(request.decisions.values_list("decision", "actor__username", "comment", "step__name")) == [
        ("withdraw", "dist_admin", "改买别的", "区域经理审核")
    ]
    event = OutboxEvent.objects.get(event_type="approval.withdrawn")
    assert (event.aggregate_id, event.payload) == (
        str(request.pk),
        {"number": request.number, "kind": "order", "step": "区域经理审核", "reason": "改买别的"},
    )
    # and: it left the approver's inbox and to-dos; the approver can still read what happened
    assert (inbox(approver), unread(world.regional_js, request)) == ([], 0)
    detail = approver.get(f"/api/v1/approvals/{request.pk}")
    assert (detail.status_code, detail.json()["status"]) == (200, "withdrawn")
    page = page_client(world.regional_js).get(f"/approvals/{request.pk}/")
    html = page.content.decode()
    assert (page.status_code, texts(html, "approval-status"), 'data-testid="decision-form"' in html) == (
        200,
        ["Withdrawn"],
        False,
    )
    decisions = [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r'data-testid="decision">(.*?)</li>', html, re.S)
    ]
    assert [(text.split(" · ")[:3], text.endswith("改买别的")) for text in decisions] == [
        (["Withdrawn", "区域经理审核", "dist_admin"], True)
    ]
    # and: deciding it answers 409 (with or without the step the approver saw), and changes nothing
    step_id = request.decisions.get().step_id
    for body in ({"decision": "approve"}, {"decision": "approve", "expected_step_id": step_id}):
        decided = post(approver, f"/api/v1/approvals/{request.pk}/decision", body)
        assert decided.status_code == 409
    with pytest.raises(Conflict):
        approvals.decide(request_id=request.pk, actor=world.admin, decision="approve")
    order.refresh_from_db()
    request.refresh_from_db()
    assert (order.status, request.status, request.decisions.count()) == ("cancelled", "withdrawn", 1)
    assert Order.objects.get(pk=order.pk).status_changes.count() == 3  # submitted, pending approval, cancelled


def test_operations_rejecting_an_order_waiting_for_approval_withdraws_its_request(
    world, shop, api_client, django_capture_on_commit_callbacks
):
    order = waiting_order(world, shop, django_capture_on_commit_callbacks)
    # when: operations rejects it (e.g. the model is no longer made)
    rejected = post(api_client(world.operations), f"/api/v1/orders/{order.pk}/reject", {"reason": "型号停产"})
    # then: rejected with the reason, released, and the request withdrawn
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["status_reason"]) == (
        200,
        "rejected",
        "型号停产",
    )
    assert reserved(shop.skus["wash_a"]) == 0
    request = ApprovalRequest.objects.get(pk=order.approval_id)
    assert (request.status, list(request.decisions.values_list("decision", "actor__username"))) == (
        "withdrawn",
        [("withdraw", "operations")],
    )
    assert (inbox(api_client(world.regional_js)), unread(world.regional_js, request)) == ([], 0)


def test_a_change_withdraws_the_request_and_asks_again_only_if_the_order_still_needs_it(
    world, shop, api_client, django_capture_on_commit_callbacks
):
    # given: 3 WASH-A (9,000.00) waiting for approval over 5,000.00 of credit
    order = waiting_order(world, shop, django_capture_on_commit_callbacks, quantity=3)
    first = order.approval

    # when: the partner lowers it to 2 (6,000.00): still over the limit
    with django_capture_on_commit_callbacks(execute=True):
        services.change_order(
            order=order, lines=[{"sku": shop.skus["wash_a"].pk, "quantity": 2}], actor=world.dist_admin
        )
    # then: the request the approver saw (9,000.00) is withdrawn, a new one asks about 6,000.00
    order.refresh_from_db()
    first.refresh_from_db()
    second = order.approval
    assert (order.status, first.status, second.status, second.pk != first.pk) == (
        "pending_approval",
        "withdrawn",
        "pending",
        True,
    )
    assert (second.context["total"], second.title) == ("6000.00", f"Order {order.number} of 金陵商贸: CNY 6,000.00")
    assert first.decisions.get().comment == "The order was changed."
    approver = api_client(world.regional_js)
    assert inbox(approver) == [second.number]
    assert (unread(world.regional_js, first), unread(world.regional_js, second)) == (0, 1)

    # when: it is lowered to 1 (3,000.00): within the credit, no approval needed
    services.change_order(order=order, lines=[{"sku": shop.skus["wash_a"].pk, "quantity": 1}], actor=world.dist_admin)
    # then: submitted, the second request withdrawn, and no approval left on the order
    order.refresh_from_db()
    second.refresh_from_db()
    assert (order.status, order.approval_id, order.approval_reasons, second.status) == (
        "submitted",
        None,
        [],
        "withdrawn",
    )
    assert inbox(approver) == []
    # and: confirmation checks the credit again like any order's (no approval let it pass)
    set_credit(world.dist_js, "1000")
    with pytest.raises(Conflict):
        services.confirm_order(order=order, actor=world.operations)
    order.refresh_from_db()
    assert (order.status, order.total) == ("submitted", Decimal("3000.00"))


def test_withdrawing_is_only_for_requests_still_waiting(world, shop, django_capture_on_commit_callbacks):
    # given: an approved order's request
    order = waiting_order(world, shop, django_capture_on_commit_callbacks)
    approvals.decide(request_id=order.approval_id, actor=world.regional_js, decision="approve")
    # when: it is withdrawn afterwards (the order is cancelled once approved)
    services.cancel_order(order=order, actor=world.dist_admin, reason="不要了")
    # then: the decision stands; only the order is cancelled
    request = ApprovalRequest.objects.get(pk=order.approval_id)
    assert (request.status, list(request.decisions.values_list("decision", flat=True))) == ("approved", ["approve"])
    assert approvals.withdraw(request_id=request.pk, actor=world.admin, reason="test") is None
    request.refresh_from_db()
    assert request.status == "approved"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_a_cancellation_and_an_approval_at_the_same_moment_never_both_win_nor_deadlock(world, catalogue):
    from qudao.partners.tests.test_concurrency import run_concurrently

    from .conftest import stock

    # given: ten orders waiting for approval
    stock(catalogue.skus["wash_a"], 100)
    regional_flow()
    set_credit(world.dist_js, "5000")
    orders = [
        services.place_order(
            partner=world.dist_js, lines=[{"sku": catalogue.skus["wash_a"].pk, "quantity": 2}], actor=world.dist_admin
        )[0]
        for _ in range(10)
    ]

    # when: for each, the partner cancels it while the approver approves it, at the same moment
    def act(index):
        order = orders[index // 2]
        if index % 2:
            return approvals.decide(request_id=order.approval_id, actor=world.regional_js, decision="approve")
        return services.cancel_order(order=order, actor=world.dist_admin, reason="同时")

    results = run_concurrently(20, act)

    # then: every cancellation went through; an approval either came first (the request approved,
    # the order then cancelled from submitted) or lost with a conflict (the request withdrawn)
    assert all(kind == "ok" for kind, _value in results[0::2])
    for order, (kind, value) in zip(orders, results[1::2], strict=True):
        order.refresh_from_db()
        request = ApprovalRequest.objects.get(pk=order.approval_id)
        moves = list(order.status_changes.values_list("to_status", flat=True))
        if kind == "ok":
            assert (request.status, moves) == ("approved", ["submitted", "pending_approval", "submitted", "cancelled"])
        else:
            assert isinstance(value, Conflict), value
            assert (request.status, moves) == ("withdrawn", ["submitted", "pending_approval", "cancelled"])
    assert reserved(catalogue.skus["wash_a"]) == 0
