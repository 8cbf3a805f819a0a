"""The glossary (qudao/core/glossary.json) and the translation catalogues: a Chinese catalogue
never renders a domain term with a word the glossary forbids (order as 排序, a receivable as 发票,
allocation as 分配, ...), a term's own message uses the term's word, and a source string with two
meanings carries a message context."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from qudao.core import glossary
from qudao.core.glossary import Message


@pytest.mark.parametrize("language", glossary.LANGUAGES)
def test_the_chinese_catalogues_follow_the_glossary(language):
    # given the catalogue as committed
    messages = glossary.catalogue(language)

    # then no message breaks the glossary
    assert glossary.problems(language, messages) == []


# The mistranslations issue 11 found, as they were in the catalogues: each is reported.
FOUND_IN_ISSUE_11 = [
    # "Order" on the order card, invoice list, returns, cases, rebate lines, approval flows
    (Message("Order", msgstrs=["排序"], references=["qudao/orders/templates/orders/detail.html"]), "排序"),
    # a payment's method
    (Message("Method", msgstrs=["计算方式"], references=["qudao/finance/forms_payments.py"]), "计算方式"),
    # an invoice's number
    (Message("Invoice", msgstrs=["开票信息"], references=["qudao/finance/statements.py"]), "开票"),
    # payment allocation
    (Message("Allocate", msgstrs=["分配"], references=["qudao/finance/templates/finance/payments/x.html"]), "分配"),
    # a stock adjustment's change
    (Message("Change", msgstrs=["切换"], references=["qudao/inventory/forms.py"]), "切换"),
    (Message("Adjustment of %(amount)s to %(book)s.", msgstrs=["%(book)s切换 %(amount)s。"]), "切换"),
    # fund accounts
    (Message("Account", msgstrs=["账号"], references=["qudao/finance/panels.py"]), "账号"),
    # rebate tiers
    (Message("Tier", msgstrs=["等级"], references=["qudao/rebates/templates/rebates/run_detail.html"]), "等级"),
    (Message("Tier", msgctxt="rebate tier", msgstrs=["等级"]), "等级"),
    # receivables
    (Message("Invoices", msgstrs=["发票"]), "发票"),
    (Message("%(n)s open invoice", msgid_plural="%(n)s open invoices", msgstrs=["%(n)s 张未结发票"]), "发票"),
    (Message("Overdue receivables", msgstrs=["逾期发票"]), "发票"),
]


@pytest.mark.parametrize(("message", "word"), FOUND_IN_ISSUE_11, ids=lambda value: getattr(value, "label", value))
def test_every_mistranslation_of_issue_11_is_reported(message, word):
    problems = glossary.problems("zh_Hans", [message])

    assert problems, f"{message.label} as {message.msgstrs[0]!r} passes the glossary"
    assert any(word in problem or "without a context" in problem for problem in problems)


def test_a_bare_method_is_refused_whatever_its_translation():
    problems = glossary.problems("zh_Hans", [Message("Method", msgstrs=["付款方式"])])

    assert problems == ["'Method' is used without a context: " + glossary.load()["ambiguous"][0]["why"]]


@pytest.mark.parametrize(
    "message",
    [
        Message("Order", msgctxt="sort order", msgstrs=["排序"]),
        Message("Method", msgctxt="price rule", msgstrs=["计算方式"]),
        Message("Invoice", msgctxt="fapiao details", msgstrs=["开票信息"]),
        Message("Invoice title", msgstrs=["发票抬头"]),
        Message("Change", msgctxt="language", msgstrs=["切换"]),
        Message("Allocate", msgctxt="stock allocation", msgstrs=["配货"]),
        Message("Account", msgstrs=["账号"], references=["qudao/accounts/templates/accounts/_account_tabs.html"]),
        Message("Tier", msgstrs=["等级"], references=["qudao/partners/templates/portal/home.html"]),
        Message("Tiers", msgctxt="partner tier", msgstrs=["等级"], references=["qudao/rebates/x.html"]),
    ],
    ids=lambda message: message.label,
)
def test_the_other_meaning_under_its_context_is_right(message):
    assert glossary.problems("zh_Hans", [message]) == []


def test_a_terms_own_message_must_use_its_word():
    problems = glossary.problems("zh_Hant", [Message("Payments", msgstrs=["付款"])])

    assert problems == ["zh_Hant: 'Payments' is '付款', not '回款'"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", {"order": "订单", "sort": "排序", "tier": "等级", "rebate": "返利档位", "fapiao": "开票信息"}),
        ("zh-hant", {"order": "訂單", "sort": "排序", "tier": "等級", "rebate": "返利檔位", "fapiao": "開票資訊"}),
    ],
)
def test_the_compiled_catalogues_give_each_meaning_its_word(language, expected):
    with translation.override(language):
        found = {
            "order": translation.gettext("Order"),
            "sort": translation.pgettext("sort order", "Order"),
            "tier": translation.gettext("Tier"),
            "rebate": translation.pgettext("rebate tier", "Tier"),
            "fapiao": translation.pgettext("fapiao details", "Invoice"),
        }
    assert found == expected


def test_every_term_is_complete():
    data = glossary.load()
    keys = [term["key"] for term in data["terms"]]
    assert len(keys) == len(set(keys))
    for term in data["terms"]:
        assert all(term.get(name) for name in ("en", "zh_Hans", "zh_Hant", "meaning")), term["key"]
        if "match" in term:
            re.compile(term["match"])
        if term.get("except_msgids"):
            re.compile(term["except_msgids"])
        assert set(term.get("forbidden", {})) <= set(glossary.LANGUAGES), term["key"]
    for term in ("partner", "distributor", "sub-dealer", "tier", "onboarding", "credit limit", "price list"):
        assert term in keys
    for term in ("promotion", "payment", "statement", "rebate", "rebate fund", "shipment", "return"):
        assert term in keys
    for term in ("discrepancy case", "warehouse", "stock", "reservation", "SKU", "product", "approval flow"):
        assert term in keys


def test_docs_glossary_is_rendered_from_the_json():
    path = Path(django_settings.BASE_DIR) / "docs" / "glossary.md"

    assert path.read_text(encoding="utf-8") == glossary.render_markdown(), (
        "docs/glossary.md is stale: .venv/bin/python -m qudao.core.glossary > docs/glossary.md"
    )


def test_translations_handed_in_as_json_are_checked_before_they_are_applied(tmp_path):
    path = tmp_path / "helper.json"
    path.write_text(
        '[{"msgid": "Open invoices", "zh_Hans": "未结发票", "zh_Hant": "未結應收單"},'
        ' {"msgid": "%(n)s order", "msgid_plural": "%(n)s orders",'
        ' "zh_Hans": ["%(n)s 个订单"], "zh_Hant": ["%(n)s 個訂單"]}]',
        encoding="utf-8",
    )

    assert glossary.check_json(path) == [
        "zh_Hans: 'Open invoices' is '未结发票': 发票 is not “receivable (invoice)”",
        "zh_Hans: 'Open invoices' is '未结发票', not '应收单'",
    ]


def test_a_word_inside_another_named_terms_rendering_is_not_a_mistranslation():
    # given a message naming both sub-dealers and a distributor, translated with both words
    message = glossary.Message(
        msgctxt=None,
        msgid="Applications of sub-dealers are made under a distributor.",
        msgid_plural=None,
        msgstrs=["二级分销商的申请由一级经销商提交。"],
        references=[],
    )
    # then 一级 (refused for "sub-dealer") is accepted inside 一级经销商 (the distributor's word)
    assert glossary.forbidden_renderings([message], "zh_Hans") == []
    # but the same word alone for a sub-dealer is still refused
    wrong = glossary.Message(
        msgctxt=None, msgid="Sub-dealers", msgid_plural=None, msgstrs=["一级分销商"], references=[]
    )
    assert glossary.forbidden_renderings([wrong], "zh_Hans") != []
