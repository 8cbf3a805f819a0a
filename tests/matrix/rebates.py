"""Authorization matrix rows of rebates, API and pages. Policies and runs are HQ records: every HQ
role reads them, channel managers (and admins) write policies, finance (and admins) approve and
post runs, channel managers may also compute previews; partner users get 403 from the API and 404
(record pages) or their portal (lists). Rebate lines follow the scoping rule: dist_js's posted line
is seen by whoever sees dist_js, 404 for everyone else. Targets use "MX-RB" codes: an active policy
over dist_js with a posted run (Q1 2025), an approved run (Q3) and a preview (Q2), and a draft; and a
manual rebate fund deposit of dist_js waiting for approval (HQ records: finance and administrators
enter them, HQ who see dist_js read them)."""

from __future__ import annotations

from tests.test_authorization_matrix import (
    HOME,
    HQ,
    LOGIN,
    PARTNER_USERS,
    PORTAL,
    PORTAL_PAGE,
    SEE_DIST,
    Case,
    expect,
    on_dist,
    only,
)

MANAGE = {"admin", "channel"}
SETTLE = {"admin", "finance"}
COMPUTE = MANAGE | SETTLE
HQ_ONLY = expect(200, anonymous=401, partners=403)
# about dist_js, HQ only: those who do not see dist_js 404, partner users 403 (HQ records), the rest 403
DEPOSIT_API = expect(403, anonymous=401, regional_zj=404, sales=404)


def _hq_api(allowed: set[str], ok) -> dict:
    return only({persona: ok for persona in allowed}, 403, 401)


def _hq_page(allowed: set[str], ok, partners=404) -> dict:
    table = {persona: (ok if persona in allowed else 403) for persona in HQ}
    table.update({persona: partners for persona in PARTNER_USERS})
    table["anonymous"] = LOGIN
    return table


def targets(world) -> dict:
    from qudao.rebates import runs, services

    common = {
        "name": "矩阵返利",
        "basis": "net_sales_shipped",
        "period_kind": "quarter",
        "tier_style": "retrospective",
        "effective_from": "2025-01-01",
        "target_partners": [world.dist_js.code],
        "tiers": [{"lower_bound": "0", "value": "1"}, {"lower_bound": "100000", "value": "2"}],
    }
    active = services.create_policy(data={**common, "code": "MX-RB"}, actor=world.channel)
    active = services.activate_policy(policy=active, actor=world.channel)
    draft = services.create_policy(data={**common, "code": "MX-RB-DRAFT"}, actor=world.channel)
    wide = services.create_policy(
        data={**common, "code": "MX-RB-WIDE", "target_partners": [world.dist_js.code, world.dealer_zj.code]},
        actor=world.channel,
    )
    posted = runs.compute_run(policy=active, period="2025-02-01", kind="final", actor=world.finance)
    runs.approve_run(run=posted, actor=world.finance)
    runs.post_run(run=posted, actor=world.finance)
    approved = runs.compute_run(policy=active, period="2025-08-01", kind="final", actor=world.finance)
    runs.approve_run(run=approved, actor=world.finance)
    preview = runs.compute_run(policy=active, period="2025-05-01", kind="final", actor=world.finance)
    from qudao.rebates import deposits

    deposit = deposits.request_deposit(
        partner=world.dist_js, data={"kind": "goodwill", "amount": "100.00", "reason": "矩阵补偿"}, actor=world.finance
    )
    return {
        "rb_deposit": deposit.pk,
        "rb_active_policy": active.pk,
        "rb_draft_policy": draft.pk,
        "rb_wide_policy": wide.pk,
        "rb_dist_code": world.dist_js.code,
        "rb_zj_code": world.dealer_zj.code,
        "rb_posted_run": posted.pk,
        "rb_posted_number": posted.number,
        "rb_approved_run": approved.pk,
        "rb_approved_number": approved.number,
        "rb_preview_run": preview.pk,
        "rb_preview_number": preview.number,
        "rb_line": posted.lines.get(partner=world.dist_js).pk,
    }


def _policy_body(targets):
    return {
        "code": "MX-RB-NEW",
        "name": "矩阵新政策",
        "basis": "payments",
        "period_kind": "month",
        "tier_style": "marginal",
        "effective_from": "2025-01-01",
        "target_tiers": ["gold"],
        "tiers": [{"lower_bound": "0", "value": "1"}],
    }


