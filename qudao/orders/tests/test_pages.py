"""The ordering pages: the portal (placing from the catalogue, the quick order, reorder, templates,
import, the partner's orders and credit) and the HQ order pages (list, detail, confirm, reject,
cancel). Exact figures; other partners' orders answer 404; bad input changes nothing."""

from __future__ import annotations

import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.inventory.models import StockLevel
from qudao.orders import services
from qudao.orders.models import Order, OrderStatusChange, OrderTemplate

from .conftest import set_credit


def texts(html: str, testid: str) -> list[str]:
    """The text of every element with data-testid=`testid` (tags stripped, spaces collapsed)."""
    found = []
    for match in re.finditer(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</', html, re.S):
        found.append(" ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()))
    return found


def key_of(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)


def reserved(sku) -> int:
    return sum(StockLevel.objects.filter(sku=sku).values_list("reserved", flat=True))


def place(world, shop, partner=None, actor=None, **quantities):
    order, _created = services.place_order(
        partner=partner or world.dist_js,
        lines=[{"sku": shop.skus[name].pk, "quantity": qty} for name, qty in quantities.items()],
        actor=actor or world.dist_admin,
    )
    return order


def quick_rows(*rows, **extra):
    data = {"rows": str(max(len(rows), 5)), **extra}
    for index, (code, quantity, *unit) in enumerate(rows):
        data[f"code_{index}"] = code
        data[f"qty_{index}"] = quantity
        data[f"unit_{index}"] = unit[0] if unit else ""
    return data


# --- portal: placing ---------------------------------------------------------------------------


def test_it_places_the_priced_catalogue_cart_once_however_often_it_is_submitted(world, shop, page_client):
    # given dist_admin priced 2 HOOD-A and 1 WASH-A in the catalogue
    client = page_client(world.dist_admin)
    hood, wash = shop.skus["hood_a"], shop.skus["wash_a"]
    quote = client.post(
        "/portal/catalog/quote/", {f"qty_{hood.pk}": "2", f"qty_{wash.pk}": "1"}, HTTP_HX_REQUEST="true"
    )
    assert quote.status_code == 200
    html = quote.content.decode()
    assert 'data-testid="place-order"' in html and f'name="qty_{hood.pk}" value="2"' in html
    key = key_of(html)
    form = {f"qty_{hood.pk}": "2", f"qty_{wash.pk}": "1", "idempotency_key": key}

    # when it taps "Place order" twice (a double tap, or the browser retrying)
    first = client.post("/portal/orders/place/", form)
    second = client.post("/portal/orders/place/", form)

    # then one order is placed, and both answers lead to it
    order = Order.objects.get()
    assert (first.status_code, first["Location"]) == (302, f"/portal/orders/{order.number}/")
    assert (second.status_code, second["Location"]) == (302, f"/portal/orders/{order.number}/")
    assert (order.status, order.total, order.idempotency_key, order.partner) == ("submitted", 5598, key, world.dist_js)
    assert (reserved(hood), reserved(wash)) == (2, 1)

    # and: the order page shows the lines as priced, the total and the timeline
    page = client.get(f"/portal/orders/{order.number}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert texts(html, "line-code") == ["HOOD-A", "WASH-A"]
    assert texts(html, "line-net-price") == ["¥1,299.00", "¥3,000.00"]
    assert texts(html, "line-total") == ["¥2,598.00", "¥3,000.00"]
    assert texts(html, "order-total") == ["¥5,598.00"]
    assert texts(html, "order-status") == ["Submitted"]
    assert texts(html, "timeline-status") == ["Submitted"]
    assert 'data-testid="cancel"' in html and 'data-testid="reorder"' in html


def test_it_marks_gift_lines_and_shows_a_rejection_reason(world, shop, page_client):
    from qudao.pricing.tests.conftest import make_promo

    # given: buy 2 HOOD-A get 1 HOOD-B, and an order of 2 HOOD-A that operations rejects
    make_promo("gift-b", "buy_x_get_y", sku=shop.skus["hood_a"], buy_qty=2, gift_qty=1, gift_sku=shop.skus["hood_b"])
    order = place(world, shop, hood_a=2)
    services.reject_order(order=order, actor=world.operations, reason="型号停产")

    # when the partner opens it
    html = page_client(world.dist_staff).get(f"/portal/orders/{order.number}/").content.decode()

    # then the gift line is marked and priced at zero, and the reason is shown; no cancel button
    assert texts(html, "line-code") == ["HOOD-A", "HOOD-B"]
    assert texts(html, "line-total") == ["¥2,598.00", "¥0.00"]
    assert texts(html, "gift-mark") == ["Gift"]
    assert texts(html, "order-reason") == ["Reason: 型号停产"]
    assert texts(html, "timeline-status") == ["Submitted", "Rejected"]
    assert texts(html, "timeline-reason") == ["型号停产"]
    assert 'data-testid="cancel"' not in html


def test_it_shows_another_partners_order_as_not_found(world, shop, page_client):
    # given an order of dist_js
    order = place(world, shop, hood_a=1)

    # when the independent dealer's user asks for it, or tries to cancel it
    client = page_client(world.zj_admin)
    page = client.get(f"/portal/orders/{order.number}/")
    cancel = client.post(f"/portal/orders/{order.number}/cancel/", {"reason": "试试"})

    # then: 404, and the order is untouched
    assert (page.status_code, cancel.status_code) == (404, 404)
    order.refresh_from_db()
    assert order.status == "submitted"
    assert page_client(world.zj_admin).get(f"/portal/orders/quick/?reorder={order.number}").status_code == 404


def test_it_cancels_an_order_with_a_reason_and_releases_the_stock(world, shop, page_client):
    # given a submitted order of 3 HOOD-A
    order = place(world, shop, hood_a=3)
    client = page_client(world.dist_staff)

    # when the partner cancels it without a reason
    refused = client.post(f"/portal/orders/{order.number}/cancel/", {"reason": "  "})

    # then it is told why, and nothing changed
    assert refused.status_code == 422
    assert texts(refused.content.decode(), "cancel-error") == ["Say why the order is cancelled."]
    order.refresh_from_db()
    assert (order.status, reserved(shop.skus["hood_a"])) == ("submitted", 3)

    # when it gives a reason
    done = client.post(f"/portal/orders/{order.number}/cancel/", {"reason": "客户改期"})

    # then the order is cancelled with the reason, and the stock is released
    assert (done.status_code, done["Location"]) == (302, f"/portal/orders/{order.number}/")
    order.refresh_from_db()
    assert (order.status, order.status_reason, reserved(shop.skus["hood_a"])) == ("cancelled", "客户改期", 0)
    html = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert texts(html, "order-reason") == ["Reason: 客户改期"]
    assert texts(html, "timeline-status") == ["Submitted", "Cancelled"]
    assert 'data-testid="cancel"' not in html


def test_it_lists_the_partners_orders_by_status_with_its_sub_dealers(world, shop, page_client):
    # given two orders of dist_js (one cancelled), one of its sub-dealer and one of dealer_zj
    set_credit(world.sub_js, "10000")
    set_credit(world.dealer_zj, "10000")
    first = place(world, shop, hood_a=1)
    second = place(world, shop, wash_a=1)
    services.cancel_order(order=first, actor=world.dist_admin, reason="重复")
    sub = place(world, shop, partner=world.sub_js, actor=world.sub_admin, hood_b=1)
    place(world, shop, partner=world.dealer_zj, actor=world.zj_admin, hood_b=1)

    # when the distributor lists them, then filters the submitted ones
    client = page_client(world.dist_admin)
    every = client.get("/portal/orders/").content.decode()
    submitted = client.get("/portal/orders/?status=submitted").content.decode()

    # then it sees its own and its sub-dealer's, newest first
    assert texts(every, "order-number") == [sub.number, second.number, first.number]
    assert texts(every, "order-total") == ["CNY 2,000.00", "CNY 3,000.00", "CNY 1,299.00"]
    assert texts(submitted, "order-number") == [sub.number, second.number]
    # and the sub-dealer sees only its own
    mine = page_client(world.sub_admin).get("/portal/orders/").content.decode()
    assert texts(mine, "order-number") == [sub.number]


# --- portal: quick order -------------------------------------------------------------------------


def test_it_prices_quick_order_rows_live_with_availability(world, shop, page_client, settings):
    client = page_client(world.dist_admin)
    shop.skus["hood_b"].barcode = "6900000000028"
    shop.skus["hood_b"].save()

    # when the rows are priced as they are typed (a code in lower case, a barcode)
    response = client.post(
        "/portal/orders/quick/price/", quick_rows(("hood-a", "2"), ("6900000000028", "1")), HTTP_HX_REQUEST="true"
    )

    # then each row shows its SKU, price and availability (bands by default), and the total
    html = response.content.decode()
    assert response.status_code == 200
    assert texts(html, "row-sku") == ["HOOD-A HOOD-A", "HOOD-B HOOD-B"]
    assert texts(html, "row-total") == ["¥2,598.00", "¥2,000.00"]
    assert texts(html, "row-availability") == ["In stock", "In stock"]
    assert texts(html, "quick-total") == ["¥4,598.00"]

    # when the brand shows exact numbers
    settings.STOCK_DISPLAY = "exact"
    html = client.post("/portal/orders/quick/price/", quick_rows(("HOOD-A", "2"))).content.decode()
    assert texts(html, "row-availability") == ["20 available"]


def test_bad_quick_order_rows_show_errors_on_their_row_and_change_nothing(world, shop, page_client):
    client = page_client(world.dist_admin)
    page = client.get("/portal/orders/quick/").content.decode()
    key = key_of(page)

    # when it places rows with an unknown code, a quantity that is not a number and a zero quantity
    response = client.post(
        "/portal/orders/quick/",
        quick_rows(("NOPE-1", "1"), ("HOOD-A", "two"), ("WASH-A", "0"), idempotency_key=key, action="place"),
    )

    # then every error is shown on its row at once (the engine's too), the key is kept, nothing is placed
    html = response.content.decode()
    assert response.status_code == 422
    rows = {
        row: re.findall(r'data-testid="row-error" data-field="(\w+)">([^<]*)<', body)
        for row, body in re.findall(r'data-testid="quick-row" data-row="(\d)"(.*?)</fieldset>', html, re.S)
    }
    assert rows == {
        "0": [("code", "No product has this code or barcode.")],
        "1": [("quantity", "Enter a whole number.")],
        "2": [("quantity", "Enter a quantity of at least 1.")],
        "3": [],
        "4": [],
    }
    assert key_of(html) == key
    assert (Order.objects.count(), reserved(shop.skus["wash_a"])) == (0, 0)

    # when the rows are corrected, the order is placed
    response = client.post(
        "/portal/orders/quick/",
        quick_rows(("HOOD-B", "1"), ("HOOD-A", "2"), ("WASH-A", "1"), idempotency_key=key, action="place"),
    )
    order = Order.objects.get()
    assert (response.status_code, order.total, order.idempotency_key) == (302, 7598, key)


def test_a_distributor_places_a_quick_order_for_its_sub_dealer_once(world, shop, page_client):
    set_credit(world.sub_js, "10000")
    client = page_client(world.dist_admin)
    page = client.get("/portal/orders/quick/").content.decode()
    # the distributor may choose one of its sub-dealers
    assert re.findall(r'<option value="(\d+)"', page.split('id="id_buyer"')[1].split("</select>")[0]) == [
        str(world.dist_js.pk),
        str(world.sub_js.pk),
    ]
    form = quick_rows(("HOOD-A", "1"), idempotency_key=key_of(page), buyer=str(world.sub_js.pk), note="送苏州")

    # when it places the order twice with the same key
    first = client.post("/portal/orders/quick/", form)
    second = client.post("/portal/orders/quick/", form)

    # then one order of sub_js, placed by dist_js
    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/portal/orders/{order.number}/"
    assert (order.partner, order.ordered_by_partner, order.total, order.note) == (
        world.sub_js,
        world.dist_js,
        1299,
        "送苏州",
    )
    # a sub-dealer has no sub-dealers to order for, and cannot order for another partner
    sub_page = page_client(world.sub_admin).get("/portal/orders/quick/").content.decode()
    assert 'id="id_buyer"' not in sub_page
    other = page_client(world.sub_admin).post("/portal/orders/quick/", form | {"buyer": str(world.dealer_zj.pk)})
    assert other.status_code == 404
    assert Order.objects.count() == 1


def test_it_reorders_an_order_into_a_quick_order(world, shop, page_client):
    # given an order of 2 HOOD-A and 1 WASH-A
    order = place(world, shop, hood_a=2, wash_a=1)

    # when the partner reorders it
    html = page_client(world.dist_admin).get(f"/portal/orders/quick/?reorder={order.number}").content.decode()

    # then a quick order is filled with the same lines, priced
    assert re.findall(r'name="code_\d" id="code_\d" value="([^"]*)"', html) == ["HOOD-A", "WASH-A", "", "", ""]
    assert re.findall(r'name="qty_\d" id="qty_\d" value="([^"]*)"', html) == ["2", "1", "", "", ""]
    assert texts(html, "quick-total") == ["¥5,598.00"]


# --- portal: templates -------------------------------------------------------------------------


def test_it_saves_lists_loads_and_deletes_order_templates(world, shop, page_client):
    client = page_client(world.dist_admin)

    # when a quick order is saved as a template without a name, then with one
    rows = quick_rows(("HOOD-A", "2"), ("WASH-A", "1"), action="save")
    refused = client.post("/portal/orders/quick/", rows)
    saved = client.post("/portal/orders/quick/", rows | {"template_name": "每周补货"})

    # then: the name is required; the template holds the lines
    assert refused.status_code == 422 and "Name the template." in refused.content.decode()
    unknown = client.post("/portal/orders/quick/", quick_rows(("NOPE", "1"), action="save", template_name="试"))
    assert unknown.status_code == 422
    assert texts(unknown.content.decode(), "row-error") == ["No product has this code or barcode."]
    assert (saved.status_code, saved["Location"]) == (302, "/portal/orders/templates/")
    template = OrderTemplate.objects.get()
    assert (template.partner, template.name, template.lines) == (
        world.dist_js,
        "每周补货",
        [[shop.skus["hood_a"].pk, 2, ""], [shop.skus["wash_a"].pk, 1, ""]],
    )
    assert Order.objects.count() == 0

    # and: listed, and loaded into a quick order (priced)
    listing = client.get("/portal/orders/templates/").content.decode()
    assert texts(listing, "template-name") == ["每周补货"]
    loaded = client.get(f"/portal/orders/quick/?template={template.pk}").content.decode()
    assert re.findall(r'name="code_\d" id="code_\d" value="([^"]*)"', loaded)[:2] == ["HOOD-A", "WASH-A"]
    assert texts(loaded, "quick-total") == ["¥5,598.00"]

    # another partner can neither load nor delete it
    other = page_client(world.zj_admin)
    assert other.get(f"/portal/orders/quick/?template={template.pk}").status_code == 404
    assert other.post(f"/portal/orders/templates/{template.pk}/delete/").status_code == 404
    assert OrderTemplate.objects.count() == 1

    # when its partner deletes it
    deleted = client.post(f"/portal/orders/templates/{template.pk}/delete/")
    assert (deleted.status_code, OrderTemplate.objects.count()) == (302, 0)


# --- portal: import ------------------------------------------------------------------------------


def workbook(*rows) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("order.xlsx", buffer.getvalue())


def test_it_previews_an_imported_order_with_row_errors_then_places_it(world, shop, page_client):
    client = page_client(world.dist_admin)

    # when a file with a broken row is uploaded
    upload = workbook(("SKU code or barcode", "Quantity", "Unit"), ("HOOD-A", 2, None), ("GHOST-9", 1, None))
    preview = client.post("/portal/orders/import/", {"file": upload})

    # then the rows are shown priced as a quick order, the broken row marked with its row number
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-testid="import-preview"' in html
    assert texts(html, "row-total") == ["¥2,598.00"]
    assert texts(html, "row-error") == ["Row 3: No product has this code or barcode."]
    assert texts(html, "quick-total") == []
    assert Order.objects.count() == 0

    # when the broken row is removed and the order placed
    form = quick_rows(("HOOD-A", "2"), ("", ""), idempotency_key=key_of(html), action="place")
    placed = client.post("/portal/orders/quick/", form)
    order = Order.objects.get()
    assert (placed.status_code, order.total) == (302, 2598)


def test_broken_order_files_get_a_clear_error(world, shop, page_client):
    client = page_client(world.dist_admin)
    cases = [
        (SimpleUploadedFile("order.xlsx", b"not a workbook"), "The file is not a readable .xlsx workbook."),
        (workbook(("product", "count"), ("HOOD-A", 1)), "Required columns are missing: SKU code or barcode, Quantity."),
        (workbook(("数量", "SKU编码/条码")), "The file has a header but no lines."),
        (SimpleUploadedFile("order.pdf", b"%PDF"), "Upload an .xlsx workbook or a .csv file."),
    ]
    for upload, message in cases:
        response = client.post("/portal/orders/import/", {"file": upload})
        assert response.status_code == 422
        assert texts(response.content.decode(), "file-error")[0].startswith(message)
    assert Order.objects.count() == 0


# --- portal: credit ----------------------------------------------------------------------------


def test_it_shows_the_partners_credit_and_the_orders_behind_it(world, shop, page_client):
    # given a credit of 100,000.00 and two open orders (and a cancelled one)
    first = place(world, shop, hood_a=2)
    second = place(world, shop, wash_a=1)
    cancelled = place(world, shop, hood_b=1)
    services.cancel_order(order=cancelled, actor=world.dist_admin, reason="不要了")

    html = page_client(world.dist_staff).get("/portal/credit/").content.decode()

    assert texts(html, "credit-limit") == ["¥100,000.00"]
    assert texts(html, "credit-used") == ["¥5,598.00"]
    assert texts(html, "credit-available") == ["¥94,402.00"]
    assert re.findall(r'data-testid="credit-order" data-number="(\w+)"', html) == [second.number, first.number]
    assert texts(html, "credit-order-total") == ["¥3,000.00", "¥2,598.00"]
    assert "prepayment-balance" not in html  # no prepayment account yet


def test_the_credit_page_shows_the_prepayment_and_what_orders_hold_of_it(world, shop, page_client):
    from qudao.partners import funds

    funds.deposit(partner=world.dist_js, amount="5000", actor=world.finance)
    services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 1}],
        actor=world.dist_admin,
        payment_method="prepayment",
    )
    html = page_client(world.dist_staff).get("/portal/credit/").content.decode()
    assert (texts(html, "prepayment-balance"), texts(html, "prepayment-held"), texts(html, "prepayment-available")) == (
        ["¥5,000.00"],
        ["¥1,299.00"],
        ["¥3,701.00"],
    )


