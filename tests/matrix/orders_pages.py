"""Authorization matrix rows of the ordering pages: the portal (orders, quick order, placing from
the catalogue, import, templates, credit) and the HQ order pages. Targets use "MX-PG-" codes so
they do not meet other modules' targets; the order is dist_js's, placed by dist_admin."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PORTAL, PORTAL_PAGE, Case, expect, on_dist

DIST_USERS = ("dist_admin", "dist_staff")


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders import services
    from qudao.orders.models import OrderTemplate
    from qudao.partners.models import Partner
    from qudao.pricing.models import PriceList, PriceListItem

    line = ProductLine.objects.create(code="mx-pg-orders", name="矩阵订货页面线")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(
        code="MX-PG-ORD", name="矩阵订货页面商品", product_line=line, lifecycle=Lifecycle.ON_SALE
    )
    sku = Sku.objects.create(product=product, code="MX-PG-1", name="矩阵订货页面商品", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    base = PriceList.objects.create(
        code="mx-pg-ord-base", name="矩阵订货页面价", valid_from=date(2020, 1, 1), status="active", priority=-7
    )
    PriceListItem.objects.create(price_list=base, sku=sku, price=Decimal("50.00"))
    warehouse = Warehouse.objects.create(code="MX-PG-WH", name="矩阵订货页面仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, 1000)], note="matrix pages")
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("100000"))
    world.dist_js.refresh_from_db()
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": sku.pk, "quantity": 3}], actor=world.dist_admin
    )
    template = OrderTemplate.objects.create(partner=world.dist_js, name="矩阵模板", lines=[[sku.pk, 1, ""]])
    return {
        "pg_order_number": order.number,
        "pg_order_sku": sku.pk,
        "pg_template": template.pk,
        "pg_dist_js": world.dist_js.pk,
    }


ORDER_PAGE = "portal/orders/{pg_order_number}/"
HQ_ORDER = "orders/{pg_order_number}/"

# the partner's own order: its users; the sub-dealer and the other dealer do not see it
PORTAL_ORDER = PORTAL_PAGE | {"sub_admin": 404, "zj_admin": 404}
PORTAL_ORDER_POST = PORTAL_ORDER | {persona: ORDER_PAGE for persona in DIST_USERS}
TEMPLATE_DELETE = (
    PORTAL_PAGE | {"sub_admin": 404, "zj_admin": 404} | {p: "portal/orders/templates/" for p in DIST_USERS}
)
# a refused cart (a quantity that is not a number): partners are shown their rows again (422)
PLACE_REFUSED = PORTAL_PAGE | {p: 422 for p in ("dist_admin", "dist_staff", "sub_admin", "zj_admin")}

HQ_LIST = expect(200, anonymous=LOGIN, partners=PORTAL)
# an order of dist_js: HQ users who cannot see it 404; partner users 404 (not their page)
HQ_DETAIL = on_dist({"admin", "channel", "finance", "operations", "regional_js"}, 200, api=False) | {
    "dist_admin": 404,
    "dist_staff": 404,
}
HQ_MOVE = on_dist({"admin", "operations"}, HQ_ORDER, api=False) | {"dist_admin": 404, "dist_staff": 404}
# changing the order's lines (until it is confirmed): operations and HQ users on the partner's behalf
HQ_CHANGERS = {"admin", "operations", "regional_js"}
HQ_CHANGE_PAGE = on_dist(HQ_CHANGERS, 200, api=False) | {"dist_admin": 404, "dist_staff": 404}
HQ_CHANGE = on_dist(HQ_CHANGERS, HQ_ORDER, api=False) | {"dist_admin": 404, "dist_staff": 404}
# a new order on a partner's behalf (orders.place_on_behalf): the picker for every holder; the
# form for dist_js for those who see it (404 otherwise); other HQ roles 403, partners their portal
ON_BEHALF = {"admin", "operations", "regional_js", "regional_zj", "sales"}
NEW_ORDER = expect(403, anonymous=LOGIN, partners=PORTAL, **{p: 200 for p in ON_BEHALF})
NEW_ORDER_FOR_DIST = NEW_ORDER | {"regional_zj": 404, "sales": 404}


def _new_rows(t):
    return {"partner": t["pg_dist_js"], "rows": "5", "code_0": "MX-PG-1", "qty_0": "2", "action": "more"}


def _new_price(t):
    return {"partner": t["pg_dist_js"], "rows": "5", "code_0": "MX-PG-1", "qty_0": "2"}


def _change(t):
    return {"rows": "1", "line_0": "1", "code_0": "MX-PG-1", "qty_0": "4", "unit_0": ""}


def _quick_rows(t):
    return {"rows": "5", "code_0": "MX-PG-1", "qty_0": "2", "action": "more"}


PAGE_CASES = [
    Case("GET", "portal/orders/", PORTAL_PAGE, page=True),
    Case("GET", "portal/orders/", PORTAL_PAGE, page=True, params={"status": "submitted", "page": "2"}),
    Case("GET", "portal/orders/quick/", PORTAL_PAGE, page=True),
    Case("POST", "portal/orders/quick/", PORTAL_PAGE, page=True, body=_quick_rows),
    Case(
        "POST",
        "portal/orders/quick/price/",
        PORTAL_PAGE,
        page=True,
        body=lambda t: {"rows": "5", "code_0": "MX-PG-1", "qty_0": "2"},
    ),
    Case("POST", "portal/orders/place/", PLACE_REFUSED, page=True, body=lambda t: {f"qty_{t['pg_order_sku']}": "x"}),
    Case("GET", "portal/orders/import/", PORTAL_PAGE, page=True),
    Case("GET", "portal/orders/templates/", PORTAL_PAGE, page=True),
    Case("POST", "portal/orders/templates/{pg_template}/delete/", TEMPLATE_DELETE, page=True),
    Case("GET", ORDER_PAGE, PORTAL_ORDER, page=True),
    Case("POST", ORDER_PAGE + "cancel/", PORTAL_ORDER_POST, page=True, body=lambda t: {"reason": "矩阵取消"}),
    Case("GET", ORDER_PAGE + "change/", PORTAL_ORDER, page=True),
    Case("POST", ORDER_PAGE + "change/", PORTAL_ORDER_POST, page=True, body=_change),
    Case("GET", "portal/credit/", PORTAL_PAGE, page=True),
    Case("GET", "orders/", HQ_LIST, page=True),
    Case("GET", "orders/", HQ_LIST, page=True, params={"q": "SO", "status": "submitted"}),
    Case("GET", HQ_ORDER, HQ_DETAIL, page=True),
    Case("POST", HQ_ORDER + "confirm/", HQ_MOVE, page=True),
    Case("POST", HQ_ORDER + "reject/", HQ_MOVE, page=True, body=lambda t: {"reason": "矩阵驳回"}),
    Case("POST", HQ_ORDER + "cancel/", HQ_MOVE, page=True, body=lambda t: {"reason": "矩阵取消"}),
    Case("GET", HQ_ORDER + "change/", HQ_CHANGE_PAGE, page=True),
    Case("POST", HQ_ORDER + "change/", HQ_CHANGE, page=True, body=_change),
    Case("GET", "orders/new/", NEW_ORDER, page=True),
    Case("GET", "orders/new/", NEW_ORDER, page=True, params={"q": "金陵"}),
    Case("GET", "orders/new/?partner={pg_dist_js}", NEW_ORDER_FOR_DIST, page=True),
    Case("POST", "orders/new/", NEW_ORDER_FOR_DIST, page=True, body=_new_rows),
    Case("GET", "orders/new/partners/", NEW_ORDER, page=True, params={"q": "金陵"}),
    Case("POST", "orders/new/price/", NEW_ORDER_FOR_DIST, page=True, body=_new_price),
]
