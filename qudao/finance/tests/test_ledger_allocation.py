"""The allocation primitive (qudao.finance.allocation): counters, statuses, undo, oldest first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.core.errors import Conflict, FieldErrors
from qudao.finance import allocation
from qudao.finance.models import Allocation, Invoice, Payment

pytestmark = pytest.mark.django_db


def invoice(partner, number, amount, due_on, issued_on=date(2026, 10, 1), order=None):
    return Invoice.objects.create(
        number=number,
        partner=partner,
        source=Invoice.Source.ERP,
        external_ref=number,
        issued_on=issued_on,
        due_on=due_on,
        amount=Decimal(amount),
        order=order,
    )


def payment(partner, number, amount):
    return Payment.objects.create(number=number, partner=partner, amount=Decimal(amount), received_on=date(2026, 11, 1))


def test_it_allocates_a_payment_in_parts_and_moves_both_counters(world):
    # given
    inv = invoice(world.dist_js, "INV-T1", "1000.00", date(2026, 11, 1))
    pay = payment(world.dist_js, "PAY-T1", "600.00")
    # when
    first = allocation.allocate(
        invoice=inv, amount=Decimal("400.00"), source="payment", payment=pay, actor=world.finance
    )
    allocation.allocate(invoice=inv, amount=Decimal("200.00"), source="payment", payment=pay)
    # then
    inv.refresh_from_db()
    pay.refresh_from_db()
    assert (inv.settled, inv.status, inv.outstanding) == (Decimal("600.0000"), "partially_paid", Decimal("400.0000"))
    assert pay.allocated == Decimal("600.0000")
    assert first.actor == world.finance and first.amount == Decimal("400.00")


def test_it_refuses_more_than_outstanding_or_than_the_payment_has_left_and_changes_nothing(world):
    # given
    inv = invoice(world.dist_js, "INV-T2", "100.00", date(2026, 11, 1))
    pay = payment(world.dist_js, "PAY-T2", "50.00")
    # when
    with pytest.raises(FieldErrors) as too_much:
        allocation.allocate(invoice=inv, amount=Decimal("100.01"), source="credit_note", credit_note=None)
    with pytest.raises(FieldErrors) as over_payment:
        allocation.allocate(invoice=inv, amount=Decimal("60.00"), source="payment", payment=pay)
    with pytest.raises(FieldErrors) as negative:
        allocation.allocate(invoice=inv, amount=Decimal("-1"), source="prepayment")
    # then
    assert set(too_much.value.errors) == {"credit_note"}
    assert over_payment.value.errors == {"amount": ["The amount 60.00 exceeds what payment PAY-T2 has left (50.00)."]}
    assert negative.value.errors == {"amount": ["The amount must be greater than zero."]}
    with pytest.raises(FieldErrors) as over_invoice:
        allocation.allocate(invoice=inv, amount=Decimal("100.01"), source="prepayment")
    assert over_invoice.value.errors == {
        "amount": ["The amount 100.01 exceeds what invoice INV-T2 has outstanding (100.00)."]
    }
    inv.refresh_from_db()
    pay.refresh_from_db()
    assert (inv.settled, inv.status, pay.allocated, Allocation.objects.count()) == (0, "open", 0, 0)


def test_it_pays_an_invoice_in_full_and_an_undo_reopens_it_once(world):
    # given
    inv = invoice(world.dist_js, "INV-T3", "250.00", date(2026, 11, 1))
    pay = payment(world.dist_js, "PAY-T3", "250.00")
    row = allocation.allocate(invoice=inv, amount=Decimal("250.00"), source="payment", payment=pay)
    inv.refresh_from_db()
    assert inv.status == "paid"
    # when
    undo = allocation.unallocate(row, actor=world.finance)
    # then
    inv.refresh_from_db()
    pay.refresh_from_db()
    assert (undo.amount, undo.reverses_id, undo.payment_id) == (Decimal("-250.0000"), row.pk, pay.pk)
    assert (inv.settled, inv.status, pay.allocated) == (0, "open", 0)
    with pytest.raises(Conflict):
        allocation.unallocate(row)
    with pytest.raises(Conflict):
        allocation.unallocate(undo)
    assert Allocation.objects.count() == 2


def test_it_refuses_an_unconfirmed_payment_and_a_void_invoice(world):
    # given
    inv = invoice(world.dist_js, "INV-T4", "100.00", date(2026, 11, 1))
    pay = payment(world.dist_js, "PAY-T4", "100.00")
    Payment.objects.filter(pk=pay.pk).update(status="announced")
    void = invoice(world.dist_js, "INV-T5", "100.00", date(2026, 11, 1))
    Invoice.objects.filter(pk=void.pk).update(status="void")
    # when / then
    with pytest.raises(Conflict):
        allocation.allocate(invoice=inv, amount=Decimal("10"), source="payment", payment=pay)
    with pytest.raises(Conflict):
        allocation.allocate(invoice=void, amount=Decimal("10"), source="prepayment")
    assert Allocation.objects.count() == 0


def test_it_allocates_oldest_due_first_the_orders_invoices_before_and_leaves_the_rest(world):
    # given
    later = invoice(world.dist_js, "INV-T6", "300.00", date(2026, 11, 20))
    oldest = invoice(world.dist_js, "INV-T7", "100.00", date(2026, 10, 20))
    middle = invoice(world.dist_js, "INV-T8", "200.00", date(2026, 11, 1))
    invoice(world.dealer_zj, "INV-T9", "500.00", date(2026, 9, 1))  # another partner's: untouched
    pay = payment(world.dist_js, "PAY-T5", "450.00")
    # when
    rows = allocation.oldest_first(world.dist_js, Decimal("1000.00"), source="payment", payment=pay, reference="X")
    # then: capped by what the payment has
    assert [(r.invoice.number, r.amount) for r in rows] == [
        ("INV-T7", Decimal("100.00")),
        ("INV-T8", Decimal("200.00")),
        ("INV-T6", Decimal("150.00")),
    ]
    for inv, status in ((oldest, "paid"), (middle, "paid"), (later, "partially_paid")):
        inv.refresh_from_db()
        assert inv.status == status
    pay.refresh_from_db()
    assert pay.allocated == Decimal("450.0000")
    assert allocation.oldest_first(world.dist_js, Decimal("0"), source="prepayment") == []
