"""API: credit terms. Only finance changes them; an increase above the brand's threshold
(100,000.00 by default) waits for the credit-change flow (channel manager, then admin)."""

from decimal import Decimal

import pytest

from qudao.core.models import ApprovalDecision, ApprovalRequest, Notification
from qudao.partners.models import CreditTermsChange, Partner

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def post_json(client, url, data):
    return client.post(url, data, content_type="application/json")


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def terms(partner):
    partner = Partner.objects.get(pk=partner.pk)
    return (partner.credit_limit, partner.credit_currency, partner.payment_terms_days)


MONEY_FORMAT = 'Enter an amount with at most 13 digits before the decimal point and 2 after it, e.g. "500000.00".'


def request_change(client, partner, **data):
    body = {"credit_limit": "80000", "payment_terms_days": 30, "currency": "CNY", "reason": "年度授信"} | data
    return post_json(client, f"/api/v1/partners/{partner.pk}/credit-changes", body)


def test_a_change_within_the_threshold_applies_at_once(world, api_client):
    # when
    response = request_change(api_client(world.finance), world.dist_js, credit_limit="80000.01")
    # then
    assert response.status_code == 201
    change = CreditTermsChange.objects.get(partner=world.dist_js)
    body = response.json()
    assert {key: value for key, value in body.items() if key not in ("requested_at", "decided_at")} == {
        "id": change.pk,
        "status": "applied",
        "old_limit": "0.00",
        "new_limit": "80000.01",
        "old_currency": "CNY",
        "new_currency": "CNY",
        "old_terms_days": 0,
        "new_terms_days": 30,
        "reason": "年度授信",
        "requested_by": "finance",
        "approval": None,
    }
    assert body["decided_at"] is not None
    assert terms(world.dist_js) == (Decimal("80000.01"), "CNY", 30)
    assert ApprovalRequest.objects.count() == 0


def test_an_increase_of_exactly_the_threshold_applies_at_once(world, api_client):
    response = request_change(api_client(world.finance), world.dist_js, credit_limit="100000.00")
    assert (response.status_code, response.json()["status"]) == (201, "applied")
    assert terms(world.dist_js) == (Decimal("100000"), "CNY", 30)


def test_an_increase_above_the_threshold_waits_for_both_steps_then_applies(world, api_client):
    # given
    finance = api_client(world.finance)
    # when finance asks for 500,000.00
    response = request_change(
        finance, world.dist_js, credit_limit="500000.00", payment_terms_days=45, reason="扩大经营"
    )
    # then it waits, and nothing is applied yet
    assert response.status_code == 201
    body = response.json()
    approval = ApprovalRequest.objects.get(subject_kind="credit_change")
    assert (body["status"], body["new_limit"], body["decided_at"]) == ("pending", "500000.00", None)
    assert body["approval"] == {"id": approval.pk, "number": approval.number, "status": "pending"}
    assert terms(world.dist_js) == (Decimal("0"), "CNY", 0)
    assert approval.current_step.approver_role == "channel_manager"

    # when the channel manager approves step 1
    first = post_json(api_client(world.channel), f"/api/v1/approvals/{approval.pk}/decision", {"decision": "approve"})
    # then it moves to the admin, still not applied
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["current_step"]["approver_role"]) == ("pending", "admin")
    assert terms(world.dist_js) == (Decimal("0"), "CNY", 0)

    # when the admin approves step 2
    second = post_json(
        api_client(world.admin), f"/api/v1/approvals/{approval.pk}/decision", {"decision": "approve", "comment": "同意"}
    )
    # then the terms apply and finance hears about it
    assert second.status_code == 200
    assert second.json()["status"] == "approved"
    assert terms(world.dist_js) == (Decimal("500000.00"), "CNY", 45)
    listed = finance.get(f"/api/v1/partners/{world.dist_js.pk}/credit-changes").json()["items"][0]
    assert (listed["status"], listed["approval"]["status"]) == ("applied", "approved")
    assert list(Notification.objects.filter(user=world.finance, kind="credit.approved").values_list("title", flat=True))
    detail = api_client(world.regional_js).get(f"/api/v1/partners/{world.dist_js.pk}").json()
    assert detail["credit"] == {"credit_limit": "500000.00", "currency": "CNY", "payment_terms_days": 45}


def test_a_second_change_while_one_is_pending_answers_409(world, api_client):
    # given
    finance = api_client(world.finance)
    assert request_change(finance, world.dist_js, credit_limit="500000").status_code == 201
    # when
    response = request_change(finance, world.dist_js, credit_limit="1000")
    # then
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "A credit change for this partner is already waiting for approval."
    assert CreditTermsChange.objects.filter(partner=world.dist_js).count() == 1
    assert terms(world.dist_js) == (Decimal("0"), "CNY", 0)


