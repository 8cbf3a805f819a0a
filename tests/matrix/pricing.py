"""Authorization matrix rows of the pricing context (price lists, floor prices, the quote)."""

from __future__ import annotations

from tests.test_authorization_matrix import SEE_DIST, Case, expect, on_dist, only

MANAGERS = ("admin", "channel")
HQ_READ = expect(200, anonymous=401, partners=403)


def managers(status):
    return only({p: status for p in MANAGERS}, 403, 401)


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.pricing.models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion

    line = ProductLine.objects.create(code="mx-pricing", name="矩阵厨电")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(
        code="MX-PRICING", name="矩阵油烟机", product_line=line, lifecycle=Lifecycle.ON_SALE
    )
    sku = Sku.objects.create(product=product, code="MX-PRICING-1", name="矩阵油烟机", lifecycle=Lifecycle.ON_SALE)
    other = Sku.objects.create(product=product, code="MX-PRICING-2", name="矩阵油烟机 2", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    base = PriceList.objects.create(code="mx-base", name="基础价", valid_from=date(2020, 1, 1), status="active")
    PriceListItem.objects.create(price_list=base, sku=sku, price=Decimal("1299.00"))
    draft = PriceList.objects.create(
        code="mx-gold", name="金牌", tier=world.dist_js.tier, valid_from=date(2020, 1, 1), priority=7
    )
    item = PriceListItem.objects.create(price_list=draft, sku=sku, price=Decimal("1250.00"))
    rule = PriceListRule.objects.create(price_list=draft, product_line=line, method="percent_of_base", value=98)
    floor = FloorPrice.objects.create(sku=sku, price=Decimal("1000.00"), valid_from=date(2020, 1, 1))
    promotion = Promotion.objects.create(
        code="mx-promo",
        name="矩阵促销",
        kind="percent_off",
        value=5,
        stacking="exclusive",
        valid_from=date(2020, 1, 1),
        status="active",
        sku=other,
    )
    limited = Promotion.objects.create(
        code="mx-limited",
        name="矩阵限量特价",
        kind="limited_special",
        value=999,
        budget_qty=100,
        stacking="exclusive",
        valid_from=date(2020, 1, 1),
        status="active",
        sku=sku,
    )
    from qudao.pricing import reservations
    from qudao.pricing.engine import CartLine

    reservations.reserve(partner=world.dist_js, lines=[CartLine(sku.pk, 2)], on=date(2026, 6, 30), reference="MX-SO-1")
    contract = PriceList.objects.create(
        code="mx-contract", name="矩阵合同价", partner=world.dist_js, valid_from=date(2020, 1, 1)
    )
    contract_promo = Promotion.objects.create(
        code="mx-contract-promo",
        name="矩阵专享",
        kind="percent_off",
        value=3,
        stacking="exclusive",
        valid_from=date(2020, 1, 1),
        partner=world.dist_js,
    )
    return {
        "contract_list_id": contract.pk,
        "contract_promotion_id": contract_promo.pk,
        "limited_promotion_id": limited.pk,
        "reserved_reference": "MX-SO-1",
        "price_list_id": draft.pk,
        "price_item_id": item.pk,
        "price_rule_id": rule.pk,
        "floor_price_id": floor.pk,
        "promotion_id": promotion.pk,
        "pricing_sku": sku.pk,
        "pricing_other_sku": other.pk,
        "pricing_line": line.pk,
        "pricing_dist": world.dist_js.pk,
    }


API_CASES = [
    Case(
        "POST",
        "/api/v1/pricing/quote",
        on_dist(SEE_DIST, 200),
        body=lambda t: {"partner": t["pricing_dist"], "lines": [{"sku": t["pricing_sku"], "quantity": 2}]},
    ),
    Case("GET", "/api/v1/pricing/price-lists", HQ_READ),
    Case(
        "POST",
        "/api/v1/pricing/price-lists",
        managers(201),
        body=lambda t: {"code": "mx-new", "name": "矩阵", "region": "320000", "valid_from": "2026-01-01"},
    ),
    Case("GET", "/api/v1/pricing/price-lists/{price_list_id}", HQ_READ),
    Case("PATCH", "/api/v1/pricing/price-lists/{price_list_id}", managers(200), body=lambda t: {"priority": 8}),
    Case("DELETE", "/api/v1/pricing/price-lists/{price_list_id}", managers(204)),
    Case("POST", "/api/v1/pricing/price-lists/{price_list_id}/activate", managers(200)),
    Case("GET", "/api/v1/pricing/price-lists/{price_list_id}/items", HQ_READ),
    Case(
        "POST",
        "/api/v1/pricing/price-lists/{price_list_id}/items",
        managers(201),
        body=lambda t: {"sku": t["pricing_other_sku"], "price": "900.00"},
    ),
    Case("DELETE", "/api/v1/pricing/price-lists/{price_list_id}/items/{price_item_id}", managers(204)),
    Case(
        "POST",
        "/api/v1/pricing/price-lists/{price_list_id}/rules",
        managers(201),
        body=lambda t: {"product_line": t["pricing_line"], "method": "fixed_discount", "value": "50"},
    ),
    Case("DELETE", "/api/v1/pricing/price-lists/{price_list_id}/rules/{price_rule_id}", managers(204)),
    Case("GET", "/api/v1/pricing/floor-prices", HQ_READ),
    Case(
        "POST",
        "/api/v1/pricing/floor-prices",
        managers(201),
        body=lambda t: {"sku": t["pricing_other_sku"], "price": "800.00", "valid_from": "2026-01-01"},
    ),
    Case("PATCH", "/api/v1/pricing/floor-prices/{floor_price_id}", managers(200), body=lambda t: {"price": "990"}),
    Case("DELETE", "/api/v1/pricing/floor-prices/{floor_price_id}", managers(204)),
]

PAGE_CASES: list[Case] = []

API_CASES += [
    Case("GET", "/api/v1/pricing/promotions", HQ_READ),
    Case(
        "POST",
        "/api/v1/pricing/promotions",
        managers(201),
        body=lambda t: {
            "code": "mx-promo-new",
            "name": "矩阵满减",
            "kind": "threshold",
            "stacking": "exclusive",
            "threshold": "5000",
            "value": "200",
            "valid_from": "2026-01-01",
        },
    ),
    Case("GET", "/api/v1/pricing/promotions/{promotion_id}", HQ_READ),
    Case("POST", "/api/v1/pricing/promotions/{promotion_id}/status", managers(200), body=lambda t: {"status": "ended"}),
]

API_CASES += [
    Case("PATCH", "/api/v1/pricing/promotions/{promotion_id}", managers(200), body=lambda t: {"name": "矩阵改名"}),
    Case("DELETE", "/api/v1/pricing/promotions/{promotion_id}", managers(204)),
    Case("GET", "/api/v1/pricing/promotions/{promotion_id}/usage", HQ_READ),
    Case("GET", "/api/v1/pricing/promotions/{promotion_id}/orders", HQ_READ),
    Case(
        "POST",
        "/api/v1/pricing/reservations",
        managers(201),
        body=lambda t: {
            "partner": t["pricing_dist"],
            "reference": "MX-SO-2",
            "date": "2026-06-30",
            "lines": [{"sku": t["pricing_sku"], "quantity": 1}],
        },
    ),
    Case("POST", "/api/v1/pricing/reservations/{reserved_reference}/release", managers(200)),
]

# A list or promotion for one partner is that partner's data: 404 for HQ users who cannot see it.
SEE_DIST_HQ = only(
    {p: 200 for p in ("admin", "channel", "regional_js", "finance", "operations")},
    403,
    401,
) | {"regional_zj": 404, "sales": 404}
API_CASES += [
    Case("GET", "/api/v1/pricing/price-lists/{contract_list_id}", SEE_DIST_HQ),
    Case("GET", "/api/v1/pricing/promotions/{contract_promotion_id}", SEE_DIST_HQ),
]

# The catalogue with own prices: a partner user reads its own; HQ names a partner it may see.
API_CASES += [
    Case("GET", "/api/v1/pricing/catalogue", expect(404, anonymous=401, partners=200)),
    Case("GET", "/api/v1/pricing/catalogue?partner={pricing_dist}", on_dist(SEE_DIST, 200)),
]
