"""The partner 360 page's orders panel (registered by orders through core.panels): recent orders,
returns and cases with counts and links, and the last 12 months of sales as an inline SVG bar
chart with the figures in a table."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from qudao.orders import services
from qudao.orders.models import Order
from qudao.orders.panels import sales_trend

pytestmark = pytest.mark.django_db


def place(world, shop, key, quantity, submitted: datetime.datetime | None = None):
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": shop.skus[key].pk, "quantity": quantity}], actor=world.dist_admin
    )
    if submitted is not None:
        Order.objects.filter(pk=order.pk).update(submitted_at=timezone.make_aware(submitted))
    return order


def test_the_sales_trend_sums_twelve_months_of_orders_by_local_month(world, shop):
    place(world, shop, "hood_a", 2, datetime.datetime(2026, 11, 30, 23, 30))  # 2,598.00 in November
    place(world, shop, "hood_a", 1, datetime.datetime(2026, 12, 1, 0, 30))  # 1,299.00 in December (local)
    place(world, shop, "hood_b", 1, datetime.datetime(2026, 1, 15, 12, 0))  # 2,000.00 in January
    place(world, shop, "hood_b", 1, datetime.datetime(2025, 12, 31, 12, 0))  # outside the 12 months
    cancelled = place(world, shop, "wash_a", 1, datetime.datetime(2026, 11, 2, 12, 0))
    services.cancel_order(order=cancelled, actor=world.dist_admin, reason="不要了")

    trend = sales_trend(world.dist_js, today=datetime.date(2026, 12, 8))

    assert [bar["month"].strftime("%Y-%m") for bar in trend["bars"]] == [
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
        "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12",
    ]  # fmt: skip
    totals = {bar["month"].month: (bar["total"], bar["orders"]) for bar in trend["bars"] if bar["orders"]}
    assert totals == {1: (Decimal("2000.0000"), 1), 11: (Decimal("2598.0000"), 1), 12: (Decimal("1299.0000"), 1)}
    assert trend["total"] == Decimal("5897.0000")
    heights = {bar["month"].month: bar["height"] for bar in trend["bars"]}
    assert heights[11] == 100 and heights[1] == 77 and heights[12] == 50 and heights[6] == 0


def test_the_360_page_shows_orders_returns_cases_and_the_trend(world, shop, page_client):
    first = place(world, shop, "hood_a", 1)
    second = place(world, shop, "hood_b", 2)
    page = page_client(world.channel).get(f"/partners/{world.dist_js.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    panel = html[html.index('data-testid="panel-orders"') :]
    assert f'<a class="mono" href="/orders/{second.number}/">{second.number}</a>' in panel
    assert panel.index(second.number) < panel.index(first.number)
    assert "2 in all, 2 open" in panel
    assert "No returns." in panel and "No discrepancy cases." in panel
    month = timezone.localdate().strftime("%Y-%m")
    assert f'data-month="{month}" data-total="5,299.00"' in panel
    assert panel.count('data-testid="trend-bar"') == 12
    assert f'<td>{month}</td><td class="num">2</td><td class="num">5,299.00</td>' in panel
    assert "<script" not in panel[: panel.index("</figure>")]


def test_the_panel_is_not_shown_to_partner_users_and_another_region_gets_404(world, shop, page_client):
    place(world, shop, "hood_a", 1)
    assert page_client(world.regional_zj).get(f"/partners/{world.dist_js.pk}/").status_code == 404
    answer = page_client(world.dist_admin).get(f"/partners/{world.dist_js.pk}/")
    assert answer.status_code == 302  # a partner user is sent to its portal
