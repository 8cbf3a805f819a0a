"""The brand's return on Qudao (/analytics/roi/) on the fixed trade (test_store_fixtures.py): order
cycle time, the share of orders partners place themselves, days to confirm a statement and DSO,
month by month since go-live, in the caller's scope."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from qudao.analytics import roi, store
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from . import test_store_fixtures as fixtures

store_dir, trade = fixtures.store_dir, fixtures.trade  # the fixtures these tests use

D = Decimal


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def shape(trade, world):
    """(dist_js's March order is delivered 4.5 days after submission, in the trade.) sub_js's March
    order taken by HQ on its behalf; a statement of dist_js issued 31 March, confirmed two and a
    half days later."""
    from qudao.finance.models import Statement
    from qudao.orders.models import Order

    Order.objects.filter(partner=world.sub_js).update(channel="hq")
    Statement.objects.create(
        number="ST-ROI-1",
        partner=world.dist_js,
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        status="confirmed",
        issued_at=utc(2025, 3, 31, 8),
        confirmed_at=utc(2025, 4, 2, 20),
    )


def test_return_on_qudao_month_by_month_since_go_live(trade, world):
    shape(trade, world)
    store.rebuild()
    table = roi.roi(world.channel, date(2025, 7, 10))
    rows = [
        (r["month"], r["orders"], r["self_service_share"], r["cycle_days"], r["statement_days"], r["dso"])
        for r in table.rows
    ]
    assert rows == [
        # go-live: the first order, March; the gift order was never submitted (not counted)
        # DSO: receivables at 31 March 3,000.00 (dist 3,000 - 1,000 paid, sub 1,000) / 4,000.00 × 31
        ("2025-03", 2, D("0.5000"), D("4.5"), D("2.5"), D("23.3")),
        ("2025-04", 1, D("1.0000"), None, None, None),  # zj's order; net sales below zero: no DSO
        ("2025-05", 0, None, None, None, D("31.0")),  # the cancelled order of 7 May aside
        ("2025-06", 1, D("1.0000"), None, None, D("90.0")),  # 3,000.00 / 1,000.00 × 30
        ("2025-07", 0, None, None, None, None),
    ]


def test_return_on_qudao_is_scoped_and_limited_to_its_roles(trade, world):
    shape(trade, world)
    store.rebuild()
    # the regional manager of Zhejiang: dealer_zj's April order only, no receivables
    rows = roi.roi(world.regional_zj, date(2025, 7, 10)).rows
    assert [(r["month"], r["orders"], r["dso"]) for r in rows] == [
        ("2025-04", 1, None),
        ("2025-05", 0, D("0.0")),
        ("2025-06", 0, None),
        ("2025-07", 0, None),
    ]
    client = Client()
    client.force_login(world.channel)
    response = client.get(reverse("analytics:roi"), {"export": "roi", "format": "xlsx"})
    assert response.status_code == 200
    client.force_login(world.users["sales"])
    assert client.get(reverse("analytics:roi")).status_code == 403
