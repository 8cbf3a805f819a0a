"""Authorization matrix rows of retrying a failed job: the same scope as viewing it (its creator,
here channel, or an administrator); anyone else is told it does not exist."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, Case, only


def targets(world) -> dict:
    from django.utils import timezone

    from qudao.core.models import Job

    # a statements job of a month without entries: retried, it runs again and finds nothing to do
    failed = Job.objects.create(
        kind="finance.statements",
        created_by=world.channel,
        status=Job.Status.FAILED,
        message="Failed",
        result={"month": "2020-01", "partner": None},
        error={"detail": "The worker stopped while running this job.", "code": "worker_lost"},
        started_at=timezone.now(),
        finished_at=timezone.now(),
        attempts=1,
    )
    return {"failed_job": failed.pk}


API_CASES = [
    Case("POST", "/api/v1/jobs/{failed_job}/retry", only({"admin": 202, "channel": 202}, 404, 401)),
]

PAGE_CASES = [
    Case("POST", "partners/jobs/{failed_job}/retry/", only({"admin": "job", "channel": "job"}, 404, LOGIN), page=True),
    # the job page of any kind of job (qudao.core.views_jobs): its creator or an administrator
    Case("GET", "jobs/{failed_job}/", only({"admin": 200, "channel": 200}, 404, LOGIN), page=True),
    Case("GET", "jobs/{failed_job}/status/", only({"admin": 200, "channel": 200}, 404, LOGIN), page=True),
    Case("POST", "jobs/{failed_job}/retry/", only({"admin": "job", "channel": "job"}, 404, LOGIN), page=True),
]
