"""Live progress of tiers on a ratio: the attainment so far against the period's target and what
the next tier needs ("再完成 ¥x 达到 100%"), the growth so far against the same days last year, no
target, a cart's effect, on the portal page and in the API."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.utils import timezone

from qudao.orders.tests import conftest as orders_fixtures
from qudao.partners.models import Partner
from qudao.rebates import progress
from qudao.rebates.basis import same_day_last_year

pytestmark = pytest.mark.django_db
shop = orders_fixtures.shop

URL = "/api/v1/rebates/progress"
ATTAINMENT_TIERS = [{"lower_bound": "80", "value": "1"}, {"lower_bound": "100", "value": "3"}]
GROWTH_TIERS = [{"lower_bound": "10", "value": "1"}, {"lower_bound": "20", "value": "2"}]


@pytest.fixture
def attainment(world, books, targets):
    """dist_js: 240,000.00 shipped this quarter against a target of 300,000.00 (80 %)."""
    policy = books.policy(name="季度达成率", tier_measure="attainment", tiers=ATTAINMENT_TIERS)
    start, end = progress.period_for(policy, timezone.localdate())
    targets[("net_sales_shipped", world.dist_js.pk, start, end)] = D("300000")
    books.sale(world.dist_js, "hood_a", 240, "1000.00", timezone.localdate())
    progress.recompute(policy)
    return policy


def _item(world, policy, **options):
    items = progress.progress_for(Partner.objects.get(pk=world.dist_js.pk), **options)
    return next(item for item in items if item.policy.pk == policy.pk)


def test_attainment_progress_shows_the_ratio_and_what_reaching_100_percent_needs(world, attainment, page_client):
    # when dist_js reads its progress
    item = _item(world, attainment)
    # then 80 % pays 1 % of 240,000 = 2,400.00; 60,000 more reaches 100 %: 3 % of 300,000 = 9,000.00
    assert (item.ratio, item.target, item.tier, item.earned) == (D("80"), D("300000"), 1, D("2400.00"))
    assert (item.next_bound, item.missing, item.next_total, item.next_increase, item.percent) == (
        D("100"), D("60000.00"), D("9000.00"), D("6600.00"), 80
    )  # fmt: skip
    assert item.ratio_summary == "Attainment so far: 80% of the target ¥300,000.00"
    assert item.sentence == "¥60,000 more this quarter reaches 100% of your target: 3% on the whole basis, +¥6,600"
    # and the portal card says so
    html = page_client(world.dist_admin).get("/portal/rebates/progress/").content.decode()
    assert 'data-testid="progress-ratio">Attainment so far: 80% of the target ¥300,000.00<' in html
    assert "¥60,000 more this quarter reaches 100% of your target: 3% on the whole basis, +¥6,600" in html
    # and HQ's page of the partner's progress too
    hq = page_client(world.channel).get(f"/rebates/partners/{world.dist_js.pk}/progress/").content.decode()
    assert 'data-testid="progress-ratio">Attainment so far: 80% of the target ¥300,000.00<' in hq


def test_attainment_progress_in_the_api_and_with_a_cart(world, shop, attainment, api_client):
    client = api_client(world.dist_admin)
    (item,) = [p for p in client.get(URL).json()["policies"] if p["policy"]["code"] == attainment.code]
    assert {k: item[k] for k in ("ratio", "target", "tier", "earned", "next_bound", "missing", "reason")} == {
        "ratio": "80.00",
        "target": "300000.00",
        "tier": 1,
        "earned": "2400.00",
        "next_bound": "100.00",
        "missing": "60000.00",
        "reason": "",
    }
    assert item["policy"]["tier_measure"] == "attainment"
    # when 10 HOOD-B (20,000.00) are previewed: 260,000 is 86.66 %, still 1 %: 2,600.00 (+200.00)
    body = {"lines": [{"sku": shop.skus["hood_b"].pk, "quantity": 10}]}
    answer = client.post(f"{URL}/preview", json.dumps(body), content_type="application/json").json()
    cart = next(p for p in answer["policies"] if p["policy"]["code"] == attainment.code)["cart"]
    assert cart == {
        "added": "20000.00",
        "basis_after": "260000.00",
        "tier_after": 1,
        "earned_after": "2600.00",
        "rebate_added": "200.00",
        "sentence": "This order adds ¥20,000 to your quarter: ¥40,000 more lifts you to 3%",
    }


def test_attainment_without_a_target_says_so(world, shop, books, targets, api_client):
    policy = books.policy(tier_measure="attainment", tiers=ATTAINMENT_TIERS)
    books.sale(world.dist_js, "hood_a", 240, "1000.00", timezone.localdate())
    progress.recompute(policy)
    item = _item(world, policy)
    assert (item.ratio, item.reason, item.tier, item.earned) == (None, "no_target", None, D("0"))
    assert item.sentence == "No target for this period: attainment cannot be measured, no tier."
    # and a cart changes nothing: still no target
    body = {"lines": [{"sku": shop.skus["hood_b"].pk, "quantity": 10}]}
    answer = api_client(world.dist_admin).post(f"{URL}/preview", json.dumps(body), content_type="application/json")
    cart = next(p for p in answer.json()["policies"] if p["policy"]["code"] == policy.code)["cart"]
    assert (cart["added"], cart["tier_after"], cart["rebate_added"], cart["sentence"]) == (
        "20000.00", None, "0.00", "No target for this period: attainment cannot be measured, no tier."
    )  # fmt: skip


def test_growth_rate_progress_compares_the_same_days_last_year(world, books):
    # given 100,000.00 on this day last year and 115,000.00 today
    policy = books.policy(tier_measure="growth_rate", tiers=GROWTH_TIERS)
    today = timezone.localdate()
    books.sale(world.dist_js, "hood_a", 100, "1000.00", same_day_last_year(today))
    books.sale(world.dist_js, "hood_a", 115, "1000.00", today)
    progress.recompute(policy)
    # when
    item = _item(world, policy)
    # then 15 % pays 1 % of 115,000 = 1,150.00; 5,000 more reaches 20 %: 2 % of 120,000 = 2,400.00
    assert (item.ratio, item.last_year, item.tier, item.earned) == (D("15"), D("100000"), 1, D("1150.00"))
    assert (item.missing, item.next_increase) == (D("5000.00"), D("1250.00"))
    assert item.ratio_summary == "Growth so far: 15% against ¥100,000 in the same days last year"
    assert item.sentence == "¥5,000 more this quarter reaches a growth of 20%: 2% on the whole basis, +¥1,250"


def test_growth_rate_progress_with_nothing_last_year_has_no_tier(world, books):
    policy = books.policy(tier_measure="growth_rate", tiers=GROWTH_TIERS)
    books.sale(world.dist_js, "hood_a", 115, "1000.00", timezone.localdate())
    progress.recompute(policy)
    item = _item(world, policy)
    assert (item.ratio, item.reason, item.tier, item.earned) == (None, "no_baseline", None, D("0"))
    assert item.sentence == "Nothing in the same days last year: the growth rate cannot be measured, no tier."
