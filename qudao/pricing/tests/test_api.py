"""The pricing API: the quote (waterfall) and HQ management of price lists and floor prices."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from qudao.core.models import ObjectChange
from qudao.pricing.models import FloorPrice, PriceList, PriceListItem

from .conftest import make_list


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def errors(response) -> dict:
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_hq_gets_the_waterfall_of_a_cart(world, catalogue, api_client):
    # given: a gold list at 95 % of base on 厨电 and a floor on HOOD-B
    hood_a, hood_b = catalogue.skus["hood_a"], catalogue.skus["hood_b"]
    gold = make_list("gold", tier=world.dist_js.tier)
    gold.rules.create(product_line=catalogue.lines["kitchen"], method="percent_of_base", value=95, rounding="1")
    FloorPrice.objects.create(sku=hood_b, price=Decimal("1950.00"), valid_from=date(2026, 1, 1))
    # when
    response = post(
        api_client(world.channel),
        "/api/v1/pricing/quote",
        {
            "partner": world.dist_js.pk,
            "date": "2026-06-30",
            "lines": [{"sku": hood_a.pk, "quantity": 2}, {"sku": hood_b.pk, "quantity": 1}],
        },
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["currency"], body["total"]) == ("2026-06-30", "CNY", "4418.00")
    first, second = body["lines"]
    assert first == {
        "index": 0,
        "sku": {"id": hood_a.pk, "code": "HOOD-A", "name": "HOOD-A"},
        "quantity": 2,
        "unit": "件",
        "unit_quantity": 2,
        "list_price": "1234.00",
        "source": {
            "price_list": "gold",
            "kind": "tier",
            "via": "rule",
            "min_qty": None,
            "base_price": "1299.00",
            "rule": "percent_of_base 95 rounded to 1",
        },
        "floor_price": None,
        "floor_applied": False,
        "promotions": [],
        "net_unit_price": "1234.00",
        "line_total": "2468.00",
    }
    # 2,000.00 × 95 % = 1,900.00 is below the floor of 1,950.00
    assert (second["list_price"], second["floor_price"], second["floor_applied"], second["net_unit_price"]) == (
        "1900.00",
        "1950.00",
        True,
        "1950.00",
    )


def test_a_partner_user_prices_for_itself_without_seeing_the_floor(world, catalogue, api_client):
    hood_b = catalogue.skus["hood_b"]
    FloorPrice.objects.create(sku=hood_b, price=Decimal("1950.00"), valid_from=date(2026, 1, 1))
    client = api_client(world.dist_staff)
    response = post(
        client, "/api/v1/pricing/quote", {"date": "2026-06-30", "lines": [{"sku": hood_b.pk, "quantity": 1}]}
    )
    assert response.status_code == 200
    assert response.json()["partner"]["id"] == world.dist_js.pk
    assert (response.json()["lines"][0]["floor_price"], response.json()["lines"][0]["net_unit_price"]) == (
        None,
        "2000.00",
    )
    # naming another partner answers 404, as for a regional manager outside its regions
    other = {"partner": world.dealer_zj.pk, "lines": [{"sku": hood_b.pk, "quantity": 1}]}
    assert post(client, "/api/v1/pricing/quote", other).status_code == 404
    assert post(api_client(world.regional_js), "/api/v1/pricing/quote", other).status_code == 404


def test_the_quote_refuses_bad_lines_field_by_field(world, catalogue, api_client):
    hood = catalogue.skus["hood_a"]
    response = post(
        api_client(world.channel),
        "/api/v1/pricing/quote",
        {"partner": world.dist_js.pk, "lines": [{"sku": hood.pk, "quantity": 0}, {"sku": 424242, "quantity": 1}]},
    )
    assert response.status_code == 422
    assert errors(response) == {
        "lines.0.quantity": "Enter a whole number from 1 to 1000000000.",
    }


def test_hq_builds_a_price_list_and_activates_it(world, catalogue, api_client):
    client = api_client(world.channel)
    hood = catalogue.skus["hood_a"]
    FloorPrice.objects.create(sku=hood, price=Decimal("1200.00"), valid_from=date(2026, 1, 1))
    # create
    response = post(
        client,
        "/api/v1/pricing/price-lists",
        {"code": "gold-nj", "name": "金牌南京", "tier": "gold", "region": "320100", "valid_from": "2026-01-01"},
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["kind"], created["status"], created["region"]["code"], created["tier"]["code"]) == (
        "tier_region",
        "draft",
        "320100",
        "gold",
    )
    list_id = created["id"]
    # an item below the floor is refused, nothing saved
    response = post(client, f"/api/v1/pricing/price-lists/{list_id}/items", {"sku": hood.pk, "price": "1199.99"})
    assert response.status_code == 422
    assert errors(response) == {"price": "The price is below the floor price of 1,200.00 for this SKU."}
    assert not PriceListItem.objects.filter(price_list_id=list_id).exists()
    # a valid item and a rule
    response = post(client, f"/api/v1/pricing/price-lists/{list_id}/items", {"sku": hood.pk, "price": "1250.00"})
    assert (response.status_code, response.json()["price"]) == (201, "1250.0000")
    response = post(
        client,
        f"/api/v1/pricing/price-lists/{list_id}/rules",
        {"product_line": catalogue.lines["washers"].pk, "method": "percent_of_base", "value": "97", "rounding": "1"},
    )
    assert response.status_code == 201
    # activate: under 15 % below base, so at once
    response = client.post(f"/api/v1/pricing/price-lists/{list_id}/activate")
    assert (response.status_code, response.json()["status"], response.json()["item_count"]) == (200, "active", 1)
    # an active list's prices cannot change
    response = post(client, f"/api/v1/pricing/price-lists/{list_id}/items", {"sku": hood.pk, "price": "1260.00"})
    assert response.status_code == 409


def test_partners_and_read_only_hq_cannot_change_prices(world, catalogue, api_client):
    finance, dist_admin = api_client(world.finance), api_client(world.dist_admin)
    changes = ObjectChange.objects.count()
    body = {"code": "x", "name": "x", "valid_from": "2026-01-01"}
    assert post(finance, "/api/v1/pricing/price-lists", body).status_code == 403
    assert post(dist_admin, "/api/v1/pricing/price-lists", body).status_code == 403
    assert dist_admin.get("/api/v1/pricing/price-lists").status_code == 403
    assert finance.get("/api/v1/pricing/price-lists").json()["count"] == 1
    assert PriceList.objects.count() == 1
    assert ObjectChange.objects.count() == changes


def test_hq_manages_floor_prices(world, catalogue, api_client):
    client = api_client(world.admin)
    hood = catalogue.skus["hood_a"]
    response = post(
        client, "/api/v1/pricing/floor-prices", {"sku": hood.pk, "price": "1000", "valid_from": "2026-01-01"}
    )
    assert (response.status_code, response.json()["price"]) == (201, "1000.0000")
    floor_id = response.json()["id"]
    response = client.patch(
        f"/api/v1/pricing/floor-prices/{floor_id}", json.dumps({"price": "1100.50"}), content_type="application/json"
    )
    assert (response.status_code, response.json()["price"]) == (200, "1100.5000")
    response = post(client, "/api/v1/pricing/floor-prices", {"sku": hood.pk, "price": "-1", "valid_from": "2027-01-01"})
    assert (response.status_code, errors(response)) == (422, {"price": "The amount cannot be negative."})
    assert client.delete(f"/api/v1/pricing/floor-prices/{floor_id}").status_code == 204
    assert not FloorPrice.objects.exists()


def test_the_waterfall_shows_promotions_applied_and_not_applied(world, catalogue, api_client):
    from .conftest import make_promo

    make_promo("hood10", "percent_off", product_line=catalogue.lines["hoods"], value=10, priority=1)
    make_promo("k300", "threshold", product_line=catalogue.lines["kitchen"], threshold=5000, value=300)
    response = post(
        api_client(world.dist_admin),
        "/api/v1/pricing/quote",
        {"date": "2026-06-30", "lines": [{"sku": catalogue.skus["hood_a"].pk, "quantity": 1}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["lines"][0]["promotions"] == [
        {
            "promotion": "hood10",
            "kind": "percent_off",
            "unit_amount": "129.90",
            "amount": "129.90",
            "capped_at_floor": False,
        }
    ]
    assert body["promotions_not_applied"] == [{"promotion": "k300", "reason": "exclusive", "by": "hood10"}]
    assert body["total"] == "1169.10"


def test_hq_creates_and_starts_a_promotion_and_a_missing_stacking_policy_is_refused(world, catalogue, api_client):
    from qudao.pricing.models import Promotion

    client = api_client(world.channel)
    body = {"code": "k300", "name": "厨电满减", "kind": "threshold", "threshold": "5000", "value": "300"}
    body |= {"product_line": catalogue.lines["kitchen"].pk, "valid_from": "2026-01-01"}
    response = post(client, "/api/v1/pricing/promotions", body)
    assert (response.status_code, errors(response)) == (
        422,
        {"stacking": "Choose a stacking policy: exclusive, or stackable within a group."},
    )
    assert not Promotion.objects.exists()
    response = post(client, "/api/v1/pricing/promotions", body | {"stacking": "exclusive"})
    assert (response.status_code, response.json()["status"], response.json()["threshold"]) == (
        201,
        "draft",
        "5000.0000",
    )
    promotion_id = response.json()["id"]
    response = post(client, f"/api/v1/pricing/promotions/{promotion_id}/status", {"status": "active"})
    assert (response.status_code, response.json()["status"]) == (200, "active")
    quote = post(
        client,
        "/api/v1/pricing/quote",
        {
            "partner": world.dist_js.pk,
            "date": "2026-06-30",
            "lines": [{"sku": catalogue.skus["hood_b"].pk, "quantity": 3}],
        },
    )
    assert (quote.json()["total"], quote.json()["lines"][0]["promotions"][0]["amount"]) == ("5700.00", "300.00")


def test_hq_reserves_an_orders_promotions_sees_the_consumption_and_releases_it(world, catalogue, api_client):
    from .conftest import make_promo

    # given: buy 2 HOOD-A get 1 free, and a limited special on HOOD-B (4 in all)
    gift = make_promo("a2plus1", "buy_x_get_y", sku=catalogue.skus["hood_a"], buy_qty=2, gift_qty=1)
    flash = make_promo("b-flash", "limited_special", sku=catalogue.skus["hood_b"], value=1800, budget_qty=4)
    client = api_client(world.channel)
    cart = {
        "partner": world.dist_js.pk,
        "date": "2026-06-30",
        "lines": [
            {"sku": catalogue.skus["hood_a"].pk, "quantity": 2},
            {"sku": catalogue.skus["hood_b"].pk, "quantity": 5},
        ],
    }
    # when: the order SO-77 reserves
    response = post(client, "/api/v1/pricing/reservations", cart | {"reference": "SO-77"})
    # then: the gift line, the limited special on 4 of 5 units, and what was used
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["gifts"] == [
        {
            "promotion": "a2plus1",
            "sku": {"id": catalogue.skus["hood_a"].pk, "code": "HOOD-A", "name": "HOOD-A"},
            "quantity": 1,
            "unit": "件",
            "list_price": "1299.00",
            "net_unit_price": "0.00",
            "line_total": "0.00",
            "gift": True,
        }
    ]
    assert (body["lines"][1]["line_total"], body["total"]) == ("9200.00", "11798.00")
    assert body["usage"] == [
        {"promotion": "a2plus1", "quantity": 1, "amount": "1299.00"},
        {"promotion": "b-flash", "quantity": 4, "amount": "800.00"},
    ]
    # when: the same order reserves again, then: 409 and nothing more is used
    again = post(client, "/api/v1/pricing/reservations", cart | {"reference": "SO-77"})
    assert again.status_code == 409
    usage = client.get(f"/api/v1/pricing/promotions/{flash.pk}/usage").json()
    assert usage == {
        "promotion": "b-flash",
        "quantity": 4,
        "amount": "800.00",
        "orders": 1,
        "partners": 1,
        "partner_cap_qty": None,
        "budget_qty": 4,
        "budget_amount": None,
    }
    orders = client.get(f"/api/v1/pricing/promotions/{gift.pk}/orders").json()
    assert (orders["count"], orders["items"][0]["reference"], orders["items"][0]["partner"]["id"]) == (
        1,
        "SO-77",
        world.dist_js.pk,
    )
    # and: a quote now finds the budget used up
    quoted = post(client, "/api/v1/pricing/quote", cart).json()
    assert {"promotion": "b-flash", "reason": "cap_reached"} in quoted["promotions_not_applied"]
    # and: the used promotion cannot be deleted (409), nor its budget cut below what was used (422)
    assert client.delete(f"/api/v1/pricing/promotions/{flash.pk}").status_code == 409
    cut = client.patch(
        f"/api/v1/pricing/promotions/{flash.pk}", json.dumps({"budget_qty": 3}), content_type="application/json"
    )
    assert (cut.status_code, errors(cut)) == (
        422,
        {"budget_qty": "Orders have already used 4; the budget cannot be lower."},
    )
    # when: the order is cancelled
    released = post(client, "/api/v1/pricing/reservations/SO-77/release", {})
    # then: both promotions get their consumption back
    assert released.json() == {
        "reference": "SO-77",
        "released": [
            {"promotion": "a2plus1", "quantity": 1, "amount": "1299.00"},
            {"promotion": "b-flash", "quantity": 4, "amount": "800.00"},
        ],
    }
    assert client.get(f"/api/v1/pricing/promotions/{flash.pk}").json()["used_qty"] == 0
    assert post(client, "/api/v1/pricing/reservations/SO-77/release", {}).json()["released"] == []


def test_the_quote_enforces_the_minimum_order_quantity_and_the_multiple(world, catalogue, api_client):
    # given: HOOD-A is ordered 6 at least, in multiples of 3
    hood = catalogue.skus["hood_a"]
    hood.min_order_qty, hood.order_multiple = 6, 3
    hood.save()
    client = api_client(world.channel)

    def ask(quantity):
        return post(
            client,
            "/api/v1/pricing/quote",
            {"partner": world.dist_js.pk, "lines": [{"sku": hood.pk, "quantity": quantity}]},
        )

    # then: below the minimum, off the multiple, and right
    assert errors(ask(3)) == {"lines.0.quantity": "Order at least 6 件 of HOOD-A."}
    assert errors(ask(7)) == {"lines.0.quantity": "Order HOOD-A in multiples of 3 件."}
    assert ask(9).json()["total"] == "11691.00"


def test_a_partner_reads_its_catalogue_with_its_own_prices_and_open_promotions(world, catalogue, api_client):
    from .conftest import make_line, make_promo, make_sku

    # given: a gold list for HOOD-A, 10 % off range hoods, and a spare part outside the sales scope
    make_list("gold", tier=world.dist_js.tier, items=[(catalogue.skus["hood_a"], "1250.00")])
    make_promo("hood10", "percent_off", product_line=catalogue.lines["hoods"], value=10)
    make_list("spares", items=[(make_sku("SPARE-1", make_line("spares", "配件")), "80.00")])
    client = api_client(world.dist_admin)
    # when
    response = client.get("/api/v1/pricing/catalogue", {"date": "2026-06-30"})
    # then: the three SKUs it may buy, at its own price, never the spare part
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [
        (item["sku"]["code"], item["list_price"], item["net_unit_price"], [p["code"] for p in item["promotions"]])
        for item in body["items"]
    ] == [
        ("HOOD-A", "1250.00", "1125.00", ["hood10"]),
        ("HOOD-B", "2000.00", "1800.00", ["hood10"]),
        ("WASH-A", "3000.00", "3000.00", []),
    ]
    assert body["items"][0]["promotions"][0]["description"] == "10% off"
    # and: search by code, and another partner's catalogue is not there (404)
    found = client.get("/api/v1/pricing/catalogue", {"q": "wash", "date": "2026-06-30"}).json()
    assert [item["sku"]["code"] for item in found["items"]] == ["WASH-A"]
    assert client.get("/api/v1/pricing/catalogue", {"partner": world.dealer_zj.pk}).status_code == 404
    assert client.get("/api/v1/pricing/catalogue", {"q": "SPARE-1"}).json()["count"] == 0
    # and: HQ names the partner; a regional manager of another region gets 404
    assert api_client(world.channel).get("/api/v1/pricing/catalogue").status_code == 404
    hq = api_client(world.channel).get("/api/v1/pricing/catalogue", {"partner": world.dist_js.pk, "date": "2026-06-30"})
    assert hq.json()["items"][0]["net_unit_price"] == "1125.00"
    assert (
        api_client(world.regional_zj).get("/api/v1/pricing/catalogue", {"partner": world.dist_js.pk}).status_code == 404
    )
