"""Allocations under real concurrency on PostgreSQL (skipped on SQLite): settlements of one
partner's invoices at once never settle an invoice beyond its amount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from qudao.finance import allocation
from qudao.finance.models import Allocation, Invoice
from qudao.partners.tests.test_concurrency import run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
]


def test_it_never_settles_more_than_the_invoices_owe_when_ten_settle_at_once(world):
    # given: three open invoices of dist_js owing 500.00 in all
    for index, amount in enumerate(("100", "150", "250")):
        Invoice.objects.create(
            number=f"INV-C{index}", partner=world.dist_js, source="erp", external_ref=f"C{index}",
            issued_on=date(2026, 10, 1), due_on=date(2026, 10, 1) + timedelta(days=index), amount=Decimal(amount),
        )  # fmt: skip

    # when: ten settlements of 80.00 each from the prepayment, oldest first, at the same moment
    def settle(index):
        rows = allocation.oldest_first(world.dist_js, Decimal("80"), source="prepayment", reference=f"T{index}")
        return sum((row.amount for row in rows), Decimal("0"))

    results = run_concurrently(10, settle)
    # then: 500.00 settled in all (six in full, one with the last 20.00, three with nothing), never more
    assert [status for status, _value in results] == ["ok"] * 10
    assert sorted(value for _status, value in results) == [0, 0, 0] + [Decimal("20")] + [Decimal("80")] * 6
    assert list(Invoice.objects.order_by("pk").values_list("settled", "status")) == [
        (Decimal("100.0000"), "paid"),
        (Decimal("150.0000"), "paid"),
        (Decimal("250.0000"), "paid"),
    ]
    assert sum(Allocation.objects.values_list("amount", flat=True)) == Decimal("500")
