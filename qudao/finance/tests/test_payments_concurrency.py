"""Payments under real concurrency (PostgreSQL row locks; skipped on SQLite)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from qudao.finance import ledger, payments
from qudao.finance.models import Allocation, Book, Invoice, Payment
from qudao.finance.tests.test_payments import three_invoices
from qudao.partners.models import Partner
from qudao.partners.tests.test_concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_it_never_over_settles_an_invoice_when_ten_payments_allocate_at_once(world):
    # given three open invoices of 1000, 2000 and 3000 (6000.00)
    three_invoices(world.dist_js)
    partner_id, finance = world.dist_js.pk, world.finance

    def pay(index):
        payment, _created = payments.record_payment(
            partner=Partner.objects.get(pk=partner_id),
            data={"amount": "800.00", "received_on": "2026-11-20", "bank_reference": f"BK-RACE-{index}"},
            actor=finance,
        )
        return payment.number

    # when ten payments of 800.00 arrive at once (8000.00)
    results = run_concurrently(10, pay)
    # then every one is booked, the invoices are paid exactly once and 2000.00 stays unallocated
    assert [status for status, _value in results] == ["ok"] * 10, results
    for invoice in Invoice.objects.filter(partner_id=partner_id):
        allocated = Allocation.objects.filter(invoice=invoice).aggregate(total=Sum("amount"))["total"]
        assert (invoice.settled, invoice.status) == (invoice.amount, "paid")
        assert allocated == invoice.settled
    booked = Payment.objects.filter(partner_id=partner_id)
    assert booked.count() == 10
    assert booked.aggregate(total=Sum("allocated"))["total"] == Decimal("6000.0000")
    assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("-2000.0000")
    assert ledger.reconcile() == []
