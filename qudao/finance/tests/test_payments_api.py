"""The payments API: exact status codes, bodies and problem details."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.finance import ledger, payments
from qudao.finance.models import Book, LedgerEntry, Payment
from qudao.finance.tests.test_payments import PDF, three_invoices


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_it_books_a_payment_through_the_api_once_per_idempotency_key(world, api_client):
    # given
    three_invoices(world.dist_js)
    client = api_client(world.finance)
    body = {
        "partner": world.dist_js.pk,
        "amount": "2500.00",
        "received_on": "2026-11-20",
        "bank_reference": "BK-API-1",
        "payer_name": "金陵商贸",
    }
    # when
    first = post(client, "/api/v1/finance/payments", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    again = post(client, "/api/v1/finance/payments", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    # then
    assert (first.status_code, again.status_code) == (201, 200), first.content
    out = first.json()
    assert again.json()["id"] == out["id"]
    assert {k: out[k] for k in ("amount", "allocated", "unallocated", "status", "source", "method")} == {
        "amount": "2500.00",
        "allocated": "2500.00",
        "unallocated": "0.00",
        "status": "confirmed",
        "source": "finance",
        "method": "bank_transfer",
    }
    assert [(a["invoice"]["number"], a["amount"]) for a in out["allocations"]] == [
        ("INV-A", "1000.00"),
        ("INV-B", "1500.00"),
    ]
    assert Payment.objects.count() == 1


def test_it_answers_422_with_every_wrong_field_and_books_nothing(world, api_client):
    # given
    three_invoices(world.dist_js)
    client = api_client(world.finance)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    # when
    response = post(
        client,
        "/api/v1/finance/payments",
        {
            "partner": world.dist_js.pk,
            "amount": "0",
            "received_on": tomorrow,
            "allocations": [{"invoice": "INV-A", "amount": "1000.01"}, {"invoice": "INV-NOPE", "amount": "1"}],
        },
    )
    # then
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [
        {"field": "amount", "message": "The amount must be greater than zero."},
        {"field": "received_on", "message": "The date cannot be in the future."},
        {"field": "allocations.0.amount", "message": "Invoice INV-A has 1,000.00 outstanding; 1,000.01 is more."},
        {"field": "allocations.1.invoice", "message": "No open invoice of this partner has this number."},
    ]
    assert Payment.objects.count() == 0
    # a float amount is refused by the schema
    response = post(
        client, "/api/v1/finance/payments", {"partner": world.dist_js.pk, "amount": 12.5, "received_on": "2026-11-20"}
    )
    assert response.status_code == 422


def test_it_lets_a_partner_announce_and_finance_confirm_reject_reverse_and_allocate(world, api_client):
    # given
    three_invoices(world.dist_js)
    partner = api_client(world.dist_admin)
    finance = api_client(world.finance)
    # when the partner announces with a proof
    response = partner.post(
        "/api/v1/finance/payments/announcements",
        {
            "amount": "1200.00",
            "received_on": "2026-11-26",
            "bank_reference": "BK-ANN-API",
            "proof": SimpleUploadedFile("回单.pdf", PDF),
        },
    )
    # then
    assert response.status_code == 201, response.content
    announced = response.json()
    assert (announced["status"], announced["source"], announced["allocations"]) == ("announced", "partner", [])
    assert announced["proof_url"] == f"/api/v1/finance/payments/{announced['id']}/proof"
    proof = finance.get(announced["proof_url"])
    assert (proof.status_code, b"".join(proof.streaming_content)) == (200, PDF)
    # served as the PDF its bytes are, inline, under the payment's number (never by the uploaded name)
    assert (proof["Content-Type"], proof["Content-Disposition"], proof["X-Content-Type-Options"]) == (
        "application/pdf",
        f'inline; filename="{announced["number"]}.pdf"',
        "nosniff",
    )
    assert Payment.objects.get(pk=announced["id"]).proof.name.endswith(".pdf")
    # the partner cannot confirm it; another partner cannot see it
    assert post(partner, f"/api/v1/finance/payments/{announced['id']}/confirm", {}).status_code == 403
    assert api_client(world.zj_admin).get(f"/api/v1/finance/payments/{announced['id']}").status_code == 404
    # when finance confirms it with a manual allocation to INV-C
    url = f"/api/v1/finance/payments/{announced['id']}"
    response = post(finance, f"{url}/confirm", {"allocations": [{"invoice": "INV-C", "amount": "700.00"}]})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["unallocated"]) == ("confirmed", "500.00")
    # and allocates the rest oldest first
    response = post(finance, f"{url}/allocations", {})
    assert [(a["invoice"]["number"], a["amount"]) for a in response.json()["allocations"]] == [
        ("INV-C", "700.00"),
        ("INV-A", "500.00"),
    ]
    # when it bounces
    assert post(finance, f"{url}/reverse", {"reason": ""}).status_code == 422
    response = post(finance, f"{url}/reverse", {"reason": "退票"})
    assert response.status_code == 200 and response.json()["status"] == "reversed"
    assert [a["amount"] for a in response.json()["allocations"]] == ["700.00", "500.00", "-500.00", "-700.00"]
    assert post(finance, f"{url}/reverse", {"reason": "again"}).status_code == 409
    assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("6000.0000")
    # and a rejected announcement
    second, _ = payments.announce_payment(
        partner=world.dist_js,
        data={"amount": "10.00", "received_on": "2026-11-26"},
        proof=SimpleUploadedFile("p.pdf", PDF),
        actor=world.dist_staff,
    )
    response = post(finance, f"/api/v1/finance/payments/{second.pk}/reject", {"reason": "金额不符"})
    assert (response.status_code, response.json()["decision_note"]) == (200, "金额不符")
    assert post(finance, f"/api/v1/finance/payments/{second.pk}/confirm", {}).status_code == 409
    assert LedgerEntry.objects.filter(reference=second.number).count() == 0


def test_it_lists_payments_in_the_callers_scope_with_filters(world, api_client):
    # given a payment of each of two partners and an announcement
    payments.record_payment(
        partner=world.dist_js, data={"amount": "100.00", "received_on": "2026-11-01"}, actor=world.finance
    )
    payments.record_payment(
        partner=world.dealer_zj, data={"amount": "200.00", "received_on": "2026-11-02"}, actor=world.finance
    )
    announced, _ = payments.announce_payment(
        partner=world.dist_js,
        data={"amount": "300.00", "received_on": "2026-10-01"},
        proof=SimpleUploadedFile("p.pdf", PDF),
        actor=world.dist_admin,
    )
    # when / then: announced first for finance
    body = api_client(world.finance).get("/api/v1/finance/payments").json()
    assert (body["count"], [p["amount"] for p in body["items"]]) == (3, ["300.00", "200.00", "100.00"])
    body = api_client(world.finance).get("/api/v1/finance/payments?status=confirmed&received_from=2026-11-02").json()
    assert [p["amount"] for p in body["items"]] == ["200.00"]
    # a partner user sees its own only; operations has no finance.view
    body = api_client(world.zj_admin).get("/api/v1/finance/payments").json()
    assert [p["amount"] for p in body["items"]] == ["200.00"]
    assert api_client(world.operations).get("/api/v1/finance/payments").status_code == 403
