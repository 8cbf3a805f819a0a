"""The workbench registries (qudao.core.workbench), their date helpers, core's own to-dos
(approvals waiting, failed jobs: each count is what its linked list shows), the `{% chart %}` tag,
and ECharts served from node_modules by the app."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils import timezone

from qudao.core import workbench
from qudao.core.models import Job
from qudao.core.staticfinders import NPM_FILES, NpmFinder
from qudao.core.workbench import Chart, Kpi, KpiValue, Todo
from qudao.partners import services


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def clean_registries(monkeypatch):
    """Empty registries for the registry tests (the apps' own entries come back afterwards)."""
    monkeypatch.setattr(workbench, "_todos", {})
    monkeypatch.setattr(workbench, "_kpis", {})
    monkeypatch.setattr(workbench, "_charts", {})


class FakeUser:
    def __init__(self, *permissions):
        self.permissions = set(permissions)

    def can(self, permission):
        return permission in self.permissions


# --- the registries -------------------------------------------------------------------------------


def test_it_orders_to_dos_hides_the_invisible_and_the_empty_and_replaces_by_key(clean_registries):
    workbench.register_todo(Todo("b", "B", "home", lambda user: 2, order=20))
    workbench.register_todo(Todo("a", "A", lambda user: "/a/?status=x", lambda user: 1, order=10))
    workbench.register_todo(Todo("zero", "Zero", "home", lambda user: 0, order=5))
    workbench.register_todo(Todo("secret", "S", "home", lambda user: 9, visible=lambda user: user.can("x")))
    workbench.register_todo(Todo("b", "B again", "home", lambda user: 3, order=30))

    rows = workbench.todos_for(FakeUser())

    assert [(row["key"], row["label"], row["count"], row["url"]) for row in rows] == [
        ("a", "A", 1, "/a/?status=x"),
        ("b", "B again", 3, "/"),
    ]
    assert [row["key"] for row in workbench.todos_for(FakeUser("x"))] == ["a", "b", "secret"]


def test_it_computes_visible_kpis_and_charts_in_order(clean_registries):
    seen = []

    def compute(user, today):
        seen.append(today)
        return KpiValue(7, change_month=Decimal("0.4"))

    workbench.register_kpi(Kpi("late", "Late", compute, order=90))
    workbench.register_kpi(Kpi("none", "Nothing", lambda user, today: None, order=1))
    workbench.register_kpi(Kpi("hidden", "Hidden", compute, visible=lambda user: False))
    workbench.register_chart(Chart("c2", "Two", lambda user, today: {"series": [2]}, order=2))
    workbench.register_chart(Chart("c1", "One", lambda user, today: {"series": [1]}, order=1))
    workbench.register_chart(Chart("empty", "Empty", lambda user, today: {}, order=3))
    today = date(2026, 12, 8)

    kpis = workbench.kpis_for(FakeUser(), today)
    charts = workbench.charts_for(FakeUser(), today)

    assert [(row["key"], row["kpi"].value, row["kpi"].change_month) for row in kpis] == [("late", 7, Decimal("0.4"))]
    assert seen == [today]  # the hidden KPI was never computed
    assert [(row["key"], row["option"]) for row in charts] == [("c1", {"series": [1]}), ("c2", {"series": [2]})]


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(5, 4, Decimal("0.25")), (2, 3, Decimal("-0.3333")), (0, 4, Decimal("-1")), (3, 0, None), (3, None, None)],
)
def test_it_computes_a_change_as_a_fraction_half_up(current, previous, expected):
    assert workbench.change(current, previous) == expected


