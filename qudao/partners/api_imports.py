"""API: partner import (preview, commit), background jobs, and the .xlsx export.

POST /partners/imports                 upload a file (multipart "file") -> 201 the preview
GET  /partners/imports/{id}            the preview, and its commit job (creator or admin; else 404)
POST /partners/imports/{id}/commit     write the previewed file -> 202 the job
GET  /jobs/{id}                        a job's progress and outcome (creator or admin; else 404)
POST /jobs/{id}/retry                  run a failed job again -> 202 the job (same scope; 409 unless failed)
GET  /partners/export.xlsx?...         the partner list as .xlsx (same filters as GET /partners)
"""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from qudao.core import jobs
from qudao.core.imports import preview_errors
from qudao.core.models import Job
from qudao.core.schemas import IdParam, TextSchema

from . import exporting, importing

router = Router(tags=["partner imports"])

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JobOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    finished: bool
    can_retry: bool
    attempts: int
    progress_done: int
    progress_total: int
    percent: int
    message: str
    result: dict | None = None
    error: dict | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    url: str


class PartnerImportRowOut(Schema):
    row: int
    action: str
    code: str
    partner_id: int | None = None
    legal_name: str
    changes: list[str]
    values: dict[str, str]
    errors: dict[str, list[str]]


class PartnerImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportPreviewOut(Schema):
    id: int
    status: str
    job: JobOut
    file_name: str
    created_at: datetime
    columns: list[str]
    ignored_columns: list[str]
    total_rows: int
    counts: dict[str, int]
    error_count: int
    can_commit: bool
    rows: list[PartnerImportRowOut]
    errors: list[PartnerImportErrorOut]
    commit_job: JobOut | None = None
    url: str


class ExportFilters(TextSchema):
    q: str | None = None
    partner_type: str | None = None
    type: str | None = None
    tier: str | None = None
    status: str | None = None
    region: str | None = None
    owner: str | None = None
    tag: str | None = None
    parent: str | None = None
    sort: str | None = None


def job_out(job: Job) -> dict:
    return jobs.job_payload(job) | {"url": f"/partners/jobs/{job.pk}/"}


def preview_out(job: Job) -> dict:
    payload = (job.result or {}) if job.status == Job.Status.SUCCEEDED else {}
    commit_job = importing.commit_job_of(job)
    return {
        "id": job.pk,
        "status": job.status,
        "job": job_out(job),
        "file_name": payload.get("file_name") or job.input_file.name.rsplit("/", 1)[-1],
        "created_at": job.created_at,
        "columns": payload.get("columns", []),
        "ignored_columns": payload.get("ignored_columns", []),
        "total_rows": payload.get("total_rows", 0),
        "counts": payload.get("counts", {}),
        "error_count": payload.get("error_count", 0),
        "can_commit": importing.can_commit(job),
        "rows": payload.get("rows", []),
        "errors": preview_errors(job, importing.flat_errors),
        "commit_job": job_out(commit_job) if commit_job else None,
        "url": f"/partners/import/{job.pk}/",
    }


@router.post("/partners/imports", response={201: ImportPreviewOut}, url_name="partner_import_create")
def partner_import_create(request, file: UploadedFile | None = File(None)):  # noqa: B008
    """Upload an .xlsx or .csv file of partners: every row is checked, nothing is written yet.
    The answer lists each row's action (create, update, unchanged) and its errors by column."""
    job = importing.preview_import(user=request.auth, upload=file)
    return Status(201, preview_out(job))


@router.get("/partners/imports/{int:preview_id}", response=ImportPreviewOut, url_name="partner_import_detail")
def partner_import_detail(request, preview_id: IdParam):
    return preview_out(importing.get_preview(request.auth, preview_id))


@router.post("/partners/imports/{int:preview_id}/commit", response={202: JobOut}, url_name="partner_import_commit")
def partner_import_commit(request, preview_id: IdParam):
    """Write a previewed file without errors, all or nothing, as a background job."""
    job = importing.commit_import(user=request.auth, preview_id=preview_id)
    return Status(202, job_out(job))


@router.get("/jobs/{int:job_id}", response=JobOut, url_name="job_detail")
def job_detail(request, job_id: IdParam):
    return job_out(jobs.visible_job(request.auth, job_id))


@router.post("/jobs/{int:job_id}/retry", response={202: JobOut}, url_name="job_retry")
def job_retry(request, job_id: IdParam):
    """Run a failed job again, as the same job (for whoever may see it: its creator or an
    administrator). A job whose worker stopped is failed within minutes and can be retried here;
    the work continues cleanly (an import books every row exactly once, statements skip the
    partners done, a rebate run posts the partners left). 409 when the job is not failed (it
    is queued, running or done), cannot be queued again, or its file's newer import exists."""
    return Status(202, job_out(jobs.retry(request.auth, job_id)))


@router.get("/partners/export.xlsx", url_name="partner_export", response={200: None})
def partner_export(request, filters: Query[ExportFilters]):
    """The partner list (what you may see, with the filters of GET /partners) as an .xlsx file."""
    stream = exporting.export_partners(request.auth, exporting.export_filters(filters.dict()))
    return FileResponse(
        stream, as_attachment=True, filename=exporting.export_file_name(), content_type=XLSX_CONTENT_TYPE
    )