# --- HQ ----------------------------------------------------------------------------------------


def test_hq_lists_orders_in_scope_by_number_partner_and_status(world, shop, page_client):
    set_credit(world.dealer_zj, "10000")
    js = place(world, shop, hood_a=1)
    zj = place(world, shop, partner=world.dealer_zj, actor=world.zj_admin, wash_a=1)

    every = page_client(world.operations).get("/orders/").content.decode()
    assert re.findall(r'data-testid="order-row" data-number="(\w+)"', every) == [zj.number, js.number]
    by_partner = page_client(world.operations).get("/orders/?q=西湖").content.decode()
    assert re.findall(r'data-testid="order-row" data-number="(\w+)"', by_partner) == [zj.number]
    by_number = page_client(world.operations).get(f"/orders/?q={js.number}&status=submitted").content.decode()
    assert re.findall(r'data-testid="order-row" data-number="(\w+)"', by_number) == [js.number]
    by_region = page_client(world.operations).get("/orders/?region=330000").content.decode()
    assert re.findall(r'data-testid="order-row" data-number="(\w+)"', by_region) == [zj.number]
    # a regional manager sees its regions' orders only
    regional = page_client(world.regional_zj).get("/orders/").content.decode()
    assert re.findall(r'data-testid="order-row" data-number="(\w+)"', regional) == [zj.number]
    assert page_client(world.regional_zj).get(f"/orders/{js.number}/").status_code == 404
    assert page_client(world.regional_js).get(f"/orders/{js.number}/").status_code == 200
    # partner users are sent to their portal (list) or told it does not exist (an order)
    assert page_client(world.dist_admin).get("/orders/")["Location"] == "/portal/"
    assert page_client(world.dist_admin).get(f"/orders/{js.number}/").status_code == 404


