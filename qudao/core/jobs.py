"""Background jobs: a small, generic tracker for work that runs outside the request (imports now;
statements, rebate runs and webhooks later).

A job is a `core.Job` row. The code that asks for the work calls `create_job()` and hands the job
to a Huey task with `run_task()`; the task calls `execute(job_id, work)`, which marks the job
running, runs `work(job)`, and records the outcome: succeeded with the dict `work` returns, or
failed with the error it raised. `work` reports progress with `advance()`, a single cheap UPDATE.

Messages are stored as their English source text (marked with gettext_noop) and translated when
shown, so every user reads a job's state in its own language.

Progress and long transactions: work that writes everything in one transaction (an all-or-nothing
import) would hide its progress until it commits. On PostgreSQL `advance()` therefore writes the
progress through a second connection in autocommit mode, so the job page sees it at once. SQLite
has one writer at a time, so there the progress of such a transaction shows when it commits.

Tasks: a task that runs jobs is declared with `job_task(kind, ...)` in its context's `tasks.py`
(the only modules the worker imports: see `qudao.core.apps`), which also lets a failed job of
those kinds be retried (`retry`).

Leases: a running job carries the identity of the process running it (`worker`: host, pid and
the process's start time) and a lease, `lease_expires_at`: settings.JOB_LEASE_SECONDS of the
process running it, renewed every quarter of that by a thread of that process through its own
connection (so a long transaction of the work does not hide it). Each process stores its own
lease on the job, so reapers need not share the setting. A job whose lease expired and whose process is not
known to be alive on this machine is dead (the process was killed, or its machine restarted):
`reap_dead_jobs` (every minute in the worker, at its start-up, and when someone looks at the job)
marks it failed with MESSAGE_WORKER_LOST. On SQLite the lease cannot be renewed while the work
holds the one write lock, which is why a process that is still alive on this machine is never
reaped, whatever its lease says.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from .errors import Conflict, DomainError, FieldErrors, NotFound
from .models import Job

logger = logging.getLogger(__name__)

MESSAGE_QUEUED = N_("Waiting for a worker")
MESSAGE_RUNNING = N_("Running")
MESSAGE_DONE = N_("Done")
MESSAGE_FAILED = N_("Failed")
MESSAGE_CRASHED = N_("The job stopped because of an unexpected error. Nothing was changed.")
MESSAGE_WORKER_LOST = N_(
    "The worker stopped while running this job (its process ended or its machine restarted). "
    "Retry the job to run it again."
)


class JobFailed(Exception):
    """Raised by a job's work to end it as failed with a message and a JSON-able error body."""

    def __init__(self, message: str, error: dict | None = None):
        super().__init__(message)
        self.message = message
        self.error = error or {}


def create_job(*, kind: str, user=None, partner_id=None, input_file=None, total: int = 0, message: str = "") -> Job:
    """A new queued job. `input_file` (an uploaded file) is stored under MEDIA_ROOT/jobs/."""
    job = Job(
        kind=kind,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        partner_id=partner_id,
        progress_total=total,
        message=message or MESSAGE_QUEUED,
    )
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", None) or "input", input_file, save=False)
    job.save()
    return job


# --- tasks that run jobs ---------------------------------------------------------------------------

_TASKS_BY_KIND: dict[str, Callable] = {}


def job_task(*kinds: str):
    """Declare the Huey task (`task(job_id)`, a `db_task`) that runs jobs of `kinds`. Put it in the
    context's `tasks.py`, the modules every process that runs tasks imports; `retry` queues a
    failed job of these kinds through it again."""
    from huey.contrib.djhuey import db_task

    def decorator(function):
        task = db_task()(function)
        for kind in kinds:
            _TASKS_BY_KIND[kind] = task
        return task

    return decorator


def task_for_kind(kind: str):
    """The task that runs jobs of `kind`, or None (such a job runs inline and cannot be retried)."""
    return _TASKS_BY_KIND.get(kind)


# --- the worker's identity and the lease ----------------------------------------------------------


def _process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), "" where /proc is not
    there, None when there is no such live process (a zombie is dead)."""
    try:
        stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115 - a one-shot read of a tiny file
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def worker_identity() -> str:
    """This process, as a running job records it: "host:pid:start" (the start time tells a later
    process that got the same pid apart)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid) or ''}"


