"""Live rebate progress on the portal (the progress page, the quick order's and the catalogue's
priced carts) and in the API (GET /rebates/progress, POST /rebates/progress/preview), scoped."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from qudao.orders.tests import conftest as orders_fixtures
from qudao.rebates import progress
from qudao.rebates.models import RebateProgress

pytestmark = pytest.mark.django_db
shop = orders_fixtures.shop

URL = "/api/v1/rebates/progress"


@pytest.fixture
def shipped(world, shop, books):
    """dist_js: 287,700.00 shipped this quarter under tiers 0 / 100,000 / 300,000 at 1 / 2 / 3 %."""
    policy = books.policy(name="季度净销售")
    books.sale(world.dist_js, "hood_a", 100, "2877.00", timezone.localdate())
    progress.recompute(policy)
    return policy


def test_it_shows_the_partner_a_card_per_policy_with_the_next_tier(world, shipped, page_client):
    # when the partner's admin opens its progress
    response = page_client(world.dist_admin).get("/portal/rebates/progress/")
    html = response.content.decode()
    # then one card: 287,700 so far at 2 %, 5,754.00 earned, 95 % of the way to 3 %
    assert response.status_code == 200
    assert html.count('data-testid="progress-card"') == 1
    assert 'data-testid="progress-basis">¥287,700<' in html
    assert 'data-testid="progress-tier">2%<' in html
    assert 'data-testid="progress-earned">¥5,754.00<' in html
    assert 'value="95"' in html
    assert "¥12,300 more this quarter lifts you to 3%: +¥3,246" in html
    # and the rebates page links to it
    assert 'href="/portal/rebates/progress/"' in page_client(world.dist_admin).get("/portal/rebates/").content.decode()
    # and a partner no policy targets sees none
    empty = page_client(world.zj_admin).get("/portal/rebates/progress/").content.decode()
    assert 'data-testid="empty-state"' in empty


def test_it_shows_what_the_cart_adds_in_the_quick_order_and_the_catalogue(world, shop, shipped, page_client):
    client = page_client(world.dist_admin)
    # when 3 HOOD-A (3,897.00) are priced in the quick order
    data = {"rows": "5", "code_0": "HOOD-A", "qty_0": "3", "unit_0": ""}
    html = client.post("/portal/orders/quick/price/", data, HTTP_HX_REQUEST="true").content.decode()
    # then the total card says what the order adds
    assert 'data-testid="cart-progress-line"' in html
    assert "This order adds ¥3,897 to your quarter: ¥8,403 more lifts you to 3%" in html
    # when 10 HOOD-B (20,000.00) are priced in the catalogue
    hood_b = shop.skus["hood_b"]
    html = client.post(
        "/portal/catalog/quote/", {f"qty_{hood_b.pk}": "10"}, headers={"HX-Request": "true", "HX-Target": "quote"}
    ).content.decode()
    # then the place-order form says it lifts the partner to 3 %
    assert "This order adds ¥20,000 to your quarter and lifts you to 3%: +¥3,477" in html


def test_it_answers_the_progress_in_the_api_scoped_to_the_partner(world, shipped, api_client):
    # when the partner asks for its own
    response = api_client(world.dist_admin).get(URL)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["partner"] == world.dist_js.pk
    (item,) = body["policies"]
    assert {k: item[k] for k in ("counted", "basis", "tier", "tier_label", "earned", "next_bound", "missing")} == {
        "counted": "287700.00",
        "basis": "287700.00",
        "tier": 2,
        "tier_label": "2%",
        "earned": "5754.00",
        "next_bound": "300000.00",
        "missing": "12300.00",
    }
    assert (item["next_total"], item["next_increase"], item["percent"], item["cart"]) == (
        "9000.00",
        "3246.00",
        95,
        None,
    )
    assert item["sentence"] == "¥12,300 more this quarter lifts you to 3%: +¥3,246"
    # and HQ names the partner; a partner it cannot see is 404, none named 422
    assert api_client(world.regional_js).get(URL, {"partner": world.dist_js.pk}).json()["partner"] == world.dist_js.pk
    assert api_client(world.regional_zj).get(URL, {"partner": world.dist_js.pk}).status_code == 404
    missing = api_client(world.finance).get(URL)
    assert (missing.status_code, missing.json()["errors"]) == (
        422,
        [{"field": "partner", "message": "Name the partner."}],
    )
    # and a partner user naming another partner: 404
    assert api_client(world.zj_admin).get(URL, {"partner": world.dist_js.pk}).status_code == 404


def test_it_previews_what_a_cart_adds_and_writes_nothing(world, shop, shipped, api_client):
    client = api_client(world.dist_admin)
    before = list(RebateProgress.objects.values_list("pk", "basis"))
    # when 10 HOOD-B are previewed
    body = {"lines": [{"sku": shop.skus["hood_b"].pk, "quantity": 10}]}
    response = client.post(f"{URL}/preview", json.dumps(body), content_type="application/json")
    # then 20,000.00 more lifts dist_js to 3 %: 9,231.00 in all, +3,477.00
    assert response.status_code == 200
    answer = response.json()
    assert (answer["currency"], answer["total"]) == ("CNY", "20000.00")
    assert answer["policies"][0]["cart"] == {
        "added": "20000.00",
        "basis_after": "307700.00",
        "tier_after": 3,
        "earned_after": "9231.00",
        "rebate_added": "3477.00",
        "sentence": "This order adds ¥20,000 to your quarter and lifts you to 3%: +¥3,477",
    }
    # when a line names no SKU the partner may buy, or no line is given
    bad = client.post(
        f"{URL}/preview", json.dumps({"lines": [{"sku": 999999, "quantity": 1}]}), content_type="application/json"
    )
    empty = client.post(f"{URL}/preview", json.dumps({"lines": []}), content_type="application/json")
    # then 422 on the line, and nothing changed
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (422, ["lines.0.sku"])
    assert (empty.status_code, empty.json()["errors"]) == (
        422,
        [{"field": "lines", "message": "Add at least one line."}],
    )
    assert list(RebateProgress.objects.values_list("pk", "basis")) == before
