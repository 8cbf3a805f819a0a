"""The approval engine, driven through the partner-application and credit-change subjects."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core import approvals
from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.models import ApprovalDecision, ApprovalFlow, ApprovalRequest, ApprovalStep, BrandSettings, Notification
from qudao.partners import services
from qudao.partners.models import Partner, PartnerApplication

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def apply(uscc, seed, partner_type="distributor", region="320500", **extra):
    data = {
        "partner_type": partner_type,
        "legal_name": f"苏州测试{seed}号商贸有限公司",
        "credit_code": uscc(seed),
        "region": region,
        "contact_name": "王五",
        "contact_mobile": f"139{seed:08d}",
        "contact_email": f"applicant{seed}@example.cn",
        "product_lines": ["厨电"],
    } | extra
    return services.submit_application(data=data, licence=SimpleUploadedFile("licence.pdf", PDF))


@pytest.mark.parametrize(
    ("conditions", "context", "expected"),
    [
        ({}, {"partner_type": "dealer"}, True),
        ({"partner_type": "distributor"}, {"partner_type": "dealer"}, False),
        ({"partner_type": ["distributor", "agent"]}, {"partner_type": "agent"}, True),
        ({"increase": {"gte": "100000", "lt": "500000"}}, {"increase": "100000.00"}, True),
        ({"increase": {"gte": "100000", "lt": "500000"}}, {"increase": "500000"}, False),
        ({"increase": {"gt": 5}}, {"increase": "not a number"}, False),
        ({"province": {"ne": "320000"}}, {"province": "330000"}, True),
    ],
)
def test_it_matches_flow_conditions(conditions, context, expected):
    assert approvals.conditions_match(conditions, context) is expected


def test_it_refuses_unknown_condition_operators():
    with pytest.raises(FieldErrors) as error:
        approvals.validate_conditions({"increase": {"approx": 1}})
    assert list(error.value.errors) == ["conditions"]


def test_a_distributor_application_takes_the_two_step_flow_and_a_dealer_the_one_step_flow(world, uscc):
    # when
    distributor = apply(uscc, 11)
    dealer = apply(uscc, 12, partner_type="dealer")
    # then
    assert distributor.approval.flow.name == "经销商准入（两级审批）"
    assert distributor.approval.current_step.sequence == 1
    assert distributor.approval.current_step.approver_role == "regional_manager"
    assert dealer.approval.flow.name == "伙伴准入"
    assert dealer.approval.current_step.approver_role == "channel_manager"


def test_steps_route_to_the_role_and_region_of_the_subject(world, uscc):
    # given a distributor applying in Suzhou (Jiangsu)
    application = apply(uscc, 13)
    request = application.approval
    # then only the Jiangsu regional manager (and admins) may decide step 1
    assert list(approvals.inbox_for(world.regional_js)) == [request]
    assert list(approvals.inbox_for(world.regional_zj)) == []
    assert list(approvals.inbox_for(world.channel)) == []
    assert list(approvals.inbox_for(world.admin)) == [request]
    assert sorted(u.username for u in approvals.eligible_approvers(request)) == ["admin", "regional_js"]
    # and the Zhejiang manager is refused, nothing recorded
    with pytest.raises(Forbidden):
        approvals.decide(request_id=request.pk, actor=world.regional_zj, decision="approve")
    assert ApprovalDecision.objects.filter(request=request).count() == 0


def test_onboarding_from_application_to_partner_through_two_steps(
    world, uscc, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        application = apply(uscc, 14)
    request_id = application.approval_id
    # when step 1 and step 2 approve
    approvals.decide(request_id=request_id, actor=world.regional_js, decision="approve", comment="资质齐全")
    assert ApprovalRequest.objects.get(pk=request_id).current_step.approver_role == "channel_manager"
    assert not Partner.objects.filter(credit_code=application.credit_code).exists()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(request_id=request_id, actor=world.channel, decision="approve")
    # then the partner and its first partner admin exist
    application.refresh_from_db()
    request = ApprovalRequest.objects.get(pk=request_id)
    assert request.status == "approved" and request.current_step is None
    assert application.status == PartnerApplication.Status.APPROVED
    partner = application.partner
    assert partner.legal_name == "苏州测试14号商贸有限公司"
    assert partner.status == "active" and partner.tier.code == "registered"
    assert partner.channel_manager == world.channel
    member = partner.members.get()
    assert member.role == "partner_admin" and member.user == application.admin_user
    assert member.user.mobile == "13900000014" and member.user.email == "applicant14@example.cn"
    assert not member.user.has_usable_password()
    assert [d.decision for d in request.decisions.all()] == ["approve", "approve"]
    # and the applicant was told how to log in (received + approved e-mails)
    assert [m.subject for m in mailoutbox] == [
        f"Application {application.number} received",
        f"Application {application.number} approved",
    ]
    assert member.user.username in mailoutbox[1].body and "/set-password/" in mailoutbox[1].body
    assert Notification.objects.filter(user=member.user, kind="partner.welcome").count() == 1


def test_return_for_changes_then_resubmit_starts_a_new_round(world, uscc):
    application = apply(uscc, 15, partner_type="dealer")
    request_id = application.approval_id
    # a return needs a comment
    with pytest.raises(FieldErrors):
        approvals.decide(request_id=request_id, actor=world.channel, decision="return")
    approvals.decide(request_id=request_id, actor=world.channel, decision="return", comment="营业执照不清晰")
    application.refresh_from_db()
    assert application.status == "returned"
    # when the applicant fixes and resubmits
    services.resubmit_application(
        application=application,
        data={
            "partner_type": "dealer",
            "legal_name": application.legal_name,
            "credit_code": application.credit_code,
            "region": "320500",
            "contact_name": "王五",
            "contact_mobile": "13900000015",
            "contact_email": "applicant15@example.cn",
            "address": "苏州市姑苏区人民路1号",
        },
        licence=SimpleUploadedFile("licence.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20),
    )
    # then the same request is pending again at step 1, round 2
    request = ApprovalRequest.objects.get(pk=request_id)
    application.refresh_from_db()
    assert (request.status, request.round, request.current_step.sequence) == ("pending", 2, 1)
    assert application.status == "submitted" and application.address == "苏州市姑苏区人民路1号"
    assert [d.decision for d in request.decisions.all()] == ["return", "resubmit"]


def test_reject_closes_the_application_and_creates_nothing(world, uscc, mailoutbox, django_capture_on_commit_callbacks):
    application = apply(uscc, 16, partner_type="dealer")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(request_id=application.approval_id, actor=world.channel, decision="reject", comment="重复申请")
    application.refresh_from_db()
    assert application.status == "rejected"
    assert application.partner is None
    assert Partner.objects.count() == 3
    assert "重复申请" in mailoutbox[-1].body


def test_a_decided_step_cannot_be_decided_again(world, uscc):
    application = apply(uscc, 17, partner_type="dealer")
    request = application.approval
    approvals.decide(request_id=request.pk, actor=world.channel, decision="approve")
    with pytest.raises(Conflict):
        approvals.decide(request_id=request.pk, actor=world.admin, decision="approve")
    # a stale view of step 1 of a two-step flow conflicts too
    second = apply(uscc, 18)
    approvals.decide(request_id=second.approval_id, actor=world.regional_js, decision="approve")
    with pytest.raises(Conflict):
        approvals.decide(
            request_id=second.approval_id,
            actor=world.admin,
            decision="approve",
            expected_step_id=second.approval.current_step_id,
        )
    assert ApprovalDecision.objects.filter(request_id=second.approval_id).count() == 1


def test_pending_steps_older_than_the_reminder_time_remind_their_approvers_once(world, uscc):
    settings_row = BrandSettings.current()
    settings_row.approval_reminder_hours = 24
    settings_row.save()
    application = apply(uscc, 19, partner_type="dealer")
    ApprovalRequest.objects.filter(pk=application.approval_id).update(
        step_started_at=timezone.now() - timedelta(hours=25)
    )
    fresh = apply(uscc, 20, partner_type="dealer")
    before = Notification.objects.filter(kind="approval.reminder").count()
    # when
    reminded = approvals.send_reminders()
    again = approvals.send_reminders()
    # then only the overdue request is reminded, to channel manager and admin, once
    assert (reminded, again) == (1, 0)
    reminders = Notification.objects.filter(kind="approval.reminder")
    assert reminders.count() - before == 2
    assert sorted(reminders.values_list("user__username", flat=True)) == ["admin", "channel"]
    assert fresh.approval.last_reminded_at is None


def test_a_flow_of_higher_priority_with_matching_conditions_wins(world, uscc):
    flow = ApprovalFlow.objects.create(
        subject_kind="partner_application",
        name="华东代理商",
        conditions={"partner_type": "agent", "province": "320000"},
        priority=50,
    )
    ApprovalStep.objects.create(flow=flow, sequence=1, name="运营复核", approver_role="operations")
    agent = apply(uscc, 21, partner_type="agent")
    zhejiang_agent = apply(uscc, 22, partner_type="agent", region="330100")
    assert agent.approval.flow == flow
    assert zhejiang_agent.approval.flow.name == "伙伴准入"
    assert list(approvals.inbox_for(world.operations)) == [agent.approval]
