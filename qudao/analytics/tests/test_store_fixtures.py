"""The small fixed trade of the analytics tests (no tests here; imported by the store, semantic
and API tests). Sales, credit notes, invoices, payments and allocations are written with the
rebates tests' `books` (qudao/rebates/tests/conftest.py); tier and region changes go through the
partner services and are then dated back to the day they stand for.

The trade, local days of 2025 (list price = net price unless said; cost: HOOD-A 600, HOOD-B 300,
WASH-A 2,000):
- dist_js (gold until 15 June, then strategic; Nanjing): 3 HOOD-A at 1,000.00 (list 1,200.00),
  ordered 8 March (09:00), shipped 10 March, delivered 12 March (21:00: 4.5 days); one of them
  returned 2 April (credit note 1,000.00); a gift
  HOOD-B (free) shipped 10 March; 1 HOOD-A at 1,000.00 shipped 20 June, ordered 18 June.
- sub_js (silver; Suzhou): 2 HOOD-B at 500.00 shipped 11 March, ordered 9 March.
- dealer_zj (registered; Hangzhou): 1 WASH-A at 2,999.99 shipped 5 May, ordered 20 April (more
  than seven days before: not filled on time); an order
  of 7 May cancelled (never counts).
- invoices: dist_js 3,000.00 (10 March, due 10 April), sub_js 1,000.00 (11 March, due 31 March).
- payment: dist_js 1,000.00 received 20 March, allocated to its invoice the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from qudao.rebates.tests.conftest import Books, at

START, END = date(2025, 1, 1), date(2025, 12, 31)


@pytest.fixture
def store_dir(settings, tmp_path):
    settings.QUDAO_ANALYTICS_DIR = str(tmp_path / "analytics")
    return tmp_path / "analytics"


@dataclass
class Trade:
    world: object
    books: Books
    first_line: object = None
    dist_invoice: object = None
    sub_invoice: object = None
    payment: object = None


def date_back_changes(partner, day: date) -> None:
    """The partner's last tier/region change happened on `day` (the services record "now")."""
    from django.contrib.contenttypes.models import ContentType

    from qudao.core.models import ObjectChange
    from qudao.partners.models import Partner, TierChange

    kind = ContentType.objects.get_for_model(Partner)
    last = ObjectChange.objects.filter(content_type=kind, object_id=str(partner.pk)).order_by("-pk").first()
    ObjectChange.objects.filter(pk=last.pk).update(at=at(day))
    TierChange.objects.filter(partner=partner, at__gt=at(day)).update(at=at(day))


def submitted(line, day: date, status: str | None = None) -> None:
    from qudao.orders.models import Order

    values = {"submitted_at": at(day, 9)}
    if status:
        values["status"] = status
    Order.objects.filter(pk=line.order_id).update(**values)


def build_trade(world, catalogue) -> Trade:
    from qudao.catalog.models import Sku
    from qudao.orders.models import OrderLine, Shipment
    from qudao.partners import services

    books = Books(world, catalogue)
    for code, cost in (("HOOD-A", "600"), ("HOOD-B", "300"), ("WASH-A", "2000")):
        Sku.objects.filter(code=code).update(cost_price=Decimal(cost))
    trade = Trade(world, books)
    dist, sub, zj = world.dist_js, world.sub_js, world.dealer_zj

    trade.first_line = books.sale(dist, "hood_a", 3, "1000.00", date(2025, 3, 10))
    OrderLine.objects.filter(pk=trade.first_line.pk).update(list_price=Decimal("1200.00"))
    submitted(trade.first_line, date(2025, 3, 8), status="delivered")
    Shipment.objects.filter(order_id=trade.first_line.order_id).update(delivered_at=at(date(2025, 3, 12), 21))
    books.sale(dist, "hood_b", 1, "0.00", date(2025, 3, 10), gift="GIFT1")
    books.credit(trade.first_line, 1, date(2025, 4, 2))
    submitted(books.sale(sub, "hood_b", 2, "500.00", date(2025, 3, 11)), date(2025, 3, 9))
    submitted(books.sale(zj, "wash_a", 1, "2999.99", date(2025, 5, 5)), date(2025, 4, 20))
    cancelled = books.sale(zj, "wash_a", 1, "2999.99", date(2025, 5, 8))
    from qudao.orders.models import ShipmentLine

    ShipmentLine.objects.filter(order_line=cancelled).delete()
    submitted(cancelled, date(2025, 5, 7), status="cancelled")

    services.change_tier(partner=dist, tier="strategic", reason="年度评级")
    date_back_changes(dist, date(2025, 6, 15))
    submitted(books.sale(dist, "hood_a", 1, "1000.00", date(2025, 6, 20)), date(2025, 6, 18))

    trade.dist_invoice = books.invoice(dist, "3000.00", date(2025, 3, 10), date(2025, 4, 10))
    trade.sub_invoice = books.invoice(sub, "1000.00", date(2025, 3, 11), date(2025, 3, 31), sku="HOOD-B")
    trade.payment = books.payment(dist, "1000.00", date(2025, 3, 20))
    books.allocate(trade.payment, trade.dist_invoice, "1000.00", date(2025, 3, 20))
    return trade


@pytest.fixture
def trade(world, catalogue, store_dir):  # noqa: F811
    return build_trade(world, catalogue)


def figures(result) -> dict:
    """A query result as {(dimension keys...): {metric: value}}."""
    metric_codes = [column["code"] for column in result.columns if column["kind"] == "metric"]
    dim_codes = [column["code"] for column in result.columns if column["kind"] == "dimension"]
    return {
        tuple(row[code]["key"] for code in dim_codes): {code: row[code] for code in metric_codes} for row in result.rows
    }
