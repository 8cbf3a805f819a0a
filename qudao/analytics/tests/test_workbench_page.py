"""The HQ workbench (/workbench/): HQ users land on it; its to-dos count exactly what their linked
lists show (scoped: a regional manager counts its regions only); the KPI cards of orders, finance
and inventory and the "orders per day" chart, with exact figures on a small fixed data set."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from qudao.core import workbench
from qudao.finance import workbench as finance_workbench
from qudao.finance.models import Invoice, Payment, Statement
from qudao.inventory import workbench as inventory_workbench
from qudao.inventory.models import StockLevel
from qudao.orders import workbench as orders_workbench
from qudao.orders.models import Order, OrderStatus
from qudao.orders.tests.conftest import stock
from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (a fixture used by these tests)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def at(day: date, hour: int = 10):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


_numbers = iter(range(1, 10_000))


def order(partner, status, submitted: date | None, total="100.00", hour=10):
    return Order.objects.create(
        number=f"SO-WB-{next(_numbers):04d}",
        partner=partner,
        status=status,
        total=Decimal(total),
        submitted_at=at(submitted, hour) if submitted else None,
    )


def rows(client, url, testid) -> int:
    return client.get(url).content.decode().count(f'data-testid="{testid}"')


def todo(user, key):
    return {row["key"]: row for row in workbench.todos_for(user)}.get(key)


# --- landing and layout ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "channel", "regional_js", "finance", "operations", "sales"])
def test_every_hq_role_lands_on_the_workbench(world, page_client, persona):
    client = page_client(world.users[persona])

    assert client.get("/")["Location"] == "/workbench/"
    response = client.get("/workbench/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Workbench</h1>" in html
    # the first item of the main navigation, marked as the current page
    menu = html.split('data-testid="nav-menu">', 1)[1]
    assert re.match(r'\s*<a class="nav-link active" href="/workbench/" aria-current="page"', menu)


def test_a_partner_user_is_sent_to_its_portal(world, page_client):
    response = page_client(world.dist_admin).get("/workbench/")

    assert (response.status_code, response["Location"]) == (302, "/portal/")


def test_each_empty_section_says_so(world, page_client, monkeypatch):
    monkeypatch.setattr(workbench, "_kpis", {})
    monkeypatch.setattr(workbench, "_charts", {})

    html = page_client(world.sales).get("/workbench/").content.decode()

    assert 'data-testid="wb-todos-empty"' in html
    assert 'data-testid="wb-kpis-empty"' in html
    assert 'data-testid="wb-charts-empty"' in html
    assert "echarts.min.js" not in html  # no chart, no chart library


# --- to-dos ---------------------------------------------------------------------------------------


def test_orders_to_confirm_counts_the_submitted_orders_the_list_shows_in_scope(world, page_client):
    today = timezone.localdate()
    order(world.dist_js, OrderStatus.SUBMITTED, today)
    order(world.sub_js, OrderStatus.SUBMITTED, today)
    order(world.dealer_zj, OrderStatus.SUBMITTED, today)
    order(world.dealer_zj, OrderStatus.CONFIRMED, today)
    order(world.dist_js, OrderStatus.DRAFT, None)

    operations = todo(world.operations, "orders.to_confirm")

    assert (operations["count"], operations["url"]) == (3, "/orders/?status=submitted")
    assert rows(page_client(world.operations), operations["url"], "order-row") == 3
    assert todo(world.channel, "orders.to_confirm") is None  # channel managers do not confirm orders
    html = page_client(world.operations).get("/workbench/").content.decode()
    assert re.search(
        r'href="/orders/\?status=submitted" data-testid="todo-orders.to_confirm">.*?data-testid="todo-count">3<', html
    )


def test_payments_to_confirm_and_statement_disputes_count_what_their_lists_show(world, page_client):
    today = timezone.localdate()
    for partner, status in [
        (world.dist_js, Payment.Status.ANNOUNCED),
        (world.dealer_zj, Payment.Status.ANNOUNCED),
        (world.dealer_zj, Payment.Status.CONFIRMED),
    ]:
        Payment.objects.create(
            number=f"PAY-{next(_numbers)}", partner=partner, amount=Decimal("10"), received_on=today, status=status
        )
    for partner, status in [
        (world.dist_js, Statement.Status.DISPUTED),
        (world.sub_js, Statement.Status.DISPUTED),
        (world.dealer_zj, Statement.Status.CONFIRMED),
    ]:
        Statement.objects.create(
            number=f"ST-{next(_numbers)}",
            partner=partner,
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
            status=status,
        )
    client = page_client(world.finance)

    payments = todo(world.finance, "finance.payments_to_confirm")
    disputes = todo(world.finance, "finance.statement_disputes")

    assert (payments["count"], payments["url"]) == (2, "/finance/payments/?status=announced")
    assert (disputes["count"], disputes["url"]) == (2, "/finance/statements/?status=disputed")
    assert rows(client, payments["url"], "payment-row") == 2
    assert rows(client, disputes["url"], "statement-row") == 2
    assert todo(world.sales, "finance.payments_to_confirm") is None  # sales cannot confirm payments


# --- KPIs -----------------------------------------------------------------------------------------


def test_active_partners_compares_the_month_so_far_with_last_month_and_last_year(world):
    today = date(2026, 3, 31)
    order(world.dist_js, OrderStatus.SUBMITTED, date(2026, 3, 1), hour=0)  # just after midnight, local
    order(world.dist_js, OrderStatus.CONFIRMED, date(2026, 3, 31), hour=23)
    order(world.sub_js, OrderStatus.CANCELLED, date(2026, 3, 15))  # placed, then cancelled: still placed
    order(world.dealer_zj, OrderStatus.SUBMITTED, date(2026, 4, 1))  # tomorrow: not this month
    order(world.dealer_zj, OrderStatus.DELIVERED, date(2026, 2, 28))  # last month, on the same days
    order(world.dist_js, OrderStatus.DELIVERED, date(2025, 3, 10))  # a year ago
    order(world.sub_js, OrderStatus.DELIVERED, date(2025, 3, 31), hour=23)
    order(world.dealer_zj, OrderStatus.DELIVERED, date(2025, 3, 5))
    order(world.dealer_zj, OrderStatus.DRAFT, None)  # never placed

    admin = orders_workbench.active_partners_kpi(world.admin, today)
    regional = orders_workbench.active_partners_kpi(world.regional_zj, today)

    assert (admin.value, admin.change_month, admin.change_year) == (2, Decimal("1.0000"), Decimal("-0.3333"))
    assert (regional.value, regional.change_month, regional.change_year) == (0, Decimal("-1.0000"), Decimal("-1.0000"))
    assert admin.hint == "Partners that placed an order this month (last month: 1, a year ago: 3, same days)."


def test_overdue_receivables_sums_what_is_left_of_open_invoices_past_due_in_scope(world):
    today = date(2026, 12, 8)
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    for partner, amount, settled, due, status, currency in [
        (world.dist_js, "1000.00", "200.00", yesterday, Invoice.Status.PARTIALLY_PAID, "CNY"),
        (world.sub_js, "333.3350", "0", date(2026, 1, 1), Invoice.Status.OPEN, "CNY"),
        (world.dealer_zj, "100.00", "0", tomorrow, Invoice.Status.OPEN, "CNY"),  # not due yet
        (world.dealer_zj, "70.00", "0", today, Invoice.Status.OPEN, "CNY"),  # due today: not overdue
        (world.dist_js, "500.00", "500.00", yesterday, Invoice.Status.PAID, "CNY"),
        (world.dist_js, "50.00", "0", yesterday, Invoice.Status.OPEN, "HKD"),
    ]:
        Invoice.objects.create(
            number=f"INV-{next(_numbers)}",
            partner=partner,
            source="shipment",
            amount=Decimal(amount),
            settled=Decimal(settled),
            issued_on=date(2025, 12, 1),
            due_on=due,
            status=status,
            currency=currency,
        )

    admin = finance_workbench.overdue_kpi(world.admin, today)
    regional = finance_workbench.overdue_kpi(world.regional_zj, today)

    assert (admin.value, admin.currency, admin.format) == (Decimal("1133.34"), "CNY", "money")
    assert admin.hint == "Open invoices past their due date. Also HKD 50.00."
    assert admin.url == "/finance/invoices/?overdue=1"
    assert (regional.value, regional.hint) == (Decimal("0.00"), "Open invoices past their due date.")


def test_low_stock_counts_the_levels_the_stock_list_shows_as_low(world, page_client, catalogue):  # noqa: F811
    skus = catalogue.skus
    for code, on_hand, safety in [("hood_a", 20, 25), ("hood_b", 20, 5), ("wash_a", 20, 20)]:
        stock(skus[code], on_hand)
        StockLevel.objects.filter(sku=skus[code]).update(safety_stock=safety)

    kpi = inventory_workbench.low_stock_kpi(world.operations, timezone.localdate())

    assert (kpi.value, kpi.url) == (2, "/inventory/?low=on")
    assert rows(page_client(world.operations), kpi.url, "stock-row") == 2


# --- the chart ------------------------------------------------------------------------------------


def test_orders_per_day_counts_each_local_day_of_the_last_30_in_scope(world, page_client):
    today = timezone.localdate()
    order(world.dist_js, OrderStatus.SUBMITTED, today, hour=0)
    order(world.sub_js, OrderStatus.DELIVERED, today, hour=23)
    order(world.dealer_zj, OrderStatus.SUBMITTED, today - timedelta(days=2))
    order(world.dist_js, OrderStatus.SUBMITTED, today - timedelta(days=29))
    order(world.dist_js, OrderStatus.SUBMITTED, today - timedelta(days=30))  # 31 days ago: left out

    option = orders_workbench.orders_per_day_option(world.admin, today)
    regional = orders_workbench.orders_per_day(world.regional_js, today)

    data = option["series"][0]["data"]
    assert len(data) == 30 and sum(data) == 4
    assert (data[0], data[-3], data[-1]) == (1, 1, 2)
    assert option["xAxis"]["data"][-1] == today.strftime("%m-%d")
    assert [count for _day, count in regional][-3:] == [0, 0, 2]  # Zhejiang's order is not Jiangsu's
    html = page_client(world.admin).get("/workbench/").content.decode()
    drawn = re.search(r'data-testid="chart-orders.per_day"[^>]*><script type="application/json">(.*?)</script>', html)
    assert json.loads(drawn.group(1))["series"][0]["data"] == data
