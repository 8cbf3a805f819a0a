"""Outgoing webhooks against a real local HTTP receiver: signed, retried with backoff while the
receiver is down, every event once and in order per aggregate, dead after the last attempt,
replay, filters; then the API and the pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from qudao.core import webhooks
from qudao.core.events import publish
from qudao.core.models import ObjectChange, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

from .webhook_receiver import Receiver

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def endpoint_for(receiver, **data) -> WebhookEndpoint:
    return webhooks.create_endpoint(data={"name": "ERP", "url": receiver.url} | data)


def received(receiver) -> list[tuple[str, str, str]]:
    return [(r["json"]["type"], r["json"]["aggregate_id"], r["json"]["data"]["step"]) for r in receiver.accepted()]


def publish_orders():
    """Five events of two orders, interleaved."""
    steps = [("1", "submitted"), ("2", "submitted"), ("1", "confirmed"), ("2", "cancelled"), ("1", "shipped")]
    return [publish(f"order.{step}", "order", order, {"step": step}) for order, step in steps]


def test_it_delivers_a_signed_event_once(db, receiver):
    # given
    endpoint = endpoint_for(receiver)
    event = publish("order.submitted", "order", 7, {"number": "SO2611270001", "step": "submitted"})
    delivery = WebhookDelivery.objects.get(event=event)

    # when
    report = webhooks.dispatch()

    # then
    assert (report.delivered, report.failed, report.dead) == (1, 0, 0)
    [request] = receiver.accepted()
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/qudao"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Qudao-Event"] == "order.submitted"
    assert headers["X-Qudao-Delivery"] == str(delivery.pk)
    assert webhooks.verify(endpoint.secret, headers["X-Qudao-Timestamp"], body, headers["X-Qudao-Signature"])
    assert not webhooks.verify("whsec_other", headers["X-Qudao-Timestamp"], body, headers["X-Qudao-Signature"])
    assert not webhooks.verify(endpoint.secret, headers["X-Qudao-Timestamp"], body + b" ", headers["X-Qudao-Signature"])
    assert json.loads(body) == {
        "id": event.pk,
        "type": "order.submitted",
        "aggregate_type": "order",
        "aggregate_id": "7",
        "occurred_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"number": "SO2611270001", "step": "submitted"},
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered",
        1,
        200,
        "",
    )
    assert delivery.delivered_at is not None
    # a second run sends nothing more
    assert webhooks.dispatch().attempts == 0
    assert len(receiver.requests) == 1


def test_it_keeps_each_aggregates_order_while_the_receiver_is_down_and_delivers_everything_once(db, receiver):
    # given: the receiver answers 500
    endpoint = endpoint_for(receiver)
    events = publish_orders()
    receiver.status = 500
    now = timezone.now()

    # when: the first run meets the broken receiver
    report = webhooks.dispatch(now)

    # then: only the first event of each order was tried; the rest wait behind it
    assert (report.delivered, report.failed) == (0, 2)
    assert [(r["status"], json.loads(r["body"])["id"]) for r in receiver.requests] == [
        (500, events[0].pk),
        (500, events[1].pk),
    ]
    first = WebhookDelivery.objects.get(event=events[0])
    assert (first.status, first.attempts, first.last_status_code, first.last_error) == (
        "failed",
        1,
        500,
        "HTTP 500: receiver is broken",
    )
    first_wait = first.next_attempt_at - now
    assert timedelta(seconds=9) <= first_wait <= timedelta(seconds=10)

    # when: nothing is due before the backoff ends
    assert webhooks.dispatch(now + timedelta(seconds=5)).attempts == 0

    # when: the receiver goes down (connection refused) for the second attempt
    receiver.stop()
    later = now + timedelta(seconds=11)
    report = webhooks.dispatch(later)

    # then: failed again, and the wait grew
    assert (report.failed, report.attempts) == (2, 2)
    first.refresh_from_db()
    assert (first.status, first.attempts, first.last_status_code) == ("failed", 2, None)
    assert first.last_error.startswith("ConnectionRefusedError")
    second_wait = first.next_attempt_at - later
    assert timedelta(seconds=18) <= second_wait <= timedelta(seconds=20)

    # when: a third failure
    third = later + timedelta(seconds=21)
    webhooks.dispatch(third)
    first.refresh_from_db()
    assert timedelta(seconds=36) <= first.next_attempt_at - third <= timedelta(seconds=40)
    assert WebhookAttempt.objects.filter(delivery=first).count() == 3

    # when: the receiver recovers
    receiver.status = 200
    receiver.start()
    report = webhooks.dispatch(third + timedelta(seconds=41))

    # then: every event arrived exactly once, each order's events in their order
    assert (report.delivered, report.failed, report.dead) == (5, 0, 0)
    arrived = received(receiver)
    assert sorted(r["json"]["id"] for r in receiver.accepted()) == [event.pk for event in events]
    assert [step for _type, order, step in arrived if order == "1"] == ["submitted", "confirmed", "shipped"]
    assert [step for _type, order, step in arrived if order == "2"] == ["submitted", "cancelled"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 5
    first.refresh_from_db()
    assert (first.attempts, WebhookAttempt.objects.filter(delivery=first, succeeded=True).count()) == (4, 1)


def test_it_gives_up_after_the_last_attempt_and_a_replay_sends_it_again_in_order(db, receiver, settings):
    # given: three attempts at most, the receiver broken
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    endpoint_for(receiver)
    first = publish("order.submitted", "order", 1, {"step": "submitted"})
    second = publish("order.confirmed", "order", 1, {"step": "confirmed"})
    receiver.status = 503
    now = timezone.now()

    # when: three failed attempts
    for minutes in (0, 1, 2):
        webhooks.dispatch(now + timedelta(minutes=minutes))

    # then: the first is dead, which lets the next one of the order go (and fail)
    dead = WebhookDelivery.objects.get(event=first)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 3, "HTTP 503: receiver is broken")
    waiting = WebhookDelivery.objects.get(event=second)
    assert (waiting.status, waiting.attempts) == ("failed", 1)

    # when: the receiver recovers; the admin replays the dead one before the next one is due
    receiver.status = 200
    replayed = webhooks.replay(delivery=dead)
    assert (replayed.status, replayed.attempts) == ("pending", 0)
    report = webhooks.dispatch(now + timedelta(hours=2))

    # then: the replayed (earlier) event went first, then the later one
    assert report.delivered == 2
    assert received(receiver) == [("order.submitted", "1", "submitted"), ("order.confirmed", "1", "confirmed")]
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, WebhookAttempt.objects.filter(delivery=dead).count()) == ("delivered", 1, 4)

    # when: a delivered one is replayed while a later event of the same order is published
    webhooks.replay(delivery=dead)
    third = publish("order.shipped", "order", 1, {"step": "shipped"})
    webhooks.dispatch(now + timedelta(hours=3))

    # then: the replay goes before the later event; same delivery id as the first time
    assert received(receiver)[2:] == [("order.submitted", "1", "submitted"), ("order.shipped", "1", "shipped")]
    assert receiver.accepted()[2]["headers"]["X-Qudao-Delivery"] == str(dead.pk)
    assert WebhookDelivery.objects.get(event=third).status == "delivered"

    # and a delivery that is still open cannot be replayed
    open_one = WebhookDelivery.objects.get(event=publish("order.delivered", "order", 9))
    with pytest.raises(webhooks.Conflict):
        webhooks.replay(delivery=open_one)


def test_inactive_endpoints_get_nothing_and_event_type_filters_apply(db, receiver):
    # given
    everything = endpoint_for(receiver, name="all")
    shipped_only = endpoint_for(receiver, name="shipping", event_types=["order.shipped"])
    orders = endpoint_for(receiver, name="orders", event_types="order.*")
    inactive = endpoint_for(receiver, name="off")
    webhooks.update_endpoint(endpoint=inactive, data={"active": False})

    # when
    publish("order.submitted", "order", 1, {"step": "submitted"})
    publish("order.shipped", "order", 1, {"step": "shipped"})
    publish("partner.updated", "partner", 3, {"step": "updated"})

    # then
    def types(endpoint):
        return list(
            WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("event__event_type", flat=True)
        )

    assert types(everything) == ["order.submitted", "order.shipped", "partner.updated"]
    assert types(shipped_only) == ["order.shipped"]
    assert types(orders) == ["order.submitted", "order.shipped"]
    assert types(inactive) == []

    # when: an endpoint is deactivated with deliveries open, they wait
    webhooks.update_endpoint(endpoint=orders, data={"active": False})
    report = webhooks.dispatch()

    # then
    assert report.delivered == 4
    assert WebhookDelivery.objects.filter(endpoint=orders, status="pending").count() == 2

    # when it is active again, they go
    webhooks.update_endpoint(endpoint=orders, data={"active": True})
    assert webhooks.dispatch().delivered == 2
    assert len(receiver.accepted()) == 6


def test_a_rolled_back_change_leaves_no_delivery_and_a_rotated_secret_signs_the_retries(db, receiver):
    # given
    from django.db import transaction

    endpoint = endpoint_for(receiver)

    # when: the publishing transaction fails
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("order.submitted", "order", 1, {"step": "submitted"})
        raise RuntimeError("boom")

    # then
    assert (OutboxEvent.objects.count(), WebhookDelivery.objects.count()) == (0, 0)

    # when: the secret is rotated before the delivery goes out
    publish("order.submitted", "order", 1, {"step": "submitted"})
    old_secret = endpoint.secret
    rotated = webhooks.rotate_secret(endpoint=endpoint)
    webhooks.dispatch()

    # then
    [request] = receiver.accepted()
    headers = request["headers"]
    assert rotated.secret != old_secret
    assert webhooks.verify(rotated.secret, headers["X-Qudao-Timestamp"], request["body"], headers["X-Qudao-Signature"])
    # the secret never reaches the audit trail
    changes = ObjectChange.objects.filter(object_id=str(endpoint.pk), content_type__model="webhookendpoint")
    assert changes.count() == 1
    assert "secret" not in changes.get().after


def test_a_receiver_that_is_down_does_not_hold_up_another_endpoint(db, receiver):
    # given: a second receiver that works while the first is down
    working = Receiver()
    try:
        endpoint_for(receiver, name="down")
        endpoint_for(working, name="up")
        receiver.stop()
        publish_orders()

        # when
        report = webhooks.dispatch()

        # then: the working endpoint got all five, in order; the other has its two heads failed
        assert (report.delivered, report.failed) == (5, 2)
        assert [step for _type, order, step in received(working) if order == "1"] == [
            "submitted",
            "confirmed",
            "shipped",
        ]
        assert WebhookDelivery.objects.filter(endpoint__name="down", status="failed").count() == 2
        assert WebhookDelivery.objects.filter(endpoint__name="down", status="pending", attempts=0).count() == 3
    finally:
        working.stop()


def test_a_redirect_is_a_failed_attempt_not_followed(db, receiver):
    # given
    endpoint_for(receiver)
    event = publish("order.submitted", "order", 1, {"step": "submitted"})
    receiver.status = 301

    # when
    report = webhooks.dispatch()

    # then
    assert (report.delivered, report.failed) == (0, 1)
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "failed",
        301,
        "HTTP 301: receiver is broken",
    )
    assert len(receiver.requests) == 1


def test_the_backoff_doubles_up_to_an_hour_with_at_most_ten_percent_of_jitter():
    import random

    # given
    rng = random.Random(4)
    bases = [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]

    # when
    waits = [webhooks.retry_delay(attempt, rng).total_seconds() for attempt in range(1, 12)]

    # then
    assert all(base * 0.9 <= wait <= base for wait, base in zip(waits, bases, strict=True))
    assert waits[:10] == sorted(waits[:10])


def test_a_ping_is_sent_at_once_to_that_endpoint_only(db, receiver):
    # given
    endpoint = endpoint_for(receiver)
    other = endpoint_for(receiver, name="other")

    # when
    delivery = webhooks.ping(endpoint=endpoint)

    # then
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    [request] = receiver.accepted()
    assert request["json"]["type"] == "webhook.ping"
    assert request["json"]["data"] == {"endpoint": endpoint.pk, "name": "ERP"}
    assert WebhookDelivery.objects.filter(endpoint=other).count() == 0


def test_publishing_starts_the_dispatcher_when_the_transaction_commits(
    db, receiver, django_capture_on_commit_callbacks
):
    # given
    endpoint_for(receiver)

    # when: jobs run in-process in tests, so the after-commit job delivers at once
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish("order.submitted", "order", 1, {"step": "submitted"})
    # and nothing is started for an event nobody subscribes to
    WebhookEndpoint.objects.update(active=False)
    with django_capture_on_commit_callbacks(execute=True) as none:
        publish("order.confirmed", "order", 1, {"step": "confirmed"})

    # then
    assert (len(callbacks), len(none)) == (1, 0)
    assert received(receiver) == [("order.submitted", "1", "submitted")]


def test_the_periodic_run_returns_as_soon_as_nothing_is_due_soon(db, receiver):
    import time

    # given: one delivery due, one failing and retried only in about ten seconds
    endpoint_for(receiver)
    publish("order.submitted", "order", 1, {"step": "submitted"})
    publish("order.submitted", "order", 2, {"step": "submitted"})
    WebhookDelivery.objects.filter(aggregate_id="2").update(
        status="failed", attempts=1, next_attempt_at=timezone.now() + timedelta(seconds=10)
    )
    started = time.monotonic()

    # when: a run allowed to last 3 seconds
    report = webhooks.run_dispatcher(seconds=3, poll_seconds=1)

    # then: it sent the due one and did not wait for the retry beyond its window
    assert (report.delivered, report.failed) == (1, 0)
    assert time.monotonic() - started < 2
    assert WebhookDelivery.objects.get(aggregate_id="2").status == "failed"


# --- API -------------------------------------------------------------------------------------


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def test_the_api_creates_an_endpoint_showing_its_secret_once(world, api_client, receiver):
    # given
    client = api_client(world.admin)

    # when
    response = client.post(
        "/api/v1/webhooks/endpoints",
        {"name": "金蝶 ERP", "url": receiver.url, "event_types": ["order.*", "order.shipped"]},
        content_type="application/json",
    )

    # then
    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert (body["id"], body["name"], body["url"], body["event_types"], body["active"]) == (
        endpoint.pk,
        "金蝶 ERP",
        receiver.url,
        ["order.*", "order.shipped"],
        True,
    )
    detail = client.get(f"/api/v1/webhooks/endpoints/{endpoint.pk}")
    assert detail.status_code == 200 and "secret" not in detail.json()
    listed = client.get("/api/v1/webhooks/endpoints").json()
    assert listed["count"] == 1 and "secret" not in listed["items"][0]

    # when: the secret is rotated
    rotated = client.post(f"/api/v1/webhooks/endpoints/{endpoint.pk}/rotate-secret")

    # then
    assert rotated.status_code == 200
    endpoint.refresh_from_db()
    assert rotated.json()["secret"] == endpoint.secret != body["secret"]


def test_the_api_refuses_a_bad_endpoint_with_every_wrong_field(world, api_client):
    # when
    response = api_client(world.admin).post(
        "/api/v1/webhooks/endpoints",
        {"name": " ", "url": "ftp://erp.example.cn/in", "event_types": ["order shipped", "order*"]},
        content_type="application/json",
    )

    # then
    assert response.status_code == 422
    assert errors_of(response) == {
        "name": ["This field is required."],
        "url": ["Enter an http:// or https:// address."],
        "event_types": [
            "“order shipped” is not an event type (e.g. order.shipped or order.*).",
            "“order*” is not an event type (e.g. order.shipped or order.*).",
        ],
    }
    assert WebhookEndpoint.objects.count() == 0


def test_the_api_changes_deactivates_and_deletes_an_endpoint(world, api_client, receiver):
    # given
    client = api_client(world.admin)
    endpoint = endpoint_for(receiver)
    publish("order.submitted", "order", 1, {"step": "submitted"})

    # when
    changed = client.patch(
        f"/api/v1/webhooks/endpoints/{endpoint.pk}",
        {"name": "用友 ERP", "active": False, "event_types": []},
        content_type="application/json",
    )
    refused = client.patch(
        f"/api/v1/webhooks/endpoints/{endpoint.pk}", {"url": "not a url"}, content_type="application/json"
    )
    ping_inactive = client.post(f"/api/v1/webhooks/endpoints/{endpoint.pk}/test")

    # then
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["active"]) == ("用友 ERP", False)
    assert refused.status_code == 422 and errors_of(refused) == {"url": ["Enter an http:// or https:// address."]}
    assert ping_inactive.status_code == 409
    assert ping_inactive.json()["detail"] == "This endpoint is inactive; activate it to send it events."
    assert client.get("/api/v1/webhooks/endpoints", {"active": "true"}).json()["count"] == 0

    # when
    deleted = client.delete(f"/api/v1/webhooks/endpoints/{endpoint.pk}")

    # then
    assert deleted.status_code == 204
    assert (WebhookEndpoint.objects.count(), WebhookDelivery.objects.count()) == (0, 0)
    assert client.get(f"/api/v1/webhooks/endpoints/{endpoint.pk}").status_code == 404


def test_the_api_lists_filters_shows_and_replays_deliveries(world, api_client, receiver):
    # given: two endpoints, three events, one delivery dead
    client = api_client(world.admin)
    erp = endpoint_for(receiver)
    other = endpoint_for(receiver, name="BI", event_types=["order.shipped"])
    publish("order.submitted", "order", 1, {"step": "submitted"})
    shipped = publish("order.shipped", "order", 1, {"step": "shipped"})
    publish("partner.updated", "partner", 5, {"step": "updated"})
    webhooks.dispatch()
    dead = WebhookDelivery.objects.get(endpoint=other, event=shipped)
    WebhookDelivery.objects.filter(pk=dead.pk).update(status="dead", last_error="HTTP 500")

    # when / then: the filters
    def ids(**params):
        response = client.get("/api/v1/webhooks/deliveries", params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    erp_ids = list(WebhookDelivery.objects.filter(endpoint=erp).order_by("-pk").values_list("pk", flat=True))
    assert ids(endpoint=erp.pk) == erp_ids
    assert ids(status="dead") == [dead.pk]
    shipped_ids = sorted([dead.pk, WebhookDelivery.objects.get(endpoint=erp, event=shipped).pk], reverse=True)
    assert ids(event_type="order.shipped") == shipped_ids
    every_id = list(WebhookDelivery.objects.order_by("-pk").values_list("pk", flat=True))
    assert len(every_id) == 4 and ids(limit=1, offset=1) == [every_id[1]]
    bad = client.get("/api/v1/webhooks/deliveries", {"status": "lost"})
    assert bad.status_code == 422 and errors_of(bad) == {"status": ["Choose one of the allowed values."]}

    # when: one delivery in detail
    detail = client.get(f"/api/v1/webhooks/deliveries/{erp_ids[-1]}").json()

    # then
    assert (detail["status"], detail["attempts"], detail["event_type"], detail["endpoint"]) == (
        "delivered",
        1,
        "order.submitted",
        {"id": erp.pk, "name": "ERP"},
    )
    assert detail["payload"]["data"] == {"step": "submitted"}
    assert [(a["number"], a["status_code"], a["succeeded"]) for a in detail["attempt_log"]] == [(1, 200, True)]

    # when: the dead one is replayed, and a pending one cannot be
    replayed = client.post(f"/api/v1/webhooks/deliveries/{dead.pk}/replay")
    again = client.post(f"/api/v1/webhooks/deliveries/{dead.pk}/replay")

    # then
    assert replayed.status_code == 200
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)
    assert again.status_code == 409
    assert again.json()["code"] == "not_replayable"
    assert webhooks.dispatch().delivered == 1
    assert client.get("/api/v1/webhooks/deliveries/999999").status_code == 404


def test_the_api_pings_an_endpoint(world, api_client, receiver):
    # given
    endpoint = endpoint_for(receiver)
    receiver.status = 500

    # when
    response = api_client(world.admin).post(f"/api/v1/webhooks/endpoints/{endpoint.pk}/test")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["event_type"], body["status"], body["last_status_code"], body["last_error"]) == (
        "webhook.ping",
        "failed",
        500,
        "HTTP 500: receiver is broken",
    )
    assert len(body["attempt_log"]) == 1

    # when: pinged again at once (the first ping is still waiting for its retry)
    receiver.status = 200
    again = api_client(world.admin).post(f"/api/v1/webhooks/endpoints/{endpoint.pk}/test")

    # then: the new ping does not wait behind it
    assert (again.json()["status"], again.json()["last_status_code"]) == ("delivered", 200)


def test_only_administrators_manage_webhooks(world, api_client):
    # when
    response = api_client(world.operations).post(
        "/api/v1/webhooks/endpoints", {"name": "x", "url": "https://x.example.cn"}, content_type="application/json"
    )

    # then
    assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 0


# --- pages -----------------------------------------------------------------------------------


def test_the_page_creates_an_endpoint_and_shows_its_secret_once(world, page_client, receiver):
    # given
    client = page_client(world.admin)
    assert 'data-testid="webhooks-link"' in client.get("/settings/").content.decode()

    # when
    response = client.post(
        "/settings/webhooks/", {"name": "金蝶 ERP", "url": receiver.url, "event_types": "order.shipped, order.*"}
    )

    # then: redirected to the list, which shows the secret this once
    assert response.status_code == 302 and response["Location"] == "/settings/webhooks/"
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["order.shipped", "order.*"]
    html = client.get("/settings/webhooks/").content.decode()
    assert endpoint.secret in html and "it is not shown again" in html
    assert endpoint.secret not in client.get("/settings/webhooks/").content.decode()


def test_the_page_shows_field_errors(world, page_client):
    # when
    response = page_client(world.admin).post("/settings/webhooks/", {"name": "ERP", "url": "erp.example.cn"})

    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"url": ["Enter an http:// or https:// address."]}
    assert WebhookEndpoint.objects.count() == 0


def test_the_pages_deactivate_rotate_ping_and_replay(world, page_client, receiver):
    # given
    client = page_client(world.admin)
    endpoint = endpoint_for(receiver)
    event = publish("order.shipped", "order", 8, {"step": "shipped"})
    webhooks.dispatch()
    delivery = WebhookDelivery.objects.get(event=event)

    # when: the delivery log
    log = client.get(f"/settings/webhooks/{endpoint.pk}/")

    # then
    assert log.status_code == 200
    assert [row.pk for row in log.context["deliveries"]] == [delivery.pk]
    assert "order.shipped" in log.content.decode()
    assert list(client.get(f"/settings/webhooks/{endpoint.pk}/", {"status": "dead"}).context["deliveries"]) == []

    # when: replay
    replayed = client.post(f"/settings/webhooks/deliveries/{delivery.pk}/replay/")

    # then
    assert replayed.status_code == 302 and replayed["Location"] == f"/settings/webhooks/{endpoint.pk}/"
    delivery.refresh_from_db()
    assert delivery.status == "pending"

    # when: ping
    pinged = client.post(f"/settings/webhooks/{endpoint.pk}/test/", follow=True)

    # then
    assert "The ping was delivered (HTTP 200)." in pinged.content.decode()

    # when: rotate, shown once
    old = endpoint.secret
    rotated = client.post(f"/settings/webhooks/{endpoint.pk}/rotate/", follow=True)
    endpoint.refresh_from_db()
    assert rotated.status_code == 200 and endpoint.secret != old and endpoint.secret in rotated.content.decode()

    # when: deactivate
    response = client.post(f"/settings/webhooks/{endpoint.pk}/active/", {"active": "0"})

    # then
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active is False
    publish("order.delivered", "order", 8, {"step": "delivered"})
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2  # shipped, the ping; none new
