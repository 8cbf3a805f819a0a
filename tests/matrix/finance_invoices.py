"""Authorization matrix rows of receivables and the partner ledger, API and pages: whoever holds
finance.view (HQ except operations, and partner users) and sees the partner sees its invoices,
ledger and balances; finance and admins import the ERP's invoices; another partner's record is
404. Targets ("inv_" keys): an ERP invoice of dist_js."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PORTAL, PORTAL_PAGE, SEE_DIST, Case, expect, on_dist, only

VIEWERS = SEE_DIST - {"operations"}
MANAGERS = {"admin", "finance"}


def targets(world) -> dict:
    from qudao.finance import services

    (row,) = services.import_invoices(
        rows=[{"partner": world.dist_js.code, "external_ref": "MX-INV-1", "issued_on": "2026-10-01", "amount": "880"}],
        actor=world.finance,
    )
    return {"inv_id": row["invoice"].pk, "inv_number": row["invoice"].number, "inv_partner_code": world.dist_js.code}


VIEW = on_dist(VIEWERS, 200)
LIST = expect(200, anonymous=401, operations=403)

API_CASES = [
    Case("GET", "/api/v1/finance/invoices", LIST),
    Case("GET", "/api/v1/finance/invoices?overdue=true&status=open", LIST),
    Case(
        "POST",
        "/api/v1/finance/invoices/bulk",
        only({persona: 200 for persona in MANAGERS}, 403, 401),
        body=lambda t: {
            "rows": [
                {
                    "partner": t["inv_partner_code"],
                    "external_ref": "MX-INV-2",
                    "issued_on": "2026-10-02",
                    "amount": "10",
                }
            ]
        },
    ),
    Case("GET", "/api/v1/finance/invoices/{inv_id}", VIEW),
    Case("GET", "/api/v1/finance/aging", LIST),
    Case("GET", "/api/v1/finance/aging?by=region", LIST),
    Case("GET", "/api/v1/partners/{dist_js}/ledger", VIEW),
    Case("GET", "/api/v1/partners/{dist_js}/balances", VIEW),
]

HQ_LIST = expect(200, anonymous=LOGIN, partners=PORTAL, operations=403)
# an HQ page of a record: partner users get 404 (hq_page(partner_users="404"))
HQ_RECORD = on_dist(VIEWERS, 200, api=False) | {"dist_admin": 404, "dist_staff": 404}

PAGE_CASES = [
    Case("GET", "finance/", HQ_LIST, page=True),
    Case("GET", "finance/invoices/", HQ_LIST, page=True),
    Case("GET", "finance/invoices/{inv_number}/", HQ_RECORD, page=True),
    Case("GET", "finance/aging/", HQ_LIST, page=True),
    Case("GET", "portal/finance/", PORTAL_PAGE, page=True),
    Case("GET", "portal/finance/invoices/{inv_number}/", PORTAL_PAGE | {"sub_admin": 404, "zj_admin": 404}, page=True),
]
