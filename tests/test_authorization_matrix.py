"""The authorization matrix: every API operation and every page, requested by every persona,
answers exactly the status this table says. Another partner's record answers 404.

Two meta-tests keep the table complete: every route of the API (from the OpenAPI document) and
every page URL pattern must have a row here, so a new endpoint fails CI until its row is written.

Each persona's request runs inside a savepoint that is rolled back, so every persona meets the
same world; a denied request must also leave no audit row and no outbox event behind.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from conftest import build_world, valid_uscc
from qudao.accounts.services import issue_token
from qudao.core import approvals
from qudao.core.models import ApprovalFlow, Notification, ObjectChange, OutboxEvent
from qudao.partners import services
from qudao.partners.models import PartnerContact, Tier

ANON = "anonymous"
HQ = ("admin", "channel", "regional_js", "regional_zj", "finance", "operations", "sales")
PARTNER_USERS = ("dist_admin", "dist_staff", "sub_admin", "zj_admin")
PERSONAS = (ANON, *HQ, *PARTNER_USERS)
SEE_DIST = {"admin", "channel", "finance", "operations", "regional_js", "dist_admin", "dist_staff"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LOGIN = "login"  # a page redirect to the log-in page
PORTAL = "portal"  # a page redirect to the partner portal
HOME = "home"  # a page redirect to /


def expect(default, anonymous=None, **overrides) -> dict[str, object]:
    """Expected answer per persona: `default` for everyone, then overrides by persona, or by
    group with the keys hq=, partners=."""
    table = {persona: default for persona in PERSONAS}
    table[ANON] = anonymous if anonymous is not None else default
    for key, value in overrides.items():
        group = {"hq": HQ, "partners": PARTNER_USERS}.get(key, (key,))
        for persona in group:
            table[persona] = value
    return table


def only(allowed: dict[str, object], otherwise, anonymous) -> dict[str, object]:
    table = {persona: otherwise for persona in PERSONAS}
    table[ANON] = anonymous
    table.update(allowed)
    return table


def on_dist(allowed: set[str], ok, denied=403, api=True) -> dict[str, object]:
    """A request about dist_js: those who cannot see it get 404; those who see it but lack the
    right get `denied`; `allowed` get `ok`."""
    table = {ANON: 401 if api else LOGIN}
    for persona in PERSONAS[1:]:
        if persona not in SEE_DIST:
            table[persona] = 404
        else:
            table[persona] = ok if persona in allowed else denied
    return table


@dataclass
class Case:
    method: str
    route: str  # the route as the API or URLconf names it, with {placeholders}
    expected: dict[str, object]
    body: Callable | None = None  # (targets) -> dict; for multipart, values may be files
    multipart: bool = False
    page: bool = False
    params: dict = field(default_factory=dict)
    # (response, targets) -> what a 200 answer shows, compared instead of the status: proves the
    # scoping rule inside an answer (expected strings may name targets, e.g. "{rma_order_number}")
    answer: Callable | None = None

    def id(self):
        return f"{self.method} {self.route}"


def application_form(targets):
    return {
        "partner_type": "dealer",
        "legal_name": "常州矩阵测试电器经营部",
        "credit_code": targets["uscc"](901),
        "region": "320400",
        "contact_name": "赵六",
        "contact_mobile": "13700000901",
        "contact_email": "matrix@example.cn",
        "licence": SimpleUploadedFile("licence.pdf", PDF),
    }


def import_file(targets):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["type", "legal_name", "credit_code", "region"])
    sheet.append(["dealer", "镇江矩阵导入经营部", targets["uscc"](902), "321100"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return {"file": SimpleUploadedFile("partners.xlsx", buffer.getvalue())}


ALL_AUTH_200 = expect(200, anonymous=401)
HQ_200_PARTNERS_403 = expect(200, anonymous=401, partners=403)
ADMIN_ONLY = only({"admin": 200}, 403, 401)
IMPORTERS = {"admin", "channel"}
CHANGERS = {"admin", "channel", "regional_js"}

API_CASES = [
    # accounts
    Case("GET", "/api/v1/me", ALL_AUTH_200),
    Case("GET", "/api/v1/roles", ALL_AUTH_200),
    Case("GET", "/api/v1/auth/tokens", ALL_AUTH_200),
    Case("POST", "/api/v1/auth/tokens", expect(201, anonymous=401), body=lambda t: {"name": "matrix"}),
    Case("DELETE", "/api/v1/auth/tokens/{admin_token}", only({"admin": 204}, 404, 401)),
    # reference data (public)
    Case("GET", "/api/v1/regions", expect(200)),
    Case("GET", "/api/v1/regions/{region_code}", expect(200)),
    # approval flows and settings
    Case("GET", "/api/v1/approval-flows", ADMIN_ONLY),
    Case(
        "POST",
        "/api/v1/approval-flows",
        only({"admin": 201}, 403, 401),
        body=lambda t: {
            "subject_kind": "credit_change",
            "name": "矩阵",
            "conditions": {},
            "priority": 1,
            "steps": [{"name": "财务复核", "approver_role": "finance", "match_region": False}],
        },
    ),
    Case("GET", "/api/v1/approval-flows/{flow_id}", ADMIN_ONLY),
    Case("PATCH", "/api/v1/approval-flows/{flow_id}", ADMIN_ONLY, body=lambda t: {"priority": 7}),
    Case("DELETE", "/api/v1/approval-flows/{flow_id}", only({"admin": 204}, 403, 401)),
    Case("GET", "/api/v1/settings", HQ_200_PARTNERS_403),
    Case("PATCH", "/api/v1/settings", ADMIN_ONLY, body=lambda t: {"approval_reminder_hours": 12}),
    # notifications: only one's own
    Case("GET", "/api/v1/notifications", ALL_AUTH_200),
    Case("POST", "/api/v1/notifications/{dist_admin_notification}/read", only({"dist_admin": 200}, 404, 401)),
    Case("POST", "/api/v1/notifications/read-all", ALL_AUTH_200),
    # imports, jobs, export
    Case(
        "POST",
        "/api/v1/partners/imports",
        only({p: 201 for p in IMPORTERS}, 403, 401),
        body=import_file,
        multipart=True,
    ),
    # a preview is its creator's (admins see all); anyone else is told it does not exist
    Case("GET", "/api/v1/partners/imports/{preview_id}", only({"admin": 200, "channel": 200}, 404, 401)),
    Case("POST", "/api/v1/partners/imports/{preview_id}/commit", only({"admin": 202, "channel": 202}, 403, 401)),
    Case("GET", "/api/v1/jobs/{preview_id}", only({"admin": 200, "channel": 200}, 404, 401)),
    Case(
        "GET",
        "/api/v1/partners/export.xlsx",
        expect(200, anonymous=401, operations=403, dist_staff=403, sub_admin=200, zj_admin=200),
    ),
    # tiers
    Case("GET", "/api/v1/tiers", ALL_AUTH_200),
    Case(
        "POST",
        "/api/v1/tiers",
        only({p: 201 for p in IMPORTERS}, 403, 401),
        body=lambda t: {"code": "matrix", "name": "矩阵", "rank": 9},
    ),
    Case(
        "PATCH",
        "/api/v1/tiers/{tier_id}",
        only({p: 200 for p in IMPORTERS}, 403, 401),
        body=lambda t: {"description": "矩阵"},
    ),
    # partners
    Case("GET", "/api/v1/partners", ALL_AUTH_200),
    Case(
        "POST",
        "/api/v1/partners",
        only({p: 201 for p in IMPORTERS}, 403, 401),
        body=lambda t: {
            "partner_type": "dealer",
            "legal_name": "无锡矩阵电器经营部",
            "region": "320200",
        },
    ),
    Case("GET", "/api/v1/partners/{dist_js}", on_dist(SEE_DIST, 200)),
    Case("PATCH", "/api/v1/partners/{dist_js}", on_dist(CHANGERS, 200), body=lambda t: {"address": "南京市玄武区"}),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/status",
        on_dist(IMPORTERS, 200),
        body=lambda t: {"status": "suspended", "reason": "矩阵"},
    ),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/tier",
        on_dist(IMPORTERS, 200),
        body=lambda t: {"tier": "strategic", "reason": "矩阵"},
    ),
    Case("GET", "/api/v1/partners/{dist_js}/status-history", on_dist(SEE_DIST, 200)),
    Case("GET", "/api/v1/partners/{dist_js}/tier-history", on_dist(SEE_DIST, 200)),
    Case("GET", "/api/v1/partners/{dist_js}/children", on_dist(SEE_DIST, 200)),
    Case("GET", "/api/v1/partners/{dist_js}/changes", on_dist(SEE_DIST - {"dist_staff"}, 200)),
    Case("GET", "/api/v1/partners/{dist_js}/contacts", on_dist(SEE_DIST, 200)),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/contacts",
        on_dist(CHANGERS | {"dist_admin"}, 201),
        body=lambda t: {"name": "钱七", "mobile": "13600000001"},
    ),
    Case(
        "PATCH",
        "/api/v1/partners/{dist_js}/contacts/{contact_id}",
        on_dist(CHANGERS | {"dist_admin"}, 200),
        body=lambda t: {"role": "财务"},
    ),
    Case("DELETE", "/api/v1/partners/{dist_js}/contacts/{contact_id}", on_dist(CHANGERS | {"dist_admin"}, 204)),
    Case("GET", "/api/v1/partners/{dist_js}/credit-changes", on_dist(SEE_DIST, 200)),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/credit-changes",
        on_dist({"finance"}, 201),
        body=lambda t: {"credit_limit": "1000.00", "payment_terms_days": 30, "reason": "矩阵"},
    ),
    Case(
        "GET",
        "/api/v1/partners/{dist_js}/members",
        on_dist({"admin", "channel", "regional_js", "finance", "operations", "dist_admin"}, 200),
    ),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/members",
        on_dist({"admin", "channel", "dist_admin"}, 201),
        body=lambda t: {"display_name": "孙八", "mobile": "13600000002", "role": "partner_staff"},
    ),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/members/{dist_staff_user}/disable",
        on_dist({"admin", "channel", "dist_admin"}, 200),
    ),
    Case(
        "POST",
        "/api/v1/partners/{dist_js}/members/{dist_staff_user}/enable",
        on_dist({"admin", "channel", "dist_admin"}, 200),
    ),
    # applications
    Case("POST", "/api/v1/applications", expect(201), body=application_form, multipart=True),
    Case("GET", "/api/v1/applications/status/{application_token}", expect(200)),
    Case(
        "POST",
        "/api/v1/applications/status/{returned_token}/resubmit",
        expect(200),
        body=lambda t: {
            "partner_type": "dealer",
            "legal_name": "苏州退回补正经营部",
            "credit_code": t["returned"].credit_code,
            "region": "320500",
            "contact_name": "周九",
            "contact_mobile": "13700000903",
            "contact_email": "returned@example.cn",
            "address": "苏州市吴中区",
        },
        multipart=True,
    ),
    # roles that review no applications get an empty list, and 404 for any one application
    Case("GET", "/api/v1/applications", ALL_AUTH_200),
    Case(
        "GET",
        "/api/v1/applications/{application_id}",
        only({"admin": 200, "channel": 200, "regional_js": 200, "dist_admin": 200, "dist_staff": 200}, 404, 401),
    ),
    Case(
        "GET",
        "/api/v1/applications/{application_id}/licence",
        only({"admin": 200, "channel": 200, "regional_js": 200, "dist_admin": 200, "dist_staff": 200}, 404, 401),
    ),
    # approvals
    Case("GET", "/api/v1/approvals", HQ_200_PARTNERS_403),
    Case(
        "GET",
        "/api/v1/approvals/{approval_id}",
        only({"admin": 200, "channel": 200}, 404, 401) | {p: 403 for p in PARTNER_USERS},
    ),
    Case(
        "POST",
        "/api/v1/approvals/{approval_id}/decision",
        only({"admin": 200, "channel": 200}, 404, 401) | {p: 403 for p in PARTNER_USERS},
        body=lambda t: {"decision": "approve", "comment": "矩阵"},
    ),
    # audit
    Case("GET", "/api/v1/changes", expect(200, anonymous=401, dist_staff=403, sub_admin=200, zj_admin=200)),
]

HQ_PAGE = expect(200, anonymous=LOGIN, partners=PORTAL)
ADMIN_PAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200)
TIER_PAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200, channel=200)
PORTAL_PAGE = expect(HOME, anonymous=LOGIN, dist_admin=200, dist_staff=200, sub_admin=200, zj_admin=200)
PORTAL_ADMIN_POST = expect(HOME, anonymous=LOGIN, dist_admin=200, dist_staff=403, sub_admin=200, zj_admin=200)
PUBLIC = expect(200)
IMPORT_PAGE = expect(403, anonymous=LOGIN, admin=200, channel=200)


def dist_page(allowed: set[str], ok=200) -> dict[str, object]:
    """An HQ page about dist_js. Its own users are sent to their portal; other partners get 404."""
    table = on_dist(allowed, ok, api=False)
    table["dist_admin"] = table["dist_staff"] = PORTAL
    return table


PAGE_CASES = [
    Case("GET", "", expect(PORTAL, anonymous=LOGIN, hq="workbench/"), page=True),
    # the HQ workbench (工作台), where HQ users land; partner users are sent to their portal
    Case("GET", "workbench/", HQ_PAGE, page=True),
    # the jobs list (the workbench's failed-jobs to-do): each HQ user sees its own jobs
    Case("GET", "jobs/", HQ_PAGE, page=True),
    Case("GET", "login/", expect(HOME, anonymous=200), page=True),
    Case("POST", "logout/", expect(LOGIN), page=True),
    Case("GET", "set-password/{uidb64}/{bad_token}/", expect(400), page=True),
    Case("GET", "account/", expect(200, anonymous=LOGIN), page=True),
    Case("GET", "account/tokens/", expect(200, anonymous=LOGIN), page=True),
    Case("POST", "account/tokens/{admin_token}/revoke/", only({"admin": "account/tokens/"}, 404, LOGIN), page=True),
    Case("POST", "account/language/", expect(HOME), page=True, params={"language": "en"}),
    Case("GET", "settings/users/", ADMIN_PAGE, page=True),
    Case("GET", "settings/users/new/", ADMIN_PAGE, page=True),
    Case("GET", "settings/users/{operations_user}/", ADMIN_PAGE, page=True),
    Case("POST", "settings/users/{operations_user}/active/", ADMIN_PAGE | {"admin": "settings/users/"}, page=True),
    Case("GET", "approvals/", HQ_PAGE, page=True),
    Case("GET", "approvals/{approval_id}/", only({"admin": 200, "channel": 200}, 404, LOGIN), page=True),
    Case("GET", "notifications/", expect(200, anonymous=LOGIN), page=True),
    Case(
        "POST",
        "notifications/{dist_admin_notification}/read/",
        only({"dist_admin": "notifications/"}, 404, LOGIN),
        page=True,
    ),
    Case("POST", "notifications/read-all/", expect("notifications/", anonymous=LOGIN), page=True),
    # the settings landing page sends each HQ user to the first section it may open
    Case(
        "GET",
        "settings/",
        expect("settings/flows/", anonymous=LOGIN, partners=PORTAL, admin=200, channel="settings/tiers/"),
        page=True,
    ),
    # the brand's logo is public (the log-in page shows it); the matrix's brand has none
    Case("GET", "brand/logo/", expect(404), page=True),
    Case("GET", "settings/flows/", HQ_PAGE, page=True),  # every HQ user may read the flows
    Case("GET", "settings/flows/new/", ADMIN_PAGE, page=True),
    Case("GET", "settings/flows/{flow_id}/", ADMIN_PAGE, page=True),
    Case("POST", "settings/flows/{flow_id}/deactivate/", ADMIN_PAGE | {"admin": "settings/flows/"}, page=True),
    Case("GET", "partners/", HQ_PAGE, page=True),
    Case("GET", "partners/new/", TIER_PAGE, page=True),
    Case("GET", "partners/{dist_js}/", dist_page(SEE_DIST), page=True),
    Case("GET", "partners/{dist_js}/audit/", dist_page(SEE_DIST), page=True),
    Case("GET", "partners/{dist_js}/edit/", dist_page(CHANGERS, 200) | {"finance": 403, "operations": 403}, page=True),
    Case("GET", "partners/{dist_js}/status/", dist_page(IMPORTERS, 200), page=True),
    Case("GET", "partners/{dist_js}/tier/", dist_page(IMPORTERS, 200), page=True),
    Case("GET", "partners/{dist_js}/credit/", dist_page({"finance"}, 200), page=True),
    Case("GET", "partners/{dist_js}/parent/", dist_page(CHANGERS, 200), page=True),
    Case("GET", "partners/{dist_js}/contacts/new/", dist_page(CHANGERS, 200), page=True),
    Case("GET", "partners/{dist_js}/contacts/{contact_id}/", dist_page(CHANGERS, 200), page=True),
    Case(
        "POST",
        "partners/{dist_js}/contacts/{contact_id}/delete/",
        dist_page(CHANGERS, "partners/{dist_js}/#panel-contacts"),
        page=True,
    ),
    Case("GET", "settings/tiers/", TIER_PAGE, page=True),
    Case("GET", "settings/tiers/new/", TIER_PAGE, page=True),
    Case("GET", "settings/tiers/{tier_id}/", TIER_PAGE, page=True),
    Case(
        "GET",
        "applications/",
        expect(200, anonymous=LOGIN, partners=PORTAL, operations=403, finance=403, sales=403),
        page=True,
    ),
    Case(
        "GET",
        "applications/{application_id}/",
        only({"admin": 200, "channel": 200, "regional_js": 200}, 404, LOGIN)
        | {"operations": 403, "finance": 403, "sales": 403},
        page=True,
    ),
    Case(
        "GET",
        "applications/{application_id}/licence/",
        only({"admin": 200, "channel": 200, "regional_js": 200}, 404, LOGIN)
        | {"operations": 403, "finance": 403, "sales": 403},
        page=True,
    ),
    Case("GET", "apply/", PUBLIC, page=True),
    Case("GET", "apply/cities/", PUBLIC, page=True, params={"province": "320000"}),
    Case("GET", "apply/distributors/", PUBLIC, page=True, params={"province": "320000", "city": "320500"}),
    Case("GET", "apply/status/{application_token}/", PUBLIC, page=True),
    Case("GET", "portal/", PORTAL_PAGE, page=True),
    Case("GET", "portal/me/", PORTAL_PAGE, page=True),
    Case("GET", "portal/profile/", PORTAL_PAGE, page=True),
    Case("GET", "portal/profile/edit/", PORTAL_PAGE | {"dist_staff": 403}, page=True),
    Case("GET", "portal/profile/contacts/add/", PORTAL_PAGE | {"dist_staff": 403}, page=True),
    Case(
        "GET",
        "portal/profile/contacts/{contact_id}/edit/",
        PORTAL_PAGE | {"dist_staff": 403, "sub_admin": 404, "zj_admin": 404},
        page=True,
    ),
    Case(
        "POST",
        "portal/profile/contacts/{contact_id}/delete/",
        PORTAL_PAGE | {"dist_admin": "portal/profile/edit/", "dist_staff": 403, "sub_admin": 404, "zj_admin": 404},
        page=True,
    ),
    Case("GET", "portal/users/", PORTAL_PAGE, page=True),
    Case("POST", "portal/users/invite/", PORTAL_ADMIN_POST, page=True),
    Case(
        "POST",
        "portal/users/{dist_staff_user}/active/",
        PORTAL_PAGE | {"dist_admin": "portal/users/", "dist_staff": 403, "sub_admin": 404, "zj_admin": 404},
        page=True,
        params={"active": "0"},
    ),
    Case("GET", "portal/sub-dealers/", PORTAL_PAGE, page=True),
    # sub_admin opening its own partner here is sent to its portal home
    Case(
        "GET",
        "portal/sub-dealers/{sub_js}/",
        PORTAL_PAGE | {"sub_admin": "portal/profile/", "zj_admin": 404},
        page=True,
    ),
    Case("GET", "portal/applications/", PORTAL_PAGE, page=True),
    Case("GET", "partners/import/", IMPORT_PAGE, page=True),
    Case("GET", "partners/import/template.xlsx", IMPORT_PAGE, page=True),
    Case("GET", "partners/import/{preview_id}/", only({"admin": 200, "channel": 200}, 404, LOGIN), page=True),
    Case("POST", "partners/import/{preview_id}/commit/", IMPORT_PAGE | {"admin": "job", "channel": "job"}, page=True),
    Case("GET", "partners/jobs/{preview_id}/", only({"admin": 200, "channel": 200}, 404, LOGIN), page=True),
    Case("GET", "partners/jobs/{preview_id}/status/", only({"admin": 200, "channel": 200}, 404, LOGIN), page=True),
    Case("GET", "partners/export.xlsx", expect(200, anonymous=LOGIN, operations=403, dist_staff=403), page=True),
]
# Each later context keeps its rows in tests/matrix/<context>.py: API_CASES, PAGE_CASES and
# targets(world) -> dict of the ids its routes need.
MATRIX_MODULES = []


def _load_matrix_modules():
    import importlib
    import pkgutil

    import tests.matrix as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda item: item.name):
        module = importlib.import_module(f"tests.matrix.{info.name}")
        MATRIX_MODULES.append(module)
        API_CASES.extend(getattr(module, "API_CASES", []))
        PAGE_CASES.extend(getattr(module, "PAGE_CASES", []))


_load_matrix_modules()

# Not in the matrix on purpose: django's set_language and the JavaScript catalogue (framework
# views with no data).
UNCOVERED_PAGES = {"i18n/setlang/", "jsi18n/"}


def _targets(world):
    """The records the routes name, built once per worker for the whole matrix."""
    uscc = valid_uscc
    from django.contrib.auth.tokens import default_token_generator  # noqa: F401
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    admin_token, _raw = issue_token(user=world.admin, name="matrix target")
    notification = Notification.objects.create(user=world.dist_admin, kind="test", title="t")
    application = services.submit_application(
        data={
            "partner_type": "dealer",
            "legal_name": "苏州矩阵申请经营部",
            "credit_code": uscc(903),
            "region": "320500",
            "contact_name": "吴十",
            "contact_mobile": "13700000904",
            "contact_email": "apply@example.cn",
            "parent": world.dist_js.pk,
        },
        licence=SimpleUploadedFile("licence.pdf", PDF),
    )
    returned = services.submit_application(
        data={
            "partner_type": "dealer",
            "legal_name": "苏州退回补正经营部",
            "credit_code": uscc(904),
            "region": "320500",
            "contact_name": "周九",
            "contact_mobile": "13700000903",
            "contact_email": "returned@example.cn",
        },
        licence=SimpleUploadedFile("licence.pdf", PDF),
    )
    approvals.decide(request_id=returned.approval_id, actor=world.channel, decision="return", comment="补充地址")
    returned.refresh_from_db()
    _token, raw = issue_token(user=world.channel, name="matrix preview")
    preview = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post("/api/v1/partners/imports", import_file({"uscc": uscc}))
    assert preview.status_code == 201, preview.content
    contact = PartnerContact.objects.create(partner=world.dist_js, name="郑十一", mobile="13600000009")
    extra = {}
    for module in MATRIX_MODULES:
        if hasattr(module, "targets"):
            extra.update(module.targets(world))
    return extra | {
        "uscc": uscc,
        "admin_token": admin_token.pk,
        "region_code": "320100",
        "flow_id": ApprovalFlow.objects.order_by("pk").first().pk,
        "dist_admin_notification": notification.pk,
        "preview_id": preview.json()["id"],
        "tier_id": Tier.objects.get(code="silver").pk,
        "dist_js": world.dist_js.pk,
        "sub_js": world.sub_js.pk,
        "contact_id": contact.pk,
        "dist_staff_user": world.dist_staff.pk,
        "operations_user": world.operations.pk,
        "application_id": application.pk,
        "application_token": application.access_token,
        "approval_id": application.approval_id,
        "returned": returned,
        "returned_token": returned.access_token,
        "uidb64": urlsafe_base64_encode(force_bytes(world.dist_staff.pk)),
        "bad_token": "forged-token",
    }


def _clients(world):
    clients = {ANON: (Client(), Client())}
    for persona in PERSONAS[1:]:
        user = world.users[persona]
        _token, raw = issue_token(user=user, name="matrix")
        page = Client()
        page.force_login(user)
        clients[persona] = (Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), page)
    for pair in clients.values():
        for client in pair:
            client.logged_in_cookies = copy.deepcopy(client.cookies)
    return clients


class _Rollback(Exception):
    pass


def _outcome(response, case: Case, targets) -> object:
    if case.answer is not None and response.status_code == 200:
        return case.answer(response, targets)
    if response.status_code != 302 or not case.page:
        return response.status_code
    location = response["Location"]
    if "/login/" in location:
        return LOGIN
    if location.rstrip("/").endswith("/portal") and "/portal/" not in location.split("/portal", 1)[1] + "/":
        return PORTAL
    if location in ("/", "http://testserver/"):
        return HOME
    if location.startswith(("/jobs/", "/partners/jobs/")):  # a job's page
        return "job"
    return location.lstrip("/").format()


def _format(route: str, targets) -> str:
    return route.format(**{key: value for key, value in targets.items() if isinstance(value, str | int)})


def _request(client, case: Case, targets):
    path = _format(case.route, targets)
    url = path if case.route.startswith("/api/") else f"/{path}"
    body = case.body(targets) if case.body else None
    method = case.method.lower()
    if method == "get":
        return client.get(url, case.params)
    if case.multipart:
        return client.post(url, body or {})
    if case.page:
        return getattr(client, method)(url, body or case.params)
    import json

    return getattr(client, method)(url, json.dumps(body) if body is not None else None, content_type="application/json")


def _run(case: Case, clients, targets):
    outcomes, leaks = {}, []
    for persona in PERSONAS:
        api_client, page_client = clients[persona]
        client = page_client if case.page else api_client
        # The clients outlive the case: a case that logs out or changes a password rewrites the
        # cookie jar, so every request starts from the cookies the persona logged in with.
        client.cookies = copy.deepcopy(client.logged_in_cookies)
        try:
            with transaction.atomic():
                changes, events = ObjectChange.objects.count(), OutboxEvent.objects.count()
                response = _request(client, case, targets)
                outcome = _outcome(response, case, targets)
                denied = outcome in (401, 403, 404, 405, LOGIN)
                if denied and (ObjectChange.objects.count(), OutboxEvent.objects.count()) != (changes, events):
                    leaks.append(persona)
                raise _Rollback()
        except _Rollback:
            pass
        expected = case.expected[persona]
        if isinstance(expected, str) and expected not in (LOGIN, PORTAL, HOME, "job"):
            expected = _format(expected, targets)
        outcomes[persona] = (outcome, expected)
    return outcomes, leaks


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world, one set of targets and one pair of clients per persona for every case of the
    module (built once per test worker: building them per case cost more than a second each).

    They live inside a transaction that is rolled back when the module ends; each case runs in the
    `db` fixture's savepoint inside it, and each persona's request in a savepoint of its own, so
    every request meets exactly the same data."""
    from django.test.utils import override_settings

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media"), SITE_URL="http://testserver")
    media.enable()
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            world = build_world()
            built = (world, _targets(world), _clients(world))
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    media.disable()


