"""Authorization matrix rows of the shipping pages: operations allocates, ships, tracks and
completes on the HQ order page and resolves discrepancy cases; whoever sees the order sees its cases;
the buyer's users confirm receipt on the portal; other partners get 404. Targets use "MX-SP-" codes:
dist_js's orders confirmed, allocated, shipped, delivered, and delivered with a damaged case (with a
photo)."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PORTAL, PORTAL_PAGE, SEE_DIST, Case, expect, on_dist

MANAGE = {"admin", "operations"}
DIST_USERS = ("dist_admin", "dist_staff")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders import services, shipping
    from qudao.partners.models import Partner
    from qudao.pricing.models import PriceList, PriceListItem

    line = ProductLine.objects.create(code="mx-sp", name="矩阵发货页线")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(
        code="MX-SP", name="矩阵发货页商品", product_line=line, lifecycle=Lifecycle.ON_SALE
    )
    sku = Sku.objects.create(product=product, code="MX-SP-1", name="矩阵发货页商品", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    base = PriceList.objects.create(
        code="mx-sp-base", name="矩阵发货页基础价", valid_from=date(2020, 1, 1), status="active"
    )
    PriceListItem.objects.create(price_list=base, sku=sku, price=Decimal("50.00"))
    warehouse = Warehouse.objects.create(code="MX-SP-WH", name="矩阵发货页仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, 1000)], note="matrix")
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("100000"))
    world.dist_js.refresh_from_db()

    def order(to: str):
        placed, _created = services.place_order(
            partner=world.dist_js, lines=[{"sku": sku.pk, "quantity": 2}], actor=world.dist_admin
        )
        placed = services.confirm_order(order=placed, actor=world.operations)
        if to == "confirmed":
            return placed, None
        shipping.allocate_order(order=placed, actor=world.operations, warehouse_ids=[warehouse.pk])
        if to == "allocated":
            return placed, None
        shipment = shipping.create_shipment(
            order=placed,
            warehouse=warehouse,
            lines=[(placed.lines.get().pk, 2)],
            carrier="矩阵快递",
            tracking_number="MX-SP-T1",
            actor=world.operations,
        )
        placed.refresh_from_db()
        return placed, shipment

    confirmed, _none = order("confirmed")
    allocated, _none = order("allocated")
    shipped, shipment = order("shipped")
    delivered, _shipment = order("shipped")
    shipping.confirm_delivery(order=delivered, actor=world.dist_admin)
    with_case, _shipment = order("shipped")
    confirmation = shipping.confirm_delivery(
        order=with_case,
        actor=world.dist_admin,
        discrepancies=[
            {
                "kind": "damaged",
                "lines": [(with_case.lines.get().pk, 1)],
                "description": "矩阵破损",
                "photos": [SimpleUploadedFile("mx.png", PNG)],
            }
        ],
    )
    case = confirmation.opened_cases[0]
    return {
        "sp_confirmed_number": confirmed.number,
        "sp_allocated_number": allocated.number,
        "sp_allocated_line": allocated.lines.get().pk,
        "sp_shipped_number": shipped.number,
        "sp_shipment_number": shipment.number,
        "sp_delivered_number": delivered.number,
        "sp_case_number": case.number,
        "sp_photo_id": case.photos.get().pk,
        "sp_warehouse": warehouse.pk,
    }


HQ_LIST = expect(200, anonymous=LOGIN, partners=PORTAL)
HQ_DETAIL = on_dist(SEE_DIST - set(DIST_USERS), 200, api=False) | {p: 404 for p in DIST_USERS}
PORTAL_OWN = PORTAL_PAGE | {"sub_admin": 404, "zj_admin": 404}


def _hq_move(number_key: str, back: str = "orders/{key}/") -> dict:
    target = back.replace("{key}", "{" + number_key + "}")
    return on_dist(MANAGE, target, api=False) | {p: 404 for p in DIST_USERS}


PAGE_CASES = [
    Case("POST", "orders/{sp_confirmed_number}/allocate/", _hq_move("sp_confirmed_number"), page=True),
    Case(
        "POST",
        "orders/{sp_allocated_number}/ship/",
        _hq_move("sp_allocated_number"),
        page=True,
        body=lambda t: {"warehouse": str(t["sp_warehouse"]), f"qty_{t['sp_allocated_line']}": "1", "carrier": "矩阵"},
    ),
    Case(
        "POST",
        "orders/{sp_shipped_number}/shipments/{sp_shipment_number}/tracking/",
        _hq_move("sp_shipped_number"),
        page=True,
        body=lambda t: {"status": "in_transit", "location": "矩阵"},
    ),
    Case("POST", "orders/{sp_delivered_number}/complete/", _hq_move("sp_delivered_number"), page=True),
    Case("GET", "orders/cases/", HQ_LIST, page=True),
    Case("GET", "orders/cases/{sp_case_number}/", HQ_DETAIL, page=True),
    Case(
        "POST",
        "orders/cases/{sp_case_number}/resolve/",
        _hq_move("sp_case_number", "orders/cases/{key}/"),
        page=True,
        body=lambda t: {"resolution": "矩阵"},
    ),
    Case("GET", "orders/cases/{sp_case_number}/photos/{sp_photo_id}/", HQ_DETAIL, page=True),
    Case(
        "POST",
        "portal/orders/{sp_shipped_number}/confirm-receipt/",
        PORTAL_OWN | {p: "portal/orders/{sp_shipped_number}/" for p in DIST_USERS},
        page=True,
        body=lambda t: {"note": "矩阵签收"},
    ),
]
