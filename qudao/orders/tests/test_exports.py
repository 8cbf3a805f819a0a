"""Exports of the order, shipment and return lists (qudao.core.exports): exact rows and cells,
the scoping rule (a regional manager gets its regions' orders only, a partner its own), the
list's filters, .csv, and a big export as a job with its download for its creator only."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from qudao.core.models import Job
from qudao.core.tests.export_reading import column, csv_of, rows_of, sheet_of
from qudao.inventory.models import Warehouse
from qudao.orders import returns, services, shipping
from qudao.orders.tests.conftest import set_credit

FORMULA = '=HYPERLINK("http://evil.example/","点我")'


@pytest.fixture
def orders(world, shop):
    """dist_js: 2 HOOD-A (2,598.00, note a formula), confirmed, shipped by SF; sub_js: 1 WASH-A
    (3,000.00); dealer_zj: 1 HOOD-B (2,000.00)."""
    set_credit(world.sub_js, "100000")
    set_credit(world.dealer_zj, "100000")
    dist, _ = services.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 2}],
        actor=world.dist_admin,
        note=FORMULA,
    )
    services.confirm_order(order=dist, actor=world.operations)
    shipping.allocate_order(order=dist, actor=world.operations)
    shipping.create_shipment(
        order=dist,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(line.pk, line.quantity) for line in dist.lines.all()],
        carrier="顺丰",
        tracking_number="SF1234567890",
        actor=world.operations,
    )
    sub, _ = services.place_order(
        partner=world.sub_js, lines=[{"sku": shop.skus["wash_a"].pk, "quantity": 1}], actor=world.sub_admin
    )
    zj, _ = services.place_order(
        partner=world.dealer_zj, lines=[{"sku": shop.skus["hood_b"].pk, "quantity": 1}], actor=world.zj_admin
    )
    for order in (dist, sub, zj):
        order.refresh_from_db()
    return {"dist": dist, "sub": sub, "zj": zj}


def test_it_exports_the_hq_order_list_with_exact_cells(world, orders, page_client):
    # given operations, who sees every order
    client = page_client(world.operations)
    # when it exports the order list
    response = client.get("/orders/", {"format": "xlsx"})
    # then the file holds the three orders, newest first, with typed cells
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    rows = rows_of(response)
    assert rows[0] == [
        "Order number",
        "Partner code",
        "Partner",
        "Region",
        "Ordered by",
        "Status",
        "Channel",
        "Payment method",
        "Currency",
        "List total",
        "Total",
        "Paid from the rebate fund",
        "Submitted",
        "Priced on",
        "Note",
    ]
    assert column(rows, "Order number") == [orders["zj"].number, orders["sub"].number, orders["dist"].number]
    dist_row = rows[3]
    assert dist_row[1:3] == [world.dist_js.code, world.dist_js.legal_name]
    assert dist_row[5] == orders["dist"].get_status_display()
    assert dist_row[8:12] == ["CNY", 2598, 2598, 0]
    assert isinstance(dist_row[12], datetime.datetime)
    assert isinstance(dist_row[13], datetime.datetime)  # a date cell (openpyxl reads dates back as datetimes)
    assert dist_row[14] == FORMULA
    sheet = sheet_of(response)
    total, note = sheet.cell(row=4, column=11), sheet.cell(row=4, column=15)
    assert total.number_format == "#,##0.00" and total.data_type == "n"
    assert sheet.cell(row=4, column=13).number_format == "yyyy-mm-dd hh:mm"
    assert sheet.cell(row=4, column=14).number_format == "yyyy-mm-dd"
    assert note.data_type == "s" and note.value == FORMULA  # text, never a formula


def test_it_exports_only_the_orders_the_user_may_see_and_the_list_filters(world, orders, page_client):
    # a regional manager of Jiangsu: dist_js and sub_js, never the Zhejiang dealer
    rows = rows_of(page_client(world.regional_js).get("/orders/", {"format": "xlsx"}))
    assert column(rows, "Order number") == [orders["sub"].number, orders["dist"].number]
    # the list's filters: status, text, region
    operations = page_client(world.operations)
    shipped_status = orders["dist"].status
    rows = rows_of(operations.get("/orders/", {"format": "xlsx", "status": shipped_status}))
    assert column(rows, "Order number") == [orders["dist"].number]
    rows = rows_of(operations.get("/orders/", {"format": "xlsx", "region": "330000"}))
    assert column(rows, "Order number") == [orders["zj"].number]
    rows = rows_of(operations.get("/orders/", {"format": "xlsx", "q": world.sub_js.code, "page": "2"}))
    assert column(rows, "Order number") == [orders["sub"].number]
    # a partner in its portal: its own orders and its sub-dealer's; the independent dealer its own
    rows = rows_of(page_client(world.dist_admin).get("/portal/orders/", {"format": "xlsx"}))
    assert column(rows, "Order number") == [orders["sub"].number, orders["dist"].number]
    rows = rows_of(page_client(world.zj_admin).get("/portal/orders/", {"format": "xlsx"}))
    assert column(rows, "Order number") == [orders["zj"].number]
    # a partner user asking the HQ list is sent to its portal, not given HQ's file
    assert page_client(world.zj_admin).get("/orders/", {"format": "xlsx"}).status_code == 302


def test_it_exports_the_shipments_of_the_listed_orders_and_as_csv(world, orders, page_client):
    # given the shipped order of dist_js
    shipment = orders["dist"].shipments.get()
    # when operations exports the shipments of the order list
    rows = rows_of(page_client(world.operations).get("/orders/", {"format": "xlsx", "export": "shipments"}))
    # then one row, the shipment with its carrier and quantity
    assert rows[0][:4] == ["Shipment number", "Order number", "Partner code", "Partner"]
    assert len(rows) == 2
    assert rows[1][:3] == [shipment.number, orders["dist"].number, world.dist_js.code]
    assert column(rows, "Carrier") == ["顺丰"]
    assert column(rows, "Tracking number") == ["SF1234567890"]
    assert column(rows, "Quantity") == [2]
    # the Zhejiang dealer has no shipment in its portal's file
    rows = rows_of(page_client(world.zj_admin).get("/portal/orders/", {"format": "xlsx", "export": "shipments"}))
    assert len(rows) == 1
    # .csv: a byte order mark, the header, a formula written as text with an apostrophe
    text = csv_of(
        page_client(world.dist_admin).get("/portal/orders/", {"format": "csv", "status": orders["dist"].status})
    )
    lines = text.splitlines()
    assert lines[0].startswith("Order number,Partner code,Partner,Region,")
    assert len(lines) == 2
    assert lines[1].startswith(f"{orders['dist'].number},{world.dist_js.code},")
    assert ",2598.00,2598.00,0.00," in lines[1]
    assert lines[1].endswith(',"\'=HYPERLINK(""http://evil.example/"",""点我"")"')


def test_it_exports_returns_in_scope(world, orders, page_client):
    # given a return of dist_js's shipped order
    shipping.confirm_delivery(order=orders["dist"], actor=world.dist_admin)
    line = orders["dist"].lines.get()
    rma = returns.request_return(
        order=orders["dist"], lines=[(line.pk, 1)], reason="damaged", description="外壳破损", actor=world.dist_admin
    )
    # then HQ and the partner export it; the Zhejiang dealer and its regional manager do not see it
    for client, url in (
        (page_client(world.operations), "/orders/returns/"),
        (page_client(world.dist_admin), "/portal/returns/"),
    ):
        rows = rows_of(client.get(url, {"format": "xlsx"}))
        assert column(rows, "Return number") == [rma.number]
        assert column(rows, "Order number") == [orders["dist"].number]
        assert column(rows, "Reason") == [rma.get_reason_display()]
        assert column(rows, "Quantity") == [1]
        assert column(rows, "Description") == ["外壳破损"]
    assert rows_of(page_client(world.zj_admin).get("/portal/returns/", {"format": "xlsx"}))[1:] == []
    assert rows_of(page_client(world.regional_zj).get("/orders/returns/", {"format": "xlsx"}))[1:] == []
    assert (
        rows_of(page_client(world.operations).get("/orders/returns/", {"format": "xlsx", "status": "rejected"}))[1:]
        == []
    )


@override_settings(EXPORT_INLINE_MAX_ROWS=2)
def test_a_big_export_runs_as_a_job_whose_file_only_its_creator_downloads(
    world, orders, page_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # given a list above the inline limit (three orders, limit two)
    client = page_client(world.operations)
    # when operations exports it
    response = client.get("/orders/", {"format": "xlsx", "status": "", "page": "3"})
    # then an export job ran (immediate mode), and the user is sent to its page
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == Job.Status.SUCCEEDED and job.created_by == world.operations
    assert job.result["rows"] == 3 and job.result["filters"] == {"status": ""}
    assert (job.progress_done, job.progress_total) == (3, 3)
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200 and page.templates[0].name == "core/job.html"
    assert page.context["job_title"] == "Export a list"
    assert f'href="/exports/{job.pk}/download/" data-testid="job-result" download>' in page.content.decode()
    assert page.context["job_result"].label == f"Download {job.result['file_name']}"
    assert "3 rows exported." in page.content.decode()
    # the export's former page leads to the job page
    assert client.get(f"/exports/{job.pk}/")["Location"] == f"/jobs/{job.pk}/"
    download = client.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert column(rows_of(download), "Order number") == [
        orders["zj"].number,
        orders["sub"].number,
        orders["dist"].number,
    ]
    # and nobody else sees the job or its file
    for other in (world.regional_js, world.channel, world.dist_admin):
        assert page_client(other).get(f"/jobs/{job.pk}/").status_code == 404
        assert page_client(other).get(f"/exports/{job.pk}/").status_code == 404
        assert page_client(other).get(f"/exports/{job.pk}/download/").status_code == 404
    # a partner's big export runs in its own scope
    settings.EXPORT_INLINE_MAX_ROWS = 1
    partner_client = page_client(world.dist_admin)
    response = partner_client.get("/portal/orders/", {"format": "csv"})
    job = Job.objects.filter(kind="core.export", created_by=world.dist_admin).get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.result["rows"] == 2
    # and its user follows it in the portal's layout, to the same download
    page = partner_client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200 and page.templates[0].name == "core/job_portal.html"
    html = page.content.decode()
    assert 'data-testid="portal-tabbar"' in html and 'class="mainnav"' not in html
    assert f'href="/exports/{job.pk}/download/"' in html and "2 rows exported." in html
    assert partner_client.get(f"/exports/{job.pk}/download/").status_code == 200


def test_an_export_job_writes_nothing_for_a_user_who_lost_the_list(world, orders, page_client):
    from qudao.core import exports
    from qudao.finance.exports import INVOICES
    from qudao.orders.exports import ORDERS_HQ

    # a user deactivated, or without the list's permission (operations does not see finance), when
    # the worker writes the file: the job fails and there is no file
    world.finance.is_active = False
    world.finance.save()
    job = exports.start_export(world.finance, ORDERS_HQ, {}, "xlsx")
    assert (job.status, job.message) == (Job.Status.FAILED, "The user who asked for this export no longer exists.")
    assert "file" not in (job.result or {})
    job = exports.start_export(world.operations, INVOICES, {}, "csv")
    assert (job.status, job.message) == (Job.Status.FAILED, "You may no longer see this list.")
    client = page_client(world.operations)
    assert client.get(f"/exports/{job.pk}/download/").status_code == 404
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "You may no longer see this list." in page and "/download/" not in page