@pytest.fixture(autouse=True)
def _isolated_media():
    """The matrix's files live in the module's media folder (see `matrix`), not one per case."""


@pytest.mark.parametrize("case", API_CASES + PAGE_CASES, ids=Case.id)
def test_every_persona_gets_exactly_the_expected_answer(case, matrix, db):
    world, targets, clients = matrix
    outcomes, leaks = _run(case, clients, targets)
    wrong = {persona: got for persona, (got, want) in outcomes.items() if got != want}
    assert wrong == {}, {persona: f"got {got!r}, expected {outcomes[persona][1]!r}" for persona, got in wrong.items()}
    assert leaks == [], f"denied requests changed data for {leaks}"


def _api_routes() -> set[tuple[str, str]]:
    from qudao.api import api

    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, operations in schema["paths"].items() for method in operations}


def _normalise(route: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "{}", re.sub(r"<[^>]+>", "{}", route))


def test_every_api_operation_is_in_the_matrix():
    covered = {(case.method, _normalise(case.route)) for case in API_CASES}
    missing = {(method, path) for method, path in _api_routes() if (method, _normalise(path)) not in covered}
    assert missing == set()


def test_every_page_is_in_the_matrix():
    from django.urls import URLPattern, URLResolver, get_resolver

    routes = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if "api/v1" in str(pattern.pattern):
                    continue
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                routes.add(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns)
    covered = {_normalise(case.route) for case in PAGE_CASES}
    missing = {route for route in routes - UNCOVERED_PAGES if _normalise(route) not in covered}
    assert missing == set()


