"""Import: which files are read (xlsx, csv in UTF-8 or GB18030, headers in three languages) and
which are refused with a clear error (and nothing imported)."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat

from qudao.core.models import Job
from qudao.partners.models import Partner


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding):
    text = "\r\n".join(",".join(f'"{cell}"' if "," in str(cell) else str(cell) for cell in row) for row in rows)
    return (text + "\r\n").encode(encoding)


@pytest.fixture
def client(world, api_client):
    world.channel.language = "en"
    world.channel.save()
    return api_client(world.channel)


def post(client, name, content):
    return client.post("/api/v1/partners/imports", {"file": SimpleUploadedFile(name, content)})


def assert_refused(response, message):
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"field": "file", "message": message}]
    # refused before it was stored, or stored and refused by its preview job: nothing to commit
    assert list(Job.objects.exclude(status=Job.Status.FAILED)) == []
    assert Partner.objects.count() == 3  # the world's


def test_it_reads_a_gb18030_csv_and_commits_it(client, uscc):
    # given: a CSV saved by Excel on a Chinese Windows (GB18030), with Chinese headers and labels
    rows = [
        [
            "伙伴编码",
            "类型",
            "公司名称",
            "统一社会信用代码",
            "地区",
            "上级经销商编码",
            "授权产品线",
            "联系人",
            "联系人手机",
        ],
        ["G1", "经销商", "南京长江贸易有限公司", uscc(70), "南京市", "", "空调,冰箱", "陈明", "139 0000 0070"],
        ["G2", "二级分销商", "苏州太湖电器经营部", uscc(71), "苏州市", "G1", "空调", "刘洋", "+86 139 0000 0071"],
    ]
    content = csv_bytes(rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    # when
    response = post(client, "伙伴.csv", content)

    # then
    assert response.status_code == 201
    preview = response.json()
    assert [(row["action"], row["errors"], row["legal_name"]) for row in preview["rows"]] == [
        ("create", {}, "南京长江贸易有限公司"),
        ("create", {}, "苏州太湖电器经营部"),
    ]
    assert preview["file_name"] == "伙伴.csv"
    commit = client.post(f"/api/v1/partners/imports/{preview['id']}/commit")
    assert client.get(f"/api/v1/jobs/{commit.json()['id']}").json()["status"] == "succeeded"
    g1, g2 = Partner.objects.get(code="G1"), Partner.objects.get(code="G2")
    assert (g1.partner_type, g1.product_lines, g2.partner_type, g2.parent_id) == (
        "distributor",
        ["冰箱", "空调"],
        "dealer",
        g1.pk,
    )
    assert list(g2.contacts.values_list("name", "mobile")) == [("刘洋", "13900000071")]


def test_it_reads_utf8_csv_with_bom_and_english_or_traditional_headers(client, uscc):
    # given: English headers in a UTF-8 CSV with a byte-order mark, and a workbook with Traditional Chinese headers
    english = csv_bytes(
        [
            ["Partner code", "Type", "Legal name", "Credit code", "Region"],
            ["H1", "agent", "无锡代理", uscc(80), "Wuxi"],
        ],
        "utf-8-sig",
    )
    traditional = xlsx_bytes([["夥伴編碼", "類型", "公司名稱", "地區"], ["H2", "服務商", "常州服务", "常州市"]])

    # when
    first = post(client, "en.csv", english).json()
    second = post(client, "hant.xlsx", traditional).json()

    # then
    assert [(row["action"], row["errors"]) for row in first["rows"]] == [("create", {})]
    assert [(row["action"], row["errors"]) for row in second["rows"]] == [("create", {})]
    assert first["columns"] == ["code", "type", "legal_name", "credit_code", "region"]
    assert second["columns"] == ["code", "type", "legal_name", "region"]


def test_it_refuses_random_bytes_named_xlsx(client):
    # given/when
    response = post(client, "partners.xlsx", b"\x00\x01garbage" * 100)

    # then
    assert_refused(response, "The file is not a readable .xlsx workbook. Open it in Excel or WPS and save it again.")


def test_it_refuses_a_zip_that_is_not_a_workbook(client):
    # given: a real zip archive with a text file in it
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    # when
    response = post(client, "partners.xlsx", buffer.getvalue())

    # then
    assert_refused(response, "The file is not a readable .xlsx workbook. Open it in Excel or WPS and save it again.")


def test_it_refuses_a_text_file(client):
    response = post(client, "partners.txt", b"code,type\nA,dealer\n")
    assert_refused(response, "Upload an .xlsx workbook or a .csv file.")


def test_it_refuses_an_old_xls_workbook(client):
    response = post(client, "partners.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert_refused(response, "Old .xls workbooks cannot be read. Save the file as .xlsx and upload it again.")


def test_it_refuses_an_empty_file(client):
    assert_refused(post(client, "partners.csv", b""), "The file is empty.")


def test_it_refuses_a_header_without_rows(client):
    content = xlsx_bytes([["code", "type", "legal_name", "region"], [None, None, None, None]])
    assert_refused(post(client, "partners.xlsx", content), "The file has a header but no rows to import.")


def test_it_refuses_a_file_without_the_required_columns(client):
    content = csv_bytes([["code", "short_name"], ["X1", "甲"]], "utf-8")
    assert_refused(
        post(client, "partners.csv", content),
        "Required columns are missing: Type (type), Legal name (legal_name), Region (region).",
    )


def test_it_refuses_a_file_without_any_key_column(client):
    content = csv_bytes([["type", "legal_name", "region"], ["dealer", "甲", "320100"]], "utf-8")
    assert_refused(
        post(client, "partners.csv", content),
        "Add a Partner code or a Credit code column: it finds the partners again when the file is imported again.",
    )


def test_it_refuses_a_column_given_twice(client):
    content = csv_bytes(
        [["code", "type", "legal_name", "region", "公司名称"], ["X1", "dealer", "甲", "320100", "乙"]], "utf-8"
    )
    assert_refused(post(client, "partners.csv", content), "The column Legal name appears twice in the header.")


def test_it_refuses_a_file_over_the_size_limit(client, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = 1024
    content = csv_bytes(
        [["code", "type", "legal_name", "region"]] + [["X", "dealer", "甲" * 50, "320100"]] * 20, "utf-8"
    )
    assert len(content) > 1024
    assert_refused(
        post(client, "partners.csv", content),
        f"The file is too large ({filesizeformat(len(content))}). The limit is {filesizeformat(1024)}.",
    )


def test_it_refuses_more_rows_than_the_limit(client, settings):
    settings.IMPORT_MAX_ROWS = 2
    content = xlsx_bytes(
        [["code", "type", "legal_name", "region"]] + [[f"X{n}", "dealer", "甲", "320100"] for n in range(3)]
    )
    assert_refused(
        post(client, "partners.xlsx", content), "The file has more than 2 rows. Split it into files of at most 2 rows."
    )


def test_it_refuses_a_request_without_a_file(client):
    assert_refused(client.post("/api/v1/partners/imports", {}), "Choose a file to import.")