def test_operations_confirms_rejects_and_cancels_orders_on_the_hq_page(world, shop, page_client):
    first = place(world, shop, hood_a=2)
    second = place(world, shop, wash_a=1)
    ops = page_client(world.operations)

    # the order page: the waterfall of each line, the timeline and operations' buttons
    html = ops.get(f"/orders/{first.number}/").content.decode()
    assert texts(html, "list-price") == ["1,299.00"]
    assert texts(html, "net-unit-price") == ["1,299.00"]
    assert texts(html, "line-total") == ["2,598.00"]
    assert all(f'data-testid="{name}"' in html for name in ("confirm", "reject", "cancel"))
    # finance may look, not act
    finance = page_client(world.finance)
    assert 'data-testid="confirm"' not in finance.get(f"/orders/{first.number}/").content.decode()
    assert finance.post(f"/orders/{first.number}/confirm/").status_code == 403
    # a regional manager outside the region: 404 before any 403
    assert page_client(world.regional_zj).post(f"/orders/{first.number}/confirm/").status_code == 404

    # when operations confirms the first and rejects the second (first without a reason)
    confirmed = ops.post(f"/orders/{first.number}/confirm/")
    no_reason = ops.post(f"/orders/{second.number}/reject/", {"reason": ""})
    rejected = ops.post(f"/orders/{second.number}/reject/", {"reason": "价格有误"})

    # then
    assert (confirmed.status_code, confirmed["Location"]) == (302, f"/orders/{first.number}/")
    assert no_reason.status_code == 422
    assert texts(no_reason.content.decode(), "reject-error") == ["Say why the order is rejected."]
    assert rejected.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.status_reason) == ("confirmed", "rejected", "价格有误")
    assert list(OrderStatusChange.objects.filter(order=first).values_list("to_status", flat=True)) == [
        "submitted",
        "confirmed",
    ]
    # a confirmed order: operations may cancel it (with a reason), not confirm or reject it again
    html = ops.get(f"/orders/{first.number}/").content.decode()
    assert 'data-testid="confirm"' not in html and 'data-testid="reject"' not in html
    assert 'data-testid="cancel"' in html
    cancelled = ops.post(f"/orders/{first.number}/cancel/", {"reason": "缺货"})
    first.refresh_from_db()
    assert (cancelled.status_code, first.status, reserved(shop.skus["hood_a"])) == (302, "cancelled", 0)
    # and the partner sees it in its timeline
    html = page_client(world.dist_admin).get(f"/portal/orders/{first.number}/").content.decode()
    assert texts(html, "timeline-status") == ["Submitted", "Confirmed", "Cancelled"]


