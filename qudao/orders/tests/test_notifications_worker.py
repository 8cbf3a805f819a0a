"""Order status news delivered by a real job worker: a separate `run_huey` process, as `qudao
serve` starts it, on the database the test uses (see qudao/core/tests/worker_process.py)."""

from __future__ import annotations

import pytest

from qudao.core.models import Notification
from qudao.core.tests.worker_process import WorkerWorld
from qudao.orders import services

from .test_services import place

pytestmark = pytest.mark.django_db(transaction=True)


def order_news(order):
    rows = Notification.objects.filter(kind__startswith="order.", url=f"/portal/orders/{order.number}/")
    return sorted(rows.values_list("user__username", "kind", "title"))


def test_a_separate_worker_process_delivers_an_orders_notifications_and_emails(world, shop, tmp_path):
    # given: dist_admin reads English and has an e-mail address; a real worker on the same database
    world.dist_admin.email, world.dist_admin.language = "dist@example.cn", "en"
    world.dist_admin.save()
    with WorkerWorld(tmp_path) as shared:
        shared.start_worker()
        # when: an order is placed (submitted), then cancelled by operations
        order, _ = place(world, shop, ("hood_a", 1))
        services.cancel_order(order=order, actor=world.operations, reason="缺货")
        # then: within a bounded wait, everyone concerned heard of both moves, from the worker
        submitted, cancelled = f"Order {order.number}: Submitted", f"Order {order.number}: Cancelled"
        news = shared.wait_for(lambda: len(order_news(order)) == 6 and order_news(order), what="order news")
        assert [(user, kind) for user, kind, _title in news] == [
            ("dist_admin", "order.cancelled"),
            ("dist_admin", "order.submitted"),
            ("dist_staff", "order.cancelled"),
            ("dist_staff", "order.submitted"),
            ("operations", "order.cancelled"),
            ("operations", "order.submitted"),
        ]
        assert sorted(title for user, _kind, title in news if user == "dist_admin") == [cancelled, submitted]
        # and the e-mails to dist_admin went out from the worker's process
        mails = shared.wait_for(
            lambda: (
                (found := [m for m in shared.mails() if m["To"] == "dist@example.cn"]) and len(found) == 2 and found
            ),
            what="e-mails",
        )
        assert sorted(message["Subject"] for message in mails) == [cancelled, submitted]
        log = shared.log()
    # and the worker never met an unknown task
    assert "not found in TaskRegistry" not in log
    assert "Error reading from queue" not in log
