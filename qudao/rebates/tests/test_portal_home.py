"""Rebates' card on the portal's home page: the partner's progress in the periods running now."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from qudao.orders.tests import conftest as orders_fixtures
from qudao.rebates import progress

pytestmark = pytest.mark.django_db
shop = orders_fixtures.shop


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_it_shows_the_progress_with_the_next_tier_to_the_partner_it_applies_to(world, shop, books, page_client):
    # given dist_js with 287,700.00 shipped this quarter under tiers 0 / 100,000 / 300,000 at 1 / 2 / 3 %
    policy = books.policy(name="季度净销售")
    books.sale(world.dist_js, "hood_a", 100, "2877.00", timezone.localdate())
    progress.recompute(policy)

    html = page_client(world.dist_staff).get("/portal/").content.decode()

    card = re.search(r'data-testid="home-card-rebates.progress">(.*?)</section>', html, re.S).group(1)
    assert card.count('data-testid="home-progress"') == 1
    assert "季度净销售" in card
    assert "So far ¥287,700 · Tier 2% · Earned so far ¥5,754.00" in card
    assert 'value="95"' in card
    assert "¥12,300 more this quarter lifts you to 3%: +¥3,246" in card
    assert 'href="/portal/rebates/progress/"' in card
    # a partner no policy targets has no such card
    assert (
        'data-testid="home-card-rebates.progress"' not in page_client(world.zj_admin).get("/portal/").content.decode()
    )
