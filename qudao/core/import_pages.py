"""The three pages of a file import (upload, preview, commit), shared by every import declared with
`qudao.core.imports.FileImport` (the catalogue, stock counts, payments). Each app's views check
the permission with its own page decorator and call these with its importing module, its
templates and the URL name of its preview page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import jobs
from .errors import Conflict, FieldErrors, NotFound
from .imports import preview_errors

PREVIEW_PAGE_ROWS = 200


def register_results(importing, *, preview_url: str, result_url: str, result_label) -> None:
    """The links an import's job pages end with: its preview (the checked file) and, once
    imported, the list the rows went to (`result_label`, a lazy translation: "Open the catalogue")."""
    from django.urls import reverse

    def preview_result(job):
        return jobs.JobResult(reverse(preview_url, args=[job.pk]), _("Open the preview"))

    def commit_result(job):
        return jobs.JobResult(reverse(result_url), str(result_label))

    jobs.register_result(importing.PREVIEW_KIND, preview_result, title=gettext_lazy("Check an import file"))
    jobs.register_result(importing.COMMIT_KIND, commit_result, title=gettext_lazy("Import a file"))


def upload(request, importing, *, template: str, preview_url: str, context: dict | None = None):
    """GET: the upload form with the columns; POST: read and check the file, then its preview."""
    errors, status = [], 200
    if request.method == "POST":
        try:
            job = importing.preview_import(user=request.user, upload=request.FILES.get("file"))
        except FieldErrors as error:
            errors = [str(message) for messages_ in error.errors.values() for message in messages_]
            status = 422
        else:
            return redirect(preview_url, job.pk)
    return render(
        request,
        template,
        {"errors": errors, "columns": importing.COLUMNS, "max_rows": importing.MAX_ROWS, **(context or {})},
        status=status,
    )


def preview(
    request, importing, preview_id, *, template: str, row_extra: Callable[[dict], dict] | None = None, context=None
):
    """The preview of a file, row by row with its errors (?errors=1: only rows with errors), and
    the commit button while it may be committed; while a worker checks the file, its progress
    (the page reloads itself), and the file's errors if it cannot be imported at all. Another
    user's preview is 404."""
    try:
        job = importing.get_preview(request.user, preview_id)
    except NotFound:
        raise Http404() from None
    payload = (job.result or {}) if job.status == job.Status.SUCCEEDED else {}
    rows = payload.get("rows", [])
    if request.GET.get("errors") == "1":
        rows = [row for row in rows if row["errors"]]
    page = Paginator(rows, PREVIEW_PAGE_ROWS).get_page(request.GET.get("page"))
    labels = {column.key: column.label() for column in importing.COLUMNS} | {importing.ROW: _("Row")}
    table = [
        row
        | (row_extra(row) if row_extra else {})
        | {
            "error_list": [
                error | {"label": labels.get(error["column"], error["column"])}
                for error in importing.flat_errors([row])
            ]
        }
        for row in page.object_list
    ]
    return render(
        request,
        template,
        {
            "preview": job,
            "payload": payload,
            "table": table,
            "page": page,
            "commit_job": importing.commit_job_of(job),
            "can_commit": importing.can_commit(job),
            "file_name": payload.get("file_name") or job.input_file.name.rsplit("/", 1)[-1],
            # a preview still being checked by a worker (the page reloads itself), or failed
            "preview_message": jobs.display_message(job),
            "file_errors": preview_errors(job, importing.flat_errors) if job.status == job.Status.FAILED else [],
            **(context or {}),
        },
    )


def commit(request, importing, preview_id, *, preview_url: str, done: Callable | None = None):
    """Start writing a previewed file; back to its preview with what happened (`done(job)`: the
    message for a finished import, default "The file is imported.")."""
    try:
        job = importing.commit_import(user=request.user, preview_id=preview_id)
    except NotFound:
        raise Http404() from None
    except (FieldErrors, Conflict) as error:
        messages.error(request, str(error.detail))
    else:
        if job.status == job.Status.SUCCEEDED:
            messages.success(request, done(job) if done else _("The file is imported."))
        elif job.status == job.Status.FAILED:
            messages.error(request, jobs.display_message(job))
        else:
            # a worker writes it: its page shows the progress and ends with a link to the result
            return redirect("core:job", job_id=job.pk)
    return redirect(preview_url, preview_id)
