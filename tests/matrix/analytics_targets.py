"""Authorization matrix rows of targets, API and pages. Target plans are HQ records: every HQ role
reads them, channel managers (and admins) write, break down and submit them; partner users get 403
from the API and 404 (record pages) or their portal (lists). A plan's targets follow the scoping
rule inside the answer: a regional manager reads its regions' and partners' targets only (Jiangsu
and dist_js for regional_js, nothing for regional_zj and sales). Partner users read their own
targets at /portal/targets/. Targets use "MX-TG" codes: a draft brand -> Jiangsu -> dist_js, and an
approved plan of payments over dist_js."""

from __future__ import annotations

from tests.test_authorization_matrix import HQ, LOGIN, PARTNER_USERS, PORTAL, PORTAL_PAGE, Case, expect, only

MANAGE = {"admin", "channel"}
HQ_ONLY = expect(200, anonymous=401, partners=403)


def _hq_api(allowed: set[str], ok) -> dict:
    return only({persona: ok for persona in allowed}, 403, 401)


def _hq_page(allowed: set[str], ok, partners=404) -> dict:
    table = {persona: (ok if persona in allowed else 403) for persona in HQ}
    table.update({persona: partners for persona in PARTNER_USERS})
    table["anonymous"] = LOGIN
    return table


def targets(world) -> dict:
    from qudao.analytics import targets as svc
    from qudao.analytics.models import Target
    from qudao.core.models import ApprovalFlow

    js = world.regions["jiangsu"].pk

    def build(code, metric):
        plan = svc.create_plan(
            data={"code": code, "name": "矩阵目标", "year": 2025, "metric": metric, "amount": "1000.00"},
            actor=world.channel,
        )
        svc.break_down(target=svc.brand_target(plan), into="regions", method="even", subjects=[js])
        region = Target.objects.get(plan=plan, subject_key=f"region:{js}")
        svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk])
        return plan

    draft = build("MX-TG", "net_sales_shipped")
    approved = build("MX-TG-OK", "payments")
    flows = ApprovalFlow.objects.filter(subject_kind="target_plan", is_active=True)
    ids = list(flows.values_list("pk", flat=True))
    flows.update(is_active=False)
    svc.submit_plan(plan=approved, actor=world.channel)
    ApprovalFlow.objects.filter(pk__in=ids).update(is_active=True)
    return {"tg_draft": draft.pk, "tg_brand": svc.brand_target(draft).pk, "tg_approved": approved.pk}


def _visible(response, targets) -> str:
    return ",".join(sorted(row["level"] for row in response.json()["targets"])) or "-"


ALL_ROWS = "brand,partner,region"
DETAIL = expect(ALL_ROWS, anonymous=401, partners=403) | {
    "regional_js": "partner,region",
    "regional_zj": "-",
    "sales": "-",
}

API_CASES = [
    Case("GET", "/api/v1/analytics/targets", HQ_ONLY),
    Case(
        "POST",
        "/api/v1/analytics/targets",
        _hq_api(MANAGE, 201),
        body=lambda t: {"code": "MX-TG-NEW", "name": "新目标", "year": 2026, "metric": "payments", "amount": "10.00"},
    ),
    Case("GET", "/api/v1/analytics/targets/{tg_draft}", DETAIL, answer=_visible),
    Case(
        "POST",
        "/api/v1/analytics/targets/{tg_draft}/breakdown",
        _hq_api(MANAGE, 200),
        body=lambda t: {"target": t["tg_brand"], "into": "quarters", "method": "even"},
    ),
    Case(
        "POST", "/api/v1/analytics/targets/{tg_draft}/spread", _hq_api(MANAGE, 200), body=lambda t: {"method": "even"}
    ),
    Case("POST", "/api/v1/analytics/targets/{tg_draft}/roll-up", _hq_api(MANAGE, 200)),
    Case("POST", "/api/v1/analytics/targets/{tg_draft}/submit", _hq_api(MANAGE, 200)),
    Case("POST", "/api/v1/analytics/targets/{tg_approved}/versions", _hq_api(MANAGE, 201)),
]

HQ_LIST = expect(200, anonymous=LOGIN, partners=PORTAL)
HQ_RECORD = _hq_page(set(HQ), 200)
BACK_TO_DRAFT = "analytics/targets/{tg_draft}/"

PAGE_CASES = [
    Case("GET", "analytics/targets/", HQ_LIST, page=True),
    Case("GET", "analytics/targets/new/", _hq_page(MANAGE, 200, partners=PORTAL), page=True),
    Case("GET", "analytics/targets/{tg_draft}/", HQ_RECORD, page=True),
    Case("GET", "analytics/targets/{tg_draft}/export.xlsx", HQ_RECORD, page=True),
    Case("POST", "analytics/targets/{tg_draft}/submit/", _hq_page(MANAGE, BACK_TO_DRAFT), page=True),
    Case("POST", "analytics/targets/{tg_draft}/roll-up/", _hq_page(MANAGE, BACK_TO_DRAFT), page=True),
    Case("POST", "analytics/targets/{tg_draft}/spread/", _hq_page(MANAGE, BACK_TO_DRAFT), page=True),
    # a draft has no next version to write: back to its page with the reason
    Case("POST", "analytics/targets/{tg_draft}/version/", _hq_page(MANAGE, BACK_TO_DRAFT), page=True),
    Case("GET", "analytics/targets/{tg_draft}/targets/{tg_brand}/breakdown/", _hq_page(MANAGE, 200), page=True),
    Case("GET", "portal/targets/", PORTAL_PAGE, page=True),
]
