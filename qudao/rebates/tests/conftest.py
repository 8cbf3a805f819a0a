"""Rebates fixtures: the pricing catalogue (HOOD-A, HOOD-B under 油烟机 < 厨电 < 家电; WASH-A under
洗衣机) on the partner world, and `books`: helpers that write shipped sales, credit notes,
invoices, payments and allocations straight to the database (the services that normally write
them belong to orders and finance and are tested there), and active policies.

Dates are local days of 2025 (the past, so final runs may settle them)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (a fixture used by these tests)

ZONE = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


class Books:
    def __init__(self, world, catalogue):  # noqa: F811
        from qudao.inventory.models import Warehouse

        self.world = world
        self.catalogue = catalogue
        self.warehouse = Warehouse.objects.get_or_create(code="HQ", defaults={"name": "总仓", "kind": "hq"})[0]

    def sku(self, key):
        return self.catalogue.skus[key]

    def sale(self, partner, sku, quantity, net_price, shipped_on: date, *, promotions=(), gift="", shipped=None):
        """An order line of `quantity` units at `net_price`, shipped (all, or `shipped` units) on
        `shipped_on`. Returns the order line."""
        from qudao.orders.models import Order, OrderLine, Shipment, ShipmentLine

        n = next(_numbers)
        order = Order.objects.create(
            number=f"SO-T{n:05d}", partner=partner, status="shipped", total=Decimal(net_price) * quantity
        )
        line = OrderLine.objects.create(
            order=order,
            line_no=1,
            sku=self.sku(sku) if isinstance(sku, str) else sku,
            unit_quantity=quantity,
            quantity=quantity,
            list_price=Decimal(net_price),
            net_unit_price=Decimal(net_price),
            line_total=Decimal(net_price) * quantity,
            promotions=[{"promotion": code, "kind": "percent_off", "amount": "1.00"} for code in promotions],
            gift_promotion=gift,
            shipped_quantity=shipped or quantity,
        )
        shipment = Shipment.objects.create(
            number=f"SH-T{n:05d}", order=order, warehouse=self.warehouse, shipped_at=at(shipped_on)
        )
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=shipped or quantity)
        return line

    def credit(self, order_line, quantity, on: date):
        """A credit note for `quantity` returned units of `order_line`, made on `on`."""
        from qudao.orders.models import CreditNote, CreditNoteLine, ReturnLine, ReturnRequest

        n = next(_numbers)
        rma = ReturnRequest.objects.create(
            number=f"RT-T{n:05d}",
            order=order_line.order,
            partner=order_line.order.partner,
            status="credited",
            reason="damaged",
        )
        rline = ReturnLine.objects.create(
            return_request=rma, order_line=order_line, quantity=quantity, received_quantity=quantity
        )
        amount = order_line.net_unit_price * quantity
        note = CreditNote.objects.create(
            number=f"CN-T{n:05d}", return_request=rma, partner=rma.partner, amount=amount, issued_on=on
        )
        CreditNote.objects.filter(pk=note.pk).update(created_at=at(on))
        CreditNoteLine.objects.create(
            credit_note=note,
            return_line=rline,
            order_line=order_line,
            quantity=quantity,
            unit_price=order_line.net_unit_price,
            amount=amount,
        )
        return note

    def invoice(self, partner, amount, issued_on: date, due_on: date, *, sku="HOOD-A", quantity=1, order_line=None):
        from qudao.finance.models import Invoice, InvoiceLine

        n = next(_numbers)
        invoice = Invoice.objects.create(
            number=f"INV-T{n:05d}",
            partner=partner,
            source="erp",
            issued_on=issued_on,
            due_on=due_on,
            amount=Decimal(amount),
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            order_line=order_line,
            sku=self.sku_by_code(sku),
            quantity=quantity,
            unit_price=Decimal(amount) / quantity,
            amount=Decimal(amount),
        )
        return invoice

    def sku_by_code(self, code):
        from qudao.catalog.models import Sku

        return Sku.objects.get(code=code)

    def payment(self, partner, amount, received_on: date, *, status="confirmed"):
        from qudao.finance.models import Payment

        n = next(_numbers)
        return Payment.objects.create(
            number=f"PAY-T{n:05d}", partner=partner, amount=Decimal(amount), received_on=received_on, status=status
        )

    def allocate(self, payment, invoice, amount, on: date):
        from django.db.models import F

        from qudao.finance.models import Allocation, Invoice, Payment

        allocation = Allocation.objects.create(
            invoice=invoice,
            source="payment",
            payment=payment,
            amount=Decimal(amount),
            created_at=at(on),
            allocated_on=on,
        )
        Invoice.objects.filter(pk=invoice.pk).update(settled=F("settled") + Decimal(amount))
        Payment.objects.filter(pk=payment.pk).update(allocated=F("allocated") + Decimal(amount))
        return allocation

    def policy(self, **overrides):
        """An active policy (created and submitted through the services, approved at once when
        no flow applies - the flow is switched off here)."""
        from qudao.core.models import ApprovalFlow
        from qudao.rebates import services

        data = {
            "code": f"T{next(_numbers)}",
            "name": "测试返利",
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "effective_from": "2024-01-01",
            "target_partners": [self.world.dist_js.code],
            "tiers": [
                {"lower_bound": "0", "value": "1"},
                {"lower_bound": "100000", "value": "2"},
                {"lower_bound": "300000", "value": "3"},
            ],
        }
        data.update(overrides)
        policy = services.create_policy(data=data, actor=self.world.channel)
        ApprovalFlow.objects.filter(subject_kind="rebate_policy").update(is_active=False)
        try:
            return services.submit_policy(policy=policy, actor=self.world.channel)
        finally:
            ApprovalFlow.objects.filter(subject_kind="rebate_policy").update(is_active=True)


@pytest.fixture
def targets():
    """A target table {(metric, partner id, start, end): amount} behind a registered source that
    answers exactly the window asked for."""
    table: dict = {}

    def source(metric, partner_ids, start, end):
        return {
            pid: amount
            for (kind, pid, first, last), amount in table.items()
            if kind == metric and (first, last) == (start, end) and (partner_ids is None or pid in partner_ids)
        }

    from qudao.rebates import ratios

    ratios.register_target_source(source)
    yield table
    ratios.unregister_target_source(source)


@pytest.fixture
def books(world, catalogue):  # noqa: F811
    return Books(world, catalogue)


def rebate_balance(partner) -> Decimal:
    from qudao.partners.models import FundAccount

    account = FundAccount.objects.filter(partner=partner, kind="rebate").first()
    return account.balance if account else Decimal("0")


@pytest.fixture(autouse=True)
def _target_source_restored():
    """Tests here register their own target source or none; the app's (analytics' approved
    targets, registered when the apps load) is put back after each, so no later test depends on
    the order tests ran in."""
    from qudao.rebates import ratios

    registered = ratios._source
    yield
    ratios._source = registered
