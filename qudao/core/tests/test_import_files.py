"""Import files that must never be parsed in a web request: a zip bomb (a 1.5 MB .xlsx whose sheet
expands to 1 GB) is refused from its zip directory at once; broken workbooks get a clear error;
and a file is parsed by its preview job, never by the upload request."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import Job

SMALL_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument'
        '.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
# no header: every row is empty, so a reader goes through the whole sheet looking for one
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"
# an empty row, then spaces (XML ignores them between elements; deflate packs them 1,000 to 1)
EMPTY_ROW = b'<row><c t="inlineStr"><is><t></t></is></c></row>' + b" " * 4000


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive of already deflated members: (name, raw deflate data, crc32, expanded size)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0))
        out.write(encoded + data)
        directory.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), directory.tell(), start, 0))
    return out.getvalue()


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A real .xlsx whose one sheet is over 1 GiB of empty rows, deflated to about 1.5 MB: a megabyte
    of rows compressed once (a full flush makes each compressed megabyte independent of the one
    before) and repeated 1,024 times."""
    megabyte = EMPTY_ROW * -(-1024 * 1024 // len(EMPTY_ROW))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(SHEET_HEAD) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(SHEET_TAIL) + compressor.flush()
    crc = zlib.crc32(SHEET_HEAD)
    for _ in range(1024):
        crc = zlib.crc32(megabyte, crc)
    crc = zlib.crc32(SHEET_TAIL, crc)
    size = len(SHEET_HEAD) + 1024 * len(megabyte) + len(SHEET_TAIL)
    members = [
        (name, _deflated(text.encode()), zlib.crc32(text.encode()), len(text)) for name, text in SMALL_PARTS.items()
    ]
    members.append(("xl/worksheets/sheet1.xml", head + block * 1024 + tail, crc, size))
    return _zip(members)


def test_the_zip_bomb_is_a_real_workbook(zip_bomb):
    # the bomb is what it claims: 1.5 MB on the wire, a valid zip whose sheet declares 1 GiB
    archive = zipfile.ZipFile(io.BytesIO(zip_bomb))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert len(zip_bomb) < 2 * 1024 * 1024
    assert sheet.file_size > 1024**3
    with archive.open(sheet) as stream:
        assert stream.read(len(SHEET_HEAD)) == SHEET_HEAD


BOMB_MESSAGE = (
    "The workbook is too big to open: it expands to 1.0\xa0GB (the limit is 100.0\xa0MB). Save only the sheet to "
    "import, without pictures, as a new workbook."
)


@pytest.mark.parametrize(
    ("persona", "url", "field_errors"),
    [
        ("admin", "/api/v1/partners/imports", True),
        ("admin", "/api/v1/catalog/imports", True),
        ("operations", "/api/v1/inventory/imports", True),
        ("finance", "/api/v1/finance/payments/imports", True),
    ],
)
def test_an_api_import_refuses_a_zip_bomb_at_once_and_parses_nothing(
    world, api_client, zip_bomb, persona, url, field_errors
):
    # given
    client = api_client(world.users[persona])
    client.get("/api/v1/me")  # the first request of a process loads the whole API: not timed
    jobs_before = Job.objects.count()

    # when
    started = time.monotonic()
    response = client.post(url, {"file": SimpleUploadedFile("bomb.xlsx", zip_bomb)})
    elapsed = time.monotonic() - started

    # then: refused from the zip directory (milliseconds; parsing it took 16 s: the bound is loose
    # for busy machines); no job, no file kept
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"field": "file", "message": BOMB_MESSAGE}]
    assert elapsed < 3
    assert Job.objects.count() == jobs_before


def test_the_import_pages_refuse_a_zip_bomb_at_once(world, page_client, zip_bomb):
    # given
    client = page_client(world.admin)

    # when
    started = time.monotonic()
    partners = client.post("/partners/import/", {"file": SimpleUploadedFile("bomb.xlsx", zip_bomb)})
    catalog = client.post("/catalog/import/", {"file": SimpleUploadedFile("bomb.xlsx", zip_bomb)})
    elapsed = time.monotonic() - started

    # then
    assert (partners.status_code, catalog.status_code) == (422, 422)
    assert BOMB_MESSAGE in partners.content.decode()
    assert BOMB_MESSAGE in catalog.content.decode()
    assert elapsed < 6
    assert Job.objects.count() == 0


def test_the_order_import_refuses_a_workbook_expanding_beyond_an_order(world, page_client, zip_bomb):
    # given: an order file is read in the request, so its bound is 5 MB
    client = page_client(world.dist_admin)

    # when
    started = time.monotonic()
    response = client.post("/portal/orders/import/", {"file": SimpleUploadedFile("order.xlsx", zip_bomb)})

    # then
    assert response.status_code == 422
    assert "it expands to 1.0\xa0GB (the limit is 5.0\xa0MB)" in response.content.decode()
    assert time.monotonic() - started < 3


