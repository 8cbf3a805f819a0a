"""Credit terms: only finance changes them; an increase above the brand's threshold needs approval;
every change is kept with who, when and why."""

from decimal import Decimal

import pytest

from qudao.core import approvals
from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.models import ApprovalRequest, BrandSettings
from qudao.partners import services
from qudao.partners.models import CreditTermsChange, Partner


@pytest.fixture
def threshold(world):
    settings_row = BrandSettings.current()
    settings_row.credit_change_approval_threshold = Decimal("100000")
    settings_row.save()
    return settings_row


def test_a_change_within_the_threshold_applies_at_once(world, threshold):
    change = services.request_credit_change(
        partner=world.dist_js, credit_limit="100000.00", payment_terms_days=30, reason="年度授信", actor=world.finance
    )
    partner = Partner.objects.get(pk=world.dist_js.pk)
    assert change.status == "applied" and change.approval is None
    assert (partner.credit_limit, partner.payment_terms_days, partner.credit_currency) == (Decimal("100000"), 30, "CNY")
    assert (change.old_limit, change.new_limit, change.requested_by, change.reason) == (
        Decimal("0"),
        Decimal("100000.00"),
        world.finance,
        "年度授信",
    )


def test_an_increase_above_the_threshold_waits_for_both_approval_steps(world, threshold):
    # when finance raises the limit by 100,000.01
    change = services.request_credit_change(
        partner=world.dist_js, credit_limit="100000.01", payment_terms_days=45, reason="旺季备货", actor=world.finance
    )
    # then nothing applies yet
    assert change.status == "pending"
    assert Partner.objects.get(pk=world.dist_js.pk).credit_limit == Decimal("0")
    request = ApprovalRequest.objects.get(pk=change.approval_id)
    assert request.subject_kind == "credit_change" and request.current_step.approver_role == "channel_manager"
    assert request.context["increase"] == "100000.01"
    # when the channel manager and then an admin approve
    approvals.decide(request_id=request.pk, actor=world.channel, decision="approve")
    assert CreditTermsChange.objects.get(pk=change.pk).status == "pending"
    approvals.decide(request_id=request.pk, actor=world.admin, decision="approve")
    # then the new terms are in force
    partner = Partner.objects.get(pk=world.dist_js.pk)
    assert (partner.credit_limit, partner.payment_terms_days) == (Decimal("100000.0100"), 45)
    assert CreditTermsChange.objects.get(pk=change.pk).status == "applied"


def test_a_rejected_increase_changes_nothing(world, threshold):
    change = services.request_credit_change(
        partner=world.dist_js, credit_limit="500000", payment_terms_days=60, reason="扩张", actor=world.finance
    )
    approvals.decide(request_id=change.approval_id, actor=world.channel, decision="reject", comment="回款不佳")
    partner = Partner.objects.get(pk=world.dist_js.pk)
    assert (partner.credit_limit, partner.payment_terms_days) == (Decimal("0"), 0)
    assert CreditTermsChange.objects.get(pk=change.pk).status == "rejected"


def test_a_second_change_while_one_waits_is_a_conflict(world, threshold):
    services.request_credit_change(
        partner=world.dist_js, credit_limit="500000", payment_terms_days=60, reason="扩张", actor=world.finance
    )
    with pytest.raises(Conflict):
        services.request_credit_change(
            partner=world.dist_js, credit_limit="1000", payment_terms_days=0, reason="下调", actor=world.finance
        )
    assert CreditTermsChange.objects.filter(partner=world.dist_js).count() == 1


def test_a_decrease_applies_at_once_whatever_its_size(world, threshold):
    Partner.objects.filter(pk=world.dist_js.pk).update(credit_limit=Decimal("900000"))
    change = services.request_credit_change(
        partner=world.dist_js, credit_limit="0", payment_terms_days=0, reason="逾期冻结", actor=world.finance
    )
    assert change.status == "applied"
    assert Partner.objects.get(pk=world.dist_js.pk).credit_limit == Decimal("0")


@pytest.mark.parametrize("persona", ["admin", "channel", "regional_js", "operations", "sales", "dist_admin"])
def test_only_finance_changes_credit_terms(world, threshold, persona):
    with pytest.raises(Forbidden):
        services.request_credit_change(
            partner=world.dist_js, credit_limit="1000", payment_terms_days=0, reason="x", actor=world.users[persona]
        )
    assert CreditTermsChange.objects.count() == 0


@pytest.mark.parametrize(
    ("limit", "days", "currency", "reason", "fields"),
    [
        (12.5, 30, "CNY", "r", ["credit_limit"]),  # a float is not exact money
        ("abc", 30, "CNY", "r", ["credit_limit"]),
        ("-1", 30, "CNY", "r", ["credit_limit"]),
        ("1000", -5, "CNY", "r", ["payment_terms_days"]),
        ("1000", 30, "XYZ", "r", ["currency"]),
        ("1000", 30, "CNY", "  ", ["reason"]),
        ("NaN", 400, "CNY", "", ["credit_limit", "payment_terms_days", "reason"]),
    ],
)
def test_bad_credit_input_is_refused_field_by_field(world, threshold, limit, days, currency, reason, fields):
    with pytest.raises(FieldErrors) as error:
        services.request_credit_change(
            partner=world.dist_js,
            credit_limit=limit,
            payment_terms_days=days,
            currency=currency,
            reason=reason,
            actor=world.finance,
        )
    assert sorted(error.value.errors) == sorted(fields)
    assert CreditTermsChange.objects.count() == 0
