"""The HQ pages of ordering on a partner's behalf (代客下单): the "new order for a partner" page
(pick the partner by name or code among those the user sees, type SKUs and quantities priced live
with the partner's waterfall, pay part from its rebate fund, choose the payment method, place it),
the HQ order page's record of who placed it, and changing it from the HQ order page. Exact
figures; refused rows answer 422 and place nothing; another partner answers 404."""

from __future__ import annotations

import html as markup
import re
from decimal import Decimal

from qudao.orders.models import Order
from qudao.partners.models import FundAccount, Partner
from qudao.pricing.tests.conftest import make_promo

from .conftest import set_credit
from .test_pages import key_of, place, quick_rows
from .test_pages import texts as raw_texts


def texts(html: str, testid: str) -> list[str]:
    return [markup.unescape(text) for text in raw_texts(html, testid)]


def codes(html: str) -> list[str]:
    return re.findall(r'data-testid="partner-option" data-code="([^"]+)"', html)


def test_the_partner_is_picked_by_name_or_code_among_the_active_partners_the_user_sees(world, shop, page_client):
    operations = page_client(world.operations)
    # an empty search lists the partners the user may order for, by code
    page = operations.get("/orders/new/")
    assert page.status_code == 200
    assert codes(page.content.decode()) == sorted([world.dist_js.code, world.sub_js.code, world.dealer_zj.code])
    # by name (legal or short) or code, live (htmx) or on submit
    assert codes(operations.get("/orders/new/", {"q": "金陵"}).content.decode()) == [world.dist_js.code]
    live = operations.get("/orders/new/partners/", {"q": "西湖"}, HTTP_HX_REQUEST="true")
    assert (live.status_code, codes(live.content.decode())) == (200, [world.dealer_zj.code])
    assert codes(operations.get("/orders/new/", {"q": world.sub_js.code.lower()}).content.decode()) == [
        world.sub_js.code
    ]
    # by credit code too, as every partner picker finds partners
    assert codes(operations.get("/orders/new/", {"q": world.dist_js.credit_code}).content.decode()) == [
        world.dist_js.code
    ]
    # each one leads to the order form for that partner
    assert (
        f'href="/orders/new/?partner={world.dist_js.pk}"'
        in operations.get("/orders/new/", {"q": "金陵"}).content.decode()
    )
    # a regional manager of Jiangsu sees its region's partners only; a suspended partner is not offered
    Partner.objects.filter(pk=world.sub_js.pk).update(status="suspended")
    regional = page_client(world.regional_js).get("/orders/new/").content.decode()
    assert codes(regional) == [world.dist_js.code]
    # who may not: the channel manager (403), a partner's user (its portal), a visitor (log in)
    assert page_client(world.channel).get("/orders/new/").status_code == 403
    assert page_client(world.dist_admin).get("/orders/new/")["Location"] == "/portal/"
    assert page_client().get("/orders/new/")["Location"].startswith("/login/")


def test_operations_places_an_order_for_a_partner_priced_as_it_types_on_the_hq_page(world, shop, page_client, settings):
    # given: 5% off WASH-A, 1,000.00 in dist_js's rebate fund, credit and prepayment both allowed
    from qudao.partners import funds

    settings.ORDER_PAYMENT_METHODS = "credit,prepayment"
    make_promo("wash-95", "percent_off", sku=shop.skus["wash_a"], value=5)
    funds.deposit(partner=world.dist_js, amount="1000", actor=world.finance, kind=FundAccount.Kind.REBATE)
    client = page_client(world.operations)
    # when: operations opens the form for dist_js
    page = client.get("/orders/new/", {"partner": world.dist_js.pk})
    html = page.content.decode()
    # then: it names the partner, its credit, its rebate fund and the payment methods
    assert page.status_code == 200
    assert (texts(html, "order-for"), texts(html, "order-for-code")) == (["南京金陵商贸有限公司"], [world.dist_js.code])
    assert texts(html, "credit-available") == ["CNY 100,000.00"]
    assert texts(html, "rebate-available") == ["¥1,000.00"]
    assert re.findall(r'<option value="(\w+)"', html.split('id="id_payment_method"')[1].split("</select>")[0]) == [
        "credit",
        "prepayment",
    ]
    key = key_of(html)
    # when: it types 2 HOOD-A and 1 WASH-A (priced live, with the waterfall of each row)
    rows = quick_rows(("HOOD-A", "2"), ("WASH-A", "1"), partner=str(world.dist_js.pk))
    priced = client.post("/orders/new/price/", rows, HTTP_HX_REQUEST="true").content.decode()
    assert texts(priced, "row-list-price") == ["¥1,299.00", "¥3,000.00"]
    assert texts(priced, "row-promotion") == ["wash-95 −¥150.00"]
    assert texts(priced, "row-net-price") == ["¥1,299.00", "¥2,850.00"]
    assert texts(priced, "row-total") == ["¥2,598.00", "¥2,850.00"]
    assert texts(priced, "quick-total") == ["¥5,448.00"]
    assert texts(priced, "rebate-usable") == ["¥1,000.00"]
    # and places it, paying 500.00 from the rebate fund, the rest on credit (sent twice: one order)
    placing = {
        **rows,
        "idempotency_key": key,
        "payment_method": "credit",
        "rebate_amount": "500.00",
        "note": "电话订货",
    }
    first = client.post("/orders/new/", placing)
    second = client.post("/orders/new/", placing)
    # then: one order for dist_js, placed by operations on its behalf, shown on the HQ order page
    order = Order.objects.get()
    assert (first.status_code, first["Location"], second["Location"]) == (
        302,
        f"/orders/{order.number}/",
        f"/orders/{order.number}/",
    )
    assert (order.partner_id, order.created_by_id, order.channel, order.total, order.rebate_amount, order.note) == (
        world.dist_js.pk,
        world.operations.pk,
        "hq",
        Decimal("5448.00"),
        Decimal("500.00"),
        "电话订货",
    )
    detail = client.get(f"/orders/{order.number}/").content.decode()
    assert texts(detail, "order-placed-by") == ["operations · HQ on the partner's behalf"]
    listed = client.get("/orders/").content.decode()
    assert texts(listed, "order-on-behalf") == ["placed on its behalf by operations"]
    assert f"Order {order.number} is placed for 金陵商贸." in detail
    # and: the partner's users see who placed it for them
    portal = page_client(world.dist_staff).get(f"/portal/orders/{order.number}/").content.decode()
    assert texts(portal, "order-placed-for-you") == ["operations (HQ on the partner's behalf)"]


