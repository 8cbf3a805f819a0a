"""Authorization matrix rows of returns (RMA) and credit notes, API and pages: the buyer's users
(and operations) ask for a return; its administrators (not its staff) and operations may cancel
it; operations approves, rejects and receives; whoever sees the order sees its returns and credit
notes; other partners get 404. Targets use "MX-RMA-" codes: a delivered order of dist_js (4 units)
with a requested return (with a photo), an approved one and a credited one (1 unit each)."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PORTAL, PORTAL_PAGE, SEE_DIST, Case, expect, on_dist

MANAGE = {"admin", "operations"}
HIDDEN_REFERENCE = "(hidden)"


def _ledger_references(response, targets) -> str:
    return ",".join(item["reference"] or HIDDEN_REFERENCE for item in response.json()["items"])


DIST_USERS = ("dist_admin", "dist_staff")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.orders import returns, services, shipping
    from qudao.partners.models import Partner
    from qudao.pricing.models import PriceList, PriceListItem

    line = ProductLine.objects.create(code="mx-rma", name="矩阵退货线")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(code="MX-RMA", name="矩阵退货商品", product_line=line, lifecycle=Lifecycle.ON_SALE)
    sku = Sku.objects.create(product=product, code="MX-RMA-1", name="矩阵退货商品", lifecycle=Lifecycle.ON_SALE)
    SalesScopeRule.objects.create(effect="allow", product_line=line)
    base = PriceList.objects.create(
        code="mx-rma-base", name="矩阵退货基础价", valid_from=date(2020, 1, 1), status="active"
    )
    PriceListItem.objects.create(price_list=base, sku=sku, price=Decimal("80.00"))
    warehouse = Warehouse.objects.create(code="MX-RMA-WH", name="矩阵退货仓", kind="hq")
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, 100)], note="matrix")
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("100000"))
    world.dist_js.refresh_from_db()

    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": sku.pk, "quantity": 4}], actor=world.dist_admin
    )
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations, warehouse_ids=[warehouse.pk])
    order_line = order.lines.get()
    shipping.create_shipment(order=order, warehouse=warehouse, lines=[(order_line.pk, 4)], actor=world.operations)
    shipping.confirm_delivery(order=order, actor=world.dist_admin)
    order.refresh_from_db()

    def asked(**extra):
        return returns.request_return(
            order=order,
            lines=[(order_line.pk, 1)],
            reason="damaged",
            description="矩阵破损",
            actor=world.dist_admin,
            **extra,
        )

    requested = asked(photos=[SimpleUploadedFile("mx-rma.png", PNG)])
    approved = returns.approve_return(return_request=asked(), actor=world.operations)
    credited = returns.approve_return(return_request=asked(), actor=world.operations)
    returns.receive_return(
        return_request=credited,
        warehouse=warehouse,
        lines=[(credited.lines.get().pk, 1, "sellable")],
        actor=world.operations,
    )
    return {
        "rma_order_id": order.pk,
        "rma_order_number": order.number,
        "rma_order_line": order_line.pk,
        "rma_warehouse": warehouse.pk,
        "rma_requested_id": requested.pk,
        "rma_requested_number": requested.number,
        "rma_photo_id": requested.photos.get().pk,
        "rma_approved_id": approved.pk,
        "rma_approved_number": approved.number,
        "rma_approved_line": approved.lines.get().pk,
        "rma_credited_number": credited.number,
        "rma_credit_note_id": credited.credit_note.pk,
    }


ORDER_VIEW = on_dist(SEE_DIST, 200)

API_CASES = [
    Case(
        "POST",
        "/api/v1/orders/{rma_order_id}/returns",
        on_dist(MANAGE | set(DIST_USERS), 201),
        body=lambda t: {"reason": "unwanted", "lines": [{"line_no": 1, "quantity": 1}]},
    ),
    Case("GET", "/api/v1/returns", expect(200, anonymous=401)),
    Case("GET", "/api/v1/returns/{rma_requested_id}", ORDER_VIEW),
    Case("POST", "/api/v1/returns/{rma_requested_id}/approve", on_dist(MANAGE, 200), body=lambda t: {}),
    Case("POST", "/api/v1/returns/{rma_requested_id}/reject", on_dist(MANAGE, 200), body=lambda t: {"note": "矩阵"}),
    Case(
        "POST",
        "/api/v1/returns/{rma_requested_id}/cancel",
        on_dist(MANAGE | {"dist_admin"}, 200),  # partner staff may ask for returns, not cancel them
        body=lambda t: {"reason": "矩阵取消"},
    ),
    Case(
        "POST",
        "/api/v1/returns/{rma_approved_id}/receive",
        on_dist(MANAGE, 200),
        body=lambda t: {
            "warehouse": "MX-RMA-WH",
            "lines": [{"line_no": 1, "received_quantity": 1, "condition": "sellable"}],
        },
    ),
    Case("GET", "/api/v1/returns/{rma_requested_id}/photos/{rma_photo_id}", ORDER_VIEW),
    # the stock ledger (an HQ read) shows the order's number only to those who see dist_js
    Case(
        "GET",
        "/api/v1/inventory/entries?warehouse=MX-RMA-WH&kind=shipment",
        expect(HIDDEN_REFERENCE, anonymous=401, partners=403)
        | {persona: "{rma_order_number}" for persona in SEE_DIST - set(DIST_USERS)},
        answer=_ledger_references,
    ),
    Case(
        "GET",
        "/api/v1/inventory/entries?reference={rma_order_number}",
        expect("0 entries", anonymous=401, partners=403)
        | {persona: "1 entries" for persona in SEE_DIST - set(DIST_USERS)},
        answer=lambda response, targets: (
            f"{len([i for i in response.json()['items'] if i['kind'] == 'shipment'])} entries"
        ),
    ),
    Case("GET", "/api/v1/credit-notes/{rma_credit_note_id}", ORDER_VIEW),
]

REQUEST_PAGE = "portal/orders/{rma_order_number}/return/"
PORTAL_OWN = PORTAL_PAGE | {"sub_admin": 404, "zj_admin": 404}
# a refused request (more than may be returned): the buyer's users see the form again (422)
REQUEST_REFUSED = PORTAL_OWN | {persona: 422 for persona in DIST_USERS}
HQ_LIST = expect(200, anonymous=LOGIN, partners=PORTAL)
HQ_DETAIL = on_dist(SEE_DIST - set(DIST_USERS), 200, api=False) | {p: 404 for p in DIST_USERS}


def _hq_move(number_key: str) -> dict:
    return on_dist(MANAGE, f"orders/returns/{{{number_key}}}/", api=False) | {p: 404 for p in DIST_USERS}


PAGE_CASES = [
    Case("GET", REQUEST_PAGE, PORTAL_OWN, page=True),
    Case("POST", REQUEST_PAGE, REQUEST_REFUSED, page=True, body=lambda t: {f"qty_{t['rma_order_line']}": "9"}),
    Case("GET", "portal/returns/", PORTAL_PAGE, page=True),
    Case("GET", "portal/returns/{rma_requested_number}/", PORTAL_OWN, page=True),
    Case(
        "POST",
        "portal/returns/{rma_requested_number}/cancel/",
        PORTAL_OWN | {"dist_admin": "portal/returns/{rma_requested_number}/", "dist_staff": 403},
        page=True,
        body=lambda t: {"reason": "矩阵取消"},
    ),
    Case("GET", "orders/returns/", HQ_LIST, page=True),
    Case("GET", "orders/returns/{rma_credited_number}/", HQ_DETAIL, page=True),
    Case("GET", "orders/returns/{rma_requested_number}/photos/{rma_photo_id}/", HQ_DETAIL, page=True),
    Case("GET", "portal/returns/{rma_requested_number}/photos/{rma_photo_id}/", PORTAL_OWN, page=True),
    Case("POST", "orders/returns/{rma_requested_number}/approve/", _hq_move("rma_requested_number"), page=True),
    Case(
        "POST",
        "orders/returns/{rma_requested_number}/reject/",
        _hq_move("rma_requested_number"),
        page=True,
        body=lambda t: {"note": "矩阵驳回"},
    ),
    Case(
        "POST",
        "orders/returns/{rma_requested_number}/cancel/",
        _hq_move("rma_requested_number"),
        page=True,
        body=lambda t: {"reason": "矩阵取消"},
    ),
    Case(
        "POST",
        "orders/returns/{rma_approved_number}/receive/",
        _hq_move("rma_approved_number"),
        page=True,
        body=lambda t: {
            f"received_{t['rma_approved_line']}": "1",
            f"condition_{t['rma_approved_line']}": "sellable",
            "warehouse": str(t["rma_warehouse"]),
        },
    ),
]
