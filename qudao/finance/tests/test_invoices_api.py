"""The receivables API and pages: invoices (list with filters, detail with lines, allocations and
ledger entries; another partner's 404), the ERP bulk import (idempotent, all or nothing, 422 per
row), the partner's ledger and balances, and the HQ and portal pages."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from qudao.finance import allocation, services
from qudao.finance.models import Invoice, LedgerEntry
from qudao.partners import funds

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def row(partner, ref, issued_on, due_on, amount):
    return {"partner": partner.code, "external_ref": ref, "issued_on": issued_on, "due_on": due_on, "amount": amount}


@pytest.fixture
def books(world):
    """dist_js: INV for 1,000.00 due 2026-11-01 (400.00 paid) and 250.00 due 2099-01-01; 500.00
    prepaid; dealer_zj: 700.00 due 2026-10-01."""
    rows = services.import_invoices(
        rows=[
            row(world.dist_js, "JS-1", "2026-10-01", "2026-11-01", "1000"),
            row(world.dist_js, "JS-2", "2026-10-02", "2099-01-01", "250"),
            row(world.dealer_zj, "ZJ-1", "2026-09-01", "2026-10-01", "700"),
        ],
        actor=world.finance,
    )
    allocation.allocate(invoice=rows[0]["invoice"], amount=Decimal("400"), source="prepayment", reference="T")
    funds.deposit(partner=world.dist_js, amount="500", actor=world.finance)
    return {row["invoice"].external_ref: row["invoice"] for row in rows}


def test_it_lists_and_shows_invoices_in_the_callers_scope(world, books, api_client):
    # when
    hq = api_client(world.finance).get("/api/v1/finance/invoices?overdue=true")
    own = api_client(world.dist_admin).get("/api/v1/finance/invoices")
    detail = api_client(world.dist_admin).get(f"/api/v1/finance/invoices/{books['JS-1'].number}")
    by_id = api_client(world.finance).get(f"/api/v1/finance/invoices/{books['JS-1'].pk}")
    other = api_client(world.dist_admin).get(f"/api/v1/finance/invoices/{books['ZJ-1'].pk}")
    ops = api_client(world.operations).get("/api/v1/finance/invoices")
    # then
    assert hq.status_code == 200
    assert sorted(item["external_ref"] for item in hq.json()["items"]) == ["JS-1", "ZJ-1"]
    assert sorted(item["external_ref"] for item in own.json()["items"]) == ["JS-1", "JS-2"]
    body = detail.json()
    assert (body["amount"], body["settled"], body["outstanding"], body["status"]) == (
        "1000.00", "400.00", "600.00", "partially_paid"
    )  # fmt: skip
    assert body["days_overdue"] > 0
    assert [(a["source"], a["amount"]) for a in body["allocations"]] == [("prepayment", "400.00")]
    assert [(e["kind"], e["amount"]) for e in body["ledger"]] == [("invoice", "1000.00")]
    assert by_id.json()["number"] == books["JS-1"].number
    assert (other.status_code, ops.status_code) == (404, 403)


def test_it_imports_erp_invoices_through_the_api_idempotently(world, api_client):
    # given
    row = {"partner": world.dealer_zj.code, "external_ref": "B-1", "issued_on": "2026-10-01", "amount": "99.90"}
    # when
    first = post(api_client(world.finance), "/api/v1/finance/invoices/bulk", {"rows": [row]})
    again = post(api_client(world.finance), "/api/v1/finance/invoices/bulk", {"rows": [row]})
    bad = post(
        api_client(world.finance),
        "/api/v1/finance/invoices/bulk",
        {"rows": [row | {"external_ref": "B-2"}, row | {"partner": "NOPE", "external_ref": "B-3"}]},
    )
    denied = post(api_client(world.channel), "/api/v1/finance/invoices/bulk", {"rows": [row | {"external_ref": "B-4"}]})
    # then
    assert (first.status_code, first.json()["created"], first.json()["existing"]) == (200, 1, 0)
    assert (again.status_code, again.json()["created"], again.json()["existing"]) == (200, 0, 1)
    assert again.json()["rows"][0]["invoice"]["id"] == first.json()["rows"][0]["invoice"]["id"]
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "rows.1.partner", "message": "No partner with this code."}]
    assert denied.status_code == 403
    assert list(Invoice.objects.values_list("external_ref", flat=True)) == ["B-1"]
    assert LedgerEntry.objects.count() == 1


def test_it_answers_a_partners_ledger_and_balances(world, books, api_client):
    # when
    ledger = api_client(world.dist_admin).get(f"/api/v1/partners/{world.dist_js.pk}/ledger?book=receivable")
    everything = api_client(world.finance).get(f"/api/v1/partners/{world.dist_js.pk}/ledger")
    balances = api_client(world.dist_admin).get(f"/api/v1/partners/{world.dist_js.pk}/balances")
    other = api_client(world.zj_admin).get(f"/api/v1/partners/{world.dist_js.pk}/balances")
    other_ledger = api_client(world.regional_zj).get(f"/api/v1/partners/{world.dist_js.pk}/ledger")
    # then
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in ledger.json()["items"]] == [
        ("invoice", "1000.00", "1000.00"),
        ("invoice", "250.00", "1250.00"),
    ]
    assert [(e["book"], e["kind"]) for e in everything.json()["items"]][-1] == ("prepayment", "prepayment_in")
    body = balances.json()
    assert (body["receivable"], body["prepayment"], body["outstanding"], body["overdue"], body["open_invoices"]) == (
        "1250.00", "500.00", "850.00", "600.00", 2
    )  # fmt: skip
    assert body["prepayment_fund"] == {"balance": "500.00", "held": "0.00", "available": "500.00"}
    assert (other.status_code, other_ledger.status_code) == (404, 404)


def test_it_shows_the_hq_pages_and_the_partners_portal(world, books, page_client):
    # when
    listing = page_client(world.finance).get("/finance/invoices/?overdue=1")
    detail = page_client(world.regional_js).get(f"/finance/invoices/{books['JS-1'].number}/")
    hidden = page_client(world.regional_js).get(f"/finance/invoices/{books['ZJ-1'].number}/")
    portal = page_client(world.dist_admin).get("/portal/finance/")
    portal_invoice = page_client(world.dist_admin).get(f"/portal/finance/invoices/{books['JS-1'].number}/")
    portal_other = page_client(world.dist_admin).get(f"/portal/finance/invoices/{books['ZJ-1'].number}/")
    # then
    assert listing.status_code == 200
    assert listing.content.decode().count('data-testid="invoice-row"') == 2
    assert detail.status_code == 200 and "600.00" in detail.content.decode()
    assert hidden.status_code == 404
    html = portal.content.decode()
    assert portal.status_code == 200
    assert 'data-testid="receivable-balance">¥1,250.00' in html
    assert html.count('data-testid="open-invoice"') == 2
    assert 'data-testid="prepayment-balance">¥500.00' in html
    assert portal_invoice.status_code == 200 and "400.00" in portal_invoice.content.decode()
    assert portal_other.status_code == 404
    assert 'data-testid="nav-finance"' in page_client(world.finance).get("/finance/aging/").content.decode()


def test_it_answers_htmx_with_the_table_only(world, books, page_client):
    # when: the filters and the aging switch ask in place
    invoices = page_client(world.finance).get(
        f"/finance/invoices/?partner={world.dealer_zj.pk}&status=open", HTTP_HX_REQUEST="true"
    )
    aging = page_client(world.finance).get("/finance/aging/?by=overall", HTTP_HX_REQUEST="true")
    # then: the tables without the page around them
    html = invoices.content.decode()
    assert invoices.status_code == 200 and "<html" not in html
    assert html.count('data-testid="invoice-row"') == 1 and books["ZJ-1"].number in html
    assert aging.status_code == 200 and "<html" not in aging.content.decode()
    assert 'data-testid="aging-total"><strong>1,550.00</strong>' in aging.content.decode()