def test_it_compares_month_to_date_with_the_same_days_last_month_and_last_year():
    assert workbench.month_to_date_periods(date(2026, 3, 31)) == {
        "this": (date(2026, 3, 1), date(2026, 3, 31)),
        "month": (date(2026, 2, 1), date(2026, 2, 28)),
        "year": (date(2025, 3, 1), date(2025, 3, 31)),
    }
    assert workbench.same_day_months_back(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert workbench.same_day_months_back(date(2026, 1, 15), 1) == date(2025, 12, 15)


def test_it_bounds_local_days_in_the_configured_time_zone(settings):
    start, end = workbench.day_bounds(date(2026, 12, 1), date(2026, 12, 8))

    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2026-12-09T00:00:00+08:00")


# --- core's to-dos: exactly what their lists show -------------------------------------------------


def _apply(uscc, seed, **overrides):
    data = {
        "partner_type": "dealer",
        "legal_name": f"工作台测试{seed}有限公司",
        "credit_code": uscc(seed),
        "region": "320500",
        "contact_name": "孙丽",
        "contact_mobile": f"139{seed:08d}",
        "contact_email": f"wb{seed}@example.cn",
    }
    data.update(overrides)
    return services.submit_application(data=data, licence=SimpleUploadedFile("l.pdf", b"%PDF-1.4\n", "application/pdf"))


def _todo(user, key):
    return {row["key"]: row for row in workbench.todos_for(user)}.get(key)


def test_the_approvals_to_do_counts_the_inbox_and_links_to_it(world, page_client, uscc):
    # given two dealer applications (the channel manager decides) and a distributor's in Jiangsu
    # (the Jiangsu regional manager decides first)
    _apply(uscc, 801)
    _apply(uscc, 802)
    _apply(uscc, 803, partner_type="distributor", region="320100")

    # then each approver's to-do counts its inbox, and the inbox it links to shows as many rows
    channel = _todo(world.channel, "core.approvals")
    regional = _todo(world.regional_js, "core.approvals")
    assert (channel["count"], channel["url"]) == (2, "/approvals/?tab=inbox")
    assert regional["count"] == 1
    assert _todo(world.finance, "core.approvals") is None  # nothing waits for finance: no to-do
    for user, todo in ((world.channel, channel), (world.regional_js, regional)):
        page = page_client(user).get(todo["url"])
        assert len(re.findall(r'data-testid="approval-row"', page.content.decode())) == todo["count"]


def test_the_failed_jobs_to_do_counts_the_users_own_and_all_for_an_administrator(world, page_client):
    now = timezone.now()
    for creator, status in [
        (world.channel, Job.Status.FAILED),
        (world.channel, Job.Status.FAILED),
        (world.channel, Job.Status.SUCCEEDED),
        (world.finance, Job.Status.FAILED),
    ]:
        Job.objects.create(kind="finance.statements", created_by=creator, status=status, finished_at=now)

    personas = ("channel", "finance", "admin", "sales")
    counts = {persona: _todo(world.users[persona], "core.failed_jobs") for persona in personas}

    assert {persona: todo and todo["count"] for persona, todo in counts.items()} == {
        "channel": 2,
        "finance": 1,
        "admin": 3,
        "sales": None,
    }
    assert counts["admin"]["url"] == "/jobs/?status=failed"
    for persona in ("channel", "finance", "admin"):
        page = page_client(world.users[persona]).get(counts[persona]["url"]).content.decode()
        assert page.count('data-testid="job-row"') == counts[persona]["count"]
    # the list without the filter shows the channel manager its three jobs, never finance's
    assert page_client(world.channel).get("/jobs/").content.decode().count('data-testid="job-row"') == 3


# --- charts ---------------------------------------------------------------------------------------


def test_the_chart_tag_escapes_the_option_and_loads_only_our_own_scripts():
    option = {"title": {"text": "</script><script>alert(1)</script>"}, "data": [Decimal("1.50")]}
    template = Template("{% load qudao_charts %}{% chart option key='k' title='Sales' %}{% chart_scripts %}")

    html = template.render(Context({"option": option, "csp_nonce": "N0NCE"}))

    assert "</script><script>alert(1)" not in html
    payload = re.search(r'<script type="application/json">(.*?)</script>', html).group(1)
    assert json.loads(payload) == {"title": {"text": "</script><script>alert(1)</script>"}, "data": [1.5]}
    assert 'data-chart data-renderer="svg" data-height="280" data-testid="chart-k" role="img" aria-label="Sales"' in (
        html
    )
    assert re.findall(r'<script src="([^"]+)" defer nonce="N0NCE">', html) == [
        "/static/vendor/echarts/echarts.min.js",
        "/static/qudao/charts.js",
    ]


def test_the_app_serves_echarts_from_node_modules_and_nothing_else_of_it(client, settings):
    path = finders.find("vendor/echarts/echarts.min.js")
    assert path is not None and path.endswith("node_modules/echarts/dist/echarts.min.js")
    assert finders.find("vendor/echarts/echarts.js") is None  # only the files NPM_FILES names
    assert [name for name, _storage in NpmFinder().list(None)] == ["echarts.min.js"]
    assert list(NPM_FILES) == ["vendor/echarts/echarts.min.js"]

    response = client.get("/static/vendor/echarts/echarts.min.js")
    assert response.status_code == 200
    assert b"echarts" in b"".join(response.streaming_content)[:2000]


def test_it_warns_when_npm_install_did_not_run(settings, tmp_path):
    settings.NODE_MODULES_DIR = tmp_path

    warnings = NpmFinder().check()

    assert [warning.id for warning in warnings] == ["qudao.W010"]
    assert "make install" in warnings[0].hint
    assert finders.find("vendor/echarts/echarts.min.js") is None
