"""Exports in a real browser: HQ filters its order list in place (htmx), then "Export Excel"
downloads the filtered rows; a dealer on a 375 px phone downloads its orders as .csv from its portal,
and the page still fits the phone."""

from __future__ import annotations

import io
import re

import openpyxl
from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.orders import services
from qudao.orders.tests.conftest import set_credit, stock
from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (a fixture)

from .ui import assert_fits_phone, login


def test_the_export_follows_the_list_s_filters_and_the_phone_downloads_its_own(
    live_server,
    open_page,
    world,
    catalogue,  # noqa: F811
):
    # given: a submitted order of dist_js and a confirmed one of dealer_zj
    for sku in catalogue.skus.values():
        stock(sku, 20)
    set_credit(world.dist_js, "100000")
    set_credit(world.dealer_zj, "100000")
    js, _ = services.place_order(
        partner=world.dist_js, lines=[{"sku": catalogue.skus["hood_a"].pk, "quantity": 1}], actor=world.dist_admin
    )
    zj, _ = services.place_order(
        partner=world.dealer_zj, lines=[{"sku": catalogue.skus["hood_b"].pk, "quantity": 1}], actor=world.zj_admin
    )
    services.confirm_order(order=zj, actor=world.operations)
    base = live_server.url
    desk = open_page("desktop")
    login(desk, base, "operations", PASSWORD)
    desk.goto(f"{base}/orders/")
    expect(desk.locator("[data-testid=order-row]")).to_have_count(2)
    # when operations filters the confirmed orders in place, then exports
    desk.select_option("#order-status", "confirmed")
    expect(desk.locator("[data-testid=order-row]")).to_have_count(1)
    with desk.expect_download() as download_info:
        desk.click("[data-testid=export-xlsx]")
    download = download_info.value
    # then the file holds the filtered list only
    assert download.suggested_filename.startswith("orders-") and download.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [zj.number]

    # a dealer on its phone: its own orders as .csv, and the list fits the screen
    phone = open_page("phone")
    login(phone, base, "zj_admin", PASSWORD)
    phone.goto(f"{base}/portal/orders/")
    assert_fits_phone(phone)
    with phone.expect_download() as download_info:
        phone.click("[data-testid=export-csv]")
    text = open(download_info.value.path(), "rb").read().decode("utf-8-sig")
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == [zj.number]
    assert js.number not in text


def test_a_big_export_on_the_phone_is_followed_on_the_portal_s_job_page_to_its_file(
    live_server,
    open_page,
    world,
    catalogue,  # noqa: F811
    settings,
    tmp_path,
):
    # given: a dealer's orders above the inline limit (one order, limit zero): a job writes the file
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 0
    for sku in catalogue.skus.values():
        stock(sku, 20)
    set_credit(world.dealer_zj, "100000")
    zj, _ = services.place_order(
        partner=world.dealer_zj, lines=[{"sku": catalogue.skus["hood_b"].pk, "quantity": 1}], actor=world.zj_admin
    )
    base = live_server.url
    phone = open_page("phone")
    login(phone, base, "zj_admin", PASSWORD)
    phone.goto(f"{base}/portal/orders/")
    # when it exports its orders as .csv
    phone.click("[data-testid=export-csv]")
    # then it follows the job in the portal's layout (its tab bar, no HQ menu) on the phone
    expect(phone).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(phone.locator("[data-testid=job-state]")).to_be_visible()
    expect(phone.locator("[data-testid=portal-tabbar]")).to_be_visible()
    assert phone.locator("nav.mainnav").count() == 0
    assert_fits_phone(phone)
    # and the job ends with its file
    with phone.expect_download() as download_info:
        phone.click("[data-testid=job-result]")
    text = open(download_info.value.path(), "rb").read().decode("utf-8-sig")
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == [zj.number]
