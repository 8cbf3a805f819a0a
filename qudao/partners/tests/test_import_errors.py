"""Import: every row's errors by column in the preview; a file with errors is never written; a
failure while writing rolls the whole file back."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import Job, ObjectChange
from qudao.partners import importing, services
from qudao.partners.models import Partner

HEADER = ["code", "type", "legal_name", "credit_code", "region", "parent_code", "contact_name", "contact_mobile"]


def xlsx(rows, name="partners.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def importer(world, api_client):
    world.channel.language = "en"
    world.channel.save()
    return api_client(world.channel)


def preview_of(client, rows):
    response = client.post("/api/v1/partners/imports", {"file": xlsx(rows)})
    assert response.status_code == 201, response.content
    return response.json()


def errors_by_row(preview):
    return {row["row"]: row["errors"] for row in preview["rows"]}


def test_it_shows_each_bad_cell_and_refuses_to_commit(world, importer, uscc):
    # given: row 3 has an invalid credit code, row 4 an unknown region
    bad_code = uscc(11)[:17] + ("0" if uscc(11)[17] != "0" else "1")
    rows = [
        HEADER,
        ["A1", "distributor", "南京甲公司", uscc(10), "320100", "", "", ""],
        ["A2", "dealer", "南京乙公司", bad_code, "320100", "", "", ""],
        ["A3", "dealer", "南京丙公司", uscc(12), "火星市", "", "", ""],
        ["A4", "dealer", "南京丁公司", uscc(13), "南京市", "A1", "", ""],
    ]
    partners_before = Partner.objects.count()

    # when
    preview = preview_of(importer, rows)

    # then: exactly those errors, at those columns
    assert errors_by_row(preview) == {
        2: {},
        3: {"credit_code": ["Not a valid unified social credit code (18 characters, check character)."]},
        4: {"region": ["Unknown region: 火星市."]},
        5: {},
    }
    assert preview["errors"] == [
        {
            "row": 3,
            "column": "credit_code",
            "message": "Not a valid unified social credit code (18 characters, check character).",
        },
        {"row": 4, "column": "region", "message": "Unknown region: 火星市."},
    ]
    assert preview["counts"] == {"create": 4, "update": 0, "unchanged": 0, "error": 2}
    assert preview["can_commit"] is False

    # when: committing it anyway
    response = importer.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then: refused, with the row errors; no job, nothing written
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "rows.3.credit_code",
            "message": "Not a valid unified social credit code (18 characters, check character).",
        },
        {"field": "rows.4.region", "message": "Unknown region: 火星市."},
    ]
    assert Job.objects.filter(kind=importing.COMMIT_KIND).count() == 0
    assert Partner.objects.count() == partners_before


def test_it_fails_the_whole_job_when_a_row_conflicts_at_commit(world, importer, uscc):
    # given: a clean preview of 3 rows
    rows = [
        HEADER,
        ["B1", "distributor", "南京一号公司", uscc(20), "320100", "", "张一", "13900000001"],
        ["B2", "dealer", "苏州二号公司", uscc(21), "320500", "B1", "张二", "13900000002"],
        ["B3", "dealer", "杭州三号公司", uscc(22), "330100", "", "张三", "13900000003"],
    ]
    preview = preview_of(importer, rows)
    assert preview["can_commit"] is True
    # ... and someone creates a partner with the 2nd row's credit code before the commit
    other = services.create_partner(
        data={"partner_type": "dealer", "legal_name": "抢先公司", "credit_code": uscc(21), "region": "320500"}
    )
    partners_before = Partner.objects.count()
    changes_before = ObjectChange.objects.count()

    # when
    response = importer.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then: the job failed with the row's error, and not one partner of the file was written
    assert response.status_code == 202
    job = importer.get(f"/api/v1/jobs/{response.json()['id']}").json()
    assert job["status"] == "failed"
    assert job["error"]["rows"] == [
        {"row": 3, "code": "B2", "errors": {"credit_code": [f"Partner {other.code} already has this credit code."]}}
    ]
    assert job["message"] == "The file has errors. Nothing was imported."
    assert Partner.objects.count() == partners_before
    assert not Partner.objects.filter(code__in=["B1", "B2", "B3"]).exists()
    assert ObjectChange.objects.count() == changes_before


def test_it_rolls_back_rows_already_written_when_a_later_row_fails(world, uscc):
    # given: a plan checked against the database, then a conflicting partner created (a race)
    rows = [
        HEADER,
        ["C1", "distributor", "南京一号公司", uscc(30), "320100", "", "", ""],
        ["C2", "dealer", "苏州二号公司", uscc(31), "320500", "C1", "", ""],
    ]
    parsed = importing.parse_file("partners.xlsx", xlsx(rows).read())
    analysis = importing.analyse(parsed)
    assert not analysis.has_errors
    services.create_partner(
        data={"partner_type": "dealer", "legal_name": "抢先", "credit_code": uscc(31), "region": "320500"}
    )
    partners_before = Partner.objects.count()

    # when: the stale plan is written
    with pytest.raises(importing.RowFailed) as failure:
        importing.apply(analysis, user=world.channel)

    # then: row 3 failed and row 2 (written first) was rolled back with it
    assert failure.value.plan.number == 3
    assert list(failure.value.errors) == ["credit_code"]
    assert Partner.objects.count() == partners_before
    assert not Partner.objects.filter(code="C1").exists()


def test_it_marks_duplicate_keys_within_the_file(world, importer, uscc):
    # given: the same code twice, and the same credit code twice
    rows = [
        HEADER,
        ["D1", "dealer", "甲", uscc(40), "320100", "", "", ""],
        ["D1", "dealer", "乙", uscc(41), "320100", "", "", ""],
        ["D3", "dealer", "丙", uscc(40).lower(), "320100", "", "", ""],
    ]

    # when
    preview = preview_of(importer, rows)

    # then
    assert errors_by_row(preview) == {
        2: {},
        3: {"code": ["Row 2 has the same partner code."]},
        4: {"credit_code": ["Row 2 has the same credit code."]},
    }


def test_it_marks_cycles_within_the_file(world, importer, uscc):
    # given: E1 under E2 and E2 under E1; E3 under itself
    rows = [
        HEADER,
        ["E1", "distributor", "甲", uscc(50), "320100", "E2", "", ""],
        ["E2", "distributor", "乙", uscc(51), "320100", "E1", "", ""],
        ["E3", "distributor", "丙", uscc(52), "320100", "E3", "", ""],
    ]

    # when
    preview = preview_of(importer, rows)

    # then
    assert errors_by_row(preview) == {
        2: {"parent_code": ["Rows 2 → 3 → 2 name each other as parent distributor: a cycle."]},
        3: {"parent_code": ["Rows 2 → 3 → 2 name each other as parent distributor: a cycle."]},
        4: {"parent_code": ["Rows 4 → 4 name each other as parent distributor: a cycle."]},
    }


def test_it_checks_the_hierarchy_rules_through_the_services(world, importer, uscc):
    # given: a parent that is a dealer (in the file), a parent that does not cover the region (in the
    # database), an unknown parent, a row without any key, and a bad mobile number
    rows = [
        HEADER,
        ["F1", "dealer", "甲", uscc(60), "320100", "", "", ""],
        ["F2", "dealer", "乙", uscc(61), "320100", "F1", "", ""],
        ["F3", "dealer", "丙", uscc(62), "330100", world.dist_js.code, "", ""],
        ["F4", "dealer", "丁", uscc(63), "320100", "NOPE", "", ""],
        ["", "dealer", "戊", "", "320100", "", "", ""],
        ["F6", "dealer", "己", uscc(65), "320100", "", "王五", "12345"],
    ]

    # when
    preview = preview_of(importer, rows)

    # then
    assert errors_by_row(preview) == {
        2: {},
        3: {"parent_code": ["Only a distributor can have sub-dealers."]},
        4: {"parent_code": [f"{world.dist_js} does not cover the region Zhejiang Hangzhou."]},
        5: {"parent_code": ["Unknown parent distributor: NOPE."]},
        6: {
            "code": [
                "Give the partner code or the credit code: they find the partner again when the file is imported again."
            ]
        },
        7: {"contact_mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."]},
    }
