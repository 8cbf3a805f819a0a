"""The page of a background job (/jobs/<id>/): its live progress, polled with htmx, ending with a
link to what it produced (qudao.core.jobs.result_of) or with its error and a retry button. Only
its creator or an administrator sees a job; anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import jobs
from .errors import Conflict, NotFound
from .models import Job
from .pages import hq_page, paginate


def _job(request, job_id):
    try:
        return jobs.visible_job(request.user, job_id)
    except NotFound:
        raise Http404() from None


def job_context(job, *, reload_when_done: bool = False, portal: bool = False) -> dict:
    """What partials/job_progress.html shows of `job` (`portal`: in the partner portal's layout)."""
    return {
        "job": job,
        "job_title": jobs.title_of(job),
        "job_message": jobs.display_message(job),
        "job_result": jobs.result_of(job),
        "job_error": (job.error or {}).get("detail", "") if job.status == job.Status.FAILED else "",
        "can_retry": jobs.can_retry(job),
        "reload_when_done": reload_when_done,
        "portal": portal,
    }


def _portal_layout(request) -> dict | None:
    """A partner user follows its jobs (e.g. a big export of its orders) in the portal's layout:
    the context that layout needs, or None for HQ users."""
    partner = getattr(request.user, "partner", None)
    if partner is None:
        return None
    return {"partner": partner, "is_distributor": partner.is_distributor, "section": "none"}


@require_GET
@hq_page()
def job_list_view(request):
    """/jobs/: the user's jobs (every job for an administrator), by status (?status=failed: the
    workbench's to-do links here)."""
    status = request.GET.get("status") or ""
    status = status if status in Job.Status.values else ""
    page = paginate(request, jobs.visible_jobs(request.user, status))
    for job in page.object_list:
        job.title = jobs.title_of(job)
    context = {"page": page, "jobs": page.object_list, "status": status, "statuses": Job.Status.choices}
    return render(request, "core/jobs.html", context)


@login_required
@require_GET
def job_view(request, job_id: int):
    job = _job(request, job_id)
    if (layout := _portal_layout(request)) is not None:
        return render(request, "core/job_portal.html", job_context(job, portal=True) | layout)
    return render(request, "core/job.html", job_context(job))


@login_required
@require_GET
def job_status_view(request, job_id: int):
    """The progress fragment the job page polls every second until the job is finished. With
    ?reload=1 (a page that shows the job's outcome itself, e.g. an import preview), a finished job
    reloads that whole page instead."""
    job = _job(request, job_id)
    reload_when_done = request.GET.get("reload") == "1"
    portal = request.GET.get("portal") == "1"
    context = job_context(job, reload_when_done=reload_when_done, portal=portal)
    response = render(request, "partials/job_progress.html", context)
    if reload_when_done and job.is_finished:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def job_retry_view(request, job_id: int):
    """Run a failed job again, then follow it on its page."""
    try:
        jobs.retry(request.user, job_id)
    except NotFound:
        raise Http404() from None
    except Conflict as error:
        messages.error(request, str(error.detail))
    return redirect("core:job", job_id=job_id)