def alive_here(identity: str) -> bool:
    """The process named by `identity` runs on this machine now. False when it is gone, and when
    it runs elsewhere (then only its lease tells)."""
    try:
        host, pid, started = identity.rsplit(":", 2)
        pid = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    now = _process_start(pid)
    return now is not None and (not started or not now or now == started)


def lease_seconds() -> float:
    return float(getattr(settings, "JOB_LEASE_SECONDS", 120))


def start(job_id: int, *, total: int | None = None, message: str = MESSAGE_RUNNING) -> bool:
    """Mark a queued job running, by this process, with a fresh lease. False when it is no longer
    queued (a retried or duplicate delivery of the task): the caller must then not run it again."""
    now = timezone.now()
    values = {
        "status": Job.Status.RUNNING,
        "started_at": now,
        "lease_expires_at": now + timedelta(seconds=lease_seconds()),
        "worker": worker_identity()[:200],
        "attempts": F("attempts") + 1,
        "message": message,
        "progress_done": 0,
    }
    if total is not None:
        values["progress_total"] = total
    return Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(**values) == 1


class Heartbeat:
    """Renews a running job's lease every quarter of the lease, from a thread with its own
    database connection, until stopped. A renewal that fails (SQLite's write lock held by the
    job's own transaction, a lost connection) is skipped: the next one tries again."""

    def __init__(self, job_id: int, attempt: int, worker: str):
        self.job_id, self.attempt, self.worker = job_id, attempt, worker
        self.lease = timedelta(seconds=lease_seconds())
        self.interval = max(self.lease.total_seconds() / 4, 0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=10)

    def beat(self) -> bool:
        own = connections[connection.alias]  # this thread's own connection
        if own.vendor == "sqlite" and own.connection is None:
            own.ensure_connection()
            with own.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 500")  # never queue behind the job's writes
        elif own.vendor == "postgresql" and own.connection is None:
            own.ensure_connection()
            with own.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
        renewed = Job.objects.filter(
            pk=self.job_id, status=Job.Status.RUNNING, attempts=self.attempt, worker=self.worker
        ).update(lease_expires_at=timezone.now() + self.lease)
        return renewed == 1

    def _run(self):
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except DatabaseError as error:
                    logger.info("job %s: lease not renewed this time (%s)", self.job_id, error)
        finally:
            connections.close_all()  # this thread's connections only


_side = threading.local()


def _progress_connection():
    side = getattr(_side, "connection", None)
    if side is None:
        side = connections.create_connection(connection.alias)
        side.set_autocommit(True)
        with side.cursor() as cursor:
            # Never wait behind this thread's own transaction: give up and fall back instead.
            cursor.execute("SET lock_timeout = '2s'")
        _side.connection = side
    return side


def _close_side_connection() -> None:
    side = getattr(_side, "connection", None)
    _side.connection = None
    if side is not None:
        try:
            side.close()
        except DatabaseError:  # pragma: no cover - closing a broken connection
            pass


@contextmanager
def progress_scope():
    """While a job runs (see `execute`), `advance` may use a second connection; it is closed when
    the job ends, so no connection outlives its job."""
    _side.active = True
    _side.same_connection = set()
    try:
        yield
    finally:
        _side.active = False
        _side.same_connection = set()
        _close_side_connection()


def _update_through_side_connection(job_id: int, values: dict) -> bool:
    """UPDATE the job row through the second connection; False when that is not possible (the
    row is not committed yet, e.g. created in the same transaction), and then never again for
    this job: once this thread's transaction has touched the row, the side connection would wait
    for it."""
    same_connection = getattr(_side, "same_connection", None)
    if same_connection is None:
        same_connection = _side.same_connection = set()
    if job_id in same_connection:
        return False
    columns = ", ".join(f"{connection.ops.quote_name(column)} = %s" for column in values)
    sql = f"UPDATE {connection.ops.quote_name(Job._meta.db_table)} SET {columns} WHERE id = %s"
    updated = 0
    try:
        with _progress_connection().cursor() as cursor:
            cursor.execute(sql, [*values.values(), job_id])
            updated = cursor.rowcount
    except DatabaseError:
        logger.warning("job %s: progress through a second connection failed", job_id, exc_info=True)
    if updated != 1:
        same_connection.add(job_id)
        _close_side_connection()
        return False
    return True


