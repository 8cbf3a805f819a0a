"""The flow form's condition builder: rows of field, comparison and value that read and write the
exact conditions JSON the approval engine stores, so that nobody types JSON."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from qudao.core import condition_builder
from qudao.core.models import ApprovalFlow

from .test_pages_settings import flow_post


@pytest.mark.parametrize(
    ("kind", "conditions"),
    [
        ("partner_application", {"partner_type": "distributor"}),
        ("partner_application", {"partner_type": ["agent", "service"], "province": "440000", "has_parent": False}),
        ("partner_application", {"partner_type": {"ne": "dealer"}, "province": {"ne": "320000"}}),
        ("credit_change", {"increase": {"gte": 500000}}),
        ("credit_change", {"increase": {"gte": 100000, "lt": 500000}, "tier": {"not_in": ["gold", "silver"]}}),
        ("order", {"total": {"gt": "9999.50"}, "over_credit_limit": True, "channel": "hq"}),
    ],
)
def test_the_rows_read_and_write_the_stored_json_exactly(world, kind, conditions):
    # when: the stored conditions become rows, and the rows conditions again
    rows, leftover = condition_builder.rows_from_conditions(conditions, kind)
    # then: nothing is left to JSON, and the same JSON comes back
    assert leftover == {}
    assert condition_builder.conditions_from_rows(rows, kind) == conditions


def test_what_the_rows_cannot_say_stays_json(world):
    conditions = {"partner_type": "dealer", "legacy_flag": 1, "increase": {"gte": 5, "between": [1, 2]}}
    rows, leftover = condition_builder.rows_from_conditions(conditions, "credit_change")
    assert [(row.name, row.operator, row.values) for row in rows] == [("partner_type", "in", ["dealer"])]
    assert leftover == {"legacy_flag": 1, "increase": {"gte": 5, "between": [1, 2]}}


def _rows(**data):
    query = QueryDict(mutable=True)
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            query.appendlist(key, item)
    return condition_builder.rows_from_post(query)


def test_a_wrong_row_says_why_and_writes_nothing(world):
    rows = _rows(
        cond_rows="5",
        cond_field_0="increase",
        cond_op_0="gte",
        cond_value_0="五十万",
        cond_field_1="partner_type",
        cond_op_1="in",
        cond_field_2="tier",
        cond_op_2="in",
        cond_value_2="platinum-x",
        cond_field_3="increase",
        cond_op_3="gte",
        cond_value_3="1",
        cond_field_4="nope",
        cond_op_4="eq",
        cond_value_4="1",
    )
    assert condition_builder.conditions_from_rows(rows, "credit_change") is None
    assert [row.errors for row in rows] == [
        ["Enter a number, e.g. 500000."],
        ["Tick at least one value."],
        ["Choose values from the list."],
        [],
        ["Choose a field from the list."],
    ]


def test_the_flow_form_builds_conditions_from_rows_and_shows_stored_ones_as_rows(world, page_client):
    client = page_client(world.admin)
    # when: a flow for applications of distributors in Guangdong (typed 广东, not picked), under none
    data = flow_post("广东经销商准入", "", [("渠道审批", "channel_manager", False)], subject_kind="partner_application")
    data |= {
        "cond_rows": "4",
        "cond_field_0": "partner_type",
        "cond_op_0": "in",
        "cond_value_0": ["distributor"],
        "cond_field_1": "province",
        "cond_op_1": "eq",
        "cond_value_1": "",
        "cond_value_1__search": "广东",
        "cond_field_2": "has_parent",
        "cond_op_2": "eq",
        "cond_value_2": "false",
        # row 3 was removed in the page: nothing is sent for it
    }
    response = client.post("/settings/flows/new/", data)
    # then: the engine's JSON, exactly
    assert response.status_code == 302
    flow = ApprovalFlow.objects.get(name="广东经销商准入")
    assert flow.conditions == {"partner_type": "distributor", "province": "440000", "has_parent": False}
    # and the edit page shows them as rows, labelled, with an empty JSON box
    page = client.get(f"/settings/flows/{flow.pk}/").content.decode()
    assert page.split("<template")[0].count('data-testid="condition-row"') == 3
    assert '<option value="province" selected>Province</option>' in page
    # (the row's place follows the stored JSON: PostgreSQL's jsonb orders its keys)
    assert re.search(r'name="cond_value_\d" value="440000"', page)
    assert '<textarea name="conditions"' in page and "440000</textarea>" not in page


def test_the_flow_form_refuses_a_wrong_row_and_a_field_both_in_rows_and_json(world, page_client):
    client = page_client(world.admin)
    count = ApprovalFlow.objects.count()
    base = flow_post("错误条件", "", [("复核", "finance", False)])
    wrong = client.post(
        "/settings/flows/new/", base | {"cond_rows": "1", "cond_field_0": "increase", "cond_op_0": "gte"}
    )
    both = client.post(
        "/settings/flows/new/",
        base
        | {
            "conditions": '{"increase": {"lt": 5}}',
            "cond_rows": "1",
            "cond_field_0": "increase",
            "cond_op_0": "gte",
            "cond_value_0": "500,000",
        },
    )
    assert wrong.status_code == both.status_code == 200
    assert "Enter a number, e.g. 500000." in wrong.content.decode()
    # the field is named by its label, never by its key
    assert both.context["form"].errors["conditions"] == ["Already in the condition rows: Credit limit increase."]
    assert ApprovalFlow.objects.count() == count
