"""The report builder's pages and API on the fixed trade (test_store_fixtures.py): the palette
offers only the metrics the user may see, the preview's exact figures in the user's scope, errors
shown beside the palette, saving, a shared report seen by a regional manager (its region only,
gross margin left out), the .xlsx export, pinning to the workbench, filter values, and the API."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from qudao.analytics import reports, store
from qudao.analytics.models import ReportPin, SavedReport
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from . import test_store_fixtures as fixtures

store_dir, trade = fixtures.store_dir, fixtures.trade

YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
BY_PROVINCE = {
    "metrics": ["net_sales", "gross_margin"],
    "rows": ["province"],
    "columns": [],
    "filters": {},
    "period": YEAR,
    "chart": "bar",
}


@pytest.fixture
def built(trade):
    store.rebuild()
    return trade


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shared_report(world) -> SavedReport:
    return reports.save_report(
        world.admin, {"name": "各省销售", "definition": BY_PROVINCE, "shared_roles": ["regional_manager"]}
    )


def test_the_palette_offers_only_the_metrics_the_user_may_see(world):
    admin = page(world.admin).get("/analytics/reports/new/")
    regional = page(world.regional_js).get("/analytics/reports/new/")
    assert admin.status_code == regional.status_code == 200
    assert 'data-testid="rb-metric-gross_margin"' in admin.content.decode()
    assert 'data-testid="rb-metric-gross_margin"' not in regional.content.decode()
    assert 'data-testid="rb-metric-net_sales"' in regional.content.decode()
    assert 'data-testid="rb-dimension-province"' in regional.content.decode()
    # the script is a file of its own (no inline script under the CSP)
    assert "qudao/report_builder.js" in regional.content.decode()


def test_the_preview_shows_the_users_own_scope(built, world):
    definition = json.dumps(BY_PROVINCE | {"metrics": ["net_sales"], "chart": "table"})
    html = page(world.regional_js).post("/analytics/reports/preview/", {"definition": definition}).content.decode()
    assert "Jiangsu" in html and "4,000.00" in html
    assert "Zhejiang" not in html and "2,999.99" not in html
    html = page(world.admin).post("/analytics/reports/preview/", {"definition": definition}).content.decode()
    assert "4,000.00" in html and "2,999.99" in html


def test_the_preview_draws_a_chart_and_a_pivot(built, world):
    chart = json.dumps(BY_PROVINCE | {"metrics": ["net_sales"]})
    html = page(world.admin).post("/analytics/reports/preview/", {"definition": chart}).content.decode()
    assert 'data-testid="chart-report"' in html
    pivot = json.dumps(
        BY_PROVINCE | {"metrics": ["net_sales"], "rows": ["quarter"], "columns": ["province"], "chart": "pivot"}
    )
    html = page(world.admin).post("/analytics/reports/preview/", {"definition": pivot}).content.decode()
    assert 'data-testid="rb-pivot"' in html
    assert "2025-Q1" in html and "4,000.00" in html and "2025-Q2" in html and "2,999.99" in html


def test_errors_are_shown_in_the_users_words(built, world):
    bad = json.dumps(BY_PROVINCE | {"metrics": [], "chart": "pie", "rows": []})
    html = page(world.admin).post("/analytics/reports/preview/", {"definition": bad}).content.decode()
    assert 'data-testid="rb-errors"' in html
    assert "Metrics: Drag at least one metric into the report." in html
    forbidden = json.dumps(BY_PROVINCE)
    html = page(world.sales).post("/analytics/reports/preview/", {"definition": forbidden}).content.decode()
    assert "You may not see the metric “Gross margin”." in html
    with_chinese = Client()
    with_chinese.force_login(world.admin)
    with_chinese.cookies["django_language"] = "zh-hans"
    html = with_chinese.post(
        "/analytics/reports/preview/", {"definition": bad}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert 'data-testid="rb-errors"' in html


def test_saving_and_a_shared_report_seen_by_a_regional_manager(built, world):
    response = page(world.admin).post(
        "/analytics/reports/new/",
        {"name": "各省销售", "definition": json.dumps(BY_PROVINCE), "shared_roles": ["regional_manager"]},
    )
    report = SavedReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/analytics/reports/{report.pk}/"
    assert report.owner == world.admin and report.definition["metrics"] == ["net_sales", "gross_margin"]
    html = page(world.regional_zj).get(f"/analytics/reports/{report.pk}/").content.decode()
    assert "2,999.99" in html and "Zhejiang" in html
    assert "4,000.00" not in html and ">999.99<" not in html  # no gross margin
    assert "Left out, as your role may not see them: Gross margin." in html
    assert page(world.finance).get(f"/analytics/reports/{report.pk}/").status_code == 404  # not shared with finance
    # a viewer cannot change it (its save form makes a copy)
    assert page(world.regional_zj).post(f"/analytics/reports/{report.pk}/", {"name": "x"}).status_code == 404


def test_bad_form_changes_nothing(built, world):
    response = page(world.admin).post(
        "/analytics/reports/new/",
        {"name": "", "definition": json.dumps(BY_PROVINCE), "schedule": "weekly", "schedule_weekday": "³"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="rb-save-errors"' in html and "Give the report a name." in html
    assert SavedReport.objects.count() == 0


def test_export_runs_as_the_viewer(built, world):
    import openpyxl

    report = shared_report(world)
    response = page(world.regional_js).get(f"/analytics/reports/{report.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][0] == "Left out, as your role may not see them: Gross margin."
    assert [row[:2] for row in rows[4:]] == [("Province", "Net sales"), ("Jiangsu", 4000)]


def test_a_pinned_report_shows_on_the_workbench_as_the_user(built, world):
    report = shared_report(world)
    client = page(world.regional_js)
    assert client.post(f"/analytics/reports/{report.pk}/pin/").status_code == 302
    assert ReportPin.objects.filter(user=world.regional_js, report=report).exists()
    html = client.get("/workbench/").content.decode()
    assert 'data-testid="chart-pinned_report_1"' in html
    title = json.dumps("各省销售")[1:-1]  # as json_script writes it
    assert title in html and "Jiangsu" in html and "Zhejiang" not in html
    assert 'data-testid="chart-pinned_report_1"' not in page(world.regional_zj).get("/workbench/").content.decode()
    client.post(f"/analytics/reports/{report.pk}/pin/")  # again: unpinned
    assert not ReportPin.objects.exists()


def test_filter_values_are_in_the_users_scope(built, world):
    def values(user, **params):
        response = page(user).get("/analytics/reports/values/", {"start": "2025-01-01", "end": "2025-12-31"} | params)
        return response.status_code, response.json()

    assert values(world.regional_js, dimension="province") == (200, {"values": [{"key": "320000", "label": "Jiangsu"}]})
    assert values(world.admin, dimension="province")[1]["values"] == [
        {"key": "320000", "label": "Jiangsu"},
        {"key": "330000", "label": "Zhejiang"},
    ]
    assert values(world.regional_zj, dimension="partner") == (
        200,
        {"values": [{"key": world.dealer_zj.code, "label": "西湖家电"}]},
    )
    status, body = values(world.regional_js, dimension="month")
    assert status == 422
    status, body = values(world.regional_js, dimension="province", start="2025-13-01")
    assert status == 422


def api(user) -> Client:
    from qudao.accounts.services import issue_token

    _token, raw = issue_token(user=user, name="reports test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api(built, world):
    admin = api(world.admin)
    body = {"name": "各省销售", "definition": BY_PROVINCE, "shared_roles": ["regional_manager"]}
    created = admin.post("/api/v1/analytics/reports", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    report_id = created.json()["id"]
    assert created.json()["definition"]["rows"] == ["province"]
    result = api(world.regional_zj).get(f"/api/v1/analytics/reports/{report_id}/result")
    assert result.status_code == 200
    assert result.json()["rows"] == [{"province": {"key": "330000", "label": "Zhejiang"}, "net_sales": "2999.99"}]
    assert result.json()["omitted"] == ["Gross margin"]
    assert admin.get(f"/api/v1/analytics/reports/{report_id}/result").json()["rows"][0] == {
        "province": {"key": "320000", "label": "Jiangsu"},
        "net_sales": "4000.00",
        "gross_margin": "1300.00",
    }
    # a metric the caller may not see is refused when saving; bad definitions name the field
    sales = api(world.sales)
    refused = sales.post("/api/v1/analytics/reports", json.dumps(body), content_type="application/json")
    assert refused.status_code == 403
    bad = body | {"definition": BY_PROVINCE | {"chart": "pie", "rows": []}}
    answer = admin.post("/api/v1/analytics/reports", json.dumps(bad), content_type="application/json")
    assert answer.status_code == 422 and "rows" in json.dumps(answer.json())
    huge = body | {"definition": BY_PROVINCE | {"period": {"start": "2025-01-01", "end": "1e30"}}}
    assert admin.post("/api/v1/analytics/reports", json.dumps(huge), content_type="application/json").status_code == 422
    # update and delete: the owner only
    renamed = admin.put(
        f"/api/v1/analytics/reports/{report_id}", json.dumps(body | {"name": "改名"}), content_type="application/json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "改名"
    assert api(world.regional_js).delete(f"/api/v1/analytics/reports/{report_id}").status_code == 403
    assert sales.get(f"/api/v1/analytics/reports/{report_id}").status_code == 404
    assert admin.delete(f"/api/v1/analytics/reports/{report_id}").status_code == 204
    assert SavedReport.objects.count() == 0


def test_a_schedule_saved_from_the_page(world):
    response = page(world.admin).post(
        "/analytics/reports/new/",
        {
            "name": "月报",
            "definition": json.dumps(BY_PROVINCE | {"period": {"relative": "last_month"}}),
            "shared_roles": ["regional_manager"],
            "schedule": "monthly",
            "schedule_day": "1",
            "recipients": [str(world.regional_js.pk), str(world.admin.pk)],
        },
    )
    assert response.status_code == 302
    report = SavedReport.objects.get()
    assert (report.schedule, report.schedule_day, report.schedule_weekday) == ("monthly", 1, None)
    assert set(report.recipients.all()) == {world.regional_js, world.admin}
    assert report.definition["period"] == {"relative": "last_month"}
    # a recipient the report is not shared with is refused at its field
    response = page(world.admin).post(
        f"/analytics/reports/{report.pk}/",
        {
            "name": "月报",
            "definition": json.dumps(BY_PROVINCE),
            "schedule": "monthly",
            "schedule_day": "1",
            "recipients": [str(world.finance.pk)],
        },
    )
    assert response.status_code == 422
    assert "Recipients: Recipients must be users the report is shared with." in response.content.decode()
    report.refresh_from_db()
    assert set(report.recipients.all()) == {world.regional_js, world.admin}


def test_a_filter_on_a_partner_outside_the_viewers_scope(built, world):
    definition = BY_PROVINCE | {"metrics": ["net_sales"], "filters": {"partner": [world.dealer_zj.code]}}
    report = reports.save_report(
        world.admin, {"name": "西湖家电", "definition": definition, "shared_roles": ["regional_manager"]}
    )
    html = page(world.regional_zj).get(f"/analytics/reports/{report.pk}/").content.decode()
    assert "2,999.99" in html
    response = page(world.regional_js).get(f"/analytics/reports/{report.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A filter names a partner outside your scope." in html and "2,999.99" not in html
    assert page(world.regional_js).get(f"/analytics/reports/{report.pk}/export.xlsx").status_code == 302