def advance(job_id: int, done: int, *, total: int | None = None, message: str | None = None) -> None:
    """Record progress: `done` of the job's total (one UPDATE of one row)."""
    step_seconds = getattr(settings, "JOB_TEST_STEP_SECONDS", 0)
    if step_seconds:  # tests only: a job slow enough to kill its worker half-way (docs/configuration.md)
        time.sleep(step_seconds)
    values = {"progress_done": done}
    if total is not None:
        values["progress_total"] = total
    if message is not None:
        values["message"] = message[:300]
    if getattr(_side, "active", False) and connection.in_atomic_block and connection.vendor == "postgresql":
        if _update_through_side_connection(job_id, values):
            return
    Job.objects.filter(pk=job_id).update(**values)


def _running(job_id: int, attempt: int | None):
    """The job while this run of it still owns it (not reaped and retried meanwhile)."""
    rows = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING)
    return rows if attempt is None else rows.filter(attempts=attempt)


def succeed(
    job_id: int, result: dict | None = None, message: str = MESSAGE_DONE, *, attempt: int | None = None
) -> None:
    job = Job.objects.get(pk=job_id)
    _running(job_id, attempt).update(
        status=Job.Status.SUCCEEDED,
        result=result,
        error=None,
        message=message[:300],
        progress_done=max(job.progress_done, job.progress_total),
        finished_at=timezone.now(),
    )


def fail(job_id: int, error: dict | None = None, message: str = MESSAGE_FAILED, *, attempt: int | None = None) -> None:
    _running(job_id, attempt).update(
        status=Job.Status.FAILED, error=error or {}, message=message[:300], finished_at=timezone.now()
    )


def error_body(exc: DomainError) -> dict:
    body = {"detail": str(exc.detail), "code": exc.code}
    if isinstance(exc, FieldErrors):
        body["errors"] = {field: [str(message) for message in messages] for field, messages in exc.errors.items()}
    return body


def execute(job_id: int, work: Callable[[Job], dict | None], *, success_message: str = MESSAGE_DONE) -> Job | None:
    """Run `work(job)` as job `job_id` (called by the Huey task). Returns the finished job, or
    None when the job was not queued (already run by another delivery of the task). The job's
    lease is renewed while the work runs."""
    if not start(job_id):
        logger.info("job %s is not queued any more; not running it again", job_id)
        return None
    job = Job.objects.select_related("created_by").get(pk=job_id)
    attempt = job.attempts
    try:
        with Heartbeat(job_id, attempt, job.worker), progress_scope():
            result = work(job)
    except JobFailed as failure:
        fail(job_id, failure.error, failure.message, attempt=attempt)
    except DomainError as exc:
        fail(job_id, error_body(exc), MESSAGE_FAILED, attempt=attempt)
    except Exception:
        logger.exception("job %s (%s) crashed", job_id, job.kind)
        fail(job_id, {"detail": MESSAGE_CRASHED, "code": "crashed"}, MESSAGE_CRASHED, attempt=attempt)
    else:
        succeed(job_id, result, success_message, attempt=attempt)
    return Job.objects.get(pk=job_id)


def run_task(task, job: Job) -> None:
    """Hand `job` to a Huey task. Immediate mode (tests, single-process demos) runs it now, in
    this process; otherwise it is queued once the current transaction commits, so the worker
    always finds the job row."""
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        task(job.pk)
    else:
        transaction.on_commit(lambda: task(job.pk))


# --- dead jobs and retries -------------------------------------------------------------------------


