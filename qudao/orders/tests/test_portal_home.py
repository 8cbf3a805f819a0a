"""Orders' cards on the portal's home page (/portal/): this month's orders, one tap to reorder,
orders on their way with tracking links, and the available credit; each of the partner's own
orders only, read through the scoping rule."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from qudao.inventory.models import Warehouse
from qudao.orders.models import Order, OrderStatus, OrderTemplate, Shipment, ShipmentStatus
from qudao.orders.tests.conftest import set_credit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


_numbers = iter(range(1, 10_000))


def order(partner, status, days_ago=0, total="100.00", hour=10, **fields):
    day = timezone.localdate() - timedelta(days=days_ago)
    submitted = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))
    return Order.objects.create(
        number=f"SO-PH-{next(_numbers):04d}",
        partner=partner,
        status=status,
        total=Decimal(total),
        submitted_at=submitted if status != OrderStatus.DRAFT else None,
        **fields,
    )


def card(html: str, key: str) -> str:
    match = re.search(rf'<section class="pt-card" data-testid="home-card-{re.escape(key)}">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def home(page_client, user) -> str:
    response = page_client(user).get("/portal/")
    assert response.status_code == 200
    return response.content.decode()


def test_this_months_orders_count_the_partners_own_less_cancelled_and_rejected(world, page_client):
    today = timezone.localdate()
    order(world.dist_js, OrderStatus.SUBMITTED, total="1299.00", hour=0)
    order(world.dist_js, OrderStatus.CONFIRMED, total="2000.505")
    order(world.dist_js, OrderStatus.CANCELLED, total="500.00")
    order(world.dist_js, OrderStatus.REJECTED, total="700.00")
    order(world.dist_js, OrderStatus.DRAFT, total="900.00")
    order(world.dist_js, OrderStatus.DELIVERED, days_ago=today.day, total="800.00")  # last month
    order(world.sub_js, OrderStatus.SUBMITTED, total="300.00")  # its sub-dealer's: not its own

    month = card(home(page_client, world.dist_staff), "orders.month")

    assert 'data-testid="home-month-count">2<' in month
    assert 'data-testid="home-month-amount">CNY 3,299.51<' in month  # 3,299.505 half up
    sub = card(home(page_client, world.sub_admin), "orders.month")
    assert 'data-testid="home-month-count">1<' in sub and "CNY 300.00" in sub
    empty = card(home(page_client, world.zj_admin), "orders.month")
    assert 'data-testid="home-month-count">0<' in empty and 'data-testid="home-month-amount">0.00<' in empty


def test_orders_on_their_way_list_the_shipments_still_moving_with_tracking_links(world, page_client):
    warehouse = Warehouse.objects.create(code="WB", name="总仓", kind="hq")
    shipped = order(world.dist_js, OrderStatus.SHIPPED, days_ago=3)
    partly = order(world.dist_js, OrderStatus.PARTIALLY_SHIPPED, days_ago=1)
    order(world.dist_js, OrderStatus.DELIVERED, days_ago=5)
    order(world.sub_js, OrderStatus.SHIPPED)  # not dist_js's own
    for number, the_order, carrier, tracking, status in [
        ("SH-1", shipped, "SF", "SF1234567890", ShipmentStatus.IN_TRANSIT),
        ("SH-2", partly, "JD", "JD0001", ShipmentStatus.DELIVERED),  # arrived: not listed
        ("SH-3", partly, "某物流", "X-77", ShipmentStatus.SHIPPED),  # an unknown carrier: no link
    ]:
        Shipment.objects.create(
            number=number,
            order=the_order,
            warehouse=warehouse,
            carrier=carrier,
            tracking_number=tracking,
            status=status,
        )

    moving = card(home(page_client, world.dist_admin), "orders.on_the_way")

    assert "2 orders on their way" in moving
    assert re.findall(r'href="/portal/orders/([^/]+)/"', moving) == [partly.number, shipped.number]
    assert re.findall(
        r'href="([^"]+)" rel="noopener noreferrer" target="_blank" data-testid="home-tracking-link"', moving
    ) == ["https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890"]
    assert "X-77" in moving and "JD0001" not in moving
    # a partner with nothing on the road has no such card
    assert 'data-testid="home-card-orders.on_the_way"' not in home(page_client, world.zj_admin)


def test_available_credit_is_what_the_credit_page_shows(world, page_client):
    set_credit(world.dealer_zj, "5000")
    order(world.dealer_zj, OrderStatus.SUBMITTED, total="1200.00")
    order(world.dealer_zj, OrderStatus.CANCELLED, total="900.00")

    credit = card(home(page_client, world.zj_admin), "orders.credit")

    assert 'data-testid="home-credit-available">¥3,800.00<' in credit
    assert "Limit ¥5,000.00, used ¥1,200.00." in credit
    page = page_client(world.zj_admin).get("/portal/credit/").content.decode()
    assert 'data-testid="credit-available">¥3,800.00<' in page


def test_reorder_opens_a_quick_order_of_the_last_order_or_a_template(world, page_client, catalogue):
    order(world.dist_js, OrderStatus.DELIVERED, days_ago=9)
    last = order(world.dist_js, OrderStatus.SUBMITTED, days_ago=2)
    order(world.dist_js, OrderStatus.DRAFT)  # a draft is not an order to repeat
    template = OrderTemplate.objects.create(partner=world.dist_js, name="每月补货", lines=[])
    other = OrderTemplate.objects.create(partner=world.dealer_zj, name="西湖模板", lines=[])

    again = card(home(page_client, world.dist_admin), "orders.reorder")

    assert f'href="/portal/orders/quick/?reorder={last.number}" data-testid="home-reorder-last"' in again
    assert re.findall(r'href="/portal/orders/quick/\?template=(\d+)"', again) == [str(template.pk)]
    # and the link opens the quick order filled with that order's lines
    assert page_client(world.dist_admin).get(f"/portal/orders/quick/?reorder={last.number}").status_code == 200
    # another partner sees its own template only; one with no order and no template has no card
    zj = card(home(page_client, world.zj_admin), "orders.reorder")
    assert re.findall(r'href="/portal/orders/quick/\?template=(\d+)"', zj) == [str(other.pk)]
    assert 'data-testid="home-reorder-last"' not in zj
    assert 'data-testid="home-card-orders.reorder"' not in home(page_client, world.sub_admin)


def test_the_home_page_shows_the_cards_in_their_order(world, page_client):
    order(world.dist_js, OrderStatus.SHIPPED)

    html = home(page_client, world.dist_admin)

    keys = re.findall(r'data-testid="home-card-([a-z_.]+)"', html)
    assert keys == ["orders.month", "orders.reorder", "orders.on_the_way", "orders.credit"]
    assert re.search(r'aria-current="page" data-testid="nav-home"', html)
