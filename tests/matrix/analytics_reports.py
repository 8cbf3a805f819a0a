"""Authorization matrix rows of the report builder (pages and API). Target: a report of admin's
(net sales and gross margin of 2025) shared with regional managers and finance. Each viewer runs it
as itself: its own scope's net sales (the sales of 100.00, 10.00 and 1.00 that
tests/matrix/analytics_query.py writes into the matrix's analytics store) and gross margin only for
the roles that see cost prices. Other HQ users get 404, partner users have no reports (403 in the
API, their portal or 404 on pages)."""

from __future__ import annotations

import json

from tests.test_authorization_matrix import HOME, LOGIN, PORTAL, Case, expect, only  # noqa: F401

OWNER = {"admin"}
VIEWERS = {"regional_js", "regional_zj", "finance"}
DEFINITION = {
    "metrics": ["net_sales", "gross_margin"],
    "rows": [],
    "columns": [],
    "filters": {},
    "period": {"start": "2025-01-01", "end": "2025-12-31"},
    "chart": "table",
}


def targets(world) -> dict:
    from qudao.analytics import reports

    report = reports.save_report(
        world.admin, {"name": "矩阵报表", "definition": DEFINITION, "shared_roles": ["regional_manager", "finance"]}
    )
    return {"report_id": report.pk}


def _body(targets):
    return {"name": "矩阵新报表", "definition": {"metrics": ["net_sales"], "period": {"relative": "ytd"}}}


def _result(response, targets):
    row = response.json()["rows"][0]
    return f"{row['net_sales']}{' margin' if 'gross_margin' in row else ''}"


API_ALL = expect(200, anonymous=401, partners=403)
ON_REPORT = only({persona: 200 for persona in OWNER | VIEWERS}, 404, 401) | {
    "dist_admin": 403,
    "dist_staff": 403,
    "sub_admin": 403,
    "zj_admin": 403,
}

API_CASES = [
    Case("GET", "/api/v1/analytics/reports", API_ALL),
    Case("POST", "/api/v1/analytics/reports", expect(201, anonymous=401, partners=403), body=_body),
    Case("GET", "/api/v1/analytics/reports/{report_id}", ON_REPORT),
    Case(
        "PUT",
        "/api/v1/analytics/reports/{report_id}",
        ON_REPORT | {persona: 403 for persona in VIEWERS},
        body=_body,
    ),
    Case(
        "DELETE",
        "/api/v1/analytics/reports/{report_id}",
        ON_REPORT | {"admin": 204} | {persona: 403 for persona in VIEWERS},
    ),
    # each viewer's own figures; gross margin only for those who see cost prices
    Case(
        "GET",
        "/api/v1/analytics/reports/{report_id}/result",
        ON_REPORT
        | {"admin": "111.00 margin", "finance": "111.00 margin", "regional_js": "110.00", "regional_zj": "1.00"},
        answer=_result,
    ),
]

HQ_PAGE = expect(200, anonymous=LOGIN, partners=PORTAL)
REPORT_PAGE = only({persona: 200 for persona in OWNER | VIEWERS}, 404, LOGIN)
BAD_FORM = {"name": "", "definition": json.dumps({"metrics": []})}

PAGE_CASES = [
    Case("GET", "analytics/reports/", HQ_PAGE, page=True),
    Case("GET", "analytics/reports/new/", HQ_PAGE, page=True),
    Case("POST", "analytics/reports/new/", expect(422, anonymous=LOGIN, partners=PORTAL), page=True, params=BAD_FORM),
    Case(
        "POST",
        "analytics/reports/preview/",
        HQ_PAGE,
        page=True,
        params={"definition": json.dumps(DEFINITION | {"metrics": ["net_sales"]})},
    ),
    Case("GET", "analytics/reports/values/", HQ_PAGE, page=True, params={"dimension": "province"}),
    Case("GET", "analytics/reports/{report_id}/", REPORT_PAGE, page=True),
    Case(
        "POST",
        "analytics/reports/{report_id}/",
        REPORT_PAGE | {"admin": 422} | {persona: 404 for persona in VIEWERS},
        page=True,
        params=BAD_FORM,
    ),
    Case("GET", "analytics/reports/{report_id}/export.xlsx", REPORT_PAGE, page=True),
    Case(
        "POST",
        "analytics/reports/{report_id}/pin/",
        REPORT_PAGE | {persona: "analytics/reports/{report_id}/" for persona in OWNER | VIEWERS},
        page=True,
    ),
    Case(
        "POST",
        "analytics/reports/{report_id}/delete/",
        REPORT_PAGE | {"admin": "analytics/reports/"} | {persona: 404 for persona in VIEWERS},
        page=True,
    ),
]
