"""Authorization matrix rows of the HQ pricing pages (price lists, floor prices, promotions, the
price waterfall). Targets use "pg-" codes so they do not meet other modules' targets."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PERSONAS, PORTAL, SEE_DIST, Case, expect

HQ_VIEW = expect(200, anonymous=LOGIN, partners=PORTAL)
MANAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200, channel=200)


def manage_then(location):
    return MANAGE | {"admin": location, "channel": location}


def seeing_dist(ok=200):
    """The waterfall for dist_js: HQ users who cannot see it get 404."""
    table = expect(404, anonymous=LOGIN, partners=PORTAL)
    for persona in PERSONAS:
        if persona in SEE_DIST and table[persona] == 404:
            table[persona] = ok
    return table


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.pricing.models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion

    line = ProductLine.objects.create(code="pg-line", name="页面厨电")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(code="PG-PROD", name="页面油烟机", product_line=line, lifecycle=Lifecycle.ON_SALE)
    sku = Sku.objects.create(product=product, code="PG-SKU-1", name="页面油烟机 1", lifecycle=Lifecycle.ON_SALE)
    other = Sku.objects.create(product=product, code="PG-SKU-2", name="页面油烟机 2", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    base = PriceList.objects.create(
        code="pg-base", name="页面基础价", valid_from=date(2020, 1, 1), status="active", priority=-5
    )
    PriceListItem.objects.create(price_list=base, sku=sku, price=Decimal("999.00"))
    draft = PriceList.objects.create(
        code="pg-gold", name="页面金牌", tier=world.dist_js.tier, valid_from=date(2020, 1, 1), priority=17
    )
    item = PriceListItem.objects.create(price_list=draft, sku=sku, price=Decimal("990.00"))
    rule = PriceListRule.objects.create(price_list=draft, product_line=line, method="percent_of_base", value=99)
    floor = FloorPrice.objects.create(sku=sku, price=Decimal("500.00"), valid_from=date(2020, 1, 1))
    promotion = Promotion.objects.create(
        code="pg-promo",
        name="页面促销",
        kind="amount_off",
        value=5,
        stacking="exclusive",
        valid_from=date(2020, 1, 1),
        status="active",
        sku=other,
    )
    return {
        "pg_price_list": draft.pk,
        "pg_item": item.pk,
        "pg_rule": rule.pk,
        "pg_floor": floor.pk,
        "pg_promotion": promotion.pk,
        "pg_line": line.pk,
        "pg_dist": world.dist_js.pk,
    }


DETAIL = "pricing/price-lists/{pg_price_list}/"
PROMOTION = "pricing/promotions/{pg_promotion}/"

PAGE_CASES = [
    Case("GET", "pricing/", HQ_VIEW, page=True),
    Case("GET", "pricing/", HQ_VIEW, page=True, params={"q": "pg", "status": "draft", "kind": "tier"}),
    Case("GET", "pricing/price-lists/new/", MANAGE, page=True),
    # no data: the managers see the form again with its errors
    Case("POST", "pricing/price-lists/new/", MANAGE, page=True),
    Case("GET", DETAIL, HQ_VIEW, page=True),
    Case("GET", "pricing/price-lists/{pg_price_list}/edit/", MANAGE, page=True),
    Case(
        "POST",
        "pricing/price-lists/{pg_price_list}/edit/",
        manage_then(DETAIL),
        page=True,
        params={"code": "pg-gold", "name": "页面金牌 2", "tier": "gold", "currency": "CNY", "valid_from": "2020-01-01"},
    ),
    Case(
        "POST",
        "pricing/price-lists/{pg_price_list}/items/",
        manage_then(DETAIL),
        page=True,
        params={"sku": "PG-SKU-1", "min_qty": "10", "price": "950.00"},
    ),
    Case("POST", "pricing/price-lists/{pg_price_list}/items/{pg_item}/delete/", manage_then(DETAIL), page=True),
    Case(
        "POST",
        "pricing/price-lists/{pg_price_list}/rules/",
        manage_then(DETAIL),
        page=True,
        body=lambda t: {"product_line": t["pg_line"], "method": "fixed_discount", "value": "10", "rounding": "1"},
    ),
    Case("POST", "pricing/price-lists/{pg_price_list}/rules/{pg_rule}/delete/", manage_then(DETAIL), page=True),
    Case("POST", "pricing/price-lists/{pg_price_list}/activate/", manage_then(DETAIL), page=True),
    Case("POST", "pricing/price-lists/{pg_price_list}/delete/", manage_then("pricing/"), page=True),
    Case("GET", "pricing/floors/", HQ_VIEW, page=True),
    Case(
        "POST",
        "pricing/floors/",
        manage_then("pricing/floors/"),
        page=True,
        params={"sku": "PG-SKU-2", "price": "400.00", "currency": "CNY", "valid_from": "2020-01-01"},
    ),
    Case("POST", "pricing/floors/{pg_floor}/delete/", manage_then("pricing/floors/"), page=True),
    Case("GET", "pricing/promotions/", HQ_VIEW, page=True),
    Case("GET", "pricing/promotions/", HQ_VIEW, page=True, params={"status": "active"}),
    Case("GET", "pricing/promotions/new/", MANAGE, page=True),
    Case("GET", PROMOTION, HQ_VIEW, page=True),
    Case("GET", "pricing/promotions/{pg_promotion}/edit/", MANAGE, page=True),
    Case(
        "POST", "pricing/promotions/{pg_promotion}/status/", manage_then(PROMOTION), page=True, params={"action": "end"}
    ),
    Case("POST", "pricing/promotions/{pg_promotion}/delete/", manage_then("pricing/promotions/"), page=True),
    Case("GET", "pricing/quote/", HQ_VIEW, page=True),
    # the waterfall for dist_js: only those who may see dist_js
    Case(
        "POST",
        "pricing/quote/",
        seeing_dist(),
        page=True,
        body=lambda t: {"partner": str(t["pg_dist"]), "on": "2026-06-30", "sku_0": "PG-SKU-1", "quantity_0": "1"},
    ),
]

# A partner's own price list or promotion: 404 for HQ users who cannot see the partner.
PAGE_CASES += [
    Case("GET", "pricing/price-lists/{contract_list_id}/", seeing_dist(), page=True),
    Case("GET", "pricing/promotions/{contract_promotion_id}/", seeing_dist(), page=True),
]
