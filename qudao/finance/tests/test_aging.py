"""Aging buckets: outstanding amounts by days overdue at the boundaries (due today is current;
exactly 30 days overdue is 1-30, 31 is 31-60; 90 is 61-90, 91 is 90+), per partner, region and
overall, scoped, and the API and the HQ page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from qudao.finance import allocation, selectors
from qudao.finance.models import Invoice

pytestmark = pytest.mark.django_db


def overdue(partner, days, amount, number):
    today = timezone.localdate()
    return Invoice.objects.create(
        number=number, partner=partner, source="erp", external_ref=number, issued_on=today - timedelta(days=days + 30),
        due_on=today - timedelta(days=days), amount=Decimal(amount),
    )  # fmt: skip


@pytest.fixture
def aged(world):
    # dist_js (Nanjing): due today 100, 1 day 1, exactly 30 days 30, 31 days 31, 60 days 60, 61 days 61,
    # 90 days 90, 91 days 91 (half paid), and a paid invoice (not counted); dealer_zj (Hangzhou): 7 days 700
    for days, amount in ((0, "100"), (1, "1"), (30, "30"), (31, "31"), (60, "60"), (61, "61"), (90, "90")):
        overdue(world.dist_js, days, amount, f"INV-A{days}")
    half = overdue(world.dist_js, 91, "91", "INV-A91")
    allocation.allocate(invoice=half, amount=Decimal("45.50"), source="prepayment")
    paid = overdue(world.dist_js, 200, "5000", "INV-PAID")
    allocation.allocate(invoice=paid, amount=Decimal("5000"), source="prepayment")
    overdue(world.dealer_zj, 7, "700", "INV-ZJ")
    return world


def figures(row):
    return [row[name] for name in ("current", "d1_30", "d31_60", "d61_90", "d90_plus", "total")]


def test_it_buckets_outstanding_by_days_overdue_at_every_boundary(aged):
    # when
    rows = selectors.aging(aged.admin, "partner")
    # then: 30 days overdue is 1-30, 31 is 31-60, 60 is 31-60, 61 is 61-90, 90 is 61-90, 91 is 90+
    by_code = {row["code"]: figures(row) for row in rows}
    assert by_code == {
        aged.dist_js.code: [
            Decimal("100"),
            Decimal("31"),
            Decimal("91"),
            Decimal("151"),
            Decimal("45.5"),
            Decimal("418.5"),
        ],
        aged.dealer_zj.code: [Decimal("0"), Decimal("700"), Decimal("0"), Decimal("0"), Decimal("0"), Decimal("700")],
    }
    overall = selectors.aging(aged.admin, "overall")
    assert [figures(row) for row in overall] == [
        [Decimal("100"), Decimal("731"), Decimal("91"), Decimal("151"), Decimal("45.5"), Decimal("1118.5")]
    ]
    regions = {row["name"]: row["total"] for row in selectors.aging(aged.admin, "region")}
    assert regions == {aged.dist_js.region.name: Decimal("418.5"), aged.dealer_zj.region.name: Decimal("700")}


def test_it_shows_a_regional_manager_its_regions_only_and_a_partner_its_own(aged):
    # when / then
    assert [row["code"] for row in selectors.aging(aged.regional_zj, "partner")] == [aged.dealer_zj.code]
    assert [row["total"] for row in selectors.aging(aged.regional_zj, "overall")] == [Decimal("700")]
    assert [row["code"] for row in selectors.aging(aged.zj_admin, "partner")] == [aged.dealer_zj.code]


def test_it_answers_the_aging_api_and_page(aged, api_client, page_client):
    # when
    by_partner = api_client(aged.finance).get("/api/v1/finance/aging?by=partner")
    overall = api_client(aged.regional_zj).get("/api/v1/finance/aging?by=overall")
    wrong = api_client(aged.finance).get("/api/v1/finance/aging?by=city")
    page = page_client(aged.finance).get("/finance/aging/?by=region")
    # then
    assert by_partner.status_code == 200
    row = next(r for r in by_partner.json()["rows"] if r["code"] == aged.dist_js.code)
    assert (row["d1_30"], row["d31_60"], row["d61_90"], row["d90_plus"], row["total"]) == (
        "31.00", "91.00", "151.00", "45.50", "418.50"
    )  # fmt: skip
    assert [(r["total"], r["d1_30"]) for r in overall.json()["rows"]] == [("700.00", "700.00")]
    assert wrong.status_code == 422
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="aging-row"') == 2
    assert page_client(aged.operations).get("/finance/aging/").status_code == 403
