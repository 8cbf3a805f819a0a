"""The file of an export job (qudao.core.exports). The job itself is followed on the one job page,
/jobs/<id>/ (qudao.core.views_jobs), which ends with the download link registered here; the old
/exports/<id>/ page redirects there. Only the user who asked for the export (or an administrator)
sees the job or its file; anyone else gets 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from . import exports, jobs
from .errors import NotFound


def _export_result(job) -> jobs.JobResult | None:
    """The finished export's file: the job page's last step."""
    name = (job.result or {}).get("file_name")
    if not name:
        return None
    return jobs.JobResult(
        reverse("core:export_download", args=[job.pk]),
        _("Download %(name)s") % {"name": name},
        summary=exports.job_summary(job),
        download=True,
    )


jobs.register_result(exports.JOB_KIND, _export_result, title=gettext_lazy("Export a list"))


@login_required
@require_GET
def export_job_view(request, job_id: int):
    """The export's former page (links and bookmarks made before the one job page): its job page."""
    try:
        job = exports.export_job(request.user, job_id)
    except NotFound:
        raise Http404() from None
    return redirect("core:job", job_id=job.pk)


@login_required
@require_GET
def export_download_view(request, job_id: int):
    try:
        return exports.export_file(request.user, job_id)
    except NotFound:
        raise Http404() from None
