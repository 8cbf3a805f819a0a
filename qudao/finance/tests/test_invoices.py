"""Invoices raised from shipments and delivered orders: lines at the net unit price after the
allocated discount rounded per line, due dates from the payment terms, the receivable entries and
events; prepaid orders settled at once; credit notes allocated to the order's invoices then the
oldest; the ERP import; credit used following invoices and allocations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from qudao.core.errors import FieldErrors
from qudao.core.models import OutboxEvent
from qudao.finance import allocation, ledger, services
from qudao.finance.models import Allocation, Invoice, LedgerEntry, Payment
from qudao.inventory.models import Warehouse
from qudao.orders import returns, shipping
from qudao.orders import services as orders
from qudao.orders.models import CreditNote
from qudao.orders.tests import conftest as orders_fixtures
from qudao.partners import funds
from qudao.partners.models import Partner
from qudao.pricing.tests.conftest import catalogue, make_promo  # noqa: F401  (a fixture of `shop`)

pytestmark = pytest.mark.django_db
shop = orders_fixtures.shop  # the catalogue with stock, dist_js with 100,000.00 of credit


def terms(partner, days):
    Partner.objects.filter(pk=partner.pk).update(payment_terms_days=days)
    partner.refresh_from_db()


def discounted_order(world, shop, payment_method="credit"):
    """3 HOOD-A + 1 WASH-A = 6,897.00 less 300 off allocated to the lines: HOOD-A 1,242.4967 a
    unit (3,727.49 for 3), WASH-A 2,869.51; confirmed and allocated."""
    make_promo("t5000", "threshold", threshold=5000, value=300)
    order, _created = orders.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 3}, {"sku": shop.skus["wash_a"].pk, "quantity": 1}],
        actor=world.dist_admin,
        payment_method=payment_method,
    )
    orders.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    order.refresh_from_db()
    return order


def ship(world, order, *pairs, days_ago=0):
    shipment = shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(order.lines.get(line_no=no).pk, qty) for no, qty in pairs],
        shipped_at=timezone.now() - timedelta(days=days_ago),
        actor=world.operations,
    )
    order.refresh_from_db()
    return shipment


def receivable(partner):
    return list(
        LedgerEntry.objects.filter(partner=partner, book="receivable").order_by("pk").values_list("kind", "amount")
    )


def test_it_invoices_each_shipment_at_the_net_price_rounded_per_line_due_after_the_terms(world, shop):
    # given: dist_js pays in 30 days
    terms(world.dist_js, 30)
    order = discounted_order(world, shop)
    assert order.total == Decimal("6597.0000")
    # when: 1 HOOD-A ships (1,242.4967 -> 1,242.50), then the other 2 and the WASH-A
    first = ship(world, order, (1, 1))
    second = ship(world, order, (1, 2), (2, 1))
    # then: one invoice per shipment, each line rounded to the cent
    one, two = Invoice.objects.get(shipment=first), Invoice.objects.get(shipment=second)
    today = timezone.localdate()
    assert (one.number[:3], one.source, one.amount, one.issued_on, one.due_on, one.status) == (
        "INV", "shipment", Decimal("1242.5000"), today, today + timedelta(days=30), "open"
    )  # fmt: skip
    assert list(two.lines.values_list("quantity", "unit_price", "amount")) == [
        (2, Decimal("1242.4967"), Decimal("2484.9900")),
        (1, Decimal("2869.5100"), Decimal("2869.5100")),
    ]
    assert two.amount == Decimal("5354.5000")
    # the receivable book: both invoices; one invoice.raised event each
    assert receivable(world.dist_js) == [("invoice", Decimal("1242.5000")), ("invoice", Decimal("5354.5000"))]
    assert ledger.balance_of(world.dist_js, "receivable") == Decimal("6597.0000")
    raised = OutboxEvent.objects.filter(event_type="invoice.raised").order_by("pk")
    assert [event.payload["amount"] for event in raised] == ["1242.50", "5354.50"]
    assert raised[0].payload["due_on"] == (today + timedelta(days=30)).isoformat()
    # and: delivering changes nothing in shipment mode
    shipping.confirm_delivery(order=order, actor=world.dist_admin)
    assert Invoice.objects.filter(order=order).count() == 2


@override_settings(INVOICE_ON="delivery")
def test_it_invoices_a_delivered_order_once_for_everything_shipped(world, shop):
    # given: an order shipped in two parts, nothing invoiced at shipment
    order = discounted_order(world, shop)
    ship(world, order, (1, 1))
    ship(world, order, (1, 2), (2, 1))
    assert not Invoice.objects.exists()
    # when: the partner confirms the delivery
    shipping.confirm_delivery(order=order, actor=world.dist_admin)
    # then: one invoice of what shipped, per order line: 3 x 1,242.4967 = 3,727.49 and 2,869.51
    invoice = Invoice.objects.get()
    assert (invoice.source, invoice.order_id, invoice.shipment_id, invoice.amount) == (
        "order", order.pk, None, Decimal("6597.0000")
    )  # fmt: skip
    assert list(invoice.lines.values_list("quantity", "amount")) == [
        (3, Decimal("3727.4900")),
        (1, Decimal("2869.5100")),
    ]
    assert services.raise_for_order(order) is None  # nothing left to invoice


def test_it_settles_a_prepaid_orders_invoice_at_once_and_books_the_prepayment(world, shop):
    # given: 10,000.00 prepaid
    funds.deposit(partner=world.dist_js, amount="10000", actor=world.finance)
    order = discounted_order(world, shop, payment_method="prepayment")
    # when: 1 HOOD-A ships
    shipment = ship(world, order, (1, 1))
    # then: the invoice is raised and paid by the prepayment
    invoice = Invoice.objects.get(shipment=shipment)
    assert (invoice.amount, invoice.settled, invoice.status) == (Decimal("1242.5000"), Decimal("1242.5000"), "paid")
    assert list(invoice.allocations.values_list("source", "amount", "reference")) == [
        ("prepayment", Decimal("1242.5000"), order.number)
    ]
    assert receivable(world.dist_js) == [("invoice", Decimal("1242.5000")), ("prepayment_out", Decimal("-1242.5000"))]
    prepayment = list(
        LedgerEntry.objects.filter(partner=world.dist_js, book="prepayment")
        .order_by("pk")
        .values_list("kind", "amount", "balance_after")
    )
    assert prepayment == [
        ("prepayment_in", Decimal("10000.0000"), Decimal("10000.0000")),
        ("prepayment_out", Decimal("-1242.5000"), Decimal("8757.5000")),
    ]
    assert ledger.reconcile() == []


def test_it_allocates_a_credit_note_to_the_orders_invoice_then_the_oldest_and_keeps_the_rest(world, shop):
    # given: two ERP invoices of dist_js (the older one due first), and the order shipped in full
    services.import_invoices(
        rows=[
            {"partner": world.dist_js.code, "external_ref": "ERP-2", "issued_on": "2026-10-10",
             "due_on": "2026-11-10", "amount": "1000.00"},
            {"partner": world.dist_js.code, "external_ref": "ERP-1", "issued_on": "2026-10-01",
             "due_on": "2026-11-01", "amount": "500.00"},
        ],
        actor=world.finance,
    )  # fmt: skip
    order = discounted_order(world, shop)
    ship(world, order, (1, 3), (2, 1))
    order_invoice = Invoice.objects.get(order=order)
    payment = Payment.objects.create(
        number="PAY-1", partner=world.dist_js, amount=Decimal("6000"), received_on=date(2026, 11, 1)
    )
    allocation.allocate(invoice=order_invoice, amount=Decimal("6000"), source="payment", payment=payment)
    shipping.confirm_delivery(order=order, actor=world.dist_admin)
    # when: the WASH-A comes back: a credit note of 2,869.51
    rma = returns.request_return(
        order=order,
        lines=[(order.lines.get(line_no=2).pk, 1)],
        reason="damaged",
        description="x",
        actor=world.dist_admin,
    )
    returns.approve_return(return_request=rma, actor=world.operations)
    returns.receive_return(
        return_request=rma, warehouse=Warehouse.objects.get(code="HQ"), lines=[(rma.lines.get().pk, 1, "sellable")],
        actor=world.operations,
    )  # fmt: skip
    # then: 597.00 pays the rest of the order's invoice, 500.00 ERP-1 (due first), 1,000.00 ERP-2,
    # and 772.51 stays as unallocated credit in the receivable book
    note = CreditNote.objects.get(return_request=rma)
    assert note.amount == Decimal("2869.5100")
    rows = list(
        Allocation.objects.filter(credit_note=note)
        .order_by("pk")
        .values_list("invoice__external_ref", "invoice__order", "amount")
    )
    assert rows == [
        ("", order.pk, Decimal("597.0000")),
        ("ERP-1", None, Decimal("500.0000")),
        ("ERP-2", None, Decimal("1000.0000")),
    ]
    assert set(Invoice.objects.values_list("status", flat=True)) == {"paid"}
    assert receivable(world.dist_js)[-1] == ("credit_note", Decimal("-2869.5100"))
    assert ledger.balance_of(world.dist_js, "receivable") == Decimal("1500") + Decimal("6597") - Decimal("2869.51")
    # booking it again books nothing
    assert services.book_credit_note(note) == []
    # when: the allocation to ERP-1 is reversed
    undo = allocation.unallocate(
        Allocation.objects.get(credit_note=note, invoice__external_ref="ERP-1"), actor=world.finance
    )
    # then: ERP-1 owes its 500.00 again; every invoice's settled is the sum of its allocations
    erp1 = Invoice.objects.get(external_ref="ERP-1")
    assert (undo.amount, erp1.settled, erp1.status) == (Decimal("-500.0000"), Decimal("0.0000"), "open")
    for invoice in Invoice.objects.all():
        assert invoice.settled == sum(invoice.allocations.values_list("amount", flat=True))
    assert ledger.reconcile() == []


def test_it_imports_erp_invoices_idempotently_and_all_or_nothing(world):
    # given
    terms(world.dealer_zj, 45)
    rows = [{"partner": world.dealer_zj.code, "external_ref": "E-9", "issued_on": "2026-10-01", "amount": "800.50"}]
    # when: sent twice
    first = services.import_invoices(rows=rows, actor=world.finance)
    again = services.import_invoices(rows=rows, actor=world.finance)
    # then: one invoice, due after the partner's 45 days
    invoice = Invoice.objects.get()
    assert [r["status"] for r in first + again] == ["created", "existing"]
    assert again[0]["invoice"].pk == invoice.pk
    assert (invoice.source, invoice.amount, invoice.due_on) == ("erp", Decimal("800.5000"), date(2026, 11, 15))
    assert receivable(world.dealer_zj) == [("invoice", Decimal("800.5000"))]
    # when: a batch with a good row and bad ones
    with pytest.raises(FieldErrors) as refused:
        services.import_invoices(
            rows=[
                {"partner": world.dealer_zj.code, "external_ref": "E-10", "issued_on": "2026-10-02", "amount": "10"},
                {"partner": "NOPE", "external_ref": "E-11", "issued_on": "2026-13-01", "amount": "-1"},
                {"partner": world.dealer_zj.code, "external_ref": "E-9", "issued_on": "2026-10-01", "amount": "900"},
            ],
            actor=world.finance,
        )
    # then: every wrong field named, nothing written
    assert refused.value.errors == {
        "rows.1.partner": ["No partner with this code."],
        "rows.1.issued_on": ["Enter a date (YYYY-MM-DD)."],
        "rows.1.amount": ["Enter an amount above zero, in cents at most."],
    }
    with pytest.raises(FieldErrors) as changed:
        services.import_invoices(rows=[rows[0] | {"amount": "900"}], actor=world.finance)
    assert changed.value.errors == {
        "rows.0.external_ref": [f"Invoice {invoice.number} has this reference with another amount."]
    }
    assert Invoice.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_it_counts_invoiced_value_as_receivables_not_open_orders_and_payments_free_credit(world, shop):
    # given: an order of 6,597.00 on credit (limit 100,000.00), confirmed and allocated
    order = discounted_order(world, shop)
    before = orders.credit_of(world.dist_js)
    assert (before.open_orders, before.receivables, before.available) == (
        Decimal("6597.0000"), Decimal("0"), Decimal("93403.0000")
    )  # fmt: skip
    # when: 1 HOOD-A ships and is invoiced (1,242.50)
    ship(world, order, (1, 1))
    # then: it moves from the open orders to the receivables; available unchanged
    shipped = orders.credit_of(world.dist_js)
    assert (shipped.open_orders, shipped.receivables, shipped.available) == (
        Decimal("5354.5000"), Decimal("1242.5000"), Decimal("93403.0000")
    )  # fmt: skip
    # when: a payment of 1,000.00 is allocated to the invoice
    payment = Payment.objects.create(
        number="PAY-9", partner=world.dist_js, amount=Decimal("1000"), received_on=date(2026, 11, 1)
    )
    allocation.oldest_first(world.dist_js, Decimal("1000"), source="payment", payment=payment)
    # then: 1,000.00 of credit is free again
    paid = orders.credit_of(world.dist_js)
    assert (paid.open_orders, paid.receivables, paid.available) == (
        Decimal("5354.5000"), Decimal("242.5000"), Decimal("94403.0000")
    )  # fmt: skip
    # and the partner's credit page says what "used" is made of
    from django.test import Client

    client = Client()
    client.force_login(world.dist_staff)
    page = client.get("/portal/credit/").content.decode()
    assert (
        "Used: ¥5,354.50 held by open orders (submitted and not yet invoiced) and ¥242.50 owed on invoices not yet"
        " paid." in page
    )
    # and HQ's partner 360 page shows the same in finance's account panel
    client.force_login(world.finance)
    panel = client.get(f"/partners/{world.dist_js.pk}/").content.decode()
    assert 'data-testid="panel-credit-used">CNY 5,597.00 / 100,000.00<' in panel
    assert 'data-testid="panel-credit-available">CNY 94,403.00<' in panel
    assert 'data-testid="panel-outstanding">CNY 242.50 (1 open invoice)<' in panel


def test_it_settles_the_rebate_funds_part_of_each_invoice_as_it_is_taken(world, shop):
    # given: 1,500.00 in dist_js's rebate fund; an order of 6,597.00 on credit, 1,000.00 paid from the fund
    from qudao.partners.models import FundAccount

    funds.deposit(partner=world.dist_js, amount="1500", actor=world.finance, kind=FundAccount.Kind.REBATE)
    make_promo("t5000", "threshold", threshold=5000, value=300)
    order, _created = orders.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 3}, {"sku": shop.skus["wash_a"].pk, "quantity": 1}],
        actor=world.dist_admin,
        rebate_amount="1000.00",
    )
    orders.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    # when: 1 HOOD-A ships (1,242.50: the fund's share 1,000 x 1,242.50 / 6,597 = 188.34), then the rest
    ship(world, order, (1, 1))
    first = Invoice.objects.get(order=order)
    credit = orders.credit_of(world.dist_js)
    ship(world, order, (1, 2), (2, 1))
    # then: each invoice is settled by what the fund paid for it; the rest is owed on credit
    second = Invoice.objects.filter(order=order).exclude(pk=first.pk).get()
    first.refresh_from_db()
    assert list(Allocation.objects.filter(invoice__order=order).order_by("pk").values_list("source", "amount")) == [
        ("rebate", Decimal("188.3400")),
        ("rebate", Decimal("811.6600")),
    ]
    assert (first.settled, first.status, second.amount, second.settled) == (
        Decimal("188.3400"), "partially_paid", Decimal("5354.5000"), Decimal("811.6600")
    )  # fmt: skip
    rebate_book = list(
        LedgerEntry.objects.filter(partner=world.dist_js, book="rebate").order_by("pk").values_list("kind", "amount")
    )
    assert rebate_book == [
        ("rebate_posted", Decimal("1500.0000")),
        ("rebate_used", Decimal("-188.3400")),
        ("rebate_used", Decimal("-811.6600")),
    ]
    assert ledger.balance_of(world.dist_js, "receivable") == Decimal("5597.0000")
    # credit: after the first shipment, 1,054.16 owed and 4,542.84 of the order not yet invoiced
    assert (credit.receivables, credit.open_orders, credit.used) == (
        Decimal("1054.1600"), Decimal("4542.8400"), Decimal("5597.0000")
    )  # fmt: skip
    assert ledger.reconcile() == []
