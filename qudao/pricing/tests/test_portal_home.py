"""Pricing's card on the portal's home page: the promotions open to the partner today."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from qudao.pricing.tests.conftest import make_promo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_it_lists_the_promotions_open_to_the_partner_today(world, catalogue, page_client):
    today = timezone.localdate()
    make_promo("P-ALL", "percent_off", value=Decimal("10"), valid_to=today + timedelta(days=5), priority=2)
    make_promo("P-GOLD", "percent_off", value=Decimal("5"), partner=world.dist_js, priority=1)  # its own
    make_promo("P-OLD", "percent_off", value=Decimal("20"), valid_to=today - timedelta(days=1))

    gold = page_client(world.dist_admin).get("/portal/").content.decode()
    registered = page_client(world.zj_admin).get("/portal/").content.decode()

    card = re.search(r'data-testid="home-card-pricing.promotions">(.*?)</section>', gold, re.S).group(1)
    assert "2 promotions open to you" in card
    assert re.findall(r'data-testid="home-promotion">\s*<strong>([^<]+)<', card) == ["P-ALL", "P-GOLD"]
    assert f"until {(today + timedelta(days=5)).isoformat()}" in card
    other = re.search(r'data-testid="home-card-pricing.promotions">(.*?)</section>', registered, re.S).group(1)
    assert re.findall(r'data-testid="home-promotion">\s*<strong>([^<]+)<', other) == ["P-ALL"]
