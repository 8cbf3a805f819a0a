"""Core's to-dos on the workbench (qudao.core.workbench): approval requests waiting for the user's
decision (the approvals inbox, the same query) and failed jobs (the user's; every one for an
administrator), each linking to the list that shows exactly those rows."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .workbench import Todo, register_todo


def _approvals_count(user) -> int:
    from .views import inbox_requests

    return inbox_requests(user).count()


def _failed_jobs_count(user) -> int:
    from .jobs import visible_jobs
    from .models import Job

    return visible_jobs(user, Job.Status.FAILED).count()


def register() -> None:
    register_todo(
        Todo(
            "core.approvals",
            _("Approvals waiting for you"),
            lambda user: reverse("core:approvals") + "?tab=inbox",
            _approvals_count,
            visible=lambda user: user.can("approvals.view"),
            order=10,
        )
    )
    register_todo(
        Todo(
            "core.failed_jobs",
            _("Failed jobs"),
            lambda user: reverse("core:jobs") + "?status=failed",
            _failed_jobs_count,
            order=90,
        )
    )
