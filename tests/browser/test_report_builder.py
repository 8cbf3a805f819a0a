"""The report builder in a real browser: HQ drags a metric and a dimension into the report (HTML5
drag and drop), picks fixed dates and a bar chart, sees the figures, saves and shares the report
with regional managers and exports it; a regional manager on a 375 px phone opens it and sees its
own region only, and builds one with the + buttons (no dragging). Screenshots at 1440 and 375 px go
to $QUDAO_SCREENSHOTS (default: the test's temporary directory)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.analytics import store
from qudao.analytics.models import SavedReport
from qudao.analytics.tests import test_store_fixtures as fixtures
from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (a fixture)

from .ui import assert_fits_phone, login

store_dir, trade = fixtures.store_dir, fixtures.trade


def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("QUDAO_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cells(page) -> list[list[str]]:
    return page.locator("[data-testid=rb-row]").evaluate_all(
        "rows => rows.map(row => Array.from(row.cells).map(cell => cell.textContent.trim()))"
    )


def test_build_save_share_and_export_a_report(live_server, browser, open_page, world, trade, tmp_path):
    store.rebuild()
    base = live_server.url
    folder = shots(tmp_path)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US", accept_downloads=True)
    desk = context.new_page()
    login(desk, base, "admin", PASSWORD)
    desk.goto(f"{base}/analytics/reports/new/")

    # when admin drags net sales into the metrics and province into the rows, for 2025, as bars
    desk.drag_and_drop("[data-testid=rb-metric-net_sales]", "[data-testid=rb-zone-metrics]")
    desk.drag_and_drop("[data-testid=rb-dimension-province]", "[data-testid=rb-zone-rows]")
    expect(desk.locator("[data-testid=rb-chip-metrics-net_sales]")).to_be_visible()
    expect(desk.locator("[data-testid=rb-chip-rows-province]")).to_be_visible()
    desk.select_option("[data-testid=rb-period-select]", "fixed")
    desk.fill("[data-testid=rb-start]", "2025-01-01")
    desk.fill("[data-testid=rb-end]", "2025-12-31")
    desk.locator("[data-testid=rb-end]").dispatch_event("change")
    expect(desk.locator("[data-testid=rb-row]")).to_have_count(2)
    assert cells(desk) == [["Jiangsu", "4,000.00"], ["Zhejiang", "2,999.99"]]
    desk.select_option("[data-testid=rb-chart-type]", "bar")
    expect(desk.locator("[data-testid=chart-report] svg").first).to_be_visible()
    # a bad definition: the error beside the palette
    desk.select_option("[data-testid=rb-chart-type]", "pivot")
    expect(desk.locator("[data-testid=rb-palette] [data-testid=rb-errors]")).to_contain_text(
        "A pivot table needs a dimension in the columns."
    )
    desk.select_option("[data-testid=rb-chart-type]", "bar")
    expect(desk.locator("[data-testid=chart-report] svg").first).to_be_visible()
    desk.wait_for_timeout(1500)  # ECharts' entry animation, so the screenshot shows the figures
    desk.screenshot(path=str(folder / "report-builder-1440.png"), full_page=True)

    # save, shared with regional managers
    desk.fill("[data-testid=rb-name]", "各省销售")
    desk.check("[data-testid=rb-share-regional_manager]")
    with desk.expect_navigation():
        desk.click("[data-testid=rb-save]")
    report = SavedReport.objects.get()
    assert desk.url.endswith(f"/analytics/reports/{report.pk}/")
    assert report.definition == {
        "metrics": ["net_sales"],
        "rows": ["province"],
        "columns": [],
        "filters": {},
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "chart": "bar",
    }
    assert report.shared_roles == ["regional_manager"]
    expect(desk.locator("[data-testid=rb-chip-rows-province]")).to_be_visible()
    with desk.expect_download() as download_info:
        desk.click("[data-testid=rb-export]")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download_info.value.path(), "rb").read())).active
    assert [row[:2] for row in sheet.iter_rows(min_row=4, values_only=True)] == [
        ("Province", "Net sales"),
        ("Jiangsu", 4000),
        ("Zhejiang", 2999.99),
    ]

    desk.goto(f"{base}/analytics/reports/")
    expect(desk.locator("[data-testid=report-row]")).to_have_count(1)
    expect(desk.locator("[data-testid=report-row]")).to_contain_text("Regional manager")
    desk.screenshot(path=str(folder / "report-list-1440.png"))

    # a regional manager on its phone: the shared report in its own scope
    phone = open_page("phone")
    login(phone, base, "regional_js", PASSWORD)
    phone.goto(f"{base}/analytics/reports/{report.pk}/")
    expect(phone.locator("[data-testid=rb-row]")).to_have_count(1)
    assert cells(phone) == [["Jiangsu", "4,000.00"]]
    expect(phone.locator("[data-testid=rb-shared-by]")).to_be_visible()
    assert_fits_phone(phone)
    phone.wait_for_timeout(1500)
    phone.screenshot(path=str(folder / "report-builder-375.png"), full_page=True)
    # and builds one without dragging: the + buttons
    phone.goto(f"{base}/analytics/reports/new/")
    phone.locator("[data-testid=rb-metric-orders] [data-add=metrics]").click()
    phone.locator("[data-testid=rb-dimension-tier] [data-add=rows]").click()
    expect(phone.locator("[data-testid=rb-chip-rows-tier]")).to_be_visible()
    expect(phone.locator("[data-testid=rb-result]")).to_contain_text(re.compile("No figures|Tier"))
    assert_fits_phone(phone)
    context.close()
