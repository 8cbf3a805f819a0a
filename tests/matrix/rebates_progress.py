"""Authorization matrix rows of the live rebate progress: the partner's own progress (partner
users; HQ must name the partner: 422 without, 404 for one it cannot see), the cart preview (priced
for dist_js: whoever sees dist_js, 404 for everyone else) and the portal progress page. The ids come
from other modules' targets (dist_js, and pricing's SKU with a price for dist_js); the rebates
module's active MX-RB policy over dist_js gives the answers something to show. A past period
(?on=) is scoped the same way; HQ's page of a partner's progress (any period) answers whoever sees
dist_js, 404 for the others."""

from __future__ import annotations

from tests.test_authorization_matrix import HQ, LOGIN, PORTAL_PAGE, SEE_DIST, Case, expect, on_dist

OWN = expect(200, anonymous=401, **{persona: 422 for persona in HQ})
# HQ's page of a partner's progress (any period): every HQ role that sees dist_js; partner users 404
HQ_PARTNER_PAGE = expect(200, anonymous=LOGIN, partners=404, regional_zj=404, sales=404)


def _preview(targets) -> dict:
    return {"partner": targets["pricing_dist"], "lines": [{"sku": targets["pricing_sku"], "quantity": 2}]}


API_CASES = [
    Case("GET", "/api/v1/rebates/progress", OWN),
    Case("GET", "/api/v1/rebates/progress?partner={dist_js}", on_dist(SEE_DIST, 200)),
    # a past period (closed, computed as the runs compute it): scoped the same way
    Case("GET", "/api/v1/rebates/progress?partner={dist_js}&on=2025-02-15", on_dist(SEE_DIST, 200)),
    Case("POST", "/api/v1/rebates/progress/preview", on_dist(SEE_DIST, 200), body=_preview),
]

PAGE_CASES = [
    Case("GET", "portal/rebates/progress/", PORTAL_PAGE, page=True),
    Case("GET", "rebates/partners/{dist_js}/progress/", HQ_PARTNER_PAGE, page=True),
]
