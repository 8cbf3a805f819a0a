"""Authorization matrix rows of the partner's catalogue in the portal (pricing_portal)."""

from __future__ import annotations

from tests.test_authorization_matrix import PORTAL_PAGE, Case


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.pricing.models import PriceList, PriceListItem

    line = ProductLine.objects.create(code="mx-portal", name="矩阵门户")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(
        code="MX-PORTAL", name="矩阵门户产品", product_line=line, lifecycle=Lifecycle.ON_SALE
    )
    sku = Sku.objects.create(product=product, code="MX-PORTAL-1", name="矩阵门户产品", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    price_list = PriceList.objects.create(
        code="mx-portal-base", name="门户基础价", valid_from=date(2020, 1, 1), status="active", priority=-5
    )
    PriceListItem.objects.create(price_list=price_list, sku=sku, price=Decimal("99.00"))
    return {"portal_catalog_sku": sku.pk}


# partner users see their own catalogue and price their own order; HQ users are sent home (the
# portal decorator), anonymous visitors to the log-in page
PAGE_CASES = [
    Case("GET", "portal/catalog/", PORTAL_PAGE, page=True),
    Case(
        "POST",
        "portal/catalog/quote/",
        PORTAL_PAGE,
        page=True,
        body=lambda t: {f"qty_{t['portal_catalog_sku']}": "1"},
    ),
]
