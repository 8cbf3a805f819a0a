"""The demo orders: placed through the real service, and what they hold adds up."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.db.models import F, Sum

from conftest import ensure_reference_data
from qudao.inventory.models import StockEntry, StockLevel
from qudao.orders.models import OPEN_STATUSES, Order, OrderLine


def test_the_seed_places_orders_whose_reservations_add_up(db):
    ensure_reference_data()
    call_command("seed", partners=30, seed=42, stdout=StringIO())
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"submitted", "confirmed", "cancelled"} <= statuses
    # the partners without demo users had their orders taken by operations on their behalf
    assert set(Order.objects.values_list("channel", flat=True)) == {"portal", "hq"}
    assert set(Order.objects.filter(channel="hq").values_list("created_by__username", flat=True)) == {"operations"}
    # the stock reserved is exactly what the open orders' lines (gifts included) hold: what they
    # have not shipped yet (the finance demo ships some of them)
    open_quantity = OrderLine.objects.filter(order__status__in=OPEN_STATUSES).aggregate(
        q=Sum(F("quantity") - F("shipped_quantity"))
    )["q"]
    assert StockLevel.objects.aggregate(r=Sum("reserved"))["r"] == open_quantity
    assert StockEntry.objects.aggregate(r=Sum("reserved_delta"))["r"] == open_quantity
    # every order's total is the sum of its lines
    for order in Order.objects.prefetch_related("lines"):
        assert order.total == sum(line.line_total for line in order.lines.all()), order.number