def test_the_expanded_size_is_a_setting(world, api_client, settings):
    # given: a bound of 5 KB, and an ordinary workbook expanding to more (its styles and theme)
    settings.IMPORT_MAX_EXPANDED_BYTES = 5 * 1024
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "type", "legal_name", "region"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    expanded = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(buffer.getvalue())).infolist())

    # when
    response = api_client(world.admin).post(
        "/api/v1/partners/imports", {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue())}
    )

    # then
    assert expanded > 5 * 1024
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"].startswith("The workbook is too big to open: it expands to ")
    assert "(the limit is 5.0\xa0KB)" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "content",
    [
        b"name,type\nA,dealer\n",  # a .csv renamed .xlsx
        b"PK\x03\x04" + b"\x00" * 200,  # the start of a zip, no directory
        None,  # a real workbook cut in half
    ],
)
def test_a_broken_workbook_gets_a_clear_error(world, api_client, content):
    if content is None:
        workbook = openpyxl.Workbook()
        workbook.active.append(["code", "type", "legal_name", "region"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()[: len(buffer.getvalue()) // 2]

    response = api_client(world.admin).post("/api/v1/catalog/imports", {"file": SimpleUploadedFile("c.xlsx", content)})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "file",
            "message": "The file is not a readable .xlsx workbook. Open it in Excel or WPS and save it again.",
        }
    ]
    assert Job.objects.count() == 0


@pytest.fixture
def catalog(world):
    from qudao.catalog.tests.factories import build_catalog

    return build_catalog()


@pytest.fixture
def queued_jobs(monkeypatch):
    """Jobs go to a worker instead of running in the request (Huey out of immediate mode; the
    queue's in-memory storage is kept, and the test's transaction never commits, so nothing is
    enqueued: the test runs the worker's task itself)."""
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "immediate_use_memory", False)
    monkeypatch.setattr(HUEY, "immediate", False)


def catalog_file(rows) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    workbook.active.append(["产品编码", "产品名称", "产品线", "基本单位", "SKU编码", "SKU名称"])
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("catalog.xlsx", buffer.getvalue())


def test_the_upload_only_stores_the_file_and_its_preview_job_parses_it(
    world, catalog, api_client, page_client, queued_jobs
):
    from qudao.catalog import importing

    # given
    client = api_client(world.channel)

    # when: a file is uploaded while jobs go to a worker
    response = client.post(
        "/api/v1/catalog/imports", {"file": catalog_file([["KF-9", "炸锅", "home", "件", "KF-9-1", "炸锅 1L"]])}
    )

    # then: the answer comes before any parsing: the preview is queued, without rows
    assert response.status_code == 201
    queued = response.json()
    assert (queued["status"], queued["rows"], queued["total_rows"], queued["can_commit"]) == ("queued", [], 0, False)
    page = page_client(world.channel).get(f"/catalog/import/{queued['id']}/").content.decode()
    assert 'data-testid="preview-progress"' in page and 'hx-trigger="every 1s"' in page
    assert f'hx-get="/jobs/{queued["id"]}/status/?reload=1"' in page and "http-equiv" not in page

    # when: the worker runs the preview task
    importing.run_preview(queued["id"])

    # then: the rows are checked
    ready = client.get(f"/api/v1/catalog/imports/{queued['id']}").json()
    assert (ready["status"], ready["total_rows"], ready["error_count"], ready["can_commit"]) == (
        "succeeded",
        1,
        0,
        True,
    )


def test_a_file_the_worker_cannot_read_fails_its_preview_with_the_reason(world, api_client, page_client, queued_jobs):
    from qudao.partners import importing

    # given: a partner file without its required columns, uploaded while jobs go to a worker
    client = api_client(world.channel)
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "legal_name"])
    workbook.active.append(["X1", "某公司"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview_id = client.post(
        "/api/v1/partners/imports", {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue())}
    ).json()["id"]

    # when
    importing.run_preview(preview_id)

    # then: the preview failed, saying why, in the API and on its page
    message = "Required columns are missing: Type (type), Region (region)."
    preview = client.get(f"/api/v1/partners/imports/{preview_id}").json()
    assert (preview["status"], preview["can_commit"]) == ("failed", False)
    assert preview["errors"] == [{"row": 0, "column": "file", "message": message}]
    page = page_client(world.channel).get(f"/partners/import/{preview_id}/").content.decode()
    assert message in page
