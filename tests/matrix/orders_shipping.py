"""Authorization matrix rows of shipments, tracking, delivery confirmation and discrepancy cases
(the API): operations allocates, ships, tracks, resolves and completes; the buyer's users confirm
receipt; whoever sees the order sees its shipments and cases; other partners get 404."""

from __future__ import annotations

from tests.test_authorization_matrix import SEE_DIST, Case, expect, on_dist, only

MANAGE = {"admin", "operations"}
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

    line = ProductLine.objects.create(code="mx-ship", name="矩阵发货线")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(
        code="MX-SHIP", name="矩阵发货商品", product_line=line, lifecycle=Lifecycle.ON_SALE
    )
    sku = Sku.objects.create(product=product, code="MX-SHIP-1", name="矩阵发货商品", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    base = PriceList.objects.create(
        code="mx-ship-base", name="矩阵发货基础价", valid_from=date(2020, 1, 1), status="active"
    )
    PriceListItem.objects.create(price_list=base, sku=sku, price=Decimal("50.00"))
    warehouse = Warehouse.objects.create(code="MX-SHIP-WH", name="矩阵发货仓", kind="hq")
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
            tracking_number="MX-SHIP-T1",
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
        "ship_confirmed_id": confirmed.pk,
        "ship_allocated_id": allocated.pk,
        "ship_allocated_number": allocated.number,
        "ship_shipped_id": shipped.pk,
        "ship_shipment_id": shipment.pk,
        "ship_delivered_id": delivered.pk,
        "ship_case_id": case.pk,
        "ship_photo_id": case.photos.get().pk,
    }


def _bulk(t):
    return {
        "rows": [
            {
                "order": t["ship_allocated_number"],
                "new_shipment": {
                    "external_id": "MX-SHIP-DN1",
                    "warehouse": "MX-SHIP-WH",
                    "lines": [{"line_no": 1, "quantity": 1}],
                },
                "events": [{"status": "in_transit", "external_id": "MX-SHIP-EV1"}],
            }
        ]
    }


ORDER_VIEW = on_dist(SEE_DIST, 200)
CONFIRMERS = on_dist(MANAGE | {"dist_admin", "dist_staff"}, 200)

API_CASES = [
    Case("POST", "/api/v1/orders/{ship_confirmed_id}/allocate", on_dist(MANAGE, 200), body=lambda t: {}),
    Case(
        "POST",
        "/api/v1/orders/{ship_allocated_id}/shipments",
        on_dist(MANAGE, 201),
        body=lambda t: {"warehouse": "MX-SHIP-WH", "lines": [{"line_no": 1, "quantity": 1}], "carrier": "矩阵"},
    ),
    Case("GET", "/api/v1/orders/{ship_shipped_id}/shipments", ORDER_VIEW),
    Case(
        "POST",
        "/api/v1/shipments/{ship_shipment_id}/tracking",
        on_dist(MANAGE, 201),
        body=lambda t: {"status": "in_transit", "location": "矩阵", "source": "carrier", "external_id": "MX-1"},
    ),
    Case("POST", "/api/v1/tracking/bulk", only({p: 200 for p in MANAGE}, 403, 401), body=_bulk),
    Case("POST", "/api/v1/orders/{ship_shipped_id}/confirm-delivery", CONFIRMERS, body=lambda t: {"note": "矩阵签收"}),
    Case("POST", "/api/v1/orders/{ship_delivered_id}/complete", on_dist(MANAGE, 200), body=lambda t: {}),
    Case("GET", "/api/v1/cases", expect(200, anonymous=401)),
    Case("GET", "/api/v1/cases/{ship_case_id}", ORDER_VIEW),
    Case("POST", "/api/v1/cases/{ship_case_id}/resolve", on_dist(MANAGE, 200), body=lambda t: {"resolution": "矩阵"}),
    Case("GET", "/api/v1/cases/{ship_case_id}/photos/{ship_photo_id}", ORDER_VIEW),
    Case("GET", "/api/v1/carriers", expect(200, anonymous=401)),
]

PAGE_CASES: list[Case] = []