def reap_dead_jobs(job_ids=None) -> list[int]:
    """Fail every running job (of `job_ids`, or all) whose lease expired and whose process is not
    alive on this machine: its worker was killed or its machine restarted, so nothing will ever
    finish it. Returns the ids of the jobs failed. Safe to run anywhere, any number of times: each
    job is failed by a compare-and-set on the lease it was seen with."""
    now = timezone.now()
    running = Job.objects.filter(status=Job.Status.RUNNING).filter(
        Q(lease_expires_at__lt=now)
        # running since before leases existed: as if it had taken the lease when it started
        | Q(lease_expires_at__isnull=True, started_at__lt=now - timedelta(seconds=lease_seconds()))
    )
    if job_ids is not None:
        running = running.filter(pk__in=list(job_ids))
    reaped = []
    for job in running.only("pk", "kind", "worker", "attempts", "lease_expires_at"):
        if alive_here(job.worker):
            continue  # alive: its lease waits behind its own long transaction (SQLite)
        failed = Job.objects.filter(
            pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts, lease_expires_at=job.lease_expires_at
        ).update(
            status=Job.Status.FAILED,
            message=MESSAGE_WORKER_LOST,
            error={"detail": MESSAGE_WORKER_LOST, "code": "worker_lost", "worker": job.worker},
            finished_at=now,
        )
        if failed:
            logger.warning(
                "job %s (%s): its worker %s stopped while running it; marked failed", job.pk, job.kind, job.worker
            )
            reaped.append(job.pk)
    return reaped


def _reap_if_dead(job: Job) -> Job:
    if job.status == Job.Status.RUNNING and reap_dead_jobs([job.pk]):
        job.refresh_from_db()
    return job


def can_retry(job: Job) -> bool:
    return job.status == Job.Status.FAILED and task_for_kind(job.kind) is not None


def retry(user, job_id) -> Job:
    """Run a failed job again, as the same job (its work continues cleanly: see each job's work).

    :raises NotFound: no such job, or not the user's (the same scope as viewing it).
    :raises Conflict: the job is not failed (it cannot run twice at once), runs inline and
        cannot be queued again, or is the import of a file whose newer import was started.
    """
    job = visible_job(user, job_id)
    task = task_for_kind(job.kind)
    if task is None:
        raise Conflict(gettext("This job cannot be run again. Start the work again where you started it."))
    with transaction.atomic():
        preview_id = (job.result or {}).get("preview_id")
        if preview_id:
            preview = Job.objects.select_for_update().filter(pk=preview_id).first()
            newer = commit_job_of(preview) if preview is not None else None
            if newer is not None and newer.pk != job.pk:
                raise Conflict(
                    gettext("A newer import of this file was started (job %(id)s): retry that one.") % {"id": newer.pk}
                )
        requeued = Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
            status=Job.Status.QUEUED,
            message=MESSAGE_QUEUED,
            error=None,
            started_at=None,
            finished_at=None,
            lease_expires_at=None,
            worker="",
            progress_done=0,
        )
        if not requeued:
            raise Conflict(gettext("Only a failed job can be retried."))
    run_task(task, job)
    job.refresh_from_db()
    return job


# --- results -------------------------------------------------------------------------------------
# What a finished job produced, as a link the job page ends with ("Open run RR-2611-0001", "See
# the statements of 2026-11"). Each context registers a function per job kind (core never imports
# the apps above it): `register_result("rebate_run", fn)`, `fn(job) -> JobResult | None`.


class JobResult:
    """`summary`: a sentence on what the job produced ("3 rows exported."); `download`: the link is
    a file to download (an export), not a page to open."""

    def __init__(self, url: str, label: str, *, summary: str = "", download: bool = False):
        self.url = url
        self.label = label
        self.summary = summary
        self.download = download

    def __repr__(self):
        return f"JobResult({self.url!r}, {self.label!r})"


_RESULTS: dict[str, Callable[[Job], JobResult | None]] = {}
_TITLES: dict[str, object] = {}


def register_result(kind: str, result: Callable[[Job], JobResult | None], *, title=None) -> None:
    """`title` (a lazy translation) names the work on the job page ("Statements of a month")."""
    _RESULTS[kind] = result
    if title is not None:
        _TITLES[kind] = title


def title_of(job: Job) -> str:
    return str(_TITLES.get(job.kind, "")) or gettext("Job")


def result_of(job: Job) -> JobResult | None:
    """The link to what a succeeded job produced (None while it runs, when it failed, or when its
    kind registered no result)."""
    if job.status != Job.Status.SUCCEEDED or job.kind not in _RESULTS:
        return None
    try:
        return _RESULTS[job.kind](job)
    except (KeyError, TypeError, ValueError):  # a result written by an older version of the job
        logger.warning("no result link for job %s", job.pk, exc_info=True)
        return None


