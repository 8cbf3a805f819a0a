"""Import: every file is checked by a background job (never in the upload request); the preview
shows its progress until it is ready, and cannot be committed before."""

import io

import openpyxl
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core import jobs
from qudao.core.models import Job
from qudao.partners import importing
from qudao.partners.models import Partner


def xlsx_bytes(uscc, count=3):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "type", "legal_name", "credit_code", "region"])
    for index in range(count):
        sheet.append([f"BG{index}", "dealer", f"南京后台{index}号公司", uscc(500 + index), "320100"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_it_checks_the_file_with_the_preview_task(world, api_client, uscc):
    # given: the preview task runs in-process in tests
    client = api_client(world.channel)

    # when
    response = client.post("/api/v1/partners/imports", {"file": SimpleUploadedFile("big.xlsx", xlsx_bytes(uscc))})

    # then: the job checked every row
    assert response.status_code == 201
    preview = response.json()
    assert (preview["status"], preview["job"]["progress_done"], preview["job"]["progress_total"]) == ("succeeded", 3, 3)
    assert [row["action"] for row in preview["rows"]] == ["create", "create", "create"]
    assert client.post(f"/api/v1/partners/imports/{preview['id']}/commit").status_code == 202
    assert Partner.objects.filter(code__startswith="BG").count() == 3


def test_it_shows_a_preview_that_is_not_ready_and_refuses_to_commit_it(world, api_client, page_client, uscc):
    # given: a preview job still waiting for a worker
    job = jobs.create_job(
        kind=importing.PREVIEW_KIND, user=world.channel, input_file=ContentFile(xlsx_bytes(uscc), name="big.xlsx")
    )
    client = api_client(world.channel)

    # when / then: the API shows its state and no rows, and refuses the commit
    preview = client.get(f"/api/v1/partners/imports/{job.pk}").json()
    assert (preview["status"], preview["rows"], preview["can_commit"], preview["file_name"]) == (
        "queued",
        [],
        False,
        "big.xlsx",
    )
    assert client.post(f"/api/v1/partners/imports/{job.pk}/commit").status_code == 409
    assert Job.objects.filter(kind=importing.COMMIT_KIND).count() == 0
    # ... the page polls its progress and reloads itself when it is ready
    page = page_client(world.channel).get(f"/partners/import/{job.pk}/").content.decode()
    assert 'data-testid="preview-progress"' in page
    assert f'hx-get="/partners/jobs/{job.pk}/status/?reload=1"' in page

    # when: the worker runs the preview task
    importing.run_preview(job.pk)

    # then
    job.refresh_from_db()
    assert (job.status, job.result["counts"]["create"]) == ("succeeded", 3)
    fragment = page_client(world.channel).get(f"/partners/jobs/{job.pk}/status/?reload=1")
    assert fragment["HX-Refresh"] == "true"
    assert client.get(f"/api/v1/partners/imports/{job.pk}").json()["can_commit"] is True


def test_it_runs_a_job_only_once(world, uscc):
    # given: a preview job already run
    job = jobs.create_job(
        kind=importing.PREVIEW_KIND, user=world.channel, input_file=ContentFile(xlsx_bytes(uscc), name="big.xlsx")
    )
    importing.run_preview(job.pk)
    finished_at = Job.objects.get(pk=job.pk).finished_at

    # when: the task is delivered again
    again = importing.run_preview(job.pk)

    # then: nothing happens
    assert again is None
    assert Job.objects.get(pk=job.pk).finished_at == finished_at


def test_it_records_an_unexpected_failure_of_a_job(world):
    # given: a preview job whose stored file has disappeared
    job = jobs.create_job(kind=importing.PREVIEW_KIND, user=world.channel)

    # when
    importing.run_preview(job.pk)

    # then: failed, with a message for the user (the details are in the log)
    job.refresh_from_db()
    assert (job.status, job.error["code"]) == ("failed", "crashed")
    assert jobs.display_message(job) == "The job stopped because of an unexpected error. Nothing was changed."