def test_a_rejected_increase_changes_nothing_and_a_new_change_may_follow(world, api_client):
    finance = api_client(world.finance)
    request_change(finance, world.dist_js, credit_limit="900000")
    approval = ApprovalRequest.objects.get(subject_kind="credit_change")
    # when
    response = post_json(
        api_client(world.channel),
        f"/api/v1/approvals/{approval.pk}/decision",
        {"decision": "reject", "comment": "风险高"},
    )
    # then
    assert response.status_code == 200
    assert CreditTermsChange.objects.get(partner=world.dist_js).status == "rejected"
    assert terms(world.dist_js) == (Decimal("0"), "CNY", 0)
    assert request_change(finance, world.dist_js, credit_limit="50000").json()["status"] == "applied"


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("channel", "dist_js", 403),
        ("admin", "dist_js", 403),
        ("regional_js", "dist_js", 403),
        ("dist_admin", "dist_js", 403),
        ("zj_admin", "dist_js", 404),
        ("sub_admin", "dist_js", 404),
    ],
)
def test_only_finance_changes_credit_terms(world, api_client, persona, target, status):
    partner = world.partners[target]
    response = request_change(api_client(world.users[persona]), partner)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert CreditTermsChange.objects.count() == 0
    assert terms(partner) == (Decimal("0"), "CNY", 0)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"credit_limit": 12.5}, {"credit_limit": ['Send the amount as a string, e.g. "500000.00".']}),
        ({"credit_limit": "abc"}, {"credit_limit": [MONEY_FORMAT]}),
        # never rounded silently: a third decimal, an exponent, 14 digits are refused
        ({"credit_limit": "1.005"}, {"credit_limit": [MONEY_FORMAT]}),
        ({"credit_limit": "1e30"}, {"credit_limit": [MONEY_FORMAT]}),
        ({"credit_limit": "9" * 29}, {"credit_limit": [MONEY_FORMAT]}),
        ({"credit_limit": True}, {"credit_limit": ['Send the amount as a string, e.g. "500000.00".']}),
        ({"payment_terms_days": True}, {"payment_terms_days": ["Enter a whole number."]}),
        ({"payment_terms_days": 2**63}, {"payment_terms_days": ["Enter a whole number from -1000000 to 1000000."]}),
        ({"credit_limit": "-100"}, {"credit_limit": ["The credit limit cannot be negative."]}),
        ({"credit_limit": None}, {"credit_limit": ['Send the amount as a string, e.g. "500000.00".']}),
        ({"payment_terms_days": 400}, {"payment_terms_days": ["Enter whole days from 0 to 365."]}),
        ({"payment_terms_days": "thirty"}, {"payment_terms_days": ["Enter a whole number."]}),
        ({"currency": "XYZ"}, {"currency": ["Choose one of: CNY, HKD, USD, EUR."]}),
        ({"reason": " "}, {"reason": ["Give a reason."]}),
        (
            {"credit_limit": "-1", "payment_terms_days": -1, "reason": ""},
            {
                "credit_limit": ["The credit limit cannot be negative."],
                "payment_terms_days": ["Enter whole days from 0 to 365."],
                "reason": ["Give a reason."],
            },
        ),
    ],
)
def test_it_refuses_bad_credit_terms_and_changes_nothing(world, api_client, data, errors):
    response = request_change(api_client(world.finance), world.dist_js, **data)
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert CreditTermsChange.objects.count() == 0
    assert terms(world.dist_js) == (Decimal("0"), "CNY", 0)


def test_it_lists_the_credit_changes_newest_first(world, api_client):
    finance = api_client(world.finance)
    request_change(finance, world.dist_js, credit_limit="30000", reason="首次")
    request_change(finance, world.dist_js, credit_limit="20000", payment_terms_days=15, reason="下调")
    response = api_client(world.dist_admin).get(f"/api/v1/partners/{world.dist_js.pk}/credit-changes")
    assert response.status_code == 200
    rows = [
        (item["old_limit"], item["new_limit"], item["new_terms_days"], item["reason"], item["status"])
        for item in response.json()["items"]
    ]
    assert rows == [("30000.00", "20000.00", 15, "下调", "applied"), ("0.00", "30000.00", 30, "首次", "applied")]
    assert api_client(world.zj_admin).get(f"/api/v1/partners/{world.dist_js.pk}/credit-changes").status_code == 404


def test_the_submitter_of_a_credit_change_cannot_approve_it(world, api_client):
    request_change(api_client(world.finance), world.dist_js, credit_limit="500000")
    approval = ApprovalRequest.objects.get(subject_kind="credit_change")
    response = post_json(
        api_client(world.finance), f"/api/v1/approvals/{approval.pk}/decision", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert ApprovalDecision.objects.filter(request=approval).count() == 0
