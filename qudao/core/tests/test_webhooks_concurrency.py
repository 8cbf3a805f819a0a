"""Webhook dispatchers running at once on PostgreSQL (FOR UPDATE SKIP LOCKED): no delivery is
sent twice, every event arrives, each aggregate's events in order (skipped on SQLite, whose
writers are serialised anyway)."""

from __future__ import annotations

import pytest

from qudao.core import webhooks
from qudao.core.models import OutboxEvent, WebhookDelivery
from qudao.partners.tests.test_concurrency import run_concurrently

from .webhook_receiver import Receiver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
]


def test_concurrent_dispatchers_never_send_a_delivery_twice_and_keep_each_aggregates_order():
    # given: 40 events of 8 orders, interleaved; a receiver that takes a little while to answer
    receiver = Receiver()
    receiver.delay = 0.01
    try:
        webhooks.create_endpoint(data={"name": "ERP", "url": receiver.url})
        events = []
        for step in range(5):
            for order in range(8):
                # written as publish() does, without its after-commit kick (which would deliver
                # them at once in this test's immediate job mode)
                event = OutboxEvent.objects.create(
                    event_type=f"order.step{step}",
                    aggregate_type="order",
                    aggregate_id=str(order),
                    payload={"step": step},
                )
                webhooks.fan_out(event)
                events.append(event)

        # when: four dispatchers at once
        results = run_concurrently(4, lambda index: webhooks.dispatch(batch_size=3))

        # then
        assert [status for status, _report in results] == ["ok"] * 4
        assert sum(report.delivered for _status, report in results) == 40
        sent = [delivery for _status, report in results for delivery in report.sent]
        assert len(sent) == len(set(sent)) == 40
        bodies = receiver.accepted()
        assert len(bodies) == 40
        assert sorted(body["json"]["id"] for body in bodies) == sorted(event.pk for event in events)
        for order in range(8):
            steps = [body["json"]["data"]["step"] for body in bodies if body["json"]["aggregate_id"] == str(order)]
            assert steps == [0, 1, 2, 3, 4]
        assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
        assert webhooks.dispatch().attempts == 0
    finally:
        receiver.stop()
