"""The demo price policies: every promotion kind, and consumption reserved by demo orders."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db.models import Sum

from conftest import ensure_reference_data
from qudao.pricing.models import PriceList, Promotion, PromotionUsage


def test_the_seed_builds_price_policies_with_every_promotion_kind_and_their_consumption(db):
    # given / when
    ensure_reference_data()
    call_command("seed", partners=30, seed=42, stdout=StringIO())
    # then: lists of each audience, and one promotion of each kind
    assert set(PriceList.objects.values_list("kind", flat=True)) == {"base", "tier", "region", "tier_region", "partner"}
    assert set(Promotion.objects.values_list("kind", flat=True)) == set(Promotion.Kind.values)
    # and: the limited promotions' counters agree with their ledger, within their limits
    for promo in Promotion.objects.exclude(budget_qty=None):
        ledger = PromotionUsage.objects.filter(promotion=promo).aggregate(q=Sum("quantity"), a=Sum("amount"))
        assert (promo.used_qty, promo.used_amount) == (ledger["q"] or 0, ledger["a"] or Decimal("0")), promo.code
        assert 0 < promo.used_qty <= promo.budget_qty, promo.code
    flash = Promotion.objects.get(code="aircon-flash")
    per_partner = PromotionUsage.objects.filter(promotion=flash).values("partner").annotate(q=Sum("quantity"))
    assert max(row["q"] for row in per_partner) <= flash.partner_cap_qty
    assert PromotionUsage.objects.filter(promotion__code="hood-stove-set").exists()
