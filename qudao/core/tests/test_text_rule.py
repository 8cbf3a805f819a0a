"""The text rule (core.validators): control characters are refused at every text input path - the
forms, the API (bodies and query filters), imports and the public application form - with a
field-level error, and nothing is saved. Line breaks and tabs only in free texts."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.validators import text_problem
from qudao.partners.models import Partner, PartnerApplication

VT = "\x0b"  # a vertical tab: Word's manual line break, pasted along with an address
CONTROL_MESSAGE = "Remove the invisible control character U+000B (character 4)."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize(
    ("value", "multiline", "problem"),
    [
        ("南京市玄武区中山路1号", False, None),
        ("南京市\x0b玄武区", False, "Remove the invisible control character U+000B (character 4)."),
        ("\x00", True, "Remove the invisible control character U+0000 (character 1)."),
        ("a\x7fb", True, "Remove the invisible control character U+007F (character 2)."),
        ("a\x85b", True, "Remove the invisible control character U+0085 (character 2)."),
        ("invoice\u202efdp.exe", True, "Remove the invisible control character U+202E (character 8)."),
        ("x\u2066y", True, "Remove the invisible control character U+2066 (character 2)."),
        ("x\ud800", True, "Remove the invisible control character U+D800 (character 2)."),
        ("x\uffff", True, "Remove the invisible control character U+FFFF (character 2)."),
        ("第一行\n第二行\r\n\t缩进", True, None),
        ("第一行\n第二行", False, "Keep this on one line: remove the line break or tab (character 4)."),
        ("a\tb", False, "Keep this on one line: remove the line break or tab (character 2)."),
        ("a\u2028b", False, "Keep this on one line: remove the line break or tab (character 2)."),
        ("emoji 👍 and 中文 and عربى", False, None),
        ("zero\u200bwidth", False, None),  # a zero-width space is not a control character
    ],
)
def test_the_rule_refuses_control_characters_everywhere_and_line_breaks_in_one_line_fields(value, multiline, problem):
    assert text_problem(value, multiline=multiline) == problem


# --- the API -------------------------------------------------------------------------------------------


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_the_api_refuses_a_control_character_at_its_field_and_changes_nothing(world, api_client):
    # given
    client = api_client(world.admin)
    before = Partner.objects.values().get(pk=world.dealer_zj.pk)

    # when
    response = patch(client, f"/api/v1/partners/{world.dealer_zj.pk}", {"address": f"杭州市{VT}西湖区"})
    nested = patch(client, f"/api/v1/partners/{world.dealer_zj.pk}", {"tags": ["华东", "重点\x00客户"]})
    one_line = patch(client, f"/api/v1/partners/{world.dealer_zj.pk}", {"legal_name": "杭州\n西湖电器"})

    # then: 422, problem details with the field and the rule's message; nothing changed
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "address", "message": CONTROL_MESSAGE}]
    assert nested.status_code == 422
    assert nested.json()["errors"] == [
        {"field": "tags", "message": "Remove the invisible control character U+0000 (character 3)."}
    ]
    assert one_line.json()["errors"] == [
        {"field": "legal_name", "message": "Keep this on one line: remove the line break or tab (character 3)."}
    ]
    assert Partner.objects.values().get(pk=world.dealer_zj.pk) == before


def test_the_api_keeps_line_breaks_in_free_texts_and_refuses_a_lone_surrogate(world, api_client):
    # given
    client = api_client(world.admin)

    # when: a status change whose reason has two lines; a name sent as a JSON "\ud800" escape
    reason = client.post(
        f"/api/v1/partners/{world.dealer_zj.pk}/status",
        json.dumps({"status": "suspended", "reason": "逾期未付款\n已电话通知"}),
        content_type="application/json",
    )
    surrogate = client.patch(
        f"/api/v1/partners/{world.dealer_zj.pk}",
        '{"short_name": "\\ud800"}',
        content_type="application/json",
    )

    # then
    assert reason.status_code == 200, reason.content
    assert surrogate.status_code == 422
    assert surrogate.json()["errors"] == [
        {"field": "short_name", "message": "Remove the invisible control character U+D800 (character 1)."}
    ]
    assert Partner.objects.get(pk=world.dealer_zj.pk).short_name == world.dealer_zj.short_name


def test_a_query_filter_with_a_control_character_answers_422_not_a_server_error(world, api_client):
    # given/when: a NUL in a search (PostgreSQL refuses NUL in any query)
    response = api_client(world.admin).get("/api/v1/partners", {"q": "金陵\x00"})

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "q", "message": "Remove the invisible control character U+0000 (character 3)."}
    ]


def test_a_control_character_anywhere_in_a_query_string_is_refused_not_a_server_error(world, api_client, page_client):
    # given/when: NULs in parameters read directly by a handler or a page (PostgreSQL refuses a
    # NUL in any query)
    api = api_client(world.admin).get(f"/api/v1/partners/{world.dist_js.pk}/funds/entries", {"account": "\x00"})
    page = page_client(world.operations).get("/orders/returns/", {"status": "requested\x00"})
    portal = page_client(world.dist_admin).get("/portal/returns/", {"status": "\x1b"})

    # then: the API answers 422 problem details at the parameter, the pages 400
    assert api.status_code == 422
    assert api["Content-Type"] == "application/problem+json"
    assert api.json()["errors"] == [
        {"field": "account", "message": "Remove the invisible control character U+0000 (character 1)."}
    ]
    assert (page.status_code, portal.status_code) == (400, 400)
    assert "Remove the invisible control character U+0000 (character 10)." in page.content.decode()


def test_every_api_input_with_text_keeps_the_rule():
    # A new endpoint cannot forget it: every schema an operation reads (bodies, forms, query
    # filters) that has text is a TextSchema.
    import typing

    from pydantic import BaseModel

    from qudao.api import api
    from qudao.core.schemas import TextSchema

    def schemas_in(annotation):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield annotation
        for argument in typing.get_args(annotation):
            yield from schemas_in(argument)

    def has_text(schema) -> bool:
        return any("str" in str(field.annotation) for field in schema.model_fields.values())

    missing = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in operation.models:
                    for field in model.model_fields.values():
                        for schema in schemas_in(field.annotation):
                            if has_text(schema) and not issubclass(schema, TextSchema):
                                missing.add(f"{schema.__module__}.{schema.__name__}")
    assert sorted(missing) == []


# --- pages -----------------------------------------------------------------------------------------------


def test_the_partner_form_shows_the_control_character_at_the_address_and_saves_nothing(world, page_client):
    # given
    client = page_client(world.channel)
    url = f"/partners/{world.dealer_zj.pk}/edit/"
    data = {k: v for k, v in client.get(url).context["form"].initial.items() if v not in (None, [])}
    before = Partner.objects.values().get(pk=world.dealer_zj.pk)

    # when
    response = client.post(url, data | {"address": f"杭州市{VT}西湖区", "short_name": "西湖\u202e电器"})

    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "address": [CONTROL_MESSAGE],
        "short_name": ["Remove the invisible control character U+202E (character 3)."],
    }
    assert Partner.objects.values().get(pk=world.dealer_zj.pk) == before


def test_every_form_keeps_the_rule():
    # A new form cannot forget it: every form of Qudao is a core.forms.Form.
    from django import forms
    from django.urls import get_resolver

    from qudao.core.forms import Form

    assert get_resolver().url_patterns  # imports every view, and with them every form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    plain = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in subclasses(forms.Form)
        if cls.__module__.startswith("qudao.") and ".tests" not in cls.__module__ and not issubclass(cls, Form)
    ]
    assert plain == []


@pytest.mark.django_db
def test_the_public_application_form_refuses_a_control_character_and_creates_nothing(uscc):
    from django.test import Client

    from qudao.partners.tests.test_apply_pages import form_data

    # given/when: an anonymous applicant pastes an address with a vertical tab
    response = Client().post("/apply/", form_data(uscc, address=f"苏州市{VT}吴中区", message="你好\n谢谢"))

    # then: the error is at the address (the two-line message is fine); no application
    assert response.status_code == 200
    assert response.context["form"].errors == {"address": [CONTROL_MESSAGE]}
    assert PartnerApplication.objects.count() == 0


@pytest.mark.django_db
def test_the_application_api_refuses_a_control_character_and_creates_nothing(uscc):
    from django.test import Client

    from qudao.partners.tests.test_apply_pages import form_data

    data = form_data(uscc, city="320500", legal_name=f"苏州{VT}吴中家电")
    data.pop("province")
    response = Client().post("/api/v1/applications", data)

    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [
        {"field": "legal_name", "message": "Remove the invisible control character U+000B (character 3)."}
    ]
    assert PartnerApplication.objects.count() == 0


# --- imports ---------------------------------------------------------------------------------------------


def test_a_partner_import_row_with_a_control_character_gets_a_row_error_and_nothing_is_written(world, api_client):
    import openpyxl

    # given: a .csv with a vertical tab in an address, and an .xlsx with a right-to-left override
    # and a line break in a one-line column
    client = api_client(world.admin)
    csv = "伙伴编码,类型,公司名称,地区,地址\n"
    csv += f"{world.dealer_zj.code},分销商,杭州西湖电器有限公司,330100,杭州市{VT}西湖区\n"
    workbook = openpyxl.Workbook()
    workbook.active.append(["伙伴编码", "类型", "公司名称", "地区", "简称"])
    workbook.active.append(["NEW1", "分销商", "杭州\u202e电器有限公司", "330100", "杭州\n电器"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = (Partner.objects.count(), Partner.objects.values().get(pk=world.dealer_zj.pk))

    # when
    from_csv = client.post("/api/v1/partners/imports", {"file": SimpleUploadedFile("p.csv", csv.encode())})
    from_xlsx = client.post("/api/v1/partners/imports", {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue())})

    # then: each row has the error at its column; the preview cannot be committed
    csv_preview, xlsx_preview = from_csv.json(), from_xlsx.json()
    assert csv_preview["rows"][0]["errors"] == {"address": [CONTROL_MESSAGE]}
    assert xlsx_preview["rows"][0]["errors"] == {
        "legal_name": ["Remove the invisible control character U+202E (character 3)."],
        "short_name": ["Keep this on one line: remove the line break or tab (character 3)."],
    }
    assert (csv_preview["can_commit"], xlsx_preview["can_commit"]) == (False, False)
    commit = client.post(f"/api/v1/partners/imports/{csv_preview['id']}/commit")
    assert commit.status_code == 422
    assert (Partner.objects.count(), Partner.objects.values().get(pk=world.dealer_zj.pk)) == before


def test_a_payment_import_row_with_a_nul_gets_a_row_error_not_a_server_error(world, api_client):
    # given: a NUL deep in a .csv (past the first 8 KB, which are checked for binary content)
    padding = "".join(f"{world.dist_js.code},100.00,2026-01-05,PAD{index:05d}\n" for index in range(300))
    csv = f"partner_code,amount,received_on,bank_reference\n{padding}{world.dist_js.code},1.00,2026-01-05,X\x00Y\n"

    # when
    response = api_client(world.finance).post(
        "/api/v1/finance/payments/imports", {"file": SimpleUploadedFile("bank.csv", csv.encode())}
    )

    # then: the preview names the row and the column; the value is shown with U+FFFD
    assert response.status_code == 201, response.content
    rows = {row["row"]: row for row in response.json()["rows"]}
    assert rows[302]["errors"] == {"bank_reference": ["Remove the invisible control character U+0000 (character 2)."]}
    assert response.json()["can_commit"] is False
