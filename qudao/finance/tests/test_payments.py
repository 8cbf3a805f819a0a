"""Payments (回款): booking, oldest-first and manual allocation, announcements, reversal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import Notification, ObjectChange, OutboxEvent
from qudao.finance import ledger, payments
from qudao.finance.models import Allocation, Book, Invoice, LedgerEntry, Payment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def make_invoice(partner, amount, *, number, issued_on, due_on) -> Invoice:
    """An ERP invoice booked to the receivable book (as the receivables service does)."""
    invoice = Invoice.objects.create(
        number=number,
        partner=partner,
        currency=partner.credit_currency or "CNY",
        source=Invoice.Source.ERP,
        issued_on=issued_on,
        due_on=due_on,
        amount=Decimal(amount),
    )
    ledger.post(
        partner=partner,
        book=Book.RECEIVABLE,
        kind=LedgerEntry.Kind.INVOICE,
        amount=Decimal(amount),
        occurred_on=issued_on,
        reference=number,
    )
    return invoice


def three_invoices(partner):
    """Due 10-01 (issued 09-01), 10-15 (issued 08-20: oldest issue, but due later), 10-15 (issued 09-05)."""
    return (
        make_invoice(partner, "1000.00", number="INV-A", issued_on=date(2026, 9, 1), due_on=date(2026, 10, 1)),
        make_invoice(partner, "2000.00", number="INV-B", issued_on=date(2026, 8, 20), due_on=date(2026, 10, 15)),
        make_invoice(partner, "3000.00", number="INV-C", issued_on=date(2026, 9, 5), due_on=date(2026, 10, 15)),
    )


def fresh(*records):
    for record in records:
        record.refresh_from_db()
    return records


def pay(world, amount, **extra):
    data = {"amount": amount, "received_on": "2026-11-20", "bank_reference": extra.pop("ref", ""), **extra}
    allocations = data.pop("allocations", None)
    payment, _created = payments.record_payment(
        partner=world.dist_js, data=data, actor=world.finance, allocations=allocations
    )
    return payment


def test_it_books_a_payment_and_allocates_it_oldest_first_across_three_invoices(world):
    # given three open invoices of 1000, 2000 and 3000 (receivable 6000.00)
    a, b, c = three_invoices(world.dist_js)
    # when finance books 4500.00
    payment = pay(world, "4500.00", ref="BK-001", payer_name="南京金陵商贸有限公司", method="bank_transfer")
    # then A (due first) and B (due 10-15, issued before C) are paid, C gets the 1500.00 left
    fresh(a, b, c)
    assert payment.number.startswith("PAY") and len(payment.number) == 13
    assert (payment.status, payment.source, payment.amount, payment.allocated) == (
        "confirmed",
        "finance",
        Decimal("4500.0000"),
        Decimal("4500.0000"),
    )
    assert [(i.number, i.settled, i.status) for i in (a, b, c)] == [
        ("INV-A", Decimal("1000.0000"), "paid"),
        ("INV-B", Decimal("2000.0000"), "paid"),
        ("INV-C", Decimal("1500.0000"), "partially_paid"),
    ]
    rows = Allocation.objects.filter(payment=payment).order_by("pk")
    assert [(r.invoice.number, r.amount, r.reference) for r in rows] == [
        ("INV-A", Decimal("1000.0000"), payment.number),
        ("INV-B", Decimal("2000.0000"), payment.number),
        ("INV-C", Decimal("1500.0000"), payment.number),
    ]
    entry = LedgerEntry.objects.get(reference=payment.number)
    assert (entry.book, entry.kind, entry.amount, entry.balance_after, entry.occurred_on) == (
        "receivable",
        "payment",
        Decimal("-4500.0000"),
        Decimal("1500.0000"),
        date(2026, 11, 20),
    )
    assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("1500.0000")
    event = OutboxEvent.objects.get(event_type="payment.received")
    assert event.payload["number"] == payment.number and event.payload["amount"] == "4500.00"
    assert ledger.reconcile() == []


def test_it_leaves_the_remainder_of_an_overpayment_unallocated_and_allocates_it_later(world):
    # given one invoice of 1000
    (a, b, c) = three_invoices(world.dist_js)
    # when 7000.00 is paid (6000 open)
    payment = pay(world, "7000.00")
    # then every invoice is paid and 1000.00 stays on the payment
    fresh(a, b, c)
    assert [i.status for i in (a, b, c)] == ["paid", "paid", "paid"]
    assert (payment.allocated, payment.unallocated) == (Decimal("6000.0000"), Decimal("1000.0000"))
    assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("-1000.0000")
    # when a new invoice arrives, finance allocates the remainder to it by hand
    d = make_invoice(world.dist_js, "400.00", number="INV-D", issued_on=date(2026, 11, 21), due_on=date(2026, 12, 21))
    rows = payments.allocate_payment(payment=payment, actor=world.finance, allocations=[("INV-D", "400.00")])
    # then
    fresh(payment, d)
    assert [(r.invoice.number, r.amount) for r in rows] == [("INV-D", Decimal("400.00"))]
    assert (d.status, payment.allocated, payment.unallocated) == ("paid", Decimal("6400.0000"), Decimal("600.0000"))
    # and a partial payment leaves the invoice partially paid
    e = make_invoice(world.dist_js, "1000.00", number="INV-E", issued_on=date(2026, 11, 22), due_on=date(2026, 12, 22))
    payments.allocate_payment(payment=payment, actor=world.finance)  # oldest first: 600 of INV-E
    fresh(payment, e)
    assert (e.status, e.settled, payment.unallocated) == ("partially_paid", Decimal("600.0000"), Decimal("0.0000"))
    with pytest.raises(FieldErrors) as error:
        payments.allocate_payment(payment=payment, actor=world.finance)
    assert error.value.errors == {"allocations": ["This payment has nothing left to allocate."]}


def test_it_allocates_by_hand_and_refuses_more_than_an_invoice_has_outstanding(world):
    # given three invoices, INV-C partly paid already (2500 of 3000)
    a, b, c = three_invoices(world.dist_js)
    pay(world, "2500.00", allocations=[(c.pk, "2500.00")])
    counts = (Payment.objects.count(), Allocation.objects.count(), LedgerEntry.objects.count())
    # when finance names invoices by hand with too much for C, another partner's invoice and a sum over the amount
    other = make_invoice(
        world.dealer_zj, "800.00", number="INV-ZJ", issued_on=date(2026, 9, 1), due_on=date(2026, 10, 1)
    )
    counts = (Payment.objects.count(), Allocation.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(FieldErrors) as error:
        pay(
            world,
            "1000.00",
            allocations=[("INV-C", "500.01"), (other.pk, "100.00"), ("INV-A", "600.00"), ("INV-B", "0.001")],
        )
    # then every wrong pair is named and nothing is written
    assert error.value.errors == {
        "allocations.0.amount": ["Invoice INV-C has 500.00 outstanding; 500.01 is more."],
        "allocations.1.invoice": ["No open invoice of this partner has this number."],
        "allocations.3.amount": ["The amount has more than two decimals (whole cents only)."],
    }
    with pytest.raises(FieldErrors) as error:
        pay(world, "1000.00", allocations=[("INV-A", "600.00"), ("INV-B", "600.00")])
    assert error.value.errors == {
        "allocations": ["The allocations add up to 1,200.00, more than the 1,000.00 to allocate."]
    }
    assert (Payment.objects.count(), Allocation.objects.count(), LedgerEntry.objects.count()) == counts
    # when the choice is right: 300 to B, 500 to C (newer first, finance's choice), 200 left on the payment
    payment = pay(world, "1000.00", allocations=[("INV-C", "500.00"), ("INV-B", "300.00")])
    fresh(a, b, c)
    assert [(i.settled, i.status) for i in (a, b, c)] == [
        (Decimal("0.0000"), "open"),
        (Decimal("300.0000"), "partially_paid"),
        (Decimal("3000.0000"), "paid"),
    ]
    assert payment.unallocated == Decimal("200.0000")


def test_it_refuses_bad_payments_with_every_wrong_field_and_writes_nothing(world):
    # given
    three_invoices(world.dist_js)
    pay(world, "100.00", ref="BK-DUP")
    counts = (Payment.objects.count(), LedgerEntry.objects.count(), OutboxEvent.objects.count())
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    # when
    with pytest.raises(FieldErrors) as error:
        payments.record_payment(
            partner=world.dist_js,
            data={"amount": "-5", "received_on": tomorrow, "method": "bitcoin", "bank_reference": "BK-DUP"},
            actor=world.finance,
        )
    # then
    assert error.value.errors == {
        "amount": ["The amount must be greater than zero."],
        "received_on": ["The date cannot be in the future."],
        "method": ["Choose one of: bank_transfer, acceptance_bill, cash, other."],
        "bank_reference": [
            f"This bank reference is already booked for this partner (payment {Payment.objects.get().number})."
        ],
    }
    with pytest.raises(FieldErrors) as error:
        payments.record_payment(
            partner=world.dist_js, data={"amount": "12.345", "received_on": "27/11/2026"}, actor=world.finance
        )
    assert error.value.errors == {
        "amount": ["The amount has more than two decimals (whole cents only)."],
        "received_on": ["Enter a date such as 2026-11-27."],
    }
    assert (Payment.objects.count(), LedgerEntry.objects.count(), OutboxEvent.objects.count()) == counts
    # the same bank reference for another partner is another payment
    other, _created = payments.record_payment(
        partner=world.dealer_zj,
        data={"amount": "100.00", "received_on": "2026-11-20", "bank_reference": "BK-DUP"},
        actor=world.finance,
    )
    assert (other.allocated, other.unallocated) == (Decimal("0.0000"), Decimal("100.0000"))


def test_it_returns_the_first_payment_for_a_retry_with_the_same_idempotency_key(world):
    # given
    data = {"amount": "100.00", "received_on": "2026-11-20"}
    first, created = payments.record_payment(
        partner=world.dist_js, data=data, actor=world.finance, idempotency_key="k1"
    )
    # when
    again, created_again = payments.record_payment(
        partner=world.dist_js, data=data, actor=world.finance, idempotency_key="k1"
    )
    # then
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Payment.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_it_reverses_a_bounced_payment_back_to_the_exact_prior_balance(world):
    # given three invoices (6000.00 owed) and a payment of 4500.00 spread over them
    a, b, c = three_invoices(world.dist_js)
    before = ledger.balance_of(world.dist_js, Book.RECEIVABLE)
    payment = pay(world, "4500.00", ref="BK-BOUNCE")
    # when it bounces
    reversed_payment = payments.reverse_payment(payment=payment, actor=world.finance, reason="退票：账户余额不足")
    # then every allocation has its negative row, the invoices owe everything again
    fresh(a, b, c)
    assert before == Decimal("6000.0000")
    assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("6000.0000")
    assert (reversed_payment.status, reversed_payment.allocated, reversed_payment.decision_note) == (
        "reversed",
        Decimal("0.0000"),
        "退票：账户余额不足",
    )
    assert [(i.settled, i.status) for i in (a, b, c)] == [(Decimal("0.0000"), "open")] * 3
    rows = Allocation.objects.filter(payment=payment).order_by("pk")
    assert [(r.invoice.number, r.amount, r.reverses_id is not None) for r in rows] == [
        ("INV-A", Decimal("1000.0000"), False),
        ("INV-B", Decimal("2000.0000"), False),
        ("INV-C", Decimal("1500.0000"), False),
        ("INV-A", Decimal("-1000.0000"), True),
        ("INV-B", Decimal("-2000.0000"), True),
        ("INV-C", Decimal("-1500.0000"), True),
    ]
    entries = LedgerEntry.objects.filter(reference=payment.number).order_by("pk")
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        ("payment", Decimal("-4500.0000"), Decimal("1500.0000")),
        ("reversal", Decimal("4500.0000"), Decimal("6000.0000")),
    ]
    assert OutboxEvent.objects.filter(event_type="payment.reversed").count() == 1
    change = ObjectChange.objects.get(content_type__model="payment", object_id=str(payment.pk), action="update")
    assert (change.message, change.actor, change.before["status"], change.after["status"]) == (
        "退票：账户余额不足",
        world.finance,
        "confirmed",
        "reversed",
    )
    assert Notification.objects.filter(user=world.dist_admin, kind="payment.reversed").count() == 1
    assert ledger.reconcile() == []
    # when it is reversed twice, or without a reason
    with pytest.raises(Conflict):
        payments.reverse_payment(payment=reversed_payment, actor=world.finance, reason="again")
    with pytest.raises(FieldErrors) as error:
        payments.reverse_payment(payment=pay(world, "10.00"), actor=world.finance, reason=" ")
    assert error.value.errors == {"reason": ["Give the reason."]}
    # and the bounced bank reference may be booked again (the partner pays anew)? No: it names that payment
    with pytest.raises(FieldErrors):
        pay(world, "4500.00", ref="BK-BOUNCE")


def test_it_books_an_announced_payment_only_when_finance_confirms_it(world):
    # given two open invoices and a partner announcing a payment with a PDF proof
    a, b, _c = three_invoices(world.dist_js)
    proof = SimpleUploadedFile("回单.pdf", PDF, content_type="application/pdf")
    payment, created = payments.announce_payment(
        partner=world.dist_js,
        data={"amount": "1500.00", "received_on": "2026-11-25", "bank_reference": "BK-ANN-1"},
        proof=proof,
        actor=world.dist_admin,
    )
    # then it waits for finance: nothing in the ledger, finance is told
    assert (created, payment.status, payment.source, payment.created_by) == (
        True,
        "announced",
        "partner",
        world.dist_admin,
    )
    assert payment.proof.name.endswith(".pdf")
    assert LedgerEntry.objects.filter(reference=payment.number).count() == 0
    assert Notification.objects.filter(user=world.finance, kind="payment.announced").count() == 1
    # when finance confirms it
    confirmed = payments.confirm_payment(payment=payment, actor=world.finance)
    # then it is booked and allocated oldest first
    fresh(a, b)
    assert (confirmed.status, confirmed.decided_by, confirmed.allocated) == (
        "confirmed",
        world.finance,
        Decimal("1500.0000"),
    )
    assert [(a.settled, a.status), (b.settled, b.status)] == [
        (Decimal("1000.0000"), "paid"),
        (Decimal("500.0000"), "partially_paid"),
    ]
    assert LedgerEntry.objects.get(reference=payment.number).amount == Decimal("-1500.0000")
    assert Notification.objects.filter(user=world.dist_staff, kind="payment.confirmed").count() == 1
    with pytest.raises(Conflict):
        payments.confirm_payment(payment=confirmed, actor=world.finance)


def test_it_rejects_an_announced_payment_with_a_reason_and_tells_the_partner(world):
    # given
    payment, _ = payments.announce_payment(
        partner=world.dist_js,
        data={"amount": "800.00", "received_on": "2026-11-25", "bank_reference": "BK-ANN-2"},
        proof=SimpleUploadedFile("slip.png", PNG),
        actor=world.dist_staff,
    )
    # when the reason is missing, then nothing changes
    with pytest.raises(FieldErrors) as error:
        payments.reject_payment(payment=payment, actor=world.finance, reason="")
    assert error.value.errors == {"reason": ["Give the reason."]}
    # when finance rejects it
    rejected = payments.reject_payment(payment=payment, actor=world.finance, reason="未查到此笔到账")
    # then
    assert (rejected.status, rejected.decision_note) == ("rejected", "未查到此笔到账")
    note = Notification.objects.get(user=world.dist_admin, kind="payment.rejected")
    assert note.url == "/portal/finance/payments/" and "未查到此笔到账" in note.body
    assert LedgerEntry.objects.count() == 0
    with pytest.raises(Conflict):
        payments.reject_payment(payment=rejected, actor=world.finance, reason="again")
    with pytest.raises(Conflict):
        payments.reverse_payment(payment=rejected, actor=world.finance, reason="again")
    # and the bank reference of a rejected announcement may be announced again
    again, _ = payments.announce_payment(
        partner=world.dist_js,
        data={"amount": "800.00", "received_on": "2026-11-25", "bank_reference": "BK-ANN-2"},
        proof=SimpleUploadedFile("slip.png", PNG),
        actor=world.dist_staff,
    )
    assert again.status == "announced"


def test_it_refuses_an_announcement_without_a_real_proof(world, settings):
    # given
    settings.PAYMENT_PROOF_MAX_BYTES = 1024 * 1024
    data = {"amount": "800.00", "received_on": "2026-11-25"}
    cases = [
        (None, "Upload the proof of payment (a photo or a PDF)."),
        (SimpleUploadedFile("slip.exe", PDF), "Upload a PDF, JPG, PNG or WebP file."),
        (SimpleUploadedFile("slip.pdf", b""), "The file is empty."),
        (SimpleUploadedFile("slip.pdf", PDF + b"0" * 1024 * 1024), "The file is too large (at most 1 MB)."),
        (SimpleUploadedFile("slip.jpg", PDF), "The file is not a real PDF, JPG, PNG or WebP file."),
    ]
    for proof, message in cases:
        # when
        with pytest.raises(FieldErrors) as error:
            payments.announce_payment(partner=world.dist_js, data=data, proof=proof, actor=world.dist_admin)
        # then
        assert error.value.errors == {"proof": [message]}
    assert Payment.objects.count() == 0


def test_it_seeds_demo_payments_that_reconcile_and_nothing_without_invoices(world):
    import random

    from qudao.finance.demo_payments import seed_payments

    # given no invoices: nothing
    assert seed_payments(random.Random(7)) == {}
    # given open invoices of the three partners
    three_invoices(world.dist_js)
    make_invoice(world.sub_js, "900.00", number="INV-S", issued_on=date(2026, 10, 1), due_on=date(2026, 11, 1))
    make_invoice(world.dealer_zj, "700.00", number="INV-Z", issued_on=date(2026, 10, 1), due_on=date(2026, 11, 1))
    # when
    counts = seed_payments(random.Random(7))
    # then two partners in three paid, one announced, one payment bounced and was reversed
    assert (counts["payments"], counts["announced"], counts["reversed"]) == (2, 1, 1)
    assert Payment.objects.filter(status="announced").count() == 1
    assert Payment.objects.filter(status="reversed").count() == 1
    assert Payment.objects.filter(status="confirmed").count() == 2
    for invoice in Invoice.objects.all():
        total = sum(row.amount for row in invoice.allocations.all())
        assert total == invoice.settled <= invoice.amount
    assert ledger.reconcile() == []
    # and seeding again adds nothing
    assert seed_payments(random.Random(7)) == {} and Payment.objects.count() == 4
