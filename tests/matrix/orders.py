"""Authorization matrix rows of the orders context (the API; pages come with the portal cart)."""

from __future__ import annotations

from tests.test_authorization_matrix import SEE_DIST, Case, expect, on_dist

PARTNER_PLACERS = ("dist_admin", "dist_staff", "sub_admin", "zj_admin")
# HQ roles holding orders.place_on_behalf (代客下单), each within its scope
ON_BEHALF = ("admin", "operations", "regional_js", "regional_zj", "sales")


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders import services
    from qudao.partners.models import Partner
    from qudao.pricing.models import PriceList, PriceListItem

    line = ProductLine.objects.create(code="mx-orders", name="矩阵订单线")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(code="MX-ORD", name="矩阵商品", product_line=line, lifecycle=Lifecycle.ON_SALE)
    sku = Sku.objects.create(product=product, code="MX-ORD-1", name="矩阵商品", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    base = PriceList.objects.create(code="mx-ord-base", name="矩阵基础价", valid_from=date(2020, 1, 1), status="active")
    PriceListItem.objects.create(price_list=base, sku=sku, price=Decimal("100.00"))
    warehouse = Warehouse.objects.create(code="MX-WH", name="矩阵仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, 1000)], note="matrix")
    Partner.objects.filter(pk__in=[world.dist_js.pk, world.sub_js.pk, world.dealer_zj.pk]).update(
        credit_limit=Decimal("100000")
    )
    world.dist_js.refresh_from_db()
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": sku.pk, "quantity": 2}], actor=world.dist_admin
    )
    return {"order_id": order.pk, "order_sku": sku.pk}


def _body(t):
    return {"lines": [{"sku": t["order_sku"], "quantity": 1}]}


def _body_for_dist(t):
    return {"partner": t["dist_js"], "lines": [{"sku": t["order_sku"], "quantity": 1}]}


ORDER_VIEW = on_dist(SEE_DIST, 200)
# cancelling: the buyer's users (and its distributor's) and operations; others who see it: 403
CANCEL = on_dist({"admin", "operations", "dist_admin", "dist_staff"}, 200)
MANAGE = on_dist({"admin", "operations"}, 200)
# changing the lines: the buyer's users (and its distributor's), operations, and HQ users ordering on
# the partner's behalf who see it
CHANGE = on_dist({"admin", "operations", "regional_js", "dist_admin", "dist_staff"}, 200)

API_CASES = [
    # without `partner`: a partner's users order for their own partner; HQ on a partner's behalf must
    # name it (422); other HQ roles may not (403)
    Case(
        "POST",
        "/api/v1/orders",
        expect(403, anonymous=401, **{p: 201 for p in PARTNER_PLACERS}, **{p: 422 for p in ON_BEHALF}),
        body=_body,
    ),
    # for dist_js: its own users, and HQ on its behalf if they see it
    Case(
        "POST",
        "/api/v1/orders",
        on_dist({"admin", "operations", "regional_js", "dist_admin", "dist_staff"}, 201),
        body=_body_for_dist,
    ),
    Case("GET", "/api/v1/orders", expect(200, anonymous=401)),
    Case("GET", "/api/v1/orders/{order_id}", ORDER_VIEW),
    Case("POST", "/api/v1/orders/{order_id}/cancel", CANCEL, body=lambda t: {"reason": "矩阵取消"}),
    Case("POST", "/api/v1/orders/{order_id}/confirm", MANAGE),
    Case("POST", "/api/v1/orders/{order_id}/reject", MANAGE, body=lambda t: {"reason": "矩阵驳回"}),
    Case("GET", "/api/v1/partners/{dist_js}/credit", ORDER_VIEW),
]

PAGE_CASES: list[Case] = []

# A partner's fund accounts (prepayment): those who see the partner read them; finance deposits.
API_CASES += [
    Case("GET", "/api/v1/partners/{dist_js}/funds", ORDER_VIEW),
    Case("GET", "/api/v1/partners/{dist_js}/funds/entries", ORDER_VIEW),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/funds/deposits",
        on_dist({"finance"}, 201),
        body=lambda t: {"amount": "5000.00", "reference": "银行回单 001"},
    ),
]

API_CASES += [
    Case(
        "PUT",
        "/api/v1/orders/{order_id}/lines",
        CHANGE,
        body=lambda t: {"lines": [{"sku": t["order_sku"], "quantity": 3}]},
    ),
]

# Orders changed since a cursor (the ERP's feed): everyone who reads orders, each its own scope.
API_CASES += [Case("GET", "/api/v1/orders/changes", expect(200, anonymous=401))]
