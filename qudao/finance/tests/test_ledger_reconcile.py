"""Reconciliation over the seeded demo data: every ledger balance equals the sum of its entries,
every invoice's settled amount the sum of its allocations; `check_ledger` says so, and fails
listing a mismatch once a balance is tampered with."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from qudao.finance import ledger
from qudao.finance.models import Invoice, LedgerBalance, LedgerEntry

pytestmark = pytest.mark.django_db


def test_it_reconciles_the_seeded_ledger_and_check_ledger_finds_a_tampered_balance():
    # given: the demo data, with shipped (some prepaid) and delivered orders invoiced
    call_command("seed", partners=40, stdout=StringIO())
    assert Invoice.objects.exists()
    assert LedgerEntry.objects.filter(book="receivable", kind="invoice").count() == Invoice.objects.count()
    # then: every balance equals its entries; every invoice's settled its allocations
    assert ledger.reconcile() == []
    for invoice in Invoice.objects.prefetch_related("allocations"):
        assert invoice.settled == sum((row.amount for row in invoice.allocations.all()), Decimal("0"))
        assert invoice.status == ("paid" if invoice.settled == invoice.amount else invoice.status)
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().startswith("The ledger reconciles")
    # when: a balance is moved without an entry
    row = LedgerBalance.objects.filter(book="receivable").order_by("pk").first()
    LedgerBalance.objects.filter(pk=row.pk).update(balance=F("balance") + 1)
    # then
    err = StringIO()
    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("check_ledger", stdout=StringIO(), stderr=err)
    assert f"partner {row.partner_id} {row.currency} receivable" in err.getvalue()