def test_refused_rows_are_shown_on_their_row_and_nothing_is_placed(world, shop, page_client):
    client = page_client(world.operations)
    key = key_of(client.get("/orders/new/", {"partner": world.dist_js.pk}).content.decode())
    refused = client.post(
        "/orders/new/",
        quick_rows(
            ("HOOD-A", "x"), ("NOPE", "1"), ("WASH-A", "21"), partner=str(world.dist_js.pk), idempotency_key=key
        ),
    )
    html = refused.content.decode()
    assert refused.status_code == 422
    assert texts(html, "row-error") == ["Enter a whole number.", "No product has this code or barcode."]
    assert Order.objects.count() == 0
    # the rows that are right, but beyond the stock: refused on the row by the service, nothing placed
    refused = client.post(
        "/orders/new/", quick_rows(("WASH-A", "21"), partner=str(world.dist_js.pk), idempotency_key=key)
    )
    assert refused.status_code == 422
    assert texts(refused.content.decode(), "row-error") == ["Only 20 available."]
    assert Order.objects.count() == 0
    # a partner that is not active: the service's reason, nothing placed
    Partner.objects.filter(pk=world.dist_js.pk).update(status="suspended")
    refused = client.post(
        "/orders/new/", quick_rows(("HOOD-A", "1"), partner=str(world.dist_js.pk), idempotency_key=key)
    )
    assert refused.status_code == 422
    assert texts(refused.content.decode(), "quick-errors") == [
        "金陵商贸 is suspended: orders are placed for active partners only."
    ]
    assert Order.objects.count() == 0


def test_a_partner_outside_the_users_scope_answers_404(world, shop, page_client):
    regional_zj = page_client(world.regional_zj)
    assert regional_zj.get("/orders/new/", {"partner": world.dist_js.pk}).status_code == 404
    rows = quick_rows(("HOOD-A", "1"), partner=str(world.dist_js.pk), idempotency_key="k")
    assert regional_zj.post("/orders/new/", rows).status_code == 404
    assert regional_zj.post("/orders/new/price/", rows).status_code == 404
    assert Order.objects.count() == 0


def test_sales_changes_its_partners_order_from_the_hq_order_page(world, shop, page_client):
    # given: dealer_zj (owned by sales) placed 1 HOOD-B
    set_credit(world.dealer_zj, "100000")
    order = place(world, shop, partner=world.dealer_zj, actor=world.zj_admin, hood_b=1)
    # finance sees the order but may not change it
    assert page_client(world.finance).get(f"/orders/{order.number}/change/").status_code == 403
    assert (
        'data-testid="change-order"' not in page_client(world.finance).get(f"/orders/{order.number}/").content.decode()
    )
    client = page_client(world.sales)
    detail = client.get(f"/orders/{order.number}/").content.decode()
    assert f'href="/orders/{order.number}/change/" data-testid="change-order"' in detail
    assert texts(detail, "order-placed-by") == ["zj_admin · Partner portal"]
    # when: sales changes it to 3 HOOD-B
    response = client.post(
        f"/orders/{order.number}/change/", {"rows": "1", "line_0": "1", "code_0": "HOOD-B", "qty_0": "3", "unit_0": ""}
    )
    # then: changed on the partner's behalf
    assert (response.status_code, response["Location"]) == (302, f"/orders/{order.number}/")
    order.refresh_from_db()
    assert (order.total, order.created_by_id) == (Decimal("6000.00"), world.zj_admin.pk)
