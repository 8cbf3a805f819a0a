"""API: approval flows are data, configured by the admin (approvals.configure)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core import approvals
from qudao.core.models import ApprovalDecision, ApprovalFlow, ApprovalStep
from qudao.partners import services

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


def flows_state():
    return [
        (
            flow.subject_kind,
            flow.name,
            flow.conditions,
            flow.priority,
            flow.is_active,
            [
                (step.sequence, step.name, step.approver_role, step.match_region)
                for step in flow.steps.order_by("sequence")
            ],
        )
        for flow in ApprovalFlow.objects.order_by("pk")
    ]


def apply(uscc, seed, partner_type="agent"):
    return services.submit_application(
        data={
            "partner_type": partner_type,
            "legal_name": f"流程测试{seed}",
            "credit_code": uscc(800 + seed),
            "region": "320500",
            "contact_name": "钱八",
            "contact_mobile": f"1330000{seed:04d}",
            "contact_email": f"qian{seed}@example.cn",
        },
        licence=SimpleUploadedFile("licence.pdf", PDF),
    )


AGENT_FLOW = {
    "subject_kind": "partner_application",
    "name": "代理商准入",
    "conditions": {"partner_type": ["agent", "service"]},
    "priority": 20,
    "steps": [
        {"name": "销售初审", "approver_role": "sales"},
        {"name": "区域复核", "approver_role": "regional_manager", "match_region": True},
    ],
}


def test_the_admin_lists_the_flows_with_their_steps(world, api_client):
    response = api_client(world.admin).get("/api/v1/approval-flows", {"subject_kind": "partner_application"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    flow = ApprovalFlow.objects.get(name="经销商准入（两级审批）")
    first, second = flow.steps.order_by("sequence")
    assert body["items"][0] == {
        "id": flow.pk,
        "subject_kind": "partner_application",
        "name": "经销商准入（两级审批）",
        "conditions": {"partner_type": "distributor"},
        "priority": 10,
        "is_active": True,
        "steps": [
            {
                "id": first.pk,
                "sequence": 1,
                "name": "区域经理初审",
                "approver_role": "regional_manager",
                "match_region": True,
            },
            {
                "id": second.pk,
                "sequence": 2,
                "name": "渠道经理终审",
                "approver_role": "channel_manager",
                "match_region": False,
            },
        ],
    }
    assert api_client(world.admin).get(f"/api/v1/approval-flows/{flow.pk}").json() == body["items"][0]


@pytest.mark.parametrize("persona", ["channel", "regional_js", "finance", "dist_admin"])
def test_only_the_admin_configures_flows(world, api_client, persona):
    client = api_client(world.users[persona])
    flow = ApprovalFlow.objects.get(name="伙伴准入")
    before = flows_state()
    assert client.get("/api/v1/approval-flows").status_code == 403
    assert client.post("/api/v1/approval-flows", AGENT_FLOW, content_type="application/json").status_code == 403
    assert (
        client.patch(f"/api/v1/approval-flows/{flow.pk}", {"priority": 99}, content_type="application/json").status_code
        == 403
    )
    assert client.delete(f"/api/v1/approval-flows/{flow.pk}").status_code == 403
    assert flows_state() == before


def test_a_new_flow_is_chosen_for_the_subjects_it_matches(world, api_client, uscc):
    # when
    response = api_client(world.admin).post("/api/v1/approval-flows", AGENT_FLOW, content_type="application/json")
    # then
    assert response.status_code == 201
    flow = ApprovalFlow.objects.get(name="代理商准入")
    body = response.json()
    assert (body["id"], body["conditions"], body["priority"], body["is_active"]) == (
        flow.pk,
        {"partner_type": ["agent", "service"]},
        20,
        True,
    )
    assert [
        (step["sequence"], step["name"], step["approver_role"], step["match_region"]) for step in body["steps"]
    ] == [
        (1, "销售初审", "sales", False),
        (2, "区域复核", "regional_manager", True),
    ]
    # and an agent applying now goes through it; a dealer still through the general flow
    assert apply(uscc, 1).approval.flow == flow
    assert apply(uscc, 2, partner_type="dealer").approval.flow.name == "伙伴准入"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"subject_kind": "rebate_run"},
            {
                "subject_kind": [
                    "Choose one of: credit_change, order, partner_application, price_list, rebate_fund_deposit, "
                    "rebate_policy, target_plan."
                ]
            },
        ),
        ({"conditions": {"partner_type": {"like": "dist"}}}, {"conditions": ["Unknown operator: like."]}),
        ({"conditions": ["partner_type"]}, {"conditions": ["Give an object."]}),
        ({"steps": []}, {"steps": ["A flow needs at least one step."]}),
        (
            {"steps": [{"name": "伙伴自审", "approver_role": "partner_admin"}]},
            {
                "steps.0.approver_role": [
                    "Choose an HQ role: admin, channel_manager, regional_manager, finance, operations, sales."
                ]
            },
        ),
        (
            {"steps": [{"name": "", "approver_role": "admin"}, {"name": "x", "approver_role": "boss"}]},
            {
                "steps.0.name": ["This field is required."],
                "steps.1.approver_role": [
                    "Choose an HQ role: admin, channel_manager, regional_manager, finance, operations, sales."
                ],
            },
        ),
        ({"steps": [{"name": "x"}]}, {"steps.0.approver_role": ["This field is required."]}),
        (
            {"name": " ", "priority": 5000},
            {"name": ["This field is required."], "priority": ["Enter a whole number from -1000 to 1000."]},
        ),
        ({"priority": "high"}, {"priority": ["Enter a whole number."]}),
    ],
)
def test_it_refuses_a_bad_flow_and_creates_nothing(world, api_client, changes, errors):
    before = flows_state()
    response = api_client(world.admin).post(
        "/api/v1/approval-flows", AGENT_FLOW | changes, content_type="application/json"
    )
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert flows_state() == before


def test_the_registered_subjects_are_the_ones_offered(world):
    assert sorted(approvals.registered_kinds()) == [
        "credit_change",
        "order",
        "partner_application",
        "price_list",
        "rebate_fund_deposit",
        "rebate_policy",
        "target_plan",
    ]


def test_an_unused_flow_gets_its_steps_replaced_in_place(world, api_client):
    flow_id = (
        api_client(world.admin).post("/api/v1/approval-flows", AGENT_FLOW, content_type="application/json").json()["id"]
    )
    response = api_client(world.admin).patch(
        f"/api/v1/approval-flows/{flow_id}",
        {"name": "代理商准入（简化）", "steps": [{"name": "渠道审批", "approver_role": "channel_manager"}]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["name"]) == (flow_id, "代理商准入（简化）")
    assert list(ApprovalStep.objects.filter(flow_id=flow_id).values_list("sequence", "name", "approver_role")) == [
        (1, "渠道审批", "channel_manager")
    ]


def test_steps_cannot_change_while_a_request_is_pending_in_the_flow(world, api_client, uscc):
    # given an application waiting in the dealer flow
    apply(uscc, 3, partner_type="dealer")
    flow = ApprovalFlow.objects.get(name="伙伴准入")
    before = flows_state()
    # when
    response = api_client(world.admin).patch(
        f"/api/v1/approval-flows/{flow.pk}",
        {"priority": 5, "steps": [{"name": "管理员审批", "approver_role": "admin"}]},
        content_type="application/json",
    )
    # then
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert flows_state() == before


def test_replacing_the_steps_of_a_used_flow_keeps_the_old_one_as_history(world, api_client, uscc):
    # given the dealer flow decided one application
    approval = apply(uscc, 4, partner_type="dealer").approval
    approvals.decide(request_id=approval.pk, actor=world.channel, decision="approve")
    old_flow = ApprovalFlow.objects.get(name="伙伴准入")
    old_step = old_flow.steps.get()
    # when its steps are replaced
    response = api_client(world.admin).patch(
        f"/api/v1/approval-flows/{old_flow.pk}",
        {
            "steps": [
                {"name": "渠道初审", "approver_role": "channel_manager"},
                {"name": "管理员终审", "approver_role": "admin"},
            ]
        },
        content_type="application/json",
    )
    # then a new flow is in force and the old one, with its step and decision, is kept inactive
    assert response.status_code == 200
    new_id = response.json()["id"]
    assert new_id != old_flow.pk
    assert (response.json()["name"], response.json()["is_active"], len(response.json()["steps"])) == (
        "伙伴准入",
        True,
        2,
    )
    old_flow.refresh_from_db()
    assert old_flow.is_active is False
    assert list(old_flow.steps.values_list("pk", flat=True)) == [old_step.pk]
    assert ApprovalDecision.objects.get(request=approval).step_id == old_step.pk
    assert apply(uscc, 5, partner_type="dealer").approval.flow_id == new_id


def test_deleting_a_flow_deactivates_it(world, api_client, uscc):
    flow = ApprovalFlow.objects.get(name="经销商准入（两级审批）")
    response = api_client(world.admin).delete(f"/api/v1/approval-flows/{flow.pk}")
    assert response.status_code == 204
    flow.refresh_from_db()
    assert flow.is_active is False
    assert flow.steps.count() == 2
    # a distributor now falls back to the general flow
    assert apply(uscc, 6, partner_type="distributor").approval.flow.name == "伙伴准入"
    inactive = api_client(world.admin).get("/api/v1/approval-flows", {"active": "false"}).json()
    assert [item["id"] for item in inactive["items"]] == [flow.pk]


def test_a_flows_subject_cannot_change(world, api_client):
    flow = ApprovalFlow.objects.get(name="伙伴准入")
    response = api_client(world.admin).patch(
        f"/api/v1/approval-flows/{flow.pk}", {"subject_kind": "credit_change"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert errors_of(response) == {"subject_kind": ["This field is not accepted here."]}


def test_a_missing_flow_answers_404(world, api_client):
    client = api_client(world.admin)
    assert client.get("/api/v1/approval-flows/999999").status_code == 404
    assert client.delete("/api/v1/approval-flows/999999").status_code == 404
