"""Authorization matrix rows of the live rebate progress: the partner's own progress (partner
users; HQ must name the partner: 422 without, 404 for one it cannot see), the cart preview (priced
for dist_js: whoever sees dist_js, 404 for everyone else) and the portal progress page. The ids come
from other modules' targets (dist_js, and pricing's SKU with a price for dist_js); the rebates
module's active MX-RB policy over dist_js gives the answers something to show."""

from __future__ import annotations

from tests.test_authorization_matrix import HQ, PORTAL_PAGE, SEE_DIST, Case, expect, on_dist

OWN = expect(200, anonymous=401, **{persona: 422 for persona in HQ})


def _preview(targets) -> dict:
    return {"partner": targets["pricing_dist"], "lines": [{"sku": targets["pricing_sku"], "quantity": 2}]}


API_CASES = [
    Case("GET", "/api/v1/rebates/progress", OWN),
    Case("GET", "/api/v1/rebates/progress?partner={dist_js}", on_dist(SEE_DIST, 200)),
    Case("POST", "/api/v1/rebates/progress/preview", on_dist(SEE_DIST, 200), body=_preview),
]

PAGE_CASES = [
    Case("GET", "portal/rebates/progress/", PORTAL_PAGE, page=True),
]
