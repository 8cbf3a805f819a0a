"""Promotion limits under real concurrency on PostgreSQL: many orders reserving at once never take
more than a budget or a partner's cap (skipped on SQLite, whose writers are serialised anyway)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from qudao.accounts.services import issue_token
from qudao.partners.tests.test_concurrency import run_concurrently
from qudao.pricing.models import Promotion, PromotionUsage

from .conftest import make_promo

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
]

ON = date(2026, 6, 30)


def _reserve_over_http(token, partner_id, sku_id, quantity, reference):
    response = Client().post(
        "/api/v1/pricing/reservations",
        {
            "partner": partner_id,
            "date": ON.isoformat(),
            "reference": reference,
            "lines": [{"sku": sku_id, "quantity": quantity}],
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_concurrent_orders_never_exceed_a_quantity_budget(world, catalogue):
    # given: HOOD-B at 1,800.00 for 10 units in all
    promo = make_promo("flash10", "limited_special", sku=catalogue.skus["hood_b"], value=1800, budget_qty=10)
    _token, raw = issue_token(user=world.channel, name="concurrency")
    partners = [world.dist_js.pk, world.dealer_zj.pk, world.sub_js.pk]
    sku_id = catalogue.skus["hood_b"].pk
    # when: 8 orders of 3 units each are placed at the same moment over HTTP
    results = run_concurrently(8, lambda i: _reserve_over_http(raw, partners[i % len(partners)], sku_id, 3, f"SO-{i}"))
    # then: every order went through, and exactly 10 discounted units were given: 3 + 3 + 3 + 1
    assert [status for status, _value in results] == ["ok"] * 8
    given = sorted((sum(use["quantity"] for use in body["usage"]) for _status, body in results), reverse=True)
    assert given == [3, 3, 3, 1, 0, 0, 0, 0]
    promo.refresh_from_db()
    assert (promo.used_qty, promo.used_amount) == (10, Decimal("2000.0000"))
    ledger = PromotionUsage.objects.filter(promotion=promo).values_list("quantity", flat=True)
    assert sum(ledger) == 10
    totals = sorted(Decimal(body["total"]) for _status, body in results)
    assert totals == [Decimal("5400.00")] * 3 + [Decimal("5800.00")] + [Decimal("6000.00")] * 4


def test_concurrent_orders_of_one_partner_never_exceed_its_cap_and_cancelling_gives_back(world, catalogue):
    # given: at most 4 units per partner
    promo = make_promo("cap4", "limited_special", sku=catalogue.skus["hood_a"], value=999, partner_cap_qty=4)
    _token, raw = issue_token(user=world.channel, name="concurrency")
    sku_id = catalogue.skus["hood_a"].pk
    partner_id = world.dist_js.pk
    # when: 6 orders of dist_js for 2 units each at once
    results = run_concurrently(6, lambda i: _reserve_over_http(raw, partner_id, sku_id, 2, f"CAP-{i}"))
    # then: two of them got the special price, 4 units in all
    assert [status for status, _value in results] == ["ok"] * 6
    assert sum(PromotionUsage.objects.filter(promotion=promo).values_list("quantity", flat=True)) == 4
    promo.refresh_from_db()
    assert promo.used_qty == 4
    # when: the orders are all cancelled at once (each twice), then: everything is given back once
    references = [f"CAP-{i % 6}" for i in range(12)]
    client_token = raw

    def cancel(i):
        response = Client().post(
            f"/api/v1/pricing/reservations/{references[i]}/release", HTTP_AUTHORIZATION=f"Bearer {client_token}"
        )
        assert response.status_code == 200, response.content
        return response.json()

    cancelled = run_concurrently(12, cancel)
    assert [status for status, _value in cancelled] == ["ok"] * 12
    promo.refresh_from_db()
    assert (promo.used_qty, promo.used_amount) == (0, Decimal("0.0000"))
    assert PromotionUsage.objects.filter(promotion=promo, entry="release").count() == 2
    assert Promotion.objects.get(pk=promo.pk).used_qty == 0
