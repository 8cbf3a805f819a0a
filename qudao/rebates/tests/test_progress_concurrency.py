"""Live progress under concurrency on PostgreSQL (skipped on SQLite): shipments of one partner
published at once, the first creating the row, each adding its delta - the row equals a full
recomputation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone

from qudao.core.events import publish
from qudao.partners.tests.test_concurrency import run_concurrently
from qudao.rebates import progress
from qudao.rebates.models import RebateProgress

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_four_shipments_published_at_once_add_up_exactly(books, world):
    # given a policy over dist_js with no progress row yet (as for a new period)
    policy = books.policy()
    RebateProgress.objects.all().delete()
    today = timezone.localdate()

    def ship(index):
        with transaction.atomic():
            line = books.sale(world.dist_js, "hood_a", index + 1, "1000.00", today)
            shipment = line.order.shipments.get()
            publish("shipment.created", "order", line.order.number, {"shipment": shipment.number})
        return shipment.number

    # when four workers ship 1, 2, 3 and 4 units at 1,000.00 and publish at once
    results = run_concurrently(4, ship)
    # then every shipment counted once: 10,000.00 for 10 units, as a full recomputation says
    assert [status for status, _value in results] == ["ok"] * 4
    row = RebateProgress.objects.get(policy=policy, partner=world.dist_js)
    assert (row.basis, row.units) == (D("10000.0000"), D("10.0000"))
    assert progress.check(policy) == []
