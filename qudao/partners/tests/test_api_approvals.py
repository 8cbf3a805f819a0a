"""API: the approval inbox, a request's detail and decisions (one engine for every subject)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qudao.accounts.services import issue_token
from qudao.core.models import ApprovalDecision, ApprovalRequest
from qudao.partners import services
from qudao.partners.models import PartnerApplication

PROBLEM = "application/problem+json"
PDF = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def submit(uscc, seed, partner_type="distributor", region="320500") -> ApprovalRequest:
    application = services.submit_application(
        data={
            "partner_type": partner_type,
            "legal_name": f"测试{seed}号商贸有限公司",
            "credit_code": uscc(700 + seed),
            "region": region,
            "contact_name": "赵七",
            "contact_mobile": f"1350000{seed:04d}",
            "contact_email": f"zhao{seed}@example.cn",
        },
        licence=SimpleUploadedFile("licence.pdf", PDF),
    )
    return application.approval


def decide(client, approval, decision="approve", comment="", **extra):
    return client.post(
        f"/api/v1/approvals/{approval.pk}/decision",
        {"decision": decision, "comment": comment} | extra,
        content_type="application/json",
    )


@pytest.fixture
def js_distributor(world, uscc):
    """A distributor applying in Suzhou: step 1 is the Jiangsu regional manager's."""
    return submit(uscc, 1)


@pytest.fixture
def zj_dealer(world, uscc):
    """A dealer applying in Hangzhou: one step, the channel manager's."""
    return submit(uscc, 2, partner_type="dealer", region="330100")


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def test_the_inbox_holds_what_the_user_may_decide_now(world, api_client, js_distributor, zj_dealer):
    assert ids(api_client(world.regional_js).get("/api/v1/approvals")) == [js_distributor.pk]
    assert ids(api_client(world.regional_zj).get("/api/v1/approvals", {"box": "inbox"})) == []
    assert ids(api_client(world.channel).get("/api/v1/approvals")) == [zj_dealer.pk]
    assert ids(api_client(world.admin).get("/api/v1/approvals")) == [zj_dealer.pk, js_distributor.pk]
    assert ids(api_client(world.finance).get("/api/v1/approvals")) == []


def test_all_holds_every_request_the_user_may_read(world, api_client, js_distributor, zj_dealer):
    # given the regional manager decided step 1 of the distributor application
    regional = api_client(world.regional_js)
    decide(regional, js_distributor)
    # then it is no longer in its inbox, but still among all it may read
    assert ids(regional.get("/api/v1/approvals", {"box": "inbox"})) == []
    assert ids(regional.get("/api/v1/approvals", {"box": "all"})) == [js_distributor.pk]
    assert ids(api_client(world.channel).get("/api/v1/approvals", {"box": "all"})) == [zj_dealer.pk, js_distributor.pk]
    assert ids(api_client(world.channel).get("/api/v1/approvals", {"box": "all", "status": "approved"})) == []
    kinds = api_client(world.admin).get("/api/v1/approvals", {"box": "all", "subject_kind": "credit_change"})
    assert kinds.json() == {"count": 0, "items": []}


def test_the_inbox_lists_each_request_with_its_current_step(world, api_client, js_distributor):
    item = api_client(world.regional_js).get("/api/v1/approvals").json()["items"][0]
    step = js_distributor.current_step
    assert {key: value for key, value in item.items() if key not in ("created_at", "step_started_at")} == {
        "id": js_distributor.pk,
        "number": js_distributor.number,
        "subject_kind": "partner_application",
        "subject_id": js_distributor.subject_id,
        "title": "测试1号商贸有限公司 (Distributor)",
        "status": "pending",
        "current_step": {
            "id": step.pk,
            "sequence": 1,
            "name": "区域经理初审",
            "approver_role": "regional_manager",
            "match_region": True,
        },
        "region": {"code": "320500", "name": "Suzhou"},
        "partner_id": None,
        "submitted_by": None,
        "round": 1,
        "decided_at": None,
    }


