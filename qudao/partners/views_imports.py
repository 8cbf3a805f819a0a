"""Pages: partner import (upload, preview, commit), job progress, the import template and the
.xlsx export. They parse, authorise, call partners.importing / exporting / core.jobs, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core import jobs
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound

from . import exporting, importing
from .api_imports import XLSX_CONTENT_TYPE

jobs.register_result(
    importing.PREVIEW_KIND,
    lambda job: jobs.JobResult(reverse("partner_imports:preview", args=[job.pk]), _("Open the preview")),
    title=gettext_lazy("Check an import file"),
)
jobs.register_result(
    importing.COMMIT_KIND,
    lambda job: jobs.JobResult(reverse("partners:list"), _("Open the partners")),
    title=gettext_lazy("Import a file"),
)

PREVIEW_PAGE_SIZE = 200


def _require_import(request) -> None:
    if not request.user.can("partners.import"):
        raise PermissionDenied()


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require_import(request)
    errors = []
    status = 200
    if request.method == "POST":
        try:
            job = importing.preview_import(user=request.user, upload=request.FILES.get("file"))
        except FieldErrors as error:
            errors = [str(message) for messages_ in error.errors.values() for message in messages_]
            status = 422
        except Forbidden:
            raise PermissionDenied() from None
        else:
            return redirect("partner_imports:preview", preview_id=job.pk)
    return render(
        request,
        "partners/imports/upload.html",
        {
            "errors": errors,
            "columns": importing.COLUMNS,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_megabytes": f"{settings.IMPORT_UPLOAD_MAX_BYTES / 1048576:.0f}",
        },
        status=status,
    )


@login_required
@require_GET
def import_preview(request, preview_id: int):
    try:
        preview = importing.get_preview(request.user, preview_id)
    except NotFound:
        raise Http404() from None
    payload = (preview.result or {}) if preview.status == preview.Status.SUCCEEDED else {}
    rows = payload.get("rows", [])
    only_errors = request.GET.get("errors") == "1"
    if only_errors:
        rows = [row for row in rows if row["errors"]]
    page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    columns = [importing.COLUMNS_BY_KEY[key] for key in payload.get("columns", [])]
    table = [
        {
            "row": row["row"],
            "action": row["action"],
            "changes": row["changes"],
            "row_errors": row["errors"].get(importing.ROW, []),
            "has_errors": bool(row["errors"]),
            "cells": [
                {
                    "key": column.key,
                    "value": row["values"].get(column.key, ""),
                    "errors": row["errors"].get(column.key, []),
                    "changed": column.key in row["changes"],
                }
                for column in columns
            ],
        }
        for row in page.object_list
    ]
    commit_job = importing.commit_job_of(preview)
    return render(
        request,
        "partners/imports/preview.html",
        {
            "preview": preview,
            "payload": payload,
            "columns": columns,
            "table": table,
            "page": page,
            "only_errors": only_errors,
            "commit_job": commit_job,
            "can_commit": importing.can_commit(preview) and request.user.can("partners.import"),
            "file_name": payload.get("file_name") or preview.input_file.name.rsplit("/", 1)[-1],
            "job": preview,
            "message": jobs.display_message(preview),
            "reload_when_done": True,
            "error_detail": (preview.error or {}).get("detail", ""),
        },
    )


@login_required
@require_POST
def import_commit(request, preview_id: int):
    try:
        job = importing.commit_import(user=request.user, preview_id=preview_id)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None
    except (FieldErrors, Conflict) as error:
        messages.error(request, str(error.detail))
        return redirect("partner_imports:preview", preview_id=preview_id)
    return redirect("partner_imports:job", job_id=job.pk)


def _job_context(request, job_id):
    try:
        job = jobs.visible_job(request.user, job_id)
    except NotFound:
        raise Http404() from None
    preview_id = (job.result or {}).get("preview_id") or (job.error or {}).get("preview_id")
    if job.kind == importing.PREVIEW_KIND:
        preview_id = job.pk
    return {
        "job": job,
        "can_retry": jobs.can_retry(job),
        "message": jobs.display_message(job),
        "preview_url": reverse("partner_imports:preview", args=[preview_id]) if preview_id else "",
        "summary": importing.commit_succeeded_message(job)
        if job.kind == importing.COMMIT_KIND and job.status == job.Status.SUCCEEDED
        else "",
        "job_result": jobs.result_of(job) if job.kind == importing.COMMIT_KIND else None,
        "error_rows": (job.error or {}).get("rows", []),
        "error_detail": (job.error or {}).get("detail", ""),
    }


@login_required
@require_GET
def job_page(request, job_id: int):
    return render(request, "partners/imports/job.html", _job_context(request, job_id))


@login_required
@require_POST
def job_retry(request, job_id: int):
    """The job page's "Retry" button: run a failed job again, then follow it on its page."""
    try:
        jobs.retry(request.user, job_id)
    except NotFound:
        raise Http404() from None
    except Conflict as error:
        messages.error(request, str(error.detail))
    return redirect("partner_imports:job", job_id=job_id)


@login_required
@require_GET
def job_status(request, job_id: int):
    """The progress fragment the job page polls with htmx (every second until finished). With
    ?reload=1 (the preview page), a finished job reloads the whole page instead."""
    context = _job_context(request, job_id)
    response = render(request, "partners/imports/_job_status.html", context)
    if request.GET.get("reload") == "1" and context["job"].is_finished:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_template(request):
    _require_import(request)
    response = HttpResponse(exporting.import_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="partners-import-template.xlsx"'
    return response


@login_required
@require_GET
def export_xlsx(request):
    try:
        stream = exporting.export_partners(request.user, exporting.export_filters(request.GET))
    except Forbidden:
        raise PermissionDenied(_("You are not allowed to export partners.")) from None
    return FileResponse(
        stream, as_attachment=True, filename=exporting.export_file_name(), content_type=XLSX_CONTENT_TYPE
    )