def test_the_partner_follows_its_shipments_like_a_parcel(world, shop, page_client):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from qudao.inventory.models import Warehouse
    from qudao.orders import shipping

    # given an order of 2 HOOD-A placed on 2026-11-19, confirmed, allocated and shipped, then in transit
    order = place(world, shop, hood_a=2)
    Order.objects.filter(pk=order.pk).update(submitted_at=timezone.make_aware(datetime(2026, 11, 19, 16, 0)))
    services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    line = order.lines.get()
    shipped_at = timezone.make_aware(datetime(2026, 11, 20, 9, 0))
    shipment = shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(line.pk, 2)],
        carrier="顺丰",
        tracking_number="SF1234567890",
        actor=world.operations,
        shipped_at=shipped_at,
    )
    shipping.add_tracking_event(
        shipment=shipment, status="in_transit", at=shipped_at + timedelta(hours=5), location="南京", actor=None
    )

    # when the partner opens its order
    html = page_client(world.dist_admin).get(f"/portal/orders/{order.number}/").content.decode()

    # then it sees the shipment, its carrier and tracking number, and the tracking timeline
    assert texts(html, "order-status") == ["Shipped"]
    assert texts(html, "shipment-status") == ["In transit"]
    # (the carrier typed as 顺丰 is the known carrier SF, named in the page's language, and its
    # tracking number links to the carrier's tracking page)
    assert texts(html, "shipment-carrier") == ["SF Express"]
    assert texts(html, "tracking-link") == ["SF1234567890"]
    assert texts(html, "tracking-event") == ["Shipped 2026-11-20 09:00 Left 总仓", "In transit 2026-11-20 14:00 · 南京"]
    assert texts(html, "timeline-status") == ["Submitted", "Confirmed", "Allocated", "Shipped"]
