"""The net unit price is shown as the pricing engine fixes it (qudao/pricing/engine.py, "Rounding"):
in cents, or, where an order discount was allocated to the line, the line total divided by the
quantity to 4 places; never rounded to the cent on the way out, so quantity x net unit price gives
back the line total (3 x 321.8967 = 965.69, where 3 x 321.90 would be 965.70). The same figure in
the API (quote, order, invoice, return), the portal and HQ pages and the documents."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from qudao.finance.models import Invoice
from qudao.inventory.models import Warehouse
from qudao.orders import returns, services, shipping
from qudao.pricing.tests.conftest import make_list, make_promo, make_sku

from .conftest import stock
from .test_pages import texts


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def filter_cart(world, shop):
    """FILTER-1 at 330.00 with "spend 900 on it, get 24.31 off": 3 of them cost 990.00 - 24.31 =
    965.69, a net unit price of 321.8967 (321.896666... to 4 places). WASH-A (3,000.00) has no
    discount: its net unit price stays in cents."""
    sku = make_sku("FILTER-1", shop.lines["kitchen"])
    make_list("filters", items=[(sku, "330.00")])
    make_promo("f900", "threshold", sku=sku, threshold=900, value=Decimal("24.31"))
    stock(sku, 20)
    return sku


def test_the_rule_of_the_figure():
    from qudao.core.money import unit_price_text

    assert [unit_price_text(Decimal(value)) for value in ("321.896666", "321.8967", "1299", "1242.4950", "0")] == [
        "321.8967",
        "321.8967",
        "1299.00",
        "1242.495",
        "0.00",
    ]
    assert unit_price_text(Decimal("1234567.8967"), grouping=True) == "1,234,567.8967"


def test_the_quote_and_the_order_show_the_engines_net_unit_price(world, shop, filter_cart, api_client, page_client):
    wash = shop.skus["wash_a"]
    cart = [{"sku": filter_cart.pk, "quantity": 3}, {"sku": wash.pk, "quantity": 1}]
    partner = api_client(world.dist_admin)

    # when: the partner asks for a quote, then places the order
    quote = post(partner, "/api/v1/pricing/quote", {"lines": cart}).json()
    order = post(partner, "/api/v1/orders", {"lines": cart}).json()

    # then: 321.8967 (not 321.90) next to 965.69, and WASH-A in cents, in both answers
    for body in (quote, order):
        assert [(line["net_unit_price"], line["line_total"]) for line in body["lines"]] == [
            ("321.8967", "965.69"),
            ("3000.00", "3000.00"),
        ]
        assert body["total"] == "3965.69"
    assert Decimal(3) * Decimal("321.8967") == Decimal("965.6901")  # the line total to the cent

    # and: the portal (order page, quick order, catalogue quote) and HQ pages show the same figure
    number = order["number"]
    portal = page_client(world.dist_admin)
    assert texts(portal.get(f"/portal/orders/{number}/").content.decode(), "line-net-price") == [
        "¥321.8967",
        "¥3,000.00",
    ]
    quick = portal.post(
        "/portal/orders/quick/price/",
        {"rows": "2", "code_0": "FILTER-1", "qty_0": "3", "code_1": "WASH-A", "qty_1": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert texts(quick, "row-net-price") == ["¥321.8967", "¥3,000.00"]
    assert texts(quick, "row-total") == ["¥965.69", "¥3,000.00"]
    catalogue = portal.post(
        "/portal/catalog/quote/", {f"qty_{filter_cart.pk}": "3", f"qty_{wash.pk}": "1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert re.findall(r'data-testid="quote-net-price">([^<]+)<', catalogue) == ["¥321.8967", "¥3,000.00"]
    from qudao.pricing.models import PriceList

    PriceList.objects.filter(code="filters").update(name="滤芯专价")
    hq = page_client(world.operations).get(f"/orders/{number}/").content.decode()
    assert texts(hq, "net-unit-price") == ["321.8967", "3,000.00"]
    # the line's price list by its name, its code beside it
    assert texts(hq, "price-source")[0].startswith("滤芯专价 filters")
    waterfall = (
        page_client(world.channel)
        .post(
            "/pricing/quote/",
            {
                "partner": world.dist_js.code,
                "sku_0": "FILTER-1",
                "quantity_0": "3",
                "sku_1": "WASH-A",
                "quantity_1": "1",
            },
        )
        .content.decode()
    )
    assert texts(waterfall, "net-unit-price") == ["321.8967", "3,000.00"]


def test_invoices_and_returns_show_the_same_net_unit_price(world, shop, filter_cart, api_client, page_client):
    # given: the order of 3 FILTER-1 and 1 WASH-A shipped in full (invoiced at shipment), then delivered
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": filter_cart.pk, "quantity": 3}, {"sku": shop.skus["wash_a"].pk, "quantity": 1}],
        actor=world.dist_admin,
    )
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(line.pk, line.quantity) for line in order.lines.all()],
        actor=world.operations,
    )
    shipping.confirm_delivery(order=order, actor=world.dist_admin)
    invoice = Invoice.objects.get(order=order)

    # then: the invoice (API, HQ page) bills 3 x 321.8967 = 965.69
    body = api_client(world.finance).get(f"/api/v1/finance/invoices/{invoice.pk}").json()
    assert [(line["quantity"], line["unit_price"], line["amount"]) for line in body["lines"]] == [
        (3, "321.8967", "965.69"),
        (1, "3000.00", "3000.00"),
    ]
    html = page_client(world.finance).get(f"/finance/invoices/{invoice.number}/").content.decode()
    assert re.findall(r'data-testid="invoice-line">.*?<td class="num">\d+</td><td class="num">([^<]+)</td>', html) == [
        "321.8967",
        "3,000.00",
    ]

    # and: a return of one FILTER-1 is asked and credited at the same net unit price
    rma = returns.request_return(
        order=order,
        lines=[(order.lines.get(line_no=1).pk, 1)],
        reason="damaged",
        description="滤网破损",
        actor=world.dist_admin,
    )
    client = api_client(world.dist_admin)
    asked = client.get(f"/api/v1/returns/{rma.pk}").json()
    assert [(line["quantity"], line["net_unit_price"]) for line in asked["lines"]] == [(1, "321.8967")]
    returns.approve_return(return_request=rma, actor=world.operations)
    returns.receive_return(
        return_request=rma,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(rma.lines.get().pk, 1, "sellable")],
        actor=world.operations,
    )
    note = client.get(f"/api/v1/returns/{rma.pk}").json()["credit_note"]
    assert [(line["quantity"], line["unit_price"], line["amount"]) for line in note["lines"]] == [
        (1, "321.8967", "321.90")
    ]
    html = page_client(world.operations).get(f"/orders/returns/{rma.number}/").content.decode()
    assert texts(html, "return-unit-price") == ["321.8967"]
    assert texts(html, "credit-unit-price") == ["321.8967"]
