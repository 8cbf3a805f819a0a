"""Authorization matrix rows of the pickers (qudao/core/pickers.py and the partner and SKU
pickers) and of the price list grid editor. The partner picker answers with the scoping rule:
whoever cannot see dist_js does not find it; the SKU picker offers partner users only what their
sales scope allows."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PARTNER_USERS, PERSONAS, PORTAL, SEE_DIST, Case, expect

MANAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200, channel=200)


def targets(world) -> dict:
    from qudao.catalog.models import Lifecycle, Product, ProductLine, Sku

    line = ProductLine.objects.create(code="pk-line", name="选择器未开放")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(code="PK-PROD", name="选择器产品", product_line=line, lifecycle=Lifecycle.ON_SALE)
    Sku.objects.create(product=product, code="PK-SKU-HIDDEN", name="选择器商品", lifecycle=Lifecycle.ON_SALE)
    from qudao.pricing.models import Promotion

    Promotion.objects.create(
        code="PK-PROMO-JS",
        name="选择器专享促销",
        kind="percent_off",
        status="active",
        stacking="exclusive",
        value=5,
        valid_from="2025-01-01",
        partner=world.dist_js,
    )
    return {}


def _found(response, targets) -> str:
    return "found" if response.json()["results"] else "none"


PARTNER_PICKER = {persona: ("found" if persona in SEE_DIST else "none") for persona in PERSONAS} | {"anonymous": LOGIN}
# a promotion for dist_js only: HQ users who see dist_js find it; partner users never search promotions
PROMOTION_PICKER = (
    {persona: "none" for persona in PERSONAS}
    | {persona: "found" for persona in SEE_DIST if persona not in PARTNER_USERS}
    | {"anonymous": LOGIN}
)
SKU_PICKER = {persona: "found" for persona in PERSONAS} | {p: "none" for p in PARTNER_USERS} | {"anonymous": LOGIN}

PAGE_CASES = [
    # reference data: public, like /api/v1/regions
    Case("GET", "pickers/regions/", expect(200), page=True, params={"q": "江苏"}),
    # dist_js by its name: only those who may see it find it
    Case("GET", "pickers/partners/", PARTNER_PICKER, page=True, params={"q": "南京金陵商贸"}, answer=_found),
    # a SKU no partner's sales scope allows: HQ finds it, partner users do not
    Case("GET", "pickers/skus/", SKU_PICKER, page=True, params={"q": "PK-SKU-HIDDEN"}, answer=_found),
    Case("GET", "pickers/promotions/", PROMOTION_PICKER, page=True, params={"q": "选择器专享"}, answer=_found),
    Case("GET", "pricing/price-lists/{pg_price_list}/items/grid/", MANAGE, page=True),
    # no rows: the managers see the grid again with its error, nothing saved
    Case(
        "POST",
        "pricing/price-lists/{pg_price_list}/items/grid/",
        MANAGE | {"admin": 422, "channel": 422},
        page=True,
    ),
]