API_CASES = [
    Case("GET", "/api/v1/rebates/policies", HQ_ONLY),
    Case("POST", "/api/v1/rebates/policies", _hq_api(MANAGE, 201), body=_policy_body),
    Case("GET", "/api/v1/rebates/policies/{rb_draft_policy}", HQ_ONLY),
    # a policy's target partners: only those in the reader's scope, the others counted
    Case(
        "GET",
        "/api/v1/rebates/policies/{rb_wide_policy}",
        expect("{rb_dist_code},{rb_zj_code} +0", anonymous=401, partners=403)
        | {"regional_js": "{rb_dist_code} +1", "regional_zj": "{rb_zj_code} +1", "sales": "{rb_zj_code} +1"},
        answer=lambda response, targets: (
            f"{','.join(response.json()['target_partners'])} +{response.json()['target_partners_hidden']}"
        ),
    ),
    Case("PATCH", "/api/v1/rebates/policies/{rb_draft_policy}", _hq_api(MANAGE, 200), body=lambda t: {"name": "改"}),
    Case("POST", "/api/v1/rebates/policies/{rb_draft_policy}/submit", _hq_api(MANAGE, 200)),
    Case("POST", "/api/v1/rebates/policies/{rb_active_policy}/versions", _hq_api(MANAGE, 201)),
    Case("GET", "/api/v1/rebates/runs", HQ_ONLY),
    Case(
        "POST",
        "/api/v1/rebates/runs",
        _hq_api(COMPUTE, 202),
        body=lambda t: {"policy": t["rb_active_policy"], "period": "2025-02-01", "kind": "final"},
    ),
    Case("GET", "/api/v1/rebates/runs/{rb_preview_run}", HQ_ONLY),
    Case("POST", "/api/v1/rebates/runs/{rb_preview_run}/approve", _hq_api(SETTLE, 200)),
    Case("POST", "/api/v1/rebates/runs/{rb_approved_run}/post", _hq_api(SETTLE, 202)),
    Case("GET", "/api/v1/rebates/runs/{rb_posted_run}/lines", HQ_ONLY),
    Case("GET", "/api/v1/rebates/lines", expect(200, anonymous=401)),
    Case("GET", "/api/v1/rebates/lines/{rb_line}", on_dist(SEE_DIST, 200)),
    Case("GET", "/api/v1/rebates/lines/{rb_line}/sources", on_dist(SEE_DIST, 200)),
    # a partner's rebate statement: whoever sees the partner (its own users included)
    Case("GET", "/api/v1/partners/{dist_js}/rebate-statement", on_dist(SEE_DIST, 200)),
    # manual rebate fund deposits: HQ records (partner users 403), by the partner's scope (404);
    # entered by finance and administrators
    Case("GET", "/api/v1/rebates/fund-deposits", HQ_ONLY),
    Case(
        "POST",
        "/api/v1/rebates/fund-deposits",
        DEPOSIT_API | {persona: 201 for persona in SETTLE},
        body=lambda t: {"partner": t["dist_js"], "kind": "goodwill", "amount": "50.00", "reason": "矩阵"},
    ),
    Case("GET", "/api/v1/rebates/fund-deposits/{rb_deposit}", DEPOSIT_API | {p: 200 for p in SEE_DIST & set(HQ)}),
]

HQ_LIST = expect(200, anonymous=LOGIN, partners=PORTAL)
HQ_RECORD = _hq_page(set(HQ), 200)
LINE_PAGE = HQ_RECORD | {"regional_zj": 404, "sales": 404}

PAGE_CASES = [
    Case("GET", "rebates/policies/", HQ_LIST, page=True),
    Case("GET", "rebates/policies/new/", _hq_page(MANAGE, 200, partners=PORTAL), page=True),
    # the policy form's live preview (htmx): those who write policies; it writes nothing
    Case(
        "POST",
        "rebates/policies/preview/",
        _hq_page(MANAGE, 200),
        page=True,
        body=lambda t: {
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "marginal",
            "target_partners": t["rb_dist_code"],
            "max_overdue_days": "30",
            "tier_lower_0": "0",
            "tier_value_0": "1",
            "tier_lower_1": "100000",
            "tier_value_1": "2",
        },
    ),
    Case("GET", "rebates/policies/{rb_draft_policy}/", HQ_RECORD, page=True),
    Case("GET", "rebates/policies/{rb_draft_policy}/edit/", _hq_page(MANAGE, 200), page=True),
    Case(
        "POST",
        "rebates/policies/{rb_draft_policy}/submit/",
        _hq_page(MANAGE, "rebates/policies/{rb_draft_policy}/"),
        page=True,
    ),
    # the draft has no next version to write: back to its page with the reason
    Case(
        "POST",
        "rebates/policies/{rb_draft_policy}/version/",
        _hq_page(MANAGE, "rebates/policies/{rb_draft_policy}/"),
        page=True,
    ),
    Case("GET", "rebates/runs/", HQ_LIST, page=True),
    Case("GET", "rebates/runs/new/", _hq_page(COMPUTE, 200, partners=PORTAL), page=True),
    Case("GET", "rebates/runs/{rb_preview_number}/", HQ_RECORD, page=True),
    Case(
        "POST",
        "rebates/runs/{rb_preview_number}/approve/",
        _hq_page(SETTLE, "rebates/runs/{rb_preview_number}/"),
        page=True,
    ),
    Case(
        "POST",
        "rebates/runs/{rb_approved_number}/post/",
        _hq_page(SETTLE, "rebates/runs/{rb_approved_number}/"),
        page=True,
    ),
    Case("GET", "rebates/runs/{rb_posted_number}/lines/{rb_line}/", LINE_PAGE, page=True),
    Case("GET", "portal/rebates/", PORTAL_PAGE, page=True),
    Case("GET", "portal/rebates/statement/", PORTAL_PAGE, page=True),
    Case(
        "GET",
        "rebates/partners/{dist_js}/statement/",
        HQ_RECORD | {"regional_zj": 404, "sales": 404},
        page=True,
    ),
    # a partner's rebate fund and manual deposits: read by HQ who see the partner, entered by finance
    Case("GET", "rebates/partners/{dist_js}/fund/", HQ_RECORD | {"regional_zj": 404, "sales": 404}, page=True),
    Case(
        "POST",
        "rebates/partners/{dist_js}/fund/",
        _hq_page(SETTLE, "rebates/partners/{dist_js}/fund/") | {"regional_zj": 404, "sales": 404},
        page=True,
        body=lambda t: {"kind": "goodwill", "amount": "50.00", "reason": "矩阵"},
    ),
    Case(
        "GET",
        "portal/rebates/{rb_line}/",
        expect(HOME, anonymous=LOGIN, dist_admin=200, dist_staff=200, sub_admin=404, zj_admin=404),
        page=True,
    ),
]
