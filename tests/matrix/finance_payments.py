"""Authorization matrix rows of payments (回款), API and pages: finance (and administrators) book,
confirm, reject, reverse, allocate and import; whoever holds finance.view and sees the partner
reads its payments; partner users announce their own and read them in the portal; another
partner's payment answers 404. Targets use "MX-PAY-": an ERP invoice of dist_js (1,000.00), a
confirmed payment of 1,500.00 (500.00 left, with a second invoice of 800.00 open for it), an
announced payment with a PDF proof, and a preview of a payment file by finance."""

from __future__ import annotations

from tests.test_authorization_matrix import (
    HOME,
    LOGIN,
    PARTNER_USERS,
    PDF,
    PORTAL,
    PORTAL_PAGE,
    Case,
    expect,
    on_dist,
    only,
)

MANAGERS = ("admin", "finance")
VIEWERS = {"admin", "channel", "finance", "regional_js", "dist_admin", "dist_staff"}


def targets(world) -> dict:
    from datetime import date
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from qudao.finance import importing, ledger, payments
    from qudao.finance.models import Book, Invoice, LedgerEntry

    def invoice(number, amount):
        created = Invoice.objects.create(
            number=number,
            partner=world.dist_js,
            source=Invoice.Source.ERP,
            issued_on=date(2026, 9, 1),
            due_on=date(2026, 10, 1),
            amount=Decimal(amount),
        )
        ledger.post(
            partner=world.dist_js,
            book=Book.RECEIVABLE,
            kind=LedgerEntry.Kind.INVOICE,
            amount=Decimal(amount),
            reference=number,
        )
        return created

    first = invoice("MX-PAY-INV-1", "1000.00")
    # allocated by hand: other modules' targets may have left older invoices of dist_js open
    confirmed, _created = payments.record_payment(
        partner=world.dist_js,
        data={"amount": "1500.00", "received_on": "2026-11-20", "bank_reference": "MX-PAY-BK-1"},
        actor=world.finance,
        allocations=[(first, "1000.00")],
    )
    invoice("MX-PAY-INV-2", "800.00")
    announced, _created = payments.announce_payment(
        partner=world.dist_js,
        data={"amount": "300.00", "received_on": "2026-11-21", "bank_reference": "MX-PAY-BK-2"},
        proof=SimpleUploadedFile("slip.pdf", PDF),
        actor=world.dist_admin,
    )
    preview = importing.preview_import(user=world.finance, upload=import_file(None, world.dist_js.code)["file"])
    return {
        "mx_pay_confirmed": confirmed.pk,
        "mx_pay_confirmed_number": confirmed.number,
        "mx_pay_announced": announced.pk,
        "mx_pay_announced_number": announced.number,
        "mx_pay_preview": preview.pk,
        "mx_pay_dist": world.dist_js.pk,
        "mx_pay_dist_code": world.dist_js.code,
    }


def import_file(targets, code=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    code = code or targets["mx_pay_dist_code"]
    text = f"伙伴编码,金额,到账日期,银行流水号\n{code},88.00,2026-11-20,MX-PAY-F1\n"
    return {"file": SimpleUploadedFile("bank.csv", text.encode())}


def proof_form(targets):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "amount": "99.00",
        "received_on": "2026-11-22",
        "bank_reference": "MX-PAY-ANN",
        "proof": SimpleUploadedFile("slip.pdf", PDF),
    }


def managers(status):
    return only({p: status for p in MANAGERS}, 403, 401)


def on_dist_manage(ok):
    """A move on a payment of dist_js: 404 for those who do not see it; 403 for those who see it
    without finance.manage (operations lacks finance.view altogether)."""
    return on_dist(set(MANAGERS), ok)


