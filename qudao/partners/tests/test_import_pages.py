"""Import pages: upload, preview with highlighted error cells, commit, job progress, template."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core import jobs
from qudao.core.models import Job
from qudao.partners import importing
from qudao.partners.models import Partner


def xlsx_file(rows, name="partners.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


HEADER = ["code", "type", "legal_name", "credit_code", "region"]


def test_it_uploads_previews_and_commits_through_the_pages(world, page_client, uscc):
    # given
    client = page_client(world.channel, enforce_csrf=False)
    assert client.get("/partners/import/").status_code == 200

    # when: a clean file is uploaded
    response = client.post(
        "/partners/import/", {"file": xlsx_file([HEADER, ["Q1", "dealer", "南京页面公司", uscc(95), "320100"]])}
    )

    # then: the preview page, with the commit button
    assert response.status_code == 302
    preview = Job.objects.get(kind=importing.PREVIEW_KIND)
    assert response["Location"] == f"/partners/import/{preview.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'data-testid="commit-form"' in page.content
    assert "南京页面公司" in page.content.decode()

    # when: committed
    response = client.post(f"/partners/import/{preview.pk}/commit/")

    # then: the job page shows the finished job (no more polling)
    job = Job.objects.get(kind=importing.COMMIT_KIND)
    assert response["Location"] == f"/partners/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in page
    assert "hx-trigger" not in page
    assert Partner.objects.filter(code="Q1").exists()


def test_it_highlights_error_cells_and_offers_no_commit(world, page_client, uscc):
    # given
    client = page_client(world.channel)
    world.channel.language = "en"
    world.channel.save()

    # when
    response = client.post(
        "/partners/import/", {"file": xlsx_file([HEADER, ["Q2", "dealer", "甲", uscc(96), "月球"]])}, follow=True
    )

    # then
    content = response.content.decode()
    assert 'class="cell-error" data-column="region"' in content
    assert "Unknown region: 月球." in content
    assert 'data-testid="commit-form"' not in content


def test_it_shows_a_refused_file_on_the_upload_page(world, page_client):
    # given/when
    response = page_client(world.channel).post("/partners/import/", {"file": SimpleUploadedFile("x.txt", b"hello")})

    # then
    assert response.status_code == 422
    assert b'data-testid="import-errors"' in response.content
    assert Job.objects.count() == 0


def test_it_polls_a_running_job_every_second(world, page_client):
    # given: a job still running
    job = jobs.create_job(kind=importing.COMMIT_KIND, user=world.channel, total=10)
    jobs.start(job.pk)
    jobs.advance(job.pk, 4)

    # when
    fragment = page_client(world.channel).get(f"/partners/jobs/{job.pk}/status/").content.decode()

    # then
    assert f'hx-get="/partners/jobs/{job.pk}/status/"' in fragment
    assert 'hx-trigger="every 1s"' in fragment
    assert 'value="40"' in fragment
    assert page_client(world.operations).get(f"/partners/jobs/{job.pk}/").status_code == 404


def test_it_offers_the_template_with_the_import_columns(world, page_client):
    # given/when
    response = page_client(world.admin).get("/partners/import/template.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    header = [cell.value for cell in workbook.worksheets[0][1]]
    assert header == [column.label("zh-hans") for column in importing.COLUMNS]
    assert len(workbook.worksheets) == 2
