"""SKUs not on sale (a draft or discontinued SKU, or any SKU of a draft or discontinued product) are
refused on their line wherever a partner prices or orders: quotes, orders, changes, imports,
templates and reorders. An order placed while a SKU was on sale stays valid; a change of it may
keep up to the quantity it already holds of that SKU, never more."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from qudao.catalog.models import Lifecycle, Product, Sku
from qudao.core.errors import FieldErrors
from qudao.inventory.models import StockLevel
from qudao.orders import services
from qudao.orders.models import Order, OrderTemplate
from qudao.pricing.models import PromotionUsage

from .test_pages import key_of, quick_rows, texts, workbook

ON = date(2026, 6, 30)


def post(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def errors(response) -> dict:
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def reserved(sku) -> int:
    return sum(StockLevel.objects.filter(sku=sku).values_list("reserved", flat=True))


def set_lifecycle(sku, lifecycle) -> None:
    Sku.objects.filter(pk=sku.pk).update(lifecycle=lifecycle)


def set_product_lifecycle(sku, lifecycle) -> None:
    Product.objects.filter(pk=sku.product_id).update(lifecycle=lifecycle)


def test_the_api_refuses_skus_not_on_sale_on_their_line_and_places_nothing(world, shop, api_client):
    # given: HOOD-B discontinued, WASH-A's product still a draft, HOOD-A on sale
    hood_a, hood_b, wash_a = shop.skus["hood_a"], shop.skus["hood_b"], shop.skus["wash_a"]
    set_lifecycle(hood_b, Lifecycle.DISCONTINUED)
    set_product_lifecycle(wash_a, Lifecycle.DRAFT)
    client = api_client(world.dist_admin)
    body = {
        "lines": [
            {"sku": hood_a.pk, "quantity": 1},
            {"sku": hood_b.pk, "quantity": 1},
            {"sku": wash_a.pk, "quantity": 1},
        ]
    }

    # when: the partner orders them, and asks for a quote of them
    ordered = post(client, "/api/v1/orders", body, HTTP_IDEMPOTENCY_KEY="k-1")
    quoted = post(client, "/api/v1/pricing/quote", {"date": "2026-06-30", **body})

    # then: both answer 422 on the lines not on sale, naming the SKU and why
    expected = {
        "lines.1.sku": "HOOD-B is not on sale: discontinued.",
        "lines.2.sku": "WASH-A is not on sale: not released yet.",
    }
    assert (ordered.status_code, errors(ordered)) == (422, expected)
    assert (quoted.status_code, errors(quoted)) == (422, expected)
    # and: nothing was placed or reserved
    assert (Order.objects.count(), PromotionUsage.objects.count(), reserved(hood_a)) == (0, 0, 0)

    # and: a discontinued product takes its on-sale SKUs off sale too
    set_lifecycle(hood_b, Lifecycle.ON_SALE)
    set_product_lifecycle(hood_b, Lifecycle.DISCONTINUED)
    refused = post(client, "/api/v1/orders", {"lines": [{"sku": hood_b.pk, "quantity": 1}]})
    assert (refused.status_code, errors(refused)) == (422, {"lines.0.sku": "HOOD-B is not on sale: discontinued."})

    # and: a SKU outside the partner's sales scope still reads as unknown (its lifecycle is not told)
    from qudao.catalog.models import SalesScopeRule

    SalesScopeRule.objects.create(effect="deny", sku=hood_b, partner=world.dist_js)
    hidden = post(client, "/api/v1/orders", {"lines": [{"sku": hood_b.pk, "quantity": 1}]})
    assert errors(hidden) == {"lines.0.sku": "This SKU is not available to this partner."}
    assert Order.objects.count() == 0


def test_hq_quotes_refuse_skus_not_on_sale_too(world, shop, api_client):
    set_lifecycle(shop.skus["hood_b"], Lifecycle.DRAFT)
    response = post(
        api_client(world.channel),
        "/api/v1/pricing/quote",
        {"partner": world.dist_js.pk, "date": "2026-06-30", "lines": [{"sku": shop.skus["hood_b"].pk, "quantity": 2}]},
    )
    assert (response.status_code, errors(response)) == (
        422,
        {"lines.0.sku": "HOOD-B is not on sale: not released yet."},
    )


def test_an_order_placed_before_a_sku_was_discontinued_stays_and_a_change_may_keep_what_it_holds(world, shop):
    # given: an order of 3 HOOD-B and 1 WASH-A, then HOOD-B is discontinued
    hood_b = shop.skus["hood_b"]
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": hood_b.pk, "quantity": 3}, {"sku": shop.skus["wash_a"].pk, "quantity": 1}],
        actor=world.dist_admin,
        on=ON,
    )
    set_lifecycle(hood_b, Lifecycle.DISCONTINUED)

    # then: the order stays as it is (operations may still confirm it)
    order.refresh_from_db()
    assert (order.status, order.total) == ("submitted", Decimal("9000.00"))

    # when: a change asks for more of HOOD-B than the order holds, or adds a SKU not on sale
    def change(*pairs):
        return services.change_order(
            order=order,
            lines=[{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs],
            actor=world.dist_admin,
            on=ON,
        )

    set_lifecycle(shop.skus["hood_a"], Lifecycle.DISCONTINUED)
    with pytest.raises(FieldErrors) as refused:
        change(("hood_b", 4), ("wash_a", 1), ("hood_a", 1))
    # then: refused on those lines, and nothing changed
    assert {field: [str(m) for m in messages] for field, messages in refused.value.errors.items()} == {
        "lines.0.sku": ["HOOD-B is no longer on sale: this order may keep at most 3 件 of it."],
        "lines.2.sku": ["HOOD-A is not on sale: discontinued."],
    }
    order.refresh_from_db()
    assert [(line.sku.code, line.quantity) for line in order.lines.all()] == [("HOOD-B", 3), ("WASH-A", 1)]
    assert (order.total, reserved(hood_b)) == (Decimal("9000.00"), 3)

    # when: the change keeps HOOD-B as it is and adds a WASH-A, then lowers HOOD-B
    change(("hood_b", 3), ("wash_a", 2))
    order.refresh_from_db()
    assert (order.total, reserved(hood_b)) == (Decimal("12000.00"), 3)
    change(("hood_b", 2), ("wash_a", 2))
    order.refresh_from_db()
    assert ([(line.sku.code, line.quantity) for line in order.lines.all()], order.total, reserved(hood_b)) == (
        [("HOOD-B", 2), ("WASH-A", 2)],
        Decimal("10000.00"),
        2,
    )
    # and: once lowered, it may not go back up (the order now holds 2)
    with pytest.raises(FieldErrors) as again:
        change(("hood_b", 3), ("wash_a", 2))
    assert list(again.value.errors) == ["lines.0.sku"]


def test_the_change_page_previews_and_applies_a_kept_line_of_a_discontinued_sku(world, shop, page_client):
    # given: an order of 2 HOOD-B, then HOOD-B is discontinued
    hood_b = shop.skus["hood_b"]
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": hood_b.pk, "quantity": 2}], actor=world.dist_admin
    )
    set_lifecycle(hood_b, Lifecycle.DISCONTINUED)
    client = page_client(world.dist_admin)
    form = {"rows": "2", "code_0": "HOOD-B", "qty_0": "2", "line_0": "1", "code_1": "WASH-A", "qty_1": "1"}

    # when: the partner raises HOOD-B to 3, the row is refused with the reason
    refused = client.post(f"/portal/orders/{order.number}/change/", form | {"qty_0": "3", "action": "apply"})
    assert refused.status_code == 422
    assert texts(refused.content.decode(), "row-error") == [
        "HOOD-B is no longer on sale: this order may keep at most 2 件 of it."
    ]
    # when: it keeps HOOD-B at 2 and adds a WASH-A
    applied = client.post(f"/portal/orders/{order.number}/change/", form | {"action": "apply"})
    assert applied.status_code == 302
    order.refresh_from_db()
    assert ([(line.sku.code, line.quantity) for line in order.lines.all()], order.total) == (
        [("HOOD-B", 2), ("WASH-A", 1)],
        Decimal("7000.00"),
    )


def test_the_quick_order_and_an_imported_file_show_the_reason_on_the_row(world, shop, page_client):
    set_lifecycle(shop.skus["hood_b"], Lifecycle.DISCONTINUED)
    client = page_client(world.dist_admin)
    key = key_of(client.get("/portal/orders/quick/").content.decode())

    # when: a quick order with HOOD-B is placed
    placed = client.post(
        "/portal/orders/quick/", quick_rows(("HOOD-A", "1"), ("hood-b", "1"), idempotency_key=key, action="place")
    )
    # then: refused on its row, nothing placed
    assert placed.status_code == 422
    assert re.findall(r'data-testid="row-error" data-field="(\w+)">([^<]*)<', placed.content.decode()) == [
        ("code", "HOOD-B is not on sale: discontinued.")
    ]
    # when: a file with it is imported, then: the row shows why, with its row number
    upload = workbook(("SKU code or barcode", "Quantity"), ("HOOD-A", 2), ("HOOD-B", 1))
    preview = client.post("/portal/orders/import/", {"file": upload}).content.decode()
    assert texts(preview, "row-error") == ["Row 3: HOOD-B is not on sale: discontinued."]
    assert texts(preview, "quick-total") == []
    assert Order.objects.count() == 0


def test_templates_refuse_and_leave_out_skus_not_on_sale_and_reorders_leave_them_out(world, shop, page_client):
    client = page_client(world.dist_admin)
    hood_b = shop.skus["hood_b"]
    # given: an order and a template of 2 HOOD-A and 1 HOOD-B, while HOOD-B is on sale
    order, _created = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 2}, {"sku": hood_b.pk, "quantity": 1}],
        actor=world.dist_admin,
    )
    saved = client.post(
        "/portal/orders/quick/", quick_rows(("HOOD-A", "2"), ("HOOD-B", "1"), action="save", template_name="补货")
    )
    assert saved.status_code == 302
    template = OrderTemplate.objects.get()

    # when: HOOD-B is discontinued
    set_lifecycle(hood_b, Lifecycle.DISCONTINUED)

    # then: saving a template with it is refused on its row
    refused = client.post(
        "/portal/orders/quick/", quick_rows(("HOOD-A", "1"), ("HOOD-B", "1"), action="save", template_name="新模板")
    )
    assert refused.status_code == 422
    assert texts(refused.content.decode(), "row-error") == ["HOOD-B is not on sale: discontinued."]
    assert list(OrderTemplate.objects.values_list("name", flat=True)) == ["补货"]

    # and: loading the template, or reordering the order, leaves it out and says so
    for url in (f"/portal/orders/quick/?template={template.pk}", f"/portal/orders/quick/?reorder={order.number}"):
        html = client.get(url).content.decode()
        assert re.findall(r'name="code_\d" id="code_\d" value="([^"]*)"', html)[:2] == ["HOOD-A", ""]
        assert texts(html, "left-out") == ["HOOD-B was left out: not on sale (discontinued)."]
        assert texts(html, "row-error") == []
        assert texts(html, "quick-total") == ["¥2,598.00"]