API_CASES = [
    Case("GET", "/api/v1/finance/payments", expect(200, anonymous=401, operations=403)),
    Case(
        "GET",
        "/api/v1/finance/payments?status=announced&partner={mx_pay_dist}",
        expect(200, anonymous=401, operations=403),
    ),
    Case(
        "POST",
        "/api/v1/finance/payments",
        managers(201),
        body=lambda t: {
            "partner": t["mx_pay_dist"],
            "amount": "200.00",
            "received_on": "2026-11-23",
            "bank_reference": "MX-PAY-NEW",
        },
    ),
    Case(
        "POST",
        "/api/v1/finance/payments/announcements",
        only({p: 201 for p in PARTNER_USERS}, 403, 401),
        body=proof_form,
        multipart=True,
    ),
    Case("GET", "/api/v1/finance/payments/{mx_pay_confirmed}", on_dist(VIEWERS, 200)),
    Case("GET", "/api/v1/finance/payments/{mx_pay_announced}/proof", on_dist(VIEWERS, 200)),
    Case("POST", "/api/v1/finance/payments/{mx_pay_announced}/confirm", on_dist_manage(200), body=lambda t: {}),
    Case(
        "POST",
        "/api/v1/finance/payments/{mx_pay_announced}/reject",
        on_dist_manage(200),
        body=lambda t: {"reason": "矩阵拒绝"},
    ),
    Case(
        "POST",
        "/api/v1/finance/payments/{mx_pay_confirmed}/reverse",
        on_dist_manage(200),
        body=lambda t: {"reason": "矩阵退票"},
    ),
    Case("POST", "/api/v1/finance/payments/{mx_pay_confirmed}/allocations", on_dist_manage(200), body=lambda t: {}),
    Case("POST", "/api/v1/finance/payments/imports", managers(201), body=import_file, multipart=True),
    Case("GET", "/api/v1/finance/payments/imports/{mx_pay_preview}", managers(200)),
    Case("POST", "/api/v1/finance/payments/imports/{mx_pay_preview}/commit", managers(202)),
]

HQ_VIEW = expect(200, anonymous=LOGIN, partners=PORTAL, operations=403)
MANAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200, finance=200)
RECORD = {p: 404 for p in PARTNER_USERS}


def dist_payment_page(ok, allowed=VIEWERS):
    """An HQ page about a payment of dist_js: partner users get 404 (none of their business here)."""
    table = on_dist(set(allowed) - set(PARTNER_USERS), ok, api=False)
    return table | RECORD


PAGE_CASES = [
    Case("GET", "finance/payments/", HQ_VIEW, page=True),
    Case(
        "GET",
        "finance/payments/",
        HQ_VIEW,
        page=True,
        params={"status": "announced", "source": "partner", "partner": "nope", "received_from": "2026-11-01"},
    ),
    Case("GET", "finance/payments/new/", MANAGE, page=True),
    Case("GET", "finance/payments/new/?partner={mx_pay_dist_code}", MANAGE, page=True),
    # no partner: finance is told to enter its code
    Case("POST", "finance/payments/new/", MANAGE | {p: 422 for p in MANAGERS}, page=True),
    Case("GET", "finance/payments/import/", MANAGE, page=True),
    Case("POST", "finance/payments/import/", MANAGE | {p: 422 for p in MANAGERS}, page=True),
    Case("GET", "finance/payments/import/{mx_pay_preview}/", MANAGE | RECORD, page=True),
    Case(
        "POST",
        "finance/payments/import/{mx_pay_preview}/commit/",
        MANAGE | RECORD | {p: "finance/payments/import/{mx_pay_preview}/" for p in MANAGERS},
        page=True,
    ),
    Case("GET", "finance/payments/{mx_pay_confirmed_number}/", dist_payment_page(200), page=True),
    Case(
        "POST",
        "finance/payments/{mx_pay_confirmed_number}/",
        dist_payment_page("finance/payments/{mx_pay_confirmed_number}/", MANAGERS),
        page=True,
        params={"action": "reverse", "reason": "矩阵退票"},
    ),
    Case(
        "POST",
        "finance/payments/{mx_pay_announced_number}/",
        dist_payment_page("finance/payments/{mx_pay_announced_number}/", MANAGERS),
        page=True,
        params={"action": "confirm"},
    ),
    Case("GET", "finance/payments/{mx_pay_announced_number}/proof/", dist_payment_page(200), page=True),
    Case("GET", "portal/finance/payments/", PORTAL_PAGE, page=True),
    Case("GET", "portal/finance/payments/announce/", PORTAL_PAGE, page=True),
    Case(
        "POST",
        "portal/finance/payments/announce/",
        PORTAL_PAGE | {p: "portal/finance/payments/" for p in PARTNER_USERS},
        page=True,
        body=proof_form,
    ),
    Case(
        "GET",
        "portal/finance/payments/{mx_pay_announced_number}/proof/",
        expect(HOME, anonymous=LOGIN, dist_admin=200, dist_staff=200, sub_admin=404, zj_admin=404),
        page=True,
    ),
]
