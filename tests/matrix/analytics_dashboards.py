"""Authorization matrix rows of the channel dashboards (qudao/analytics/views_dashboards.py): the
dashboard, its drill by region, the pivot and a cell's partners, and the map data answer every HQ
role (figures in each one's scope); the return on Qudao page answers administrators, channel
managers and finance. Partner users are sent to their portal; anonymous visitors to log in."""

from __future__ import annotations

from tests.test_authorization_matrix import HQ_PAGE, LOGIN, PORTAL, Case, only

ROI_PAGE = only({"admin": 200, "channel": 200, "finance": 200}, 403, LOGIN) | {
    persona: PORTAL for persona in ("dist_admin", "dist_staff", "sub_admin", "zj_admin")
}


def targets(world) -> dict:
    return {"map_name": "china"}


PAGE_CASES = [
    Case("GET", "analytics/dashboard/", HQ_PAGE, page=True),
    Case("GET", "analytics/dashboard/", HQ_PAGE, page=True, params={"export": "regions", "format": "xlsx"}),
    Case("GET", "analytics/dashboard/regions/", HQ_PAGE, page=True, params={"province": "320000", "city": "320100"}),
    Case("GET", "analytics/pivot/", HQ_PAGE, page=True),
    Case("GET", "analytics/pivot/cell/", HQ_PAGE, page=True, params={"province": "320000", "month": "2025-03"}),
    Case("GET", "analytics/roi/", ROI_PAGE, page=True),
    Case("GET", "analytics/maps/{map_name}.json", HQ_PAGE, page=True),
]