@pytest.mark.parametrize("persona", ["dist_admin", "dist_staff", "sub_admin", "zj_admin"])
def test_partner_users_have_no_approval_inbox(world, api_client, js_distributor, persona):
    client = api_client(world.users[persona])
    assert client.get("/api/v1/approvals").status_code == 403
    assert client.get("/api/v1/approvals", {"box": "all"}).status_code == 403
    assert client.get(f"/api/v1/approvals/{js_distributor.pk}").status_code == 403
    assert decide(client, js_distributor).status_code == 403
    assert ApprovalDecision.objects.count() == 0


def test_the_detail_shows_the_flow_the_steps_and_the_decisions(world, api_client, js_distributor):
    # given step 1 approved
    decide(api_client(world.regional_js), js_distributor, "approve", "区域核实无误")
    js_distributor.refresh_from_db()
    steps = list(js_distributor.flow.steps.order_by("sequence"))
    # when
    body = api_client(world.channel).get(f"/api/v1/approvals/{js_distributor.pk}").json()
    # then
    assert body["flow"] == {"id": js_distributor.flow_id, "name": "经销商准入（两级审批）"}
    assert body["steps"] == [
        {
            "id": steps[0].pk,
            "sequence": 1,
            "name": "区域经理初审",
            "approver_role": "regional_manager",
            "match_region": True,
        },
        {
            "id": steps[1].pk,
            "sequence": 2,
            "name": "渠道经理终审",
            "approver_role": "channel_manager",
            "match_region": False,
        },
    ]
    assert body["current_step"]["id"] == steps[1].pk
    decision = ApprovalDecision.objects.get(request=js_distributor)
    assert body["decisions"] == [
        {
            "id": decision.pk,
            "step": "区域经理初审",
            "round": 1,
            "actor": "regional_js",
            "decision": "approve",
            "comment": "区域核实无误",
            "at": body["decisions"][0]["at"],
        }
    ]
    assert (body["subject_label"], body["subject_url"]) == (
        "Partner application",
        f"/applications/{js_distributor.subject_id}/",
    )
    assert body["can_decide"] is True
    assert api_client(world.regional_js).get(f"/api/v1/approvals/{js_distributor.pk}").json()["can_decide"] is False


@pytest.mark.parametrize("persona", ["regional_zj", "finance", "sales", "operations"])
def test_a_request_the_user_may_not_read_answers_404(world, api_client, js_distributor, persona):
    client = api_client(world.users[persona])
    assert client.get(f"/api/v1/approvals/{js_distributor.pk}").status_code == 404
    response = decide(client, js_distributor)
    assert response.status_code == 404
    assert ApprovalDecision.objects.count() == 0
    js_distributor.refresh_from_db()
    assert (js_distributor.status, js_distributor.current_step.sequence) == ("pending", 1)


def test_a_reader_who_is_not_the_steps_approver_gets_403(world, api_client, js_distributor):
    # the channel manager reads every request, but step 1 belongs to the regional manager
    response = decide(api_client(world.channel), js_distributor)
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "You are not an approver of this step."
    assert ApprovalDecision.objects.count() == 0


def test_a_decision_on_a_step_that_moved_on_answers_409(world, api_client, js_distributor):
    # given
    step_one = js_distributor.current_step_id
    assert decide(api_client(world.regional_js), js_distributor, expected_step_id=step_one).status_code == 200
    # when the admin, still looking at step 1, approves it too
    response = decide(api_client(world.admin), js_distributor, expected_step_id=step_one)
    # then
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "conflict"
    assert ApprovalDecision.objects.filter(request=js_distributor).count() == 1
    js_distributor.refresh_from_db()
    assert (js_distributor.status, js_distributor.current_step.sequence) == ("pending", 2)


def test_an_approver_who_was_overtaken_gets_409_not_404(world, api_client, js_distributor):
    # given the admin decided step 1 first: the request left the regional manager's inbox
    step_one = js_distributor.current_step_id
    assert decide(api_client(world.admin), js_distributor, expected_step_id=step_one).status_code == 200
    # when the regional manager, an approver of step 1, approves what it saw
    late = decide(api_client(world.regional_js), js_distributor, expected_step_id=step_one)
    # and a manager of another region tries the same
    stranger = decide(api_client(world.regional_zj), js_distributor, expected_step_id=step_one)
    # then
    assert (late.status_code, stranger.status_code) == (409, 404)
    assert ApprovalDecision.objects.filter(request=js_distributor).count() == 1


