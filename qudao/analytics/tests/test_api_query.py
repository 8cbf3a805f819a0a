"""The analytics API: the catalogue of metrics and dimensions per caller and language, figures in
the caller's scope, refusals as problem details."""

from __future__ import annotations

import json

from qudao.analytics import store
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from . import test_store_fixtures as fixtures

store_dir, trade = fixtures.store_dir, fixtures.trade  # the fixtures these tests use


def post(client, body):
    return client.post("/api/v1/analytics/query", json.dumps(body), content_type="application/json")


def test_the_catalogue_lists_what_the_caller_may_use_in_its_language(world, api_client):
    # given a finance user and a partner user reading Chinese
    for user in (world.finance, world.dist_admin):
        user.language = "zh-hans"
        user.save()
    # when
    finance = api_client(world.finance).get("/api/v1/analytics/metrics").json()
    partner = api_client(world.dist_admin).get("/api/v1/analytics/metrics").json()
    # then finance sees gross margin, the partner does not; labels are in the caller's language
    assert "gross_margin" in [metric["code"] for metric in finance["metrics"]]
    assert "gross_margin" not in [metric["code"] for metric in partner["metrics"]]
    assert [metric["code"] for metric in partner["metrics"]][:3] == ["gross_sales", "returns", "net_sales"]
    dimensions = {dimension["code"]: dimension["label"] for dimension in partner["dimensions"]}
    assert (dimensions["province"], dimensions["warehouse"], dimensions["tier"]) == ("省份", "仓库", "等级")


def test_it_answers_figures_in_the_callers_scope(trade, world, api_client):
    # given the store
    store.rebuild()
    body = {"metrics": ["net_sales", "orders"], "dimensions": ["partner"], "start": "2025-01-01", "end": "2025-12-31"}
    # when the Jiangsu regional manager asks by partner
    response = post(api_client(world.regional_js), body)
    # then it gets its two partners only, money as decimal strings
    assert response.status_code == 200
    assert response.json() == {
        "columns": [
            {"code": "partner", "label": "Partner", "kind": "dimension", "format": "text"},
            {"code": "net_sales", "label": "Net sales", "kind": "metric", "format": "money"},
            {"code": "orders", "label": "Orders", "kind": "metric", "format": "count"},
        ],
        "rows": [
            {"partner": {"key": world.dist_js.code, "label": "金陵商贸"}, "net_sales": "3000.00", "orders": 2},
            {"partner": {"key": world.sub_js.code, "label": "姑苏电器"}, "net_sales": "1000.00", "orders": 1},
        ],
    }
    # and by quarter, every quarter of the range is there
    monthly = post(api_client(world.zj_admin), {**body, "dimensions": [], "grain": "quarter"}).json()
    assert [(row["quarter"]["key"], row["net_sales"]) for row in monthly["rows"]] == [
        ("2025-Q1", "0.00"),
        ("2025-Q2", "2999.99"),
        ("2025-Q3", "0.00"),
        ("2025-Q4", "0.00"),
    ]


def test_it_refuses_bad_queries_with_problem_details(trade, world, api_client):
    store.rebuild()
    client = api_client(world.regional_js)
    # a metric the role may not see: 403
    forbidden = post(client, {"metrics": ["gross_margin"], "start": "2025-01-01", "end": "2025-12-31"})
    assert forbidden.status_code == 403
    assert forbidden["Content-Type"].startswith("application/problem+json")
    assert forbidden.json()["detail"] == "You may not see the metric “Gross margin”."
    # unknown names, a reversed range: 422 with the fields
    bad = post(client, {"metrics": ["nope"], "dimensions": ["colour"], "start": "2025-12-31", "end": "2025-01-01"})
    assert bad.status_code == 422
    assert {error["field"]: error["message"] for error in bad.json()["errors"]} == {
        "metrics": "Unknown metric: nope.",
        "dimensions": "Unknown dimension: colour.",
        "end": "The last day is before the first.",
    }
    # too many metrics, a bad grain, an unknown field: refused by the schema
    schema = post(
        client,
        {"metrics": ["net_sales"] * 31, "grain": "hour", "start": "2025-01-01", "end": "2025-01-31", "x": 1},
    )
    assert schema.status_code == 422
    assert {error["field"] for error in schema.json()["errors"]} == {"metrics", "grain", "x"}
    # days out of bounds
    far = post(client, {"metrics": ["receivables"], "grain": "month", "start": "9999-12-01", "end": "9999-12-31"})
    assert far.status_code == 422
    assert far.json()["errors"] == [{"field": "end", "message": "Choose days between 1900 and 2999."}]
    # a year by day is too long
    daily = post(client, {"metrics": ["net_sales"], "grain": "day", "start": "2024-01-01", "end": "2025-12-31"})
    assert daily.status_code == 422
    assert daily.json()["errors"] == [
        {
            "field": "end",
            "message": "The range is too long for daily figures: at most 366 days. Choose a week or a month.",
        }
    ]
