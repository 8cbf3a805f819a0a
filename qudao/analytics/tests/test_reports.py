"""The report builder's rules on the fixed trade (test_store_fixtures.py): a definition's exact
figures, a shared report run as its viewer (a regional manager sees its regions only, gross margin
left out for roles without cost prices), bad definitions refused, pivots, charts, the .xlsx and the
scheduled e-mail per recipient."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from qudao.analytics import reports, store
from qudao.analytics.models import ReportPin, SavedReport
from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from . import test_store_fixtures as fixtures

store_dir, trade = fixtures.store_dir, fixtures.trade

D = Decimal
YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
TODAY = date(2025, 12, 1)  # a Monday


def definition(**overrides):
    return {
        "metrics": ["net_sales", "gross_margin"],
        "rows": ["province"],
        "columns": [],
        "filters": {},
        "period": YEAR,
        "chart": "table",
    } | overrides


@pytest.fixture
def built(trade):
    store.rebuild()
    return trade


def table(result):
    """{(row labels...): {metric: value}} of a report result."""
    dims = [c["code"] for c in result.result.columns if c["kind"] == "dimension"]
    metrics = [c["code"] for c in result.result.columns if c["kind"] == "metric"]
    return {tuple(row[d]["label"] for d in dims): {m: row[m] for m in metrics} for row in result.result.rows}


def save(user, **data):
    return reports.save_report(user, {"name": "各省销售", "definition": definition()} | data)


def test_a_definitions_figures_by_province(built, world):
    result = reports.run(world.admin, reports.clean_definition(world.admin, definition()), TODAY)
    assert table(result) == {
        ("Jiangsu",): {"net_sales": D("4000.00"), "gross_margin": D("1300.00")},
        ("Zhejiang",): {"net_sales": D("2999.99"), "gross_margin": D("999.99")},
    }
    assert result.omitted == []


def test_a_shared_report_runs_as_the_viewer_regions_and_metrics(built, world):
    report = save(world.admin, shared_roles=["regional_manager"])
    viewer = reports.get_report(world.regional_js, report.pk)
    result = reports.run(world.regional_js, viewer.definition, TODAY)
    # its regions only, and gross margin (cost prices) left out with a note
    assert table(result) == {("Jiangsu",): {"net_sales": D("4000.00")}}
    assert result.omitted == ["Gross margin"]
    assert result.note() == "Left out, as your role may not see them: Gross margin."
    zhejiang = reports.run(world.regional_zj, report.definition, TODAY)
    assert table(zhejiang) == {("Zhejiang",): {"net_sales": D("2999.99")}}
    # the owner still sees everything
    assert table(reports.run(world.admin, report.definition, TODAY))[("Jiangsu",)]["gross_margin"] == D("1300.00")


def test_an_unshared_report_is_not_found_and_only_the_owner_changes_it(built, world):
    report = save(world.admin)
    with pytest.raises(NotFound):
        reports.get_report(world.finance, report.pk)
    with pytest.raises(NotFound):
        reports.get_report(world.dist_admin, report.pk)  # partner users never
    report.shared_roles = ["finance"]
    report.save()
    assert reports.get_report(world.finance, report.pk) == report
    assert list(reports.visible_reports(world.finance)) == [report]
    assert list(reports.visible_reports(world.sales)) == []
    with pytest.raises(Forbidden):
        reports.get_own_report(world.finance, report.pk)
    with pytest.raises(Forbidden):
        reports.save_report(world.finance, {"name": "改", "definition": definition()}, report)


def test_a_metric_the_builder_may_not_see_is_refused(built, world):
    with pytest.raises(Forbidden):
        reports.clean_definition(world.regional_js, definition())
    with pytest.raises(Forbidden):
        reports.run(world.regional_js, reports.clean_definition(world.admin, definition()), TODAY, omit_forbidden=False)
    with pytest.raises(Forbidden):
        save(world.sales)
    assert SavedReport.objects.count() == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"metrics": []}, "metrics"),
        ({"metrics": ["no_such_metric"]}, "metrics"),
        ({"metrics": ["cost_of_sales"]}, "metrics"),  # a building block, not offered
        ({"metrics": "net_sales"}, "metrics"),
        ({"rows": ["province", "province"]}, "rows"),
        ({"rows": ["nowhere"]}, "rows"),
        ({"rows": ["province", "city", "tier"], "columns": ["sku", "partner"]}, "columns"),
        ({"rows": ["province"], "columns": ["province"]}, "columns"),
        ({"rows": ["month", "year"]}, "rows"),
        ({"filters": {"month": ["2025-01"]}}, "filters"),
        ({"filters": {"tier": []}}, "filters"),
        ({"filters": {"tier": ["x" * 65]}}, "filters"),
        ({"filters": {"tier": [1]}}, "filters"),
        ({"period": {"relative": "forever"}}, "period"),
        ({"period": {"start": "2025-02-01", "end": "2025-01-01"}}, "period"),
        ({"period": {"start": "1990-01-01", "end": "2025-01-01"}}, "period"),
        ({"period": {"start": "2025-13-01", "end": "2025-12-31"}}, "period"),
        ({"chart": "radar"}, "chart"),
        ({"chart": "pivot", "columns": []}, "columns"),
        ({"chart": "pie", "rows": []}, "rows"),
        ({"chart": "map", "rows": ["tier"]}, "rows"),
    ],
)
def test_bad_definitions_are_refused_with_the_field(world, bad, field):
    with pytest.raises(FieldErrors) as error:
        reports.clean_definition(world.admin, definition(metrics=["net_sales"]) | bad)
    assert field in error.value.errors


def test_bad_settings_change_nothing(built, world):
    with pytest.raises(FieldErrors) as error:
        reports.save_report(
            world.admin,
            {
                "name": " ",
                "definition": definition(),
                "shared_roles": ["partner_admin"],
                "schedule": "weekly",
                "schedule_weekday": 9,
            },
        )
    assert set(error.value.errors) == {"name", "shared_roles", "schedule_weekday", "recipients"}
    with pytest.raises(FieldErrors) as error:  # a recipient the report is not shared with
        save(world.admin, schedule="monthly", schedule_day=1, recipients=[world.finance.pk])
    assert set(error.value.errors) == {"recipients"}
    assert SavedReport.objects.count() == 0


def test_a_too_large_query_is_refused_clearly(built, world):
    long_daily = definition(metrics=["net_sales"], rows=["day"], period={"start": "2024-01-01", "end": "2025-12-31"})
    with pytest.raises(FieldErrors) as error:
        reports.run(world.admin, reports.clean_definition(world.admin, long_daily), TODAY)
    assert "366" in str(error.value.errors["end"][0])


def test_a_pivot_by_month_and_province(built, world):
    pivot = definition(
        metrics=["net_sales"],
        rows=["month"],
        columns=["province"],
        chart="pivot",
        period={"start": "2025-03-01", "end": "2025-06-30"},
    )
    result = reports.run(world.admin, reports.clean_definition(world.admin, pivot), TODAY)
    assert [column["label"] for column in result.pivot["header"]] == ["Jiangsu", "Zhejiang"]
    assert [(line["labels"], line["cells"]) for line in result.pivot["rows"]] == [
        (["2025-03"], [D("4000.00"), None]),
        (["2025-04"], [D("-1000.00"), None]),
        (["2025-05"], [None, D("2999.99")]),
        (["2025-06"], [D("1000.00"), None]),
    ]


def test_chart_options(built, world):
    bars = definition(metrics=["net_sales"], chart="bar")
    option = reports.chart_option(reports.run(world.admin, reports.clean_definition(world.admin, bars), TODAY))
    assert option["xAxis"]["data"] == ["Jiangsu", "Zhejiang"]
    assert option["series"][0]["type"] == "bar"
    assert option["series"][0]["data"] == [D("4000.00"), D("2999.99")]
    pie = definition(metrics=["net_sales"], rows=["partner"], chart="pie")
    option = reports.chart_option(reports.run(world.regional_js, reports.clean_definition(world.admin, pie), TODAY))
    assert {entry["name"]: entry["value"] for entry in option["series"][0]["data"]} == {
        "金陵商贸": D("3000.00"),
        "姑苏电器": D("1000.00"),
    }


def test_relative_periods():
    today = date(2025, 5, 14)
    assert reports.resolve_period({"relative": "this_month"}, today) == (date(2025, 5, 1), today)
    assert reports.resolve_period({"relative": "last_month"}, today) == (date(2025, 4, 1), date(2025, 4, 30))
    assert reports.resolve_period({"relative": "this_quarter"}, today) == (date(2025, 4, 1), today)
    assert reports.resolve_period({"relative": "last_quarter"}, today) == (date(2025, 1, 1), date(2025, 3, 31))
    assert reports.resolve_period({"relative": "ytd"}, today) == (date(2025, 1, 1), today)
    assert reports.resolve_period({"relative": "last_year"}, today) == (date(2024, 1, 1), date(2024, 12, 31))
    assert reports.resolve_period({"relative": "last_12_months"}, today) == (date(2024, 6, 1), today)
    assert reports.resolve_period({"relative": "last_30_days"}, today) == (date(2025, 4, 15), today)
    january = date(2025, 1, 20)
    assert reports.resolve_period({"relative": "last_quarter"}, january) == (date(2024, 10, 1), date(2024, 12, 31))


def test_pins_show_reports_the_user_may_still_open(built, world):
    report = save(world.admin, shared_roles=["finance"])
    reports.pin(world.finance, report)
    reports.pin(world.finance, report)  # once
    assert reports.pinned_reports(world.finance) == [report]
    with pytest.raises(NotFound):
        reports.pin(world.sales, report)
    report.shared_roles = []
    report.save()
    assert reports.pinned_reports(world.finance) == []
    reports.unpin(world.finance, report)
    assert ReportPin.objects.count() == 0


def _sheet_rows(content: bytes) -> list[tuple]:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    # numbers come back as int or float: compare them as the Decimals they were written from
    return [
        tuple(D(str(cell)) if isinstance(cell, float) else cell for cell in row)
        for row in sheet.iter_rows(values_only=True)
    ]


def test_the_workbook(built, world):
    result = reports.run(world.admin, reports.clean_definition(world.admin, definition()), TODAY)
    rows = _sheet_rows(reports.workbook(result, "各省销售"))
    assert rows[0][0] == "各省销售"
    assert rows[1][:2] == ("Period", "2025-01-01 – 2025-12-31")
    assert rows[3][:3] == ("Province", "Net sales", "Gross margin")
    assert rows[4][:3] == ("Jiangsu", 4000, 1300)
    assert rows[5][:3] == ("Zhejiang", D("2999.99"), D("999.99"))


def test_the_workbook_of_a_pivot(built, world):
    pivot = definition(
        metrics=["net_sales", "units"],
        rows=["quarter"],
        columns=["province"],
        chart="pivot",
        period={"start": "2025-01-01", "end": "2025-06-30"},
    )
    result = reports.run(world.regional_js, reports.clean_definition(world.admin, pivot), TODAY)
    rows = _sheet_rows(reports.workbook(result, "季度透视"))
    assert rows[3:] == [
        ("Quarter", "Jiangsu · Net sales", "Jiangsu · Units"),
        ("2025-Q1", 4000, 5),
        ("2025-Q2", 0, 0),
    ]


def test_an_owner_keeps_at_most_so_many_reports(built, world, monkeypatch):
    monkeypatch.setattr(reports, "MAX_REPORTS", 1)
    save(world.admin)
    with pytest.raises(FieldErrors) as error:
        save(world.admin)
    assert error.value.errors["name"] == ["You have 1 saved reports, the most one may keep. Delete one first."]
    assert SavedReport.objects.count() == 1


def test_scheduled_reports_are_mailed_per_recipient_as_that_recipient(built, world, settings):
    settings.LANGUAGE_CODE = "en"
    report = save(
        world.admin,
        shared_roles=["regional_manager"],
        schedule="weekly",
        schedule_weekday=0,
        recipients=[world.admin.pk, world.regional_js.pk, world.regional_zj.pk],
    )
    assert reports.send_scheduled_reports(date(2025, 12, 2)) == 0  # a Tuesday: not due
    assert reports.send_scheduled_reports(TODAY) == 3
    assert reports.send_scheduled_reports(TODAY) == 0  # once a day
    report.refresh_from_db()
    assert report.last_sent_on == TODAY
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"admin@hq.example.cn", "regional_js@hq.example.cn", "regional_zj@hq.example.cn"}

    def figures(address):
        (name, content, mimetype), *_ = by_recipient[address].attachments
        assert name.endswith(".xlsx")
        return _sheet_rows(content)

    admin = figures("admin@hq.example.cn")
    assert [row[:3] for row in admin[3:]] == [
        ("Province", "Net sales", "Gross margin"),
        ("Jiangsu", 4000, 1300),
        ("Zhejiang", D("2999.99"), D("999.99")),
    ]
    js = figures("regional_js@hq.example.cn")
    assert js[2][0] == "Left out, as your role may not see them: Gross margin."
    assert [row[:2] for row in js[4:]] == [("Province", "Net sales"), ("Jiangsu", 4000)]
    assert "Gross margin" in by_recipient["regional_js@hq.example.cn"].body
    zj = figures("regional_zj@hq.example.cn")
    assert [row[:2] for row in zj[4:]] == [("Province", "Net sales"), ("Zhejiang", D("2999.99"))]
    # a recipient whose role loses the share receives nothing
    mail.outbox.clear()
    SavedReport.objects.filter(pk=report.pk).update(shared_roles=[], last_sent_on=None)
    assert reports.send_scheduled_reports(TODAY) == 1
    assert [message.to for message in mail.outbox] == [["admin@hq.example.cn"]]
