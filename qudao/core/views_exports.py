"""Pages of an export job (qudao.core.exports): its progress, then its file. Only the user who
asked for the export (or an administrator) sees them; anyone else gets 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import exports, jobs
from .errors import NotFound


def _context(request, job_id) -> dict:
    try:
        job = exports.export_job(request.user, job_id)
    except NotFound:
        raise Http404() from None
    return {
        "job": job,
        "message": jobs.display_message(job),
        "summary": exports.job_summary(job),
        "file_name": (job.result or {}).get("file_name", ""),
        "error_detail": jobs.display_message(job) if job.status == job.Status.FAILED else "",
    }


@login_required
@require_GET
def export_job_view(request, job_id: int):
    return render(request, "core/export_job.html", _context(request, job_id))


@login_required
@require_GET
def export_job_status_view(request, job_id: int):
    """The progress fragment the job page polls (every second until the job is finished)."""
    return render(request, "core/_export_job_status.html", _context(request, job_id))


@login_required
@require_GET
def export_download_view(request, job_id: int):
    try:
        return exports.export_file(request.user, job_id)
    except NotFound:
        raise Http404() from None
