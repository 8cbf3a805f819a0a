"""Authorization matrix rows of statements (对账单), API and pages: whoever holds finance.view and
sees the partner sees its statements (operations does not hold it: 403); finance and admins
generate months and resolve disputes; only the partner's administrator confirms or disputes;
other partners get 404. Targets ("st_" keys): two statements of dist_js - last month's, issued,
and the month before's, disputed with an open dispute that has an attachment."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PORTAL, PORTAL_PAGE, SEE_DIST, Case, expect, on_dist, only

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
VIEWERS = SEE_DIST - {"operations"}
MANAGERS = {"admin", "finance"}


def targets(world) -> dict:
    from datetime import timedelta
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from qudao.finance import ledger, statements

    last = statements.last_full_month()
    before = (last - timedelta(days=1)).replace(day=1)
    for month, amount in ((before, "1200.00"), (last, "800.00")):
        ledger.post(partner=world.dist_js, book="receivable", kind="invoice", amount=Decimal(amount), occurred_on=month)
    issued = statements.generate_statement(partner=world.dist_js, month=last)
    disputed = statements.generate_statement(partner=world.dist_js, month=before)
    dispute = statements.dispute_statement(
        statement=disputed,
        line_ids=[disputed.lines.first().pk],
        comment="矩阵争议",
        actor=world.dist_admin,
        attachment=SimpleUploadedFile("matrix.png", PNG),
    )
    return {
        "st_month": statements.month_label(last),
        "st_issued_id": issued.pk,
        "st_issued_number": issued.number,
        "st_issued_line": issued.lines.first().pk,
        "st_disputed_number": disputed.number,
        "st_dispute_id": dispute.pk,
    }


VIEW = on_dist(VIEWERS, 200)

API_CASES = [
    Case("GET", "/api/v1/finance/statements", expect(200, anonymous=401, operations=403)),
    Case("GET", "/api/v1/finance/statements/{st_issued_id}", VIEW),
    Case("GET", "/api/v1/finance/statements/{st_issued_id}/download", VIEW, params={"format": "xlsx"}),
    Case(
        "POST",
        "/api/v1/finance/statements/generate",
        only({persona: 202 for persona in MANAGERS}, 403, 401),
        body=lambda t: {"month": t["st_month"]},
    ),
    Case("POST", "/api/v1/finance/statements/{st_issued_id}/confirm", on_dist({"dist_admin"}, 200)),
    Case(
        "POST",
        "/api/v1/finance/statements/{st_issued_id}/disputes",
        on_dist({"dist_admin"}, 201),
        body=lambda t: {"lines": [t["st_issued_line"]], "comment": "矩阵"},
    ),
    Case(
        "POST",
        "/api/v1/finance/statements/disputes/{st_dispute_id}/resolve",
        on_dist(MANAGERS, 200),
        body=lambda t: {"resolution": "矩阵解释"},
    ),
    Case("GET", "/api/v1/finance/statements/disputes/{st_dispute_id}/attachment", VIEW),
]

PORTAL_OWN = PORTAL_PAGE | {"sub_admin": 404, "zj_admin": 404}
PORTAL_DETAIL = "portal/finance/statements/{st_issued_number}/"
# an HQ page of a record: partner users get 404 (hq_page(partner_users="404"))
HQ_RECORD = on_dist(VIEWERS, 200, api=False) | {"dist_admin": 404, "dist_staff": 404}
# finance.manage is checked first: other HQ users get 403 whatever the record
RESOLVE = expect(403, anonymous=LOGIN, partners=404) | {p: "finance/statements/{st_disputed_number}/" for p in MANAGERS}

PAGE_CASES = [
    Case("GET", "finance/statements/", expect(200, anonymous=LOGIN, partners=PORTAL, operations=403), page=True),
    Case(
        "POST",
        "finance/statements/generate/",
        expect(403, anonymous=LOGIN, partners=PORTAL) | {persona: "job" for persona in MANAGERS},
        page=True,
        body=lambda t: {"month": t["st_month"]},
    ),
    Case("GET", "finance/statements/{st_issued_number}/", HQ_RECORD, page=True),
    Case(
        "GET",
        "finance/statements/{st_issued_number}/download/",
        on_dist(VIEWERS, 200, api=False),
        page=True,
        params={"format": "pdf"},
    ),
    Case(
        "POST",
        "finance/statements/{st_issued_number}/rebuild/",
        expect(403, anonymous=LOGIN, partners=404) | {persona: "job" for persona in MANAGERS},
        page=True,
    ),
    Case(
        "POST",
        "finance/statements/disputes/{st_dispute_id}/resolve/",
        RESOLVE,
        page=True,
        body=lambda t: {"resolution": "矩阵解释"},
    ),
    Case("GET", "finance/statements/disputes/{st_dispute_id}/attachment/", on_dist(VIEWERS, 200, api=False), page=True),
    Case("GET", "portal/finance/statements/", PORTAL_PAGE, page=True),
    Case("GET", PORTAL_DETAIL, PORTAL_OWN, page=True),
    Case(
        "POST",
        "portal/finance/statements/{st_issued_number}/confirm/",
        PORTAL_OWN | {"dist_admin": PORTAL_DETAIL, "dist_staff": 403},
        page=True,
    ),
    Case(
        "POST",
        "portal/finance/statements/{st_issued_number}/dispute/",
        PORTAL_OWN | {"dist_admin": PORTAL_DETAIL, "dist_staff": 403},
        page=True,
        body=lambda t: {"lines": [str(t["st_issued_line"])], "comment": "矩阵"},
    ),
]
