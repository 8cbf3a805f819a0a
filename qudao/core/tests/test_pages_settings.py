"""Settings pages of core: brand settings (/settings/) and approval flows (/settings/flows/)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from qudao.core.models import ApprovalFlow, ApprovalStep, BrandSettings


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


BRAND = {
    "brand_name": "美的渠道",
    "default_currency": "CNY",
    "parent_must_cover_child_region": "on",
    "credit_change_approval_threshold": "250000.00",
    "approval_reminder_hours": "12",
}


def test_it_saves_the_brand_settings(world, page_client):
    client = page_client(world.admin)
    assert client.get("/settings/").status_code == 200

    response = client.post("/settings/", BRAND | {"parent_must_cover_child_region": ""})

    assert response.status_code == 302
    row = BrandSettings.current()
    assert (row.brand_name, row.credit_change_approval_threshold, row.approval_reminder_hours) == (
        "美的渠道",
        Decimal("250000.0000"),
        12,
    )
    assert row.parent_must_cover_child_region is False


def test_it_shows_brand_setting_errors_at_their_fields(world, page_client):
    before = BrandSettings.current().credit_change_approval_threshold

    response = page_client(world.admin).post("/settings/", BRAND | {"credit_change_approval_threshold": "-5"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"credit_change_approval_threshold": ["The amount cannot be negative."]}
    assert BrandSettings.current().credit_change_approval_threshold == before


@pytest.mark.parametrize(
    ("persona", "location"),
    [("channel", "/settings/tiers/"), ("finance", "/settings/flows/"), ("dist_admin", "/portal/")],
)
def test_it_takes_non_admins_to_the_settings_they_may_see(world, page_client, persona, location):
    before = BrandSettings.current().brand_name

    response = page_client(world.users[persona]).post("/settings/", BRAND)

    assert response.status_code == 302
    assert response.url == location
    assert BrandSettings.current().brand_name == before


def test_it_lists_the_active_flows_with_their_steps(world, page_client):
    response = page_client(world.channel).get("/settings/flows/")

    content = response.content.decode()
    assert response.status_code == 200
    # the default flows: two for applications, one each for credit changes, price lists, orders,
    # rebate policies (channel manager, then finance), manual rebate fund deposits (administrator)
    # and target plans (administrator)
    assert content.count('data-testid="flow"') == 8
    assert content.count('data-testid="flow-step"') == 12
    assert "经销商准入（两级审批）" in content and "Partner type is Distributor" in content
    assert "New flow" not in content  # only administrators configure flows


def flow_post(name, conditions, steps, subject_kind="credit_change", priority="5"):
    data = {
        "subject_kind": subject_kind,
        "name": name,
        "conditions": conditions,
        "priority": priority,
        "is_active": "on",
        "steps-TOTAL_FORMS": str(len(steps) + 1),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
    }
    for index, (step_name, role, match_region) in enumerate(steps):
        data[f"steps-{index}-name"] = step_name
        data[f"steps-{index}-approver_role"] = role
        if match_region:
            data[f"steps-{index}-match_region"] = "on"
    return data


def test_it_creates_a_flow_with_steps_and_conditions(world, page_client):
    response = page_client(world.admin).post(
        "/settings/flows/new/",
        flow_post(
            "大额授信",
            '{"increase": {"gte": 500000}}',
            [("财务复核", "finance", False), ("区域审批", "regional_manager", True)],
        ),
    )

    assert response.status_code == 302
    flow = ApprovalFlow.objects.get(name="大额授信")
    assert (flow.subject_kind, flow.conditions, flow.priority, flow.is_active) == (
        "credit_change",
        {"increase": {"gte": 500000}},
        5,
        True,
    )
    assert list(flow.steps.values_list("sequence", "name", "approver_role", "match_region")) == [
        (1, "财务复核", "finance", False),
        (2, "区域审批", "regional_manager", True),
    ]


@pytest.mark.parametrize(
    ("conditions", "steps", "errors"),
    [
        ("{not json", [("复核", "finance", False)], {"conditions": ["Not valid JSON: "]}),
        ('{"increase": {"about": 5}}', [("复核", "finance", False)], {"conditions": ["Unknown operator: about."]}),
        ("", [], {"__all__": ["A flow needs at least one step."]}),
    ],
)
def test_it_refuses_a_bad_flow_and_saves_nothing(world, page_client, conditions, steps, errors):
    count = ApprovalFlow.objects.count(), ApprovalStep.objects.count()

    response = page_client(world.admin).post("/settings/flows/new/", flow_post("坏流程", conditions, steps))

    assert response.status_code == 200
    form_errors = {
        key: [str(message)[: len(errors[key][0])] for message in value]
        for key, value in response.context["form"].errors.items()
    }
    assert form_errors == errors
    assert (ApprovalFlow.objects.count(), ApprovalStep.objects.count()) == count


def test_it_shows_a_step_error_at_its_row(world, page_client):
    response = page_client(world.admin).post("/settings/flows/new/", flow_post("缺角色", "", [("复核", "", False)]))

    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["approver_role"][0].startswith("Choose an HQ role:")
    assert not ApprovalFlow.objects.filter(name="缺角色").exists()


def test_it_edits_a_flow_nobody_used_in_place(world, page_client):
    flow = ApprovalFlow.objects.get(name="伙伴准入")
    client = page_client(world.admin)
    assert client.get(f"/settings/flows/{flow.pk}/").status_code == 200

    response = client.post(
        f"/settings/flows/{flow.pk}/",
        flow_post(
            "伙伴准入", "", [("渠道经理审批", "channel_manager", False), ("财务确认", "finance", False)], priority="0"
        ),
    )

    assert response.status_code == 302
    assert list(ApprovalFlow.objects.get(pk=flow.pk).steps.values_list("name", flat=True)) == [
        "渠道经理审批",
        "财务确认",
    ]


@pytest.mark.parametrize("persona", ["channel", "regional_js", "finance"])
def test_it_refuses_flow_configuration_to_non_admins(world, page_client, persona):
    flow = ApprovalFlow.objects.get(name="伙伴准入")
    client = page_client(world.users[persona])

    assert client.get("/settings/flows/new/").status_code == 403
    assert client.post(f"/settings/flows/{flow.pk}/", flow_post("改名", "", [("x", "admin", False)])).status_code == 403
    assert client.post(f"/settings/flows/{flow.pk}/deactivate/").status_code == 403
    assert ApprovalFlow.objects.get(pk=flow.pk).name == "伙伴准入"


def test_it_deactivates_a_flow(world, page_client):
    flow = ApprovalFlow.objects.get(name="伙伴准入")

    response = page_client(world.admin).post(f"/settings/flows/{flow.pk}/deactivate/")

    assert response.status_code == 302
    assert ApprovalFlow.objects.get(pk=flow.pk).is_active is False
    listed = page_client(world.admin).get("/settings/flows/").content.decode()
    assert "伙伴准入" not in listed.replace("经销商准入", "")
    assert (
        json.dumps("伙伴准入", ensure_ascii=False).strip('"')
        in page_client(world.admin).get("/settings/flows/?inactive=1").content.decode()
    )
