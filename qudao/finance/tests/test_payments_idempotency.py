"""Idempotency-Key on booking and announcing payments: the same key with the same request returns
the first payment (200); the same key with a different request is refused with 422
`idempotency_key_reused` and books nothing."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.finance import ledger
from qudao.finance.models import Book, LedgerEntry, Payment
from qudao.finance.tests.test_payments import PDF, three_invoices


def raw_post(client, url, text: str, **headers):
    return client.post(url, text, content_type="application/json", **headers)


def reuse_message(number: str) -> str:
    return (
        f"This Idempotency-Key was already used for {number} with a different request."
        " Send a new key for a new request."
    )


def test_booking_a_payment_again_with_the_same_key_and_another_body_is_refused(world, api_client):
    # given: a payment of 2,500.00 booked with key "bank-1", allocated by hand to INV-A and INV-B
    three_invoices(world.dist_js)
    client = api_client(world.finance)
    partner = world.dist_js.pk
    first = raw_post(
        client,
        "/api/v1/finance/payments",
        f'{{"partner": {partner}, "amount": "2500.00", "received_on": "2026-11-20", "bank_reference": "BK-1",'
        ' "allocations": [{"invoice": "INV-A", "amount": "1000.00"}, {"invoice": "INV-B", "amount": "1500.00"}]}',
        HTTP_IDEMPOTENCY_KEY="bank-1",
    )
    assert first.status_code == 201, first.content
    number = first.json()["number"]

    # when: retried with the fields in another order and amounts written otherwise
    retry = raw_post(
        client,
        "/api/v1/finance/payments",
        '{"allocations": [{"amount": "1000", "invoice": "INV-A"}, {"amount": "1500.0", "invoice": "INV-B"}],'
        f' "bank_reference": "BK-1", "received_on": "2026-11-20", "amount": "2500", "partner": {partner}}}',
        HTTP_IDEMPOTENCY_KEY="bank-1",
    )
    # then: the first payment
    assert (retry.status_code, retry.json()["number"]) == (200, number)

    # when: the key comes back with another amount, or another allocation
    for text in (
        f'{{"partner": {partner}, "amount": "2600.00", "received_on": "2026-11-20", "bank_reference": "BK-1"}}',
        f'{{"partner": {partner}, "amount": "2500.00", "received_on": "2026-11-20", "bank_reference": "BK-1",'
        ' "allocations": [{"invoice": "INV-C", "amount": "2500.00"}]}',
    ):
        reused = raw_post(client, "/api/v1/finance/payments", text, HTTP_IDEMPOTENCY_KEY="bank-1")
        # then: 422 naming the reuse; nothing booked
        assert reused.status_code == 422, reused.content
        problem = reused.json()
        assert (problem["code"], problem["detail"], problem["errors"]) == (
            "idempotency_key_reused",
            reuse_message(number),
            [{"field": "idempotency_key", "message": reuse_message(number)}],
        )
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("3500.0000")


def test_announcing_a_payment_again_with_the_same_key_and_another_body_is_refused(world, api_client):
    client = api_client(world.dist_admin)

    def announce(amount: str, proof: bytes = PDF):
        return client.post(
            "/api/v1/finance/payments/announcements",
            {
                "amount": amount,
                "received_on": "2026-11-26",
                "bank_reference": "BK-ANN-9",
                "proof": SimpleUploadedFile("回单.pdf", proof),
            },
            HTTP_IDEMPOTENCY_KEY="ann-9",
        )

    # given: an announcement; when: sent again as it was, then: the first one
    first = announce("1200.00")
    again = announce("1200.00")
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 200, first.json()["id"])
    # when: the key comes back with another amount, or another proof
    for reused in (announce("1300.00"), announce("1200.00", PDF + b"%another page\n")):
        # then: 422 naming the reuse; nothing announced
        assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
        assert reused.json()["errors"] == [
            {"field": "idempotency_key", "message": reuse_message(first.json()["number"])}
        ]
    assert Payment.objects.count() == 1


def test_the_announce_page_sent_again_with_another_amount_gets_a_new_key_and_announces_nothing(world, page_client):
    import re

    client = page_client(world.dist_staff)
    form = {
        "amount": "1200",
        "received_on": "2026-11-26",
        "method": "bank_transfer",
        "bank_reference": "BK-M2",
        "idempotency_key": "form-key-1",
    }
    # given: a payment announced from the page
    first = client.post("/portal/finance/payments/announce/", form | {"proof": SimpleUploadedFile("slip.pdf", PDF)})
    assert first.status_code == 302
    # when: the same form comes back (the back button) with another amount
    again = client.post(
        "/portal/finance/payments/announce/", form | {"amount": "1300", "proof": SimpleUploadedFile("slip.pdf", PDF)}
    )
    # then: refused with the reason, and the page carries a new key; nothing more announced
    html = again.content.decode()
    assert again.status_code == 422
    number = Payment.objects.get().number
    assert reuse_message(number) in html
    assert re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1) not in ("", "form-key-1")
    assert Payment.objects.count() == 1
