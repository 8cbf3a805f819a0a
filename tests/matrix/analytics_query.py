"""Authorization matrix rows of the analytics API: every signed-in persona may ask for figures,
each gets its own scope's (a regional manager its regions, a distributor itself and its
sub-dealer, a dealer itself, sales the partners it owns; a filter naming a partner outside the
scope answers 404); gross margin only for the roles that see
cost prices (403 for the others). Targets: sales of 100.00 (dist_js), 10.00 (sub_js) and 1.00
(dealer_zj) shipped on 10 March 2025, in an analytics store of the matrix's own (a temporary
directory: the matrix world is built once per worker)."""

from __future__ import annotations

from tests.test_authorization_matrix import SEE_DIST, Case, expect, on_dist, only

COST = {"admin", "channel", "finance"}


def targets(world) -> dict:
    import tempfile
    from datetime import date

    from django.conf import settings

    from qudao.analytics import store
    from qudao.pricing.tests.conftest import make_line, make_sku
    from qudao.rebates.tests.conftest import Books

    settings.QUDAO_ANALYTICS_DIR = tempfile.mkdtemp(prefix="qudao-matrix-analytics-")
    sku = make_sku("MX-AN-1", make_line("mx-analytics", "矩阵产品线"))
    books = Books(world, None)
    for partner, price in ((world.dist_js, "100.00"), (world.sub_js, "10.00"), (world.dealer_zj, "1.00")):
        books.sale(partner, sku, 1, price, date(2025, 3, 10))
    store.rebuild()
    return {"an_dist_code": world.dist_js.code}


def _query(metric):
    return lambda targets: {"metrics": [metric], "start": "2025-01-01", "end": "2025-12-31"}


def _net_sales(response, targets):
    return response.json()["rows"][0]["net_sales"]


API_CASES = [
    Case("GET", "/api/v1/analytics/metrics", expect(200, anonymous=401)),
    # each persona's own figures: the answer is its net sales
    Case(
        "POST",
        "/api/v1/analytics/query",
        expect("111.00", anonymous=401)
        | {"regional_js": "110.00", "regional_zj": "1.00", "sales": "1.00"}
        | {"dist_admin": "110.00", "dist_staff": "110.00", "sub_admin": "10.00", "zj_admin": "1.00"},
        body=_query("net_sales"),
        answer=_net_sales,
    ),
    # figures of one partner: another partner's answer 404
    Case(
        "POST",
        "/api/v1/analytics/query",
        on_dist(SEE_DIST, 200),
        body=lambda targets: {**_query("net_sales")(targets), "filters": {"partner": [targets["an_dist_code"]]}},
    ),
    # gross margin: only the roles that see cost prices
    Case(
        "POST",
        "/api/v1/analytics/query",
        only({persona: 200 for persona in COST}, 403, 401),
        body=_query("gross_margin"),
    ),
]
