"""Pages show what a person reads, not internal data: an approval request's facts and a flow's
conditions by label and name (never `partner_type service`, `province 440000`, `has_parent
False`, `basis net_sales_shipped`), an order's approval reasons and price source in words, a
policy's targets by name; money with separators and two decimals; rates as percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils import translation

from qudao.core import approvals, display
from qudao.core.models import ApprovalFlow
from qudao.orders.models import approval_reason_text
from qudao.partners import services


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def apply(uscc, seed, **overrides):
    data = {
        "partner_type": "distributor",
        "legal_name": f"可读测试{seed}有限公司",
        "credit_code": uscc(seed),
        "region": "320100",
        "contact_name": "孙丽",
        "contact_mobile": f"138{seed:08d}",
        "contact_email": f"readable{seed}@example.cn",
    } | overrides
    pdf = SimpleUploadedFile("licence.pdf", b"%PDF-1.4\n", "application/pdf")
    return services.submit_application(data=data, licence=pdf)


def facts_of(html: str) -> str:
    start = html.index('data-testid="subject"')
    return html[start : html.index("</dl>", start)]


# --- approvals ---------------------------------------------------------------------------------


def test_an_approval_page_shows_the_subject_by_labels_and_names(world, page_client, uscc):
    # given a distributor's application in Nanjing (its context: partner_type, province, has_parent)
    approval = apply(uscc, 501).approval
    assert approval.context == {"partner_type": "distributor", "province": "320000", "has_parent": False}

    # when the Jiangsu manager opens it
    html = page_client(world.regional_js).get(f"/approvals/{approval.pk}/").content.decode()

    # then the facts are labels and names
    facts = facts_of(html)
    jiangsu = world.regions["jiangsu"].display_name
    assert "<dt>Partner type</dt><dd>Distributor</dd>" in facts
    assert f"<dt>Province</dt><dd>{jiangsu}</dd>" in facts
    assert "<dt>Applying under a distributor</dt><dd>No</dd>" in facts
    for raw in ("partner_type", "has_parent", "320000", "False", ">distributor<"):
        assert raw not in facts


def test_an_approval_request_reads_in_chinese(world, uscc):
    approval = apply(uscc, 502).approval

    with translation.override("zh-hans"):
        facts = dict(approvals.describe_context(approval.subject_kind, approval.context))

    jiangsu = world.regions["jiangsu"].name
    assert facts == {"伙伴类型": "一级经销商", "省份": jiangsu, "申请成为经销商的下级": "否"}


def test_the_approval_page_and_the_flow_list_read_in_chinese(world, page_client, uscc):
    # given a Jiangsu manager who reads Simplified Chinese, and a distributor's application
    world.regional_js.language = "zh-hans"
    world.regional_js.save()
    approval = apply(uscc, 503).approval
    client = page_client(world.regional_js)

    # when it opens the request and the flows
    facts = facts_of(client.get(f"/approvals/{approval.pk}/").content.decode())
    world.admin.language = "zh-hans"
    world.admin.save()
    flows = page_client(world.admin).get("/settings/flows/").content.decode()

    # then the subject reads in Chinese, by label and name
    assert "<dt>伙伴类型</dt><dd>一级经销商</dd>" in facts
    assert f"<dt>省份</dt><dd>{world.regions['jiangsu'].name}</dd>" in facts
    assert "<dt>申请成为经销商的下级</dt><dd>否</dd>" in facts
    assert 'data-testid="flow-conditions">伙伴类型 为 一级经销商</span>' in flows
    assert "订单" in flows and "排序" not in flows  # the order subject's flows are headed 订单


def test_the_flow_list_states_conditions_as_sentences(world, page_client):
    # given the reference flows (the two-step flow is for distributors)
    assert ApprovalFlow.objects.filter(conditions={"partner_type": "distributor"}).exists()

    html = page_client(world.admin).get("/settings/flows/").content.decode()

    assert 'data-testid="flow-conditions">Partner type is Distributor</span>' in html
    assert "partner_type" not in html


def test_conditions_with_operators_and_lists_read_as_sentences(world):
    with translation.override("en"):
        sentences = approvals.describe_conditions(
            "partner_application", {"partner_type": ["dealer", "agent"], "province": {"ne": "320000"}}
        )
        credit = approvals.describe_conditions("credit_change", {"increase": {"gte": "100000"}})

    jiangsu = world.regions["jiangsu"].display_name
    assert sentences == ["Partner type is one of Dealer / reseller, Agent", f"Province is not {jiangsu}"]
    assert credit == ["Increase is at least 100,000.00"]


def test_every_registered_subject_has_labels_for_its_context(world):
    with translation.override("en"):
        order = dict(
            approvals.describe_context(
                "order",
                {
                    "reasons": ["large_order", "first_orders"],
                    "over_credit_limit": False,
                    "total": "3800000.0000",
                    "rebate_amount": "0.0000",
                    "credit_available": "1230.5",
                    "partner_type": "dealer",
                    "channel": "portal",
                    "placed_by": world.channel.username,
                },
            )
        )
        policy = dict(approvals.describe_context("rebate_policy", {"code": "VOL-2026", "basis": "net_sales_shipped"}))
        price_list = dict(
            approvals.describe_context("price_list", {"max_discount_percent": "12.50", "kind": "tier_region"})
        )

    assert order == {
        "Why it needs approval": "A large order, One of the partner's first orders",
        "Total": "3,800,000.00",
        "From the rebate fund": "0.00",
        "Credit available": "1,230.50",
        "Partner type": "Dealer / reseller",
        "Channel": "Partner portal",
        "Placed by": str(world.channel),
    }
    assert policy == {"Code": "VOL-2026", "Basis": "Net sales shipped"}
    assert price_list == {"Largest discount below base": "12.5%", "Audience": "Tier in a region"}


def test_an_orders_approval_reasons_read_as_words():
    with translation.override("en"):
        assert approval_reason_text(["over_credit_limit", "deep_discount"]) == (
            "Over the available credit, A deep discount"
        )
    with translation.override("zh-hans"):
        assert approval_reason_text(["over_credit_limit", "deep_discount"]) == "超出可用授信、折扣过大"


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("3800000.00"), "", "3,800,000.00"),
        ("1230.5700", "", "1,230.57"),
        (Decimal("24591"), "CNY", "CNY 24,591.00"),
        (Decimal("-0.005"), "", "-0.01"),
        (Decimal("0.125"), "", "0.13"),
        (None, "CNY", ""),
    ],
)
def test_money_is_shown_one_way(amount, currency, shown):
    assert display.money_text(amount, currency) == shown
    template = Template("{% load qudao_ui %}{{ amount|money:currency }}")
    assert template.render(Context({"amount": amount, "currency": currency})) == shown


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [(Decimal("0.13"), "13%"), (Decimal("0.09"), "9%"), ("0.125", "12.5%"), (Decimal("0.0675"), "6.75%")],
)
def test_rates_are_shown_as_percentages(fraction, shown):
    assert display.percent_text(fraction) == shown
    assert Template("{% load qudao_ui %}{{ rate|percent }}").render(Context({"rate": fraction})) == shown


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "date", "datetime", "short"),
    [
        ("zh-hans", "2026年12月1日", "2026年12月1日 00:30", "2026-12-01 00:30"),
        ("zh-hant", "2026年12月1日", "2026年12月1日 00:30", "2026-12-01 00:30"),
        ("en", "1 Dec 2026", "1 Dec 2026 00:30", "2026-12-01 00:30"),
    ],
)
def test_one_date_format_per_language_in_local_time(settings, language, date, datetime, short):
    # given a moment stored in UTC, shown in the deployment's time zone (Asia/Shanghai, UTC+8)
    from datetime import UTC
    from datetime import datetime as dt

    settings.TIME_ZONE = "Asia/Shanghai"
    moment = dt(2026, 11, 30, 16, 30, tzinfo=UTC)
    template = Template('{{ at|date }}|{{ at }}|{{ at|date:"SHORT_DATETIME_FORMAT" }}')

    with translation.override(language):
        shown = template.render(Context({"at": moment}))

    assert shown == f"{date}|{datetime}|{short}"
    assert "T16:30" not in shown and "+00:00" not in shown