def test_a_decision_on_a_finished_request_answers_409(world, api_client, zj_dealer):
    decide(api_client(world.channel), zj_dealer, "reject", "不符合条件")
    response = decide(api_client(world.admin), zj_dealer, "approve")
    assert response.status_code == 409
    assert ApprovalDecision.objects.filter(request=zj_dealer).count() == 1
    assert PartnerApplication.objects.get(pk=int(zj_dealer.subject_id)).status == "rejected"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"decision": "reject", "comment": ""}, {"comment": ["Give a reason when you reject or return."]}),
        ({"decision": "return", "comment": "  "}, {"comment": ["Give a reason when you reject or return."]}),
        ({"decision": "maybe"}, {"decision": ["Choose one of the allowed values."]}),
        ({"comment": "x"}, {"decision": ["This field is required."]}),
        ({"decision": "approve", "expected_step_id": "first"}, {"expected_step_id": ["Enter a whole number."]}),
    ],
)
def test_a_bad_decision_is_refused_and_changes_nothing(world, api_client, zj_dealer, body, errors):
    response = api_client(world.channel).post(
        f"/api/v1/approvals/{zj_dealer.pk}/decision", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert errors_of(response) == errors
    zj_dealer.refresh_from_db()
    assert (zj_dealer.status, ApprovalDecision.objects.count()) == ("pending", 0)


def test_the_inbox_takes_the_same_number_of_queries_for_more_requests(world, api_client, uscc):
    client = api_client(world.admin)
    submit(uscc, 10)
    client.get("/api/v1/approvals")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/approvals", {"box": "all"})
    for seed in range(11, 16):
        submit(uscc, seed, partner_type="dealer")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/approvals", {"box": "all"})
    assert response.json()["count"] == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_missing_request_answers_404(world, api_client):
    assert api_client(world.admin).get("/api/v1/approvals/999999999").status_code == 404
    # an id that no record can have (ids run from 1 to 2^63 - 1) is bad input
    assert api_client(world.admin).get("/api/v1/approvals/-1").status_code == 422
    assert decide(api_client(world.admin), ApprovalRequest(pk=999999)).status_code == 404


def test_credit_change_requests_are_scoped_to_the_partners_the_user_sees(world, api_client):
    # given a credit change of dealer_zj waiting for approval (channel manager, then admin)
    services.request_credit_change(
        partner=world.dealer_zj, credit_limit="900000", payment_terms_days=30, reason="扩张", actor=world.finance
    )
    approval = ApprovalRequest.objects.get(subject_kind="credit_change")
    # then finance (who asked) and the channel manager read it; a Jiangsu-only reader does not
    assert api_client(world.finance).get(f"/api/v1/approvals/{approval.pk}").status_code == 200
    assert ids(api_client(world.finance).get("/api/v1/approvals", {"box": "all"})) == [approval.pk]
    assert api_client(world.channel).get(f"/api/v1/approvals/{approval.pk}").json()["partner_id"] == world.dealer_zj.pk
    assert api_client(world.regional_js).get(f"/api/v1/approvals/{approval.pk}").status_code == 404


# --- real concurrency (PostgreSQL) -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_approvers_deciding_the_same_step_at_once_one_wins_and_the_other_gets_409(world, uscc):
    # given a distributor application at step 1, which both the regional manager and the admin may decide
    approval = submit(uscc, 3)
    step_one = approval.current_step_id
    clients = [
        Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user, name='race')[1]}")
        for user in (world.regional_js, world.admin)
    ]
    barrier = threading.Barrier(2)
    statuses = [None, None]

    def approve(index):
        try:
            barrier.wait()
            response = clients[index].post(
                f"/api/v1/approvals/{approval.pk}/decision",
                {"decision": "approve", "expected_step_id": step_one},
                content_type="application/json",
            )
            statuses[index] = response.status_code
        finally:
            connections.close_all()

    # when both approve at the same moment
    threads = [threading.Thread(target=approve, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one succeeded and the other was told someone decided first
    assert sorted(statuses) == [200, 409]
    assert ApprovalDecision.objects.filter(request=approval).count() == 1
    approval.refresh_from_db()
    assert (approval.status, approval.current_step.sequence) == ("pending", 2)
