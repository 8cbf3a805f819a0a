"""The approval pages: the inbox (/approvals/), "all I can see", and a request's page with its
decision form (/approvals/<id>/)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import ApprovalDecision, ApprovalRequest
from qudao.partners import services
from qudao.partners.models import Partner, PartnerApplication


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def apply(uscc, seed, **overrides) -> PartnerApplication:
    data = {
        "partner_type": "dealer",
        "legal_name": f"审批测试{seed}有限公司",
        "credit_code": uscc(seed),
        "region": "320500",
        "contact_name": "孙丽",
        "contact_mobile": f"138{seed:08d}",
        "contact_email": f"approve{seed}@example.cn",
    }
    data.update(overrides)
    pdf = SimpleUploadedFile("licence.pdf", b"%PDF-1.4\n", "application/pdf")
    return services.submit_application(data=data, licence=pdf)


def row_numbers(response) -> list[str]:
    return re.findall(r'data-testid="approval-row">\s*<td><a [^>]+>([^<]+)<', response.content.decode())


def decide(client, approval, decision, comment="", step=None):
    return client.post(
        f"/approvals/{approval.pk}/",
        {"decision": decision, "comment": comment, "expected_step_id": step or approval.current_step_id},
    )


# --- the inbox ---------------------------------------------------------------------------------


def test_it_lists_what_waits_for_each_approver(world, page_client, uscc):
    # given a dealer application (channel manager decides) and a distributor application in
    # Jiangsu (the Jiangsu regional manager decides first)
    dealer = apply(uscc, 401).approval
    distributor = apply(uscc, 402, partner_type="distributor", region="320100").approval

    # when each approver opens its inbox
    inboxes = {
        persona: row_numbers(page_client(world.users[persona]).get("/approvals/"))
        for persona in ("channel", "regional_js", "regional_zj", "finance", "admin")
    }

    # then each sees exactly what it may decide now
    assert inboxes == {
        "channel": [dealer.number],
        "regional_js": [distributor.number],
        "regional_zj": [],
        "finance": [],
        "admin": [distributor.number, dealer.number],
    }


def test_it_shows_an_empty_inbox_plainly(world, page_client):
    response = page_client(world.finance).get("/approvals/")

    assert response.status_code == 200
    assert "Nothing waits for your decision." in response.content.decode()


def test_its_all_tab_adds_what_the_user_decided_and_filters_by_status(world, page_client, uscc):
    # given a distributor application the Jiangsu manager has approved (now at the channel manager)
    approval = apply(uscc, 411, partner_type="distributor", region="320100").approval
    client = page_client(world.regional_js)
    decide(client, approval, "approve")

    # then its inbox is empty, but "all I can see" still lists it
    assert row_numbers(client.get("/approvals/")) == []
    assert row_numbers(client.get("/approvals/?tab=all")) == [approval.number]
    assert row_numbers(client.get("/approvals/?tab=all&status=pending")) == [approval.number]
    assert row_numbers(client.get("/approvals/?tab=all&status=approved")) == []


def test_it_sends_partner_users_to_their_portal_and_hides_requests_from_them(world, page_client, uscc):
    approval = apply(uscc, 421).approval
    client = page_client(world.dist_admin)

    assert client.get("/approvals/").url == "/portal/"
    assert client.get(f"/approvals/{approval.pk}/").status_code == 404


# --- a request's page ---------------------------------------------------------------------------


def test_it_shows_the_subject_the_steps_and_the_decision_form(world, page_client, uscc):
    application = apply(uscc, 431, partner_type="distributor", region="320100")
    approval = application.approval

    response = page_client(world.regional_js).get(f"/approvals/{approval.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert f'href="/applications/{application.pk}/" data-testid="subject-link"' in content
    assert [step.state for step in response.context["steps"]] == ["current", "todo"]
    assert re.search(r'data-testid="current-step">\s*<span class="step-name">区域经理初审<', content)
    assert 'data-testid="decision-form"' in content


def test_it_answers_404_for_a_request_the_user_may_not_see(world, page_client, uscc):
    approval = apply(uscc, 441, partner_type="distributor", region="320100").approval

    assert page_client(world.regional_zj).get(f"/approvals/{approval.pk}/").status_code == 404
    assert page_client(world.finance).get(f"/approvals/{approval.pk}/").status_code == 404
    assert page_client(world.admin).get("/approvals/999999/").status_code == 404


def test_it_moves_a_two_step_request_through_both_approvers(world, page_client, uscc):
    # given a distributor application in Nanjing
    application = apply(uscc, 451, partner_type="distributor", region="320100")
    approval = application.approval

    # when the Jiangsu manager approves step 1 on the page
    first = decide(page_client(world.regional_js), approval, "approve", "资料齐全")

    # then the request moves to the channel manager's step
    approval.refresh_from_db()
    assert first.status_code == 302 and first.url == f"/approvals/{approval.pk}/"
    assert (approval.status, approval.current_step.name) == ("pending", "渠道经理终审")

    # when the channel manager approves step 2
    channel = page_client(world.channel)
    page = channel.get(f"/approvals/{approval.pk}/")
    assert [step.state for step in page.context["steps"]] == ["done", "current"]
    second = decide(channel, approval, "approve")

    # then the request is approved and the partner exists, and the page shows both decisions
    approval.refresh_from_db()
    application.refresh_from_db()
    assert second.status_code == 302
    assert approval.status == "approved" and application.status == "approved"
    assert Partner.objects.filter(pk=application.partner_id, legal_name="审批测试451有限公司").exists()
    final = channel.get(f"/approvals/{approval.pk}/").content.decode()
    assert final.count('data-testid="decision"') == 2
    assert "资料齐全" in final
    assert 'data-testid="decision-form"' not in final


def test_it_returns_a_request_with_a_comment(world, page_client, uscc):
    application = apply(uscc, 461)

    response = decide(page_client(world.channel), application.approval, "return", "请补充营业执照清晰扫描件")

    assert response.status_code == 302
    assert ApprovalRequest.objects.get(pk=application.approval_id).status == "returned"
    assert PartnerApplication.objects.get(pk=application.pk).status == "returned"


def test_it_shows_a_missing_comment_at_its_field_and_changes_nothing(world, page_client, uscc):
    approval = apply(uscc, 471).approval

    response = decide(page_client(world.channel), approval, "reject", "  ")

    assert response.status_code == 200
    assert response.context["decision_form"].errors == {"comment": ["Give a reason when you reject or return."]}
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "pending"
    assert not ApprovalDecision.objects.filter(request=approval).exists()


def test_it_tells_a_late_approver_that_someone_decided_first(world, page_client, uscc):
    # given a distributor application the Jiangsu manager approved while the admin had step 1 open
    approval = apply(uscc, 481, partner_type="distributor", region="320100").approval
    step_one = approval.current_step_id
    decide(page_client(world.regional_js), approval, "approve")

    # when the admin submits its decision for step 1
    response = page_client(world.admin).post(
        f"/approvals/{approval.pk}/",
        {"decision": "reject", "comment": "不合格", "expected_step_id": step_one},
        follow=True,
    )

    # then it is told so, and nothing changes
    assert "This request has already been decided at this step." in response.content.decode()
    approval.refresh_from_db()
    assert (approval.status, approval.current_step.name) == ("pending", "渠道经理终审")
    assert ApprovalDecision.objects.filter(request=approval).count() == 1


def test_it_refuses_a_decision_by_someone_who_only_submitted(world, page_client):
    # given a large credit increase finance filed (it waits for the channel manager)
    from decimal import Decimal

    change = services.request_credit_change(
        partner=world.dist_js, credit_limit=Decimal("500000"), payment_terms_days=30, reason="扩大", actor=world.finance
    )
    approval = change.approval

    # when finance (which may see it: it submitted it) posts a decision
    client = page_client(world.finance)
    page = client.get(f"/approvals/{approval.pk}/")
    response = client.post(
        f"/approvals/{approval.pk}/", {"decision": "approve", "expected_step_id": approval.current_step_id}, follow=True
    )

    # then the page had no form, the post is refused with a message, and nothing changed
    assert page.status_code == 200 and 'data-testid="decision-form"' not in page.content.decode()
    assert f'href="/partners/{world.dist_js.pk}/" data-testid="subject-link"' in page.content.decode()
    assert "You are not an approver of this step." in response.content.decode()
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "pending"


def test_it_hides_requests_about_partners_outside_the_users_scope(world, page_client):
    # given a credit-change flow whose step any regional manager may decide (no region match)
    from decimal import Decimal

    from qudao.core.models import ApprovalFlow, ApprovalStep

    flow = ApprovalFlow.objects.create(subject_kind="credit_change", name="区域经理审批", priority=100)
    ApprovalStep.objects.create(flow=flow, sequence=1, name="区域经理", approver_role="regional_manager")
    # and a large credit increase for the Jiangsu distributor
    change = services.request_credit_change(
        partner=world.dist_js, credit_limit=Decimal("500000"), payment_terms_days=30, reason="扩大", actor=world.finance
    )
    approval = change.approval

    # then the Jiangsu manager has it in its inbox, the Zhejiang manager neither sees nor decides it
    assert row_numbers(page_client(world.regional_js).get("/approvals/")) == [approval.number]
    zhejiang = page_client(world.regional_zj)
    assert row_numbers(zhejiang.get("/approvals/")) == []
    assert row_numbers(zhejiang.get("/approvals/?tab=all")) == []
    assert zhejiang.get(f"/approvals/{approval.pk}/").status_code == 404
    assert decide(zhejiang, approval, "approve").status_code == 404
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "pending"
