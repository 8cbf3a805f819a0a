"""Business dates of credit notes (`issued_on`) and allocations (`allocated_on`): the day the ERP
says a return was credited or an invoice settled, taken through the API and the bank/ERP file,
bounded (never in the future, never before the goods shipped, the invoice was issued or the money
arrived), and used by the ledger, the month's statement and the rebates' overdue condition."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from qudao.finance import statements
from qudao.finance.models import Allocation, Invoice, LedgerEntry, Payment
from qudao.inventory.models import StockLevel, Warehouse
from qudao.orders import returns, services, shipping
from qudao.orders.models import CreditNote, Shipment
from qudao.orders.tests import conftest as orders_fixtures
from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (the fixture `shop` builds on)
from qudao.rebates import basis

shop = orders_fixtures.shop  # the catalogue with 20 of each SKU in stock, dist_js with 100,000.00 of credit
ZONE = ZoneInfo("Asia/Shanghai")


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def shipped_in_october(world, shop, *pairs):
    """An order of dist_js shipped (and invoiced on shipment) on 20 October 2026: the shipment and
    its invoice are moved back to that day, as an ERP backfill would have recorded them."""
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs],
        actor=world.dist_admin,
    )
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    shipment = shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(line.pk, line.quantity) for line in order.lines.all()],
        actor=world.operations,
    )
    Shipment.objects.filter(pk=shipment.pk).update(shipped_at=datetime.combine(date(2026, 10, 20), time(10), ZONE))
    Invoice.objects.filter(shipment=shipment).update(issued_on=date(2026, 10, 20), due_on=date(2026, 11, 19))
    order.refresh_from_db()
    return order


def invoice(partner, number, amount, issued_on, due_on):
    return Invoice.objects.create(
        number=number, partner=partner, source="erp", issued_on=issued_on, due_on=due_on, amount=D(amount)
    )


def test_the_erp_credits_a_return_on_the_day_it_received_the_goods(world, shop, api_client):
    # given 2 HOOD-A shipped and invoiced (2,598.00) on 20 October, one of them asked back and approved
    order = shipped_in_october(world, shop, ("hood_a", 2))
    rma = returns.request_return(
        order=order,
        lines=[(order.lines.get().pk, 1)],
        reason="damaged",
        description="外壳破损",
        actor=world.dist_admin,
    )
    returns.approve_return(return_request=rma, actor=world.operations)
    client = api_client(world.operations)
    path = f"/api/v1/returns/{rma.pk}/receive"
    body = {"warehouse": "HQ", "lines": [{"line_no": 1, "received_quantity": 1, "condition": "sellable"}]}
    # when the ERP says it credited it before the goods shipped, or in the future
    early = post(client, path, {**body, "credited_on": "2026-10-19"})
    ahead = post(client, path, {**body, "credited_on": "2099-01-01"})
    # then 422 on credited_on, and nothing moved
    assert (early.status_code, ahead.status_code) == (422, 422)
    assert early.json()["errors"] == [
        {"field": "credited_on", "message": "The goods shipped on 2026-10-20: they cannot be credited before."}
    ]
    assert [e["field"] for e in ahead.json()["errors"]] == ["credited_on"]
    rma.refresh_from_db()
    on_hand = StockLevel.objects.get(sku=shop.skus["hood_a"], warehouse__code="HQ").on_hand
    assert (rma.status, CreditNote.objects.count(), on_hand) == ("approved", 0, 18)
    # when it says it received and credited it on 3 November
    response = post(client, path, {**body, "credited_on": "2026-11-03"})
    # then the credit note (1,299.00) is dated 3 November, so are its ledger entry and its allocation
    assert response.status_code == 200, response.content
    assert response.json()["credit_note"]["issued_on"] == "2026-11-03"
    note = CreditNote.objects.get()
    entry = LedgerEntry.objects.get(reference=note.number)
    allocation = Allocation.objects.get(credit_note=note)
    assert (note.issued_on, note.amount) == (date(2026, 11, 3), D("1299.00"))
    assert (entry.kind, entry.occurred_on, entry.amount) == ("credit_note", date(2026, 11, 3), D("-1299.0000"))
    assert (allocation.allocated_on, allocation.amount) == (date(2026, 11, 3), D("1299.0000"))
    # and October's statement still shows the whole invoice open, November's the credit note
    october = statements.generate_statement(partner=world.dist_js, month="2026-10", actor=world.finance)
    november = statements.generate_statement(partner=world.dist_js, month="2026-11", actor=world.finance)
    assert [(line.kind, line.amount) for line in october.lines.filter(kind="open_invoice")] == [
        ("open_invoice", D("2598.0000"))
    ]
    assert [(line.kind, line.occurred_on, line.amount) for line in november.lines.exclude(kind="open_invoice")] == [
        ("credit_note", date(2026, 11, 3), D("-1299.0000"))
    ]
    assert [line.amount for line in november.lines.filter(kind="open_invoice")] == [D("1299.0000")]


def test_the_erp_dates_a_payment_s_allocations_the_day_it_settled_the_invoices(world, api_client):
    # given two open invoices of dist_js: 600.00 issued 5 October (due 4 November) and 400.00
    # issued 10 November (due 10 December)
    first = invoice(world.dist_js, "INV-OCT", "600.00", date(2026, 10, 5), date(2026, 11, 4))
    second = invoice(world.dist_js, "INV-NOV", "400.00", date(2026, 11, 10), date(2026, 12, 10))
    client = api_client(world.finance)
    body = {"partner": world.dist_js.pk, "amount": "1000.00", "received_on": "2026-10-30", "bank_reference": "E1"}
    # when the ERP books a payment whose allocations it dates before the money arrived, in the
    # future, or names an invoice issued after the allocation date
    before_money = post(client, "/api/v1/finance/payments", {**body, "allocated_on": "2026-10-29"})
    ahead = post(client, "/api/v1/finance/payments", {**body, "allocated_on": "2099-01-01"})
    by_hand = post(
        client,
        "/api/v1/finance/payments",
        {**body, "allocated_on": "2026-10-31", "allocations": [{"invoice": "INV-NOV", "amount": "400.00"}]},
    )
    # then 422 with the field, and nothing is written
    assert [(r.status_code, [e["field"] for e in r.json()["errors"]]) for r in (before_money, ahead, by_hand)] == [
        (422, ["allocated_on"]),
        (422, ["allocated_on"]),
        (422, ["allocations.0.invoice"]),
    ]
    assert (
        before_money.json()["errors"][0]["message"] == "The money arrived on 2026-10-30: it cannot be allocated before."
    )
    assert by_hand.json()["errors"][0]["message"] == (
        "Invoice INV-NOV was issued on 2026-11-10: it cannot be settled before."
    )
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    # when it books it settled on 31 October, oldest first
    response = post(client, "/api/v1/finance/payments", {**body, "allocated_on": "2026-10-31"})
    # then only the invoice issued by then is paid, on that day; 400.00 stays on the payment
    assert response.status_code == 201, response.content
    payment = response.json()
    assert (payment["allocated"], payment["unallocated"]) == ("600.00", "400.00")
    assert [(row["invoice"]["number"], row["amount"], row["allocated_on"]) for row in payment["allocations"]] == [
        ("INV-OCT", "600.00", "2026-10-31")
    ]
    # when the rest is allocated later, as of 12 November
    later = post(client, f"/api/v1/finance/payments/{payment['id']}/allocations", {"allocated_on": "2026-11-12"})
    assert later.status_code == 200, later.content
    assert [(row["invoice"]["number"], row["allocated_on"]) for row in later.json()["allocations"]] == [
        ("INV-OCT", "2026-10-31"),
        ("INV-NOV", "2026-11-12"),
    ]
    # then October's statement shows INV-OCT settled, and the overdue condition on 5 November finds
    # nothing overdue (it was settled on 31 October, before its due date)
    october = statements.generate_statement(partner=world.dist_js, month="2026-10", actor=world.finance)
    assert list(october.lines.filter(kind="open_invoice")) == []
    partners = type(world.dist_js).objects.filter(pk=world.dist_js.pk)
    assert basis.overdue_at(partners, date(2026, 11, 5), 0) == {}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("paid", "paid")


def test_a_bank_or_erp_file_carries_the_allocation_date(world):
    # given an open invoice issued 5 October, and a file row paying it that the ERP settled on 2 November
    from qudao.finance import importing

    invoice(world.dist_js, "INV-OCT", "600.00", date(2026, 10, 5), date(2026, 11, 4))
    content = (
        "伙伴编码,金额,到账日期,银行流水号,核销日期\n"
        f"{world.dist_js.code},600.00,2026-11-01,F1,2026-11-02\n"
        f"{world.dist_js.code},50.00,2026-11-01,F2,2026-10-31\n"
    ).encode()
    # when it is previewed
    plans = importing.analyse(importing.parse_file("bank.csv", content))
    # then the row settled before its money arrived is refused at its column
    assert [plan.errors for plan in plans] == [
        {},
        {"allocated_on": ["The money arrived on 2026-11-01: it cannot be allocated before."]},
    ]
    # when the good row is booked
    from qudao.finance import payments

    payments.record_payment(partner=world.dist_js, data=plans[0].data, actor=world.finance)
    # then its allocation carries the ERP's date
    assert list(Allocation.objects.values_list("invoice__number", "amount", "allocated_on")) == [
        ("INV-OCT", D("600.0000"), date(2026, 11, 2))
    ]