# --- hostile numbers on the pages ------------------------------------------------------------------
# The API's numbers are strict types (qudao/core/tests/test_api_contract.py walks every operation);
# pages read their numbers by hand from query strings and forms. Every page, asked by the personas
# that may open it, with "³" (which str.isdigit() accepts and int() refuses) and 20 digits (past a
# bigint) in its query string and in each number of its form, answers without a server error.
HOSTILE_NUMBERS = ("³", "99999999999999999999", "-1", "1e30")
HOSTILE_QUERY_KEYS = ("page", "per_page", "partner", "line", "warehouse", "sku", "status", "policy", "on", "year")


def _numberish(value) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip().lstrip("-").isdigit()


@pytest.mark.parametrize("case", [case for case in PAGE_CASES], ids=Case.id)
def test_no_page_answers_a_server_error_to_hostile_numbers(case, matrix, db):
    world, targets, clients = matrix
    allowed = [
        persona
        for persona in ("admin", "operations", "finance", "dist_admin")
        if case.expected.get(persona) not in (401, 403, 404, 405, LOGIN)
    ]
    failures = []
    for persona in allowed[:2]:
        _api, client = clients[persona]
        for hostile in HOSTILE_NUMBERS:
            variants = []
            if case.method == "GET":
                variants.append(case.params | {key: hostile for key in HOSTILE_QUERY_KEYS})
            elif case.body and not case.multipart:
                body = case.body(targets)
                variants += [body | {key: hostile} for key, value in body.items() if _numberish(value)]
            for params in variants:
                client.cookies = copy.deepcopy(client.logged_in_cookies)
                path = "/" + _format(case.route, targets)
                try:
                    with transaction.atomic():
                        response = getattr(client, case.method.lower())(path, params)
                        raise _Rollback()
                except _Rollback:
                    pass
                if response.status_code >= 500:
                    failures.append((persona, hostile, sorted(params), response.status_code))
    assert failures == []
