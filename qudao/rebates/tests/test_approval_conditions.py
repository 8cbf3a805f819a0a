"""Rebate policies and manual rebate fund deposits declare what their approval flows may test (the
flow form's condition builder offers these fields, labelled, instead of a JSON box) and what their
approvers read (labels and values, never keys and codes)."""

from __future__ import annotations

import pytest
from django.utils import translation

from qudao.core import approvals, condition_builder
from qudao.core.models import ApprovalRequest
from qudao.partners import funds
from qudao.partners.models import FundAccount
from qudao.rebates import deposits, services

pytestmark = pytest.mark.django_db


def _policy(world, **overrides):
    data = {
        "code": "COND-1",
        "name": "经销商季度返利",
        "basis": "net_sales_shipped",
        "period_kind": "quarter",
        "tier_style": "retrospective",
        "effective_from": "2026-01-01",
        "target_partner_types": ["dealer"],
        "cap": "50000",
        "tiers": [{"lower_bound": "0", "value": "1"}, {"lower_bound": "100000", "value": "2.5"}],
    }
    return services.create_policy(data=data | overrides, actor=world.channel)


def test_a_policy_flow_may_test_its_basis_rate_cap_period_and_targets(world):
    # the condition builder offers the policy's fields, with labels (no JSON box only)
    with translation.override("en"):
        offered = {item["name"]: item["label"] for item in condition_builder.field_options("rebate_policy")}
    assert offered["basis"] == "Basis" and offered["max_rate_percent"] == "Highest rate (%)"
    assert {"cap", "period_kind", "tier_style", "for_every_partner", "partner_type", "tier", "growth"} <= set(offered)
    # when a policy is submitted, its request holds those values
    policy = services.submit_policy(policy=_policy(world), actor=world.channel)
    request = ApprovalRequest.objects.get(pk=policy.approval_id)
    context = request.context
    assert (context["basis"], context["period_kind"], context["tier_style"]) == (
        "net_sales_shipped",
        "quarter",
        "retrospective",
    )
    assert (context["partner_type"], context["tier"], context["for_every_partner"], context["growth"]) == (
        "dealer",
        "",
        False,
        False,
    )
    # a flow for generous policies (a rate of 2% or more, for dealers) applies; one for 5% does not
    assert approvals.conditions_match({"max_rate_percent": {"gte": 2}, "partner_type": "dealer"}, context)
    assert not approvals.conditions_match({"max_rate_percent": {"gte": 5}}, context)
    assert approvals.conditions_match({"cap": {"lte": "50000"}}, context)
    # the rows of such a condition read and write the same JSON
    rows, leftover = condition_builder.rows_from_conditions({"max_rate_percent": {"gte": 2}}, "rebate_policy")
    assert leftover == {} and condition_builder.conditions_from_rows(rows, "rebate_policy") == {
        "max_rate_percent": {"gte": 2}
    }
    # approvers read labels and values
    with translation.override("en"):
        facts = dict(approvals.describe_context("rebate_policy", context))
    assert facts["Basis"] == "Net sales shipped" and facts["Period"] == "Quarter"
    assert facts["Highest rate"] == "2.5%" and facts["Cap per partner and period"] == "50,000.00"
    assert facts["Partner type"] == "Dealer / reseller" and facts["For every partner"] == "No"


def test_a_deposit_flow_may_test_its_amount_kind_and_the_partners_type_tier_and_province(world):
    funds.deposit(partner=world.dist_js, amount="1000.00", reference="RB-1/P", kind=FundAccount.Kind.REBATE)
    with translation.override("en"):
        offered = {item["name"]: item for item in condition_builder.field_options("rebate_fund_deposit")}
    assert {"amount", "kind", "partner_type", "tier", "province"} <= set(offered)
    assert offered["amount"]["label"] == "Amount" and offered["province"]["kind"] == "region"
    # when finance enters a deposit for dist_js (a Jiangsu distributor)
    deposit = deposits.request_deposit(
        partner=world.dist_js, data={"kind": "goodwill", "amount": "12000.00", "reason": "补偿"}, actor=world.finance
    )
    context = ApprovalRequest.objects.get(pk=deposit.approval_id).context
    partner = world.dist_js
    assert (context["amount"], context["kind"], context["partner_type"]) == ("12000.00", "goodwill", "distributor")
    assert context["tier"] == (partner.tier.code if partner.tier_id else "")
    assert context["province"] == "320000"
    # flows for large deposits, or for Jiangsu's, apply; one for deposits from 50,000 does not
    assert approvals.conditions_match({"amount": {"gte": "10000"}, "province": "320000"}, context)
    assert not approvals.conditions_match({"amount": {"gte": "50000"}}, context)
    with translation.override("en"):
        facts = dict(approvals.describe_context("rebate_fund_deposit", context))
    assert facts["Amount"] == "12,000.00" and facts["Partner type"] == "Distributor"
    assert facts["Province"] not in ("", "320000")