# --- reads -----------------------------------------------------------------------------------


def visible_jobs(user, status: str = ""):
    """The jobs `user` may see (its own; every job for an administrator), newest first, of one
    status when `status` is a Job.Status value (the jobs page and the workbench's failed-jobs to-do)."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    jobs = Job.objects.select_related("created_by")
    if not user.has_role("admin"):
        jobs = jobs.filter(created_by=user)
    if status in Job.Status.values:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-pk")


def visible_job(user, job_id) -> Job:
    """The job if `user` started it or is an administrator.

    :raises NotFound: no such job, or not the user's (the same answer on purpose).
    """
    try:
        job_id = int(job_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not (job.created_by_id == user.pk or user.has_role("admin")):
        raise NotFound()
    return _reap_if_dead(job)


def display_message(job: Job) -> str:
    return gettext(job.message) if job.message else ""


def job_payload(job: Job) -> dict:
    """The job as the API and the job page show it."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "finished": job.is_finished,
        "can_retry": can_retry(job),
        "attempts": job.attempts,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "percent": job.percent,
        "message": display_message(job),
        "result": job.result,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


# --- previewed imports ---------------------------------------------------------------------------
# An import is two jobs: a preview (checks every row, stores the outcome in `result`, with
# "can_commit" and "rows") and a commit (writes the same stored file, all or nothing). These
# helpers are the lifecycle every importer shares; the importer supplies its kinds and its task.


def preview_job(user, preview_id, *, kind: str) -> Job:
    """The preview job of this kind, for its creator or an administrator.

    :raises NotFound: otherwise.
    """
    job = visible_job(user, preview_id)
    if job.kind != kind:
        raise NotFound()
    return job


def commit_job_of(preview: Job) -> Job | None:
    """The preview's import job (a dead one found failed here, so the file can be committed again)."""
    job_id = (preview.result or {}).get("commit_job_id")
    job = Job.objects.filter(pk=job_id).first() if job_id else None
    return _reap_if_dead(job) if job is not None else None


def can_commit(preview: Job) -> bool:
    """The preview is ready, has no errors, and is not imported (or its import failed)."""
    if preview.status != Job.Status.SUCCEEDED or not (preview.result or {}).get("can_commit"):
        return False
    previous = commit_job_of(preview)
    return previous is None or previous.status == Job.Status.FAILED


def start_commit(*, user, preview_id, preview_kind: str, commit_kind: str, total: int, task, row_errors) -> Job:
    """Start the commit job of a previewed file, once: the preview row is locked, so two clicks
    never start two imports.

    `row_errors(rows)` lists a preview's errors as {row, column, message}.
    :raises NotFound: no such preview, or not the user's.
    :raises Conflict: the preview is not ready, or the file is being imported or was imported.
    :raises FieldErrors: the preview has errors (nothing is started).
    """
    with transaction.atomic():
        preview = Job.objects.select_for_update().get(pk=preview_job(user, preview_id, kind=preview_kind).pk)
        payload = preview.result or {}
        if preview.status != Job.Status.SUCCEEDED:
            raise Conflict(gettext("The file is still being checked. Commit it when its preview is ready."))
        previous = commit_job_of(preview)
        if previous is not None and previous.status != Job.Status.FAILED:
            raise Conflict(
                gettext("This file is already being imported or was imported (job %(id)s).") % {"id": previous.pk}
            )
        if not payload.get("can_commit"):
            errors = FieldErrors(detail=gettext("The file has errors. Correct them and upload the file again."))
            for error in row_errors(payload.get("rows", [])):
                errors.add(f"rows.{error['row']}.{error['column']}", error["message"])
            raise errors
        job = create_job(kind=commit_kind, user=user, total=total)
        job.input_file.name = preview.input_file.name  # the same stored file, not a copy
        job.result = {"preview_id": preview.pk}
        job.save(update_fields=["input_file", "result"])
        payload["commit_job_id"] = job.pk
        preview.result = payload
        preview.save(update_fields=["result"])
    run_task(task, job)
    job.refresh_from_db()
    return job
