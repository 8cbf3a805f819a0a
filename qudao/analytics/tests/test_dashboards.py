"""The channel dashboards on the fixed trade (test_store_fixtures.py): the exact figures of every
chart and table (through their data functions), the drill from the map to partners and orders,
the pivot and the partners behind a cell, scoping (regional managers), the .xlsx exports, the
workbench KPI cards and the map data."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from qudao.analytics import dashboards, store, workbench_kpis
from qudao.core.errors import FieldErrors
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from . import test_store_fixtures as fixtures

store_dir, trade = fixtures.store_dir, fixtures.trade  # the fixtures these tests use

D = Decimal
YEAR_2025 = dashboards.DashboardFilters(start=date(2025, 1, 1), end=date(2025, 12, 31))
TODAY = date(2026, 12, 8)


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def by_code(table) -> dict:
    return {row["code"]: row for row in table.rows}


def test_filters_parse_bound_and_refuse_bad_input():
    parsed = dashboards.parse_filters({"from": "2025-03", "to": "2025-05", "tier": "gold", "line": "7"}, TODAY)
    assert (parsed.start, parsed.end, parsed.tier, parsed.line) == (date(2025, 3, 1), date(2025, 5, 31), "gold", "7")
    assert parsed.semantic() == {"product_line": ["7"], "tier": ["gold"]}
    assert parsed.semantic(with_line=False) == {"tier": ["gold"]}
    assert dashboards.parse_filters({}, TODAY) == dashboards.DashboardFilters(date(2026, 1, 1), date(2026, 12, 31))
    for params, field in (
        ({"from": "2025-13"}, "from"),
        ({"from": "1e30"}, "from"),
        ({"from": "2025-05", "to": "2025-04"}, "to"),
        ({"from": "2020-01", "to": "2025-01"}, "to"),  # more than 36 months
        ({"tier": "gold' OR 1=1"}, "tier"),
        ({"owner": "x" * 65}, "owner"),
    ):
        with pytest.raises(FieldErrors) as caught:
            dashboards.parse_filters(params, TODAY)
        assert field in caught.value.errors, params


def test_sales_by_month_against_last_year(trade, world):
    store.rebuild()
    table = dashboards.sales_by_month(world.channel, YEAR_2025)
    figures = {row["month"]: (row["net_sales"], row["last_year"], row["growth"]) for row in table.rows}
    assert len(figures) == 12
    assert figures["2025-03"] == (D("4000.00"), D("0.00"), None)  # dist 3 × 1,000 + sub 2 × 500
    assert figures["2025-04"] == (D("-1000.00"), D("0.00"), None)  # the return of 2 April
    assert figures["2025-05"] == (D("2999.99"), D("0.00"), None)
    assert figures["2025-06"] == (D("1000.00"), D("0.00"), None)
    assert figures["2025-01"] == (D("0.00"), D("0.00"), None)
    assert table.option["series"][0]["data"][2] == 4000.0
    # a year later, against 2025: dist_js buys 1 HOOD-A at 1,500.00 in March 2026
    trade.books.sale(world.dist_js, "hood_a", 1, "1500.00", date(2026, 3, 10))
    store.rebuild()
    later = dashboards.sales_by_month(world.channel, dashboards.DashboardFilters(date(2026, 3, 1), date(2026, 4, 30)))
    assert [(r["month"], r["net_sales"], r["last_year"], r["growth"]) for r in later.rows] == [
        ("2026-03", D("1500.00"), D("4000.00"), D("-0.6250")),
        ("2026-04", D("0.00"), D("-1000.00"), D("1.0000")),
    ]


def test_the_map_drills_from_provinces_to_cities_to_partners_and_their_orders(trade, world):
    store.rebuild()
    provinces = dashboards.regions(world.channel, YEAR_2025)
    assert {code: (row["net_sales"], row["share"]) for code, row in by_code(provinces).items()} == {
        "320000": (D("4000.00"), D("0.5714")),
        "330000": (D("2999.99"), D("0.4286")),
    }
    assert [point["code"] for point in provinces.option["data"]] == ["320000", "330000"]
    assert provinces.option["map"] == "china"
    drill = by_code(provinces)["320000"]["url"]
    assert drill.startswith(reverse("analytics:dashboard_regions") + "?") and "province=320000" in drill
    cities = dashboards.regions(world.channel, YEAR_2025, province="320000")
    assert {code: row["net_sales"] for code, row in by_code(cities).items()} == {
        "320100": D("3000.00"),  # Nanjing: dist_js, 3,000 - 1,000 returned + 1,000 in June
        "320500": D("1000.00"),  # Suzhou: sub_js
    }
    assert cities.option["map"] == "320000"
    partners = dashboards.regions(world.channel, YEAR_2025, province="320000", city="320100")
    (only,) = partners.rows
    assert (only["code"], only["net_sales"]) == (world.dist_js.code, D("3000.00"))
    assert only["url"] == reverse("partners:detail", args=[world.dist_js.pk])
    assert only["orders_url"] == reverse("orders:list") + f"?q={world.dist_js.code}"
    # the page: the drill shows the partner and the link to its orders, which lists them
    client = page(world.channel)
    response = client.get(
        reverse("analytics:dashboard_regions"),
        {"from": "2025-01", "to": "2025-12", "province": "320000", "city": "320100"},
    )
    assert response.status_code == 200
    assert only["orders_url"] in response.content.decode()
    orders = client.get(only["orders_url"])
    assert orders.content.decode().count('data-testid="order-row"') == 3  # its March, gift and June orders


def test_line_mix_tiers_ranking_and_dormant_partners(trade, world, catalogue):  # noqa: F811
    store.rebuild()
    lines = dashboards.line_mix(world.channel, YEAR_2025)
    assert [(row["name"], row["net_sales"], row["share"]) for row in lines.rows] == [
        ("油烟机", D("4000.00"), D("0.5714")),
        ("洗衣机", D("2999.99"), D("0.4286")),
    ]
    tiers = dashboards.tier_contribution(world.channel, YEAR_2025)
    # history-correct: dist_js was gold until 15 June (3,000 - 1,000 returned), strategic after
    assert {row["code"]: row["net_sales"] for row in tiers.rows} == {
        "registered": D("2999.99"),
        "gold": D("2000.00"),
        "silver": D("1000.00"),
        "strategic": D("1000.00"),
    }
    assert [row["share"] for row in tiers.rows] == [D("0.4286"), D("0.2857"), D("0.1429"), D("0.1429")]
    # a tier filter narrows every figure; a line filter too
    gold = dashboards.DashboardFilters(date(2025, 1, 1), date(2025, 12, 31), tier="gold")
    assert [row["net_sales"] for row in dashboards.regions(world.channel, gold).rows] == [D("2000.00")]
    # the owner: sales owns dealer_zj
    owned = dashboards.DashboardFilters(date(2025, 1, 1), date(2025, 12, 31), owner=str(world.users["sales"].pk))
    assert [(r["code"], r["net_sales"]) for r in dashboards.regions(world.channel, owned).rows] == [
        ("330000", D("2999.99"))
    ]
    washers = dashboards.DashboardFilters(date(2025, 1, 1), date(2025, 12, 31), line=str(catalogue.lines["washers"].pk))
    assert [r["code"] for r in dashboards.regions(world.channel, washers).rows] == ["330000"]

    trade.books.sale(world.dist_js, "hood_a", 1, "1500.00", date(2026, 3, 10))
    store.rebuild()
    q1 = dashboards.DashboardFilters(date(2026, 1, 1), date(2026, 3, 31))
    ranking = dashboards.partner_ranking(world.channel, q1)
    assert [(r["code"], r["net_sales"], r["last_year"], r["growth"]) for r in ranking.rows] == [
        (world.dist_js.code, D("1500.00"), D("3000.00"), D("-0.5000")),
        (world.sub_js.code, D("0.00"), D("1000.00"), D("-1.0000")),
    ]
    top, bottom = dashboards.top_and_bottom(ranking, 1)
    assert [r["code"] for r in top.rows] == [world.dist_js.code]
    assert [r["code"] for r in bottom.rows] == [world.sub_js.code]
    # dormant at the end of 2025: all three bought before and nothing shipped since September
    dormant = dashboards.dormant(world.channel, YEAR_2025, TODAY)
    assert [row["code"] for row in dormant.rows] == sorted(
        [world.dist_js.code, world.sub_js.code, world.dealer_zj.code]
    )
    # at the end of July (90 days back: 2 May): sub_js last shipped 11 March, dormant; dealer_zj
    # (5 May) and dist_js (20 June) are not
    july = dashboards.DashboardFilters(date(2025, 7, 1), date(2025, 7, 31))
    assert [row["code"] for row in dashboards.dormant(world.channel, july, TODAY).rows] == [world.sub_js.code]
    assert dashboards.attainment(world.channel, YEAR_2025).rows == []  # no targets approved (test_attainment_feeds.py)


def test_pivot_and_the_partners_behind_a_cell(trade, world, catalogue):  # noqa: F811
    store.rebuild()
    hoods, washers = str(catalogue.lines["hoods"].pk), str(catalogue.lines["washers"].pk)
    grid = dashboards.pivot(world.channel, dashboards.DashboardFilters(date(2025, 3, 1), date(2025, 6, 30)))
    assert grid.months == ["2025-03", "2025-04", "2025-05", "2025-06"]
    cells = {
        (row["province"]["key"], row["line"]["key"]): [cell and cell["value"] for cell in row["cells"]]
        for row in grid.rows
    }
    assert cells == {
        ("320000", hoods): [D("4000.00"), D("-1000.00"), None, D("1000.00")],
        ("330000", washers): [None, None, D("2999.99"), None],
    }
    assert grid.totals == [D("4000.00"), D("-1000.00"), D("2999.99"), D("1000.00")]
    assert grid.total == D("6999.99")
    march = grid.rows[0]["cells"][0]["url"]
    assert "province=320000" in march and f"line={hoods}" in march and "month=2025-03" in march
    response = page(world.channel).get(march)
    assert response.status_code == 200
    behind = dashboards.pivot_cell(world.channel, YEAR_2025, "320000", hoods, "2025-03")
    assert [(r["code"], r["net_sales"]) for r in behind.rows] == [
        (world.dist_js.code, D("3000.00")),
        (world.sub_js.code, D("1000.00")),
    ]
    assert world.dist_js.code in response.content.decode() and behind.rows[0]["orders_url"] in response.content.decode()
    with pytest.raises(FieldErrors):
        dashboards.pivot_cell(world.channel, YEAR_2025, "320000", hoods, "2025-13")


def test_a_regional_manager_sees_only_its_regions(trade, world, catalogue):  # noqa: F811
    store.rebuild()
    zj, js = world.regional_zj, world.regional_js
    assert [(r["code"], r["net_sales"]) for r in dashboards.regions(zj, YEAR_2025).rows] == [("330000", D("2999.99"))]
    assert [(r["code"], r["net_sales"]) for r in dashboards.regions(js, YEAR_2025).rows] == [("320000", D("4000.00"))]
    assert dashboards.regions(zj, YEAR_2025, province="320000").rows == []  # another region: nothing
    assert sum(r["net_sales"] for r in dashboards.sales_by_month(zj, YEAR_2025).rows) == D("2999.99")
    assert [r["code"] for r in dashboards.partner_ranking(zj, YEAR_2025).rows] == [world.dealer_zj.code]
    hoods = str(catalogue.lines["hoods"].pk)
    assert dashboards.pivot_cell(zj, YEAR_2025, "320000", hoods, "2025-03").rows == []
    assert [r["code"] for r in dashboards.dormant(zj, YEAR_2025, TODAY).rows] == [world.dealer_zj.code]
    # the page and its export say the same
    client = page(zj)
    body = client.get(reverse("analytics:dashboard"), {"from": "2025-01", "to": "2025-12"}).content.decode()
    assert world.dealer_zj.code in body and world.dist_js.code not in body
    response = client.get(
        reverse("analytics:dashboard"), {"from": "2025-01", "to": "2025-12", "export": "regions", "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    _js, ZJ = _province_names()
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [["330000", ZJ, 2999.99, 1]]


def _province_names():
    from qudao.core.models import Region

    return Region.objects.get(code="320000").display_name, Region.objects.get(code="330000").display_name


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[cell.value for cell in row] for row in workbook.active.iter_rows()]


def test_every_table_exports_to_xlsx(trade, world, catalogue):  # noqa: F811
    store.rebuild()
    client = page(world.channel)
    JS, ZJ = _province_names()
    period = {"from": "2025-01", "to": "2025-12"}
    url = reverse("analytics:dashboard")
    months = _sheet(client.get(url, period | {"export": "sales_by_month", "format": "xlsx"}))
    assert months[0] == ["月份", "净销售额", "去年同期", "变化"] or len(months[0]) == 4
    assert months[3] == ["2025-03", 4000, 0, None]
    regions = _sheet(client.get(url, period | {"export": "regions", "format": "xlsx"}))
    assert regions[1:] == [["320000", JS, 4000, 0.5714], ["330000", ZJ, 2999.99, 0.4286]]
    lines = _sheet(client.get(url, period | {"export": "line_mix", "format": "xlsx"}))
    assert lines[1:] == [["油烟机", 4000, 0.5714], ["洗衣机", 2999.99, 0.4286]]
    tiers = _sheet(client.get(url, period | {"export": "tiers", "format": "xlsx"}))
    assert len(tiers) == 5 and tiers[1][1:] == [2999.99, 0.4286]
    partners = _sheet(client.get(url, period | {"export": "partners", "format": "xlsx"}))
    assert [row[0] for row in partners[1:]] == [world.dist_js.code, world.dealer_zj.code, world.sub_js.code]
    assert partners[1][2:] == [3000, 0, None]
    dormant = _sheet(client.get(url, period | {"export": "dormant", "format": "xlsx"}))
    assert len(dormant) == 4
    pivot = _sheet(client.get(reverse("analytics:pivot"), period | {"export": "pivot", "format": "xlsx"}))
    assert pivot[1:] == [
        [JS, "油烟机", "2025-03", 4000],
        [JS, "油烟机", "2025-04", -1000],
        [JS, "油烟机", "2025-06", 1000],
        [ZJ, "洗衣机", "2025-05", 2999.99],
    ]
    drill = _sheet(
        client.get(
            reverse("analytics:dashboard_regions"),
            period | {"province": "320000", "export": "regions_drill", "format": "xlsx"},
        )
    )
    assert [row[0] for row in drill[1:]] == ["320100", "320500"]
    cell = _sheet(
        client.get(
            reverse("analytics:pivot_cell"),
            period
            | {
                "province": "320000",
                "line": str(catalogue.lines["hoods"].pk),
                "month": "2025-03",
                "export": "pivot_cell",
                "format": "xlsx",
            },
        )
    )
    assert cell[1:] == [[world.dist_js.code, str(world.dist_js), 3000], [world.sub_js.code, str(world.sub_js), 1000]]


def test_pages_render_and_bad_filters_change_nothing(trade, world, monkeypatch):
    store.rebuild()
    client = page(world.channel)
    for name in ("analytics:dashboard", "analytics:pivot", "analytics:roi"):
        assert client.get(reverse(name), {"from": "2025-01", "to": "2025-12"}).status_code == 200
    body = client.get(reverse("analytics:dashboard"), {"from": "2025-99"}).content.decode()
    assert 'data-testid="filter-errors"' in body
    assert 'data-testid="empty-attainment"' in body  # no targets approved
    assert client.get(reverse("analytics:dashboard_regions")).status_code == 404  # no province
    assert client.get(reverse("analytics:dashboard_regions"), {"province": "x"}).status_code == 404
    assert client.get(reverse("analytics:pivot_cell"), {"month": "nope"}).status_code == 404
    # a pivot larger than the semantic layer answers: a message, not an error
    monkeypatch.setattr("qudao.analytics.semantic.MAX_ROWS", 2)
    refused = client.get(reverse("analytics:pivot"), {"from": "2025-01", "to": "2025-12"})
    assert refused.status_code == 200 and 'data-testid="pivot-refused"' in refused.content.decode()
    # the dashboard: the per-partner sections say so, the others still show
    monkeypatch.setattr("qudao.analytics.semantic.MAX_ROWS", 2)
    dashboard = client.get(reverse("analytics:dashboard"), {"from": "2025-01", "to": "2025-12"}).content.decode()
    for section in ("sales_by_month", "tiers", "top_partners", "bottom_partners", "dormant"):  # 3 or more rows
        assert f'data-testid="refused-{section}"' in dashboard, section
    assert dashboard.count('data-testid="row-regions"') == 2


def test_the_map_data_is_served_and_keyed_by_our_province_codes(world):
    from qudao.core.models import Region

    client = page(world.channel)
    china = client.get(reverse("analytics:map", args=["china"])).json()
    codes = {str(feature["id"]) for feature in china["features"]}
    provinces = set(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", flat=True))
    assert provinces <= codes  # every province of ours has its shape, matched by code
    jiangsu = client.get(reverse("analytics:map", args=["320000"])).json()
    cities = {str(feature["id"]) for feature in jiangsu["features"]}
    assert {"320100", "320500"} <= cities
    names = {str(feature["id"]): feature["properties"]["name"] for feature in china["features"]}
    assert Region.objects.get(code="320000").name.startswith(names["320000"])  # 江苏省 / 江苏
    assert client.get("/analytics/maps/999999.json").status_code == 404
    assert client.get("/analytics/maps/world.json").status_code == 404


def test_workbench_kpis_of_this_month_against_last_month_and_last_year(trade, world):
    # "today" 20 June 2025: 1 June to 20 June against 1 to 20 May and June 2024
    store.rebuild()
    sales = workbench_kpis.net_sales_kpi(world.channel, date(2025, 6, 20))
    assert (sales.value, sales.change_month, sales.change_year) == (D("1000.00"), D("-0.6667"), None)
    payments = workbench_kpis.payments_kpi(world.channel, date(2025, 3, 25))
    assert (payments.value, payments.change_month, payments.change_year) == (D("1000.00"), None, None)
    assert workbench_kpis.net_sales_kpi(world.regional_zj, date(2025, 6, 20)).value == D("0.00")
    from qudao.core import workbench

    keys = [row["key"] for row in workbench.kpis_for(world.channel, date(2025, 6, 20))]
    assert "analytics.net_sales" in keys and "analytics.payments_collected" in keys
    charts = {row["key"]: row for row in workbench.charts_for(world.channel, date(2025, 6, 20))}
    assert charts["analytics.sales_by_month"]["option"]["series"][0]["data"][:6] == [
        0.0,
        0.0,
        4000.0,
        -1000.0,
        2999.99,
        1000.0,
    ]
    assert not any(
        row["key"].startswith("analytics.") for row in workbench.kpis_for(world.dist_admin, date(2025, 6, 20))
    )
