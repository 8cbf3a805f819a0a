"""API: onboarding (准入) end to end. A company applies (public, multipart with the licence scan),
reviewers decide through the approval engine, and on approval the partner and its first
administrator exist and the applicant is told how to log in."""

from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qudao.accounts.models import User
from qudao.core.models import ApprovalDecision, ApprovalRequest, Notification
from qudao.partners.models import Partner, PartnerApplication, PartnerContact, PartnerMember

PROBLEM = "application/problem+json"


def small_pdf() -> bytes:
    """A real (tiny, one blank page) PDF document with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = small_pdf()


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def form(uscc, seed=1, **extra) -> dict:
    return {
        "partner_type": "distributor",
        "legal_name": f"苏州吴中{seed}号电器贸易有限公司",
        "short_name": f"吴中{seed}号",
        "credit_code": uscc(500 + seed),
        "region": "320500",
        "address": "苏州市吴中区东吴北路1号",
        "product_lines": ["厨电", "冰箱"],
        "contact_name": "周六",
        "contact_mobile": f"1370000{seed:04d}",
        "contact_email": f"zhou{seed}@wuzhong.cn",
        "message": "希望成为苏州地区经销商",
    } | extra


def apply(client, data, licence=None):
    payload = dict(data)
    payload["licence"] = licence if licence is not None else SimpleUploadedFile("营业执照.pdf", PDF, "application/pdf")
    return client.post("/api/v1/applications", payload)


def decide(client, approval, decision="approve", comment="", **extra):
    return client.post(
        f"/api/v1/approvals/{approval.pk}/decision",
        {"decision": decision, "comment": comment} | extra,
        content_type="application/json",
    )


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- the whole way through -------------------------------------------------------------------


def test_a_distributor_is_onboarded_through_two_steps_and_can_log_in(
    world, api_client, uscc, django_capture_on_commit_callbacks
):
    public = api_client()
    # when a company applies (no log-in)
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(public, form(uscc))
    # then it gets its number and a private token to follow the application
    assert response.status_code == 201
    application = PartnerApplication.objects.get()
    body = response.json()
    assert body == {
        "number": application.number,
        "status": "submitted",
        "access_token": application.access_token,
        "status_url": f"http://testserver/apply/status/{application.access_token}/",
    }
    assert application.licence.read() == PDF
    assert [message.subject for message in mail.outbox] == [f"Application {application.number} received"]
    approval = application.approval
    assert (approval.flow.name, approval.current_step.approver_role) == ("经销商准入（两级审批）", "regional_manager")

    # when the Jiangsu regional manager finds it in the inbox and approves step 1
    regional = api_client(world.regional_js)
    inbox = regional.get("/api/v1/approvals", {"box": "inbox"}).json()
    assert [item["id"] for item in inbox["items"]] == [approval.pk]
    first = decide(regional, approval, "approve", "资料齐全", expected_step_id=approval.current_step_id)
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["current_step"]["approver_role"]) == ("pending", "channel_manager")
    assert not Partner.objects.filter(legal_name=application.legal_name).exists()

    # when the channel manager approves step 2
    with django_capture_on_commit_callbacks(execute=True):
        second = decide(api_client(world.channel), approval, "approve", "同意准入")
    assert second.status_code == 200
    assert second.json()["status"] == "approved"

    # then the partner and its first administrator exist
    partner = Partner.objects.get(legal_name="苏州吴中1号电器贸易有限公司")
    assert (partner.partner_type, partner.status, partner.region.code, partner.tier.code) == (
        "distributor",
        "active",
        "320500",
        "registered",
    )
    assert (partner.credit_code, partner.product_lines, partner.channel_manager) == (
        uscc(501),
        ["冰箱", "厨电"],
        world.channel,
    )
    assert list(
        PartnerContact.objects.filter(partner=partner).values_list("name", "mobile", "email", "is_primary")
    ) == [("周六", "13700000001", "zhou1@wuzhong.cn", True)]
    member = PartnerMember.objects.select_related("user").get(partner=partner)
    admin_user = member.user
    assert (member.role, admin_user.username, admin_user.email, admin_user.mobile) == (
        "partner_admin",
        f"{partner.code.lower()}-admin",
        "zhou1@wuzhong.cn",
        "13700000001",
    )
    # and the applicant was e-mailed how to log in, and told in the app
    approved_mail = mail.outbox[-1]
    assert approved_mail.subject == f"Application {application.number} approved"
    assert approved_mail.to == ["zhou1@wuzhong.cn"]
    assert admin_user.username in approved_mail.body
    assert "http://testserver/set-password/" in approved_mail.body
    assert Notification.objects.filter(user=admin_user, kind="partner.welcome").count() == 1

    # and the public status shows the outcome with the user name to log in with
    status = public.get(f"/api/v1/applications/status/{application.access_token}").json()
    assert {key: value for key, value in status.items() if key not in ("submitted_at", "decided_at")} == {
        "number": application.number,
        "status": "approved",
        "status_label": "Approved",
        "legal_name": "苏州吴中1号电器贸易有限公司",
        "comment": None,
        "login_username": admin_user.username,
    }
    assert status["decided_at"] is not None

    # and once the new administrator chose a password it logs in and sees only its own partner
    admin_user.set_password("Wuzhong-2026-pass")
    admin_user.save()
    token = public.post(
        "/api/v1/auth/tokens",
        {"name": "first", "username": "13700000001", "password": "Wuzhong-2026-pass"},
        content_type="application/json",
    )
    assert token.status_code == 201
    own = api_client().get("/api/v1/partners", headers={"Authorization": f"Bearer {token.json()['token']}"}).json()
    assert [item["id"] for item in own["items"]] == [partner.pk]


def test_a_dealer_application_takes_the_one_step_flow(world, api_client, uscc):
    # given
    apply(api_client(), form(uscc, 2, partner_type="dealer"))
    approval = PartnerApplication.objects.get().approval
    assert (approval.flow.name, approval.current_step.approver_role) == ("伙伴准入", "channel_manager")
    # the regional manager is not an approver of this flow
    assert api_client(world.regional_js).get("/api/v1/approvals").json()["count"] == 0
    # when the channel manager approves
    response = decide(api_client(world.channel), approval)
    # then one step was enough
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert [decision["step"] for decision in response.json()["decisions"]] == ["渠道经理审批"]
    assert Partner.objects.filter(legal_name="苏州吴中2号电器贸易有限公司", partner_type="dealer").count() == 1


def test_a_sub_dealer_applies_under_a_distributor_which_sees_the_application(world, api_client, uscc):
    apply(api_client(), form(uscc, 3, partner_type="dealer", parent=str(world.dist_js.pk)))
    application = PartnerApplication.objects.get()
    assert application.parent == world.dist_js
    listed = api_client(world.dist_admin).get("/api/v1/applications").json()
    assert [item["id"] for item in listed["items"]] == [application.pk]
    assert listed["items"][0]["parent"] == {"id": world.dist_js.pk, "code": world.dist_js.code, "name": "金陵商贸"}
    assert api_client(world.zj_admin).get("/api/v1/applications").json() == {"count": 0, "items": []}
    # once approved, the new dealer hangs under the distributor
    decide(api_client(world.channel), application.approval)
    partner = Partner.objects.get(legal_name=application.legal_name)
    assert (partner.parent_id, partner.path) == (world.dist_js.pk, f"/{world.dist_js.pk}/{partner.pk}/")


def test_an_application_returned_for_changes_is_corrected_and_resubmitted(
    world, api_client, uscc, django_capture_on_commit_callbacks
):
    # given
    public = api_client()
    apply(public, form(uscc, 4))
    application = PartnerApplication.objects.get()
    approval = application.approval
    # when the regional manager returns it
    with django_capture_on_commit_callbacks(execute=True):
        returned = decide(api_client(world.regional_js), approval, "return", "营业执照不清晰，请重新上传")
    # then the applicant sees why, and was told by e-mail
    assert returned.status_code == 200
    status = public.get(f"/api/v1/applications/status/{application.access_token}").json()
    assert (status["status"], status["comment"], status["login_username"]) == (
        "returned",
        "营业执照不清晰，请重新上传",
        None,
    )
    assert mail.outbox[-1].subject == f"Application {application.number} needs changes"
    # when it resubmits a new scan and a corrected name (other fields unchanged)
    response = public.post(
        f"/api/v1/applications/status/{application.access_token}/resubmit",
        {
            "legal_name": "苏州吴中四号电器贸易有限公司",
            "licence": SimpleUploadedFile("new.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64),
        },
    )
    # then it is back at step 1, second round
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["comment"]) == ("submitted", None)
    application.refresh_from_db()
    approval.refresh_from_db()
    assert (application.legal_name, application.contact_mobile, application.region.code) == (
        "苏州吴中四号电器贸易有限公司",
        "13700000004",
        "320500",
    )
    assert application.licence.name.endswith(".png")
    assert (approval.status, approval.round, approval.current_step.sequence) == ("pending", 2, 1)
    assert list(approval.decisions.values_list("decision", "round")) == [("return", 1), ("resubmit", 2)]
    # and the reviewers see the second round
    detail = api_client(world.regional_js).get(f"/api/v1/approvals/{approval.pk}").json()
    assert (detail["round"], detail["can_decide"], detail["title"]) == (
        2,
        True,
        "苏州吴中四号电器贸易有限公司 (Distributor)",
    )


def test_a_resubmission_with_mistakes_changes_nothing(world, api_client, uscc):
    public = api_client()
    apply(public, form(uscc, 5))
    application = PartnerApplication.objects.get()
    decide(api_client(world.regional_js), application.approval, "return", "补充资料")
    response = public.post(
        f"/api/v1/applications/status/{application.access_token}/resubmit",
        {"contact_mobile": "12345", "licence": SimpleUploadedFile("x.exe", b"MZ\x90\x00")},
    )
    assert response.status_code == 422
    assert errors_of(response) == {
        "contact_mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."],
        "licence": ["Upload a PDF, JPG or PNG file."],
    }
    application.refresh_from_db()
    assert (application.status, application.contact_mobile) == ("returned", "13700000005")
    assert application.approval.status == "returned"


def test_only_a_returned_application_can_be_resubmitted(world, api_client, uscc):
    public = api_client()
    apply(public, form(uscc, 6))
    token = PartnerApplication.objects.get().access_token
    response = public.post(f"/api/v1/applications/status/{token}/resubmit", {"legal_name": "改名"})
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert PartnerApplication.objects.get().legal_name == "苏州吴中6号电器贸易有限公司"


def test_a_rejected_application_shows_the_reason(world, api_client, uscc):
    public = api_client()
    apply(public, form(uscc, 7, partner_type="agent"))
    application = PartnerApplication.objects.get()
    decide(api_client(world.channel), application.approval, "reject", "该区域代理已满")
    status = public.get(f"/api/v1/applications/status/{application.access_token}").json()
    assert (status["status"], status["status_label"], status["comment"]) == ("rejected", "Rejected", "该区域代理已满")
    assert not Partner.objects.filter(legal_name=application.legal_name).exists()


def test_an_unknown_status_token_answers_404(world, api_client):
    assert api_client().get("/api/v1/applications/status/not-a-token").status_code == 404
    assert api_client().post("/api/v1/applications/status/not-a-token/resubmit", {}).status_code == 404


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"credit_code": "91320500MA1234567X"},
            {"credit_code": ["Not a valid unified social credit code (18 characters, check character)."]},
        ),
        (
            {"contact_mobile": "1370000"},
            {"contact_mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."]},
        ),
        ({"contact_email": "zhou@"}, {"contact_email": ["Enter a valid e-mail address."]}),
        ({"region": "999999"}, {"region": ["Unknown region: 999999."]}),
        ({"partner_type": "wholesaler"}, {"partner_type": ["Choose one of: distributor, dealer, agent, service."]}),
        ({"parent": "999999"}, {"parent": ["Unknown parent distributor: 999999."]}),
        ({"parent": "SUB"}, {"parent": ["Unknown parent distributor: SUB."]}),
        (
            {"legal_name": "", "contact_name": ""},
            {"legal_name": ["This field is required."], "contact_name": ["This field is required."]},
        ),
    ],
)
def test_it_refuses_a_bad_application_and_saves_nothing(world, api_client, uscc, settings, changes, errors):
    if changes.get("parent") == "SUB":  # a dealer cannot be applied under
        changes = {"parent": str(world.sub_js.pk)}
        errors = {"parent": [f"Unknown parent distributor: {world.sub_js.pk}."]}
    response = apply(api_client(), form(uscc, 8) | changes)
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert (PartnerApplication.objects.count(), ApprovalRequest.objects.count()) == (0, 0)
    assert media_files(settings) == []


def test_it_refuses_an_application_from_an_existing_partner(world, api_client, uscc):
    response = apply(api_client(), form(uscc, 9, credit_code=world.dist_js.credit_code))
    assert response.status_code == 422
    assert errors_of(response) == {"credit_code": ["A partner with this credit code already exists."]}


def test_it_refuses_a_second_open_application_with_the_same_credit_code(world, api_client, uscc):
    assert apply(api_client(), form(uscc, 10)).status_code == 201
    response = apply(api_client(), form(uscc, 10, legal_name="另一家"))
    assert response.status_code == 422
    assert errors_of(response) == {"credit_code": ["An application with this credit code is already in review."]}
    assert PartnerApplication.objects.count() == 1


def test_it_refuses_an_oversized_licence(world, api_client, uscc, settings):
    settings.LICENCE_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("licence.pdf", PDF + b"0" * (1024 * 1024), "application/pdf")
    response = apply(api_client(), form(uscc, 11), licence=big)
    assert response.status_code == 422
    assert errors_of(response) == {"licence": ["The file is too large (at most 1 MB)."]}
    assert PartnerApplication.objects.count() == 0
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("licence.exe", b"MZ\x90\x00\x03\x00\x00\x00", "Upload a PDF, JPG or PNG file."),
        ("licence", PDF, "Upload a PDF, JPG or PNG file."),
        ("licence.pdf", b"MZ\x90\x00 this is a program", "The file is not a real PDF, JPG or PNG."),
        ("licence.jpg", PDF, "The file is not a real PDF, JPG or PNG."),
        ("licence.pdf", b"", "The file is empty."),
    ],
)
def test_it_refuses_a_licence_of_the_wrong_type(world, api_client, uscc, settings, name, content, message):
    response = apply(api_client(), form(uscc, 12), licence=SimpleUploadedFile(name, content))
    assert response.status_code == 422
    assert errors_of(response) == {"licence": [message]}
    assert PartnerApplication.objects.count() == 0
    assert media_files(settings) == []


def test_it_requires_the_licence_and_reports_every_mistake_at_once(world, api_client, uscc):
    response = api_client().post("/api/v1/applications", form(uscc, 13, contact_email="nope"))
    assert response.status_code == 422
    assert errors_of(response) == {
        "contact_email": ["Enter a valid e-mail address."],
        "licence": ["Upload a scan of the business licence."],
    }


# --- reviewers' view -------------------------------------------------------------------------


def test_the_reviewer_sees_the_application_with_its_look_alikes(world, api_client, uscc):
    # given an earlier application with the same mobile and a partner with the same legal name
    apply(api_client(), form(uscc, 14, legal_name="南京金陵商贸有限公司", region="320100"))
    earlier = PartnerApplication.objects.get()
    apply(api_client(), form(uscc, 15, contact_mobile="13700000014"))
    application = PartnerApplication.objects.exclude(pk=earlier.pk).get()
    # when
    response = api_client(world.regional_js).get(f"/api/v1/applications/{application.pk}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["duplicates"] == [
        {
            "kind": "application",
            "id": earlier.pk,
            "label": f"{earlier.number} 南京金陵商贸有限公司 (In review)",
            "matched_on": ["mobile"],
        }
    ]
    assert body["approval"] == {
        "id": application.approval_id,
        "number": application.approval.number,
        "status": "pending",
        "flow": "经销商准入（两级审批）",
        "current_step": "区域经理初审",
        "round": 1,
    }
    assert body["licence_url"] == f"/api/v1/applications/{application.pk}/licence"
    assert (body["legal_name"], body["contact_mobile"], body["product_lines"], body["region"]) == (
        "苏州吴中15号电器贸易有限公司",
        "13700000014",
        ["厨电", "冰箱"],
        {"code": "320500", "name": "Suzhou"},
    )
    earlier_body = api_client(world.admin).get(f"/api/v1/applications/{earlier.pk}").json()
    assert {
        "kind": "partner",
        "id": world.dist_js.pk,
        "label": f"{world.dist_js.code} 南京金陵商贸有限公司",
        "matched_on": ["legal_name"],
    } in earlier_body["duplicates"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("regional_js", 200),
        ("channel", 200),
        ("admin", 200),
        ("regional_zj", 404),
        ("sales", 404),
        ("finance", 404),
        ("dist_admin", 404),
        ("zj_admin", 404),
    ],
)
def test_applications_are_read_within_the_reviewers_scope(world, api_client, uscc, persona, status):
    apply(api_client(), form(uscc, 16))
    application = PartnerApplication.objects.get()
    client = api_client(world.users[persona])
    assert client.get(f"/api/v1/applications/{application.pk}").status_code == status
    assert client.get(f"/api/v1/applications/{application.pk}/licence").status_code == status
    assert client.get("/api/v1/applications").json()["count"] == (1 if status == 200 else 0)


def test_the_licence_scan_is_streamed_to_a_reviewer(world, api_client, uscc):
    apply(api_client(), form(uscc, 17))
    application = PartnerApplication.objects.get()
    response = api_client(world.regional_js).get(f"/api/v1/applications/{application.pk}/licence")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{application.number}.pdf"'
    assert (response["X-Content-Type-Options"], response["Cache-Control"]) == ("nosniff", "private, no-store")
    assert b"".join(response.streaming_content) == PDF
    assert api_client().get(f"/api/v1/applications/{application.pk}/licence").status_code == 401


def test_the_application_list_filters_by_status_and_text(world, api_client, uscc):
    apply(api_client(), form(uscc, 18))
    apply(api_client(), form(uscc, 19, partner_type="dealer"))
    dealer_application = PartnerApplication.objects.get(partner_type="dealer")
    decide(api_client(world.channel), dealer_application.approval)
    client = api_client(world.channel)
    approved = client.get("/api/v1/applications", {"status": "approved"}).json()
    by_text = client.get("/api/v1/applications", {"q": "吴中18号"}).json()
    by_mobile = client.get("/api/v1/applications", {"q": "13700000019"}).json()
    assert [item["id"] for item in approved["items"]] == [dealer_application.pk]
    assert [item["legal_name"] for item in by_text["items"]] == ["苏州吴中18号电器贸易有限公司"]
    assert [item["id"] for item in by_mobile["items"]] == [dealer_application.pk]


def test_a_second_decision_on_a_finished_application_changes_nothing(world, api_client, uscc):
    apply(api_client(), form(uscc, 20, partner_type="dealer"))
    approval = PartnerApplication.objects.get().approval
    assert decide(api_client(world.channel), approval).status_code == 200
    response = decide(api_client(world.admin), approval, "reject", "晚了")
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert ApprovalDecision.objects.filter(request=approval).count() == 1
    assert Partner.objects.filter(legal_name="苏州吴中20号电器贸易有限公司").count() == 1
    assert User.objects.filter(partner_member__partner__legal_name="苏州吴中20号电器贸易有限公司").count() == 1


def test_the_application_list_takes_the_same_number_of_queries_for_more_applications(world, api_client, uscc):
    client = api_client(world.channel)
    apply(api_client(), form(uscc, 21, parent=str(world.dist_js.pk), partner_type="dealer"))
    client.get("/api/v1/applications")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/applications")
    for seed in range(22, 26):
        apply(api_client(), form(uscc, seed, parent=str(world.dist_js.pk), partner_type="dealer"))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/applications")
    assert response.json()["count"] == 5
    assert len(many.captured_queries) == len(few.captured_queries)
