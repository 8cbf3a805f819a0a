"""The life of a file import, the same for every import that previews a whole file and then writes
it all or nothing (the catalogue, stock counts, payments): who may import, the upload (the file's
size and type, and a workbook's expanded size, checked at once: nothing is parsed in the request),
the preview job (the stored file read with core.tabular and checked row by row, nothing written),
the preview for its creator only, and the commit job started once from a preview without errors
(core.jobs).

Each import declares one `FileImport` with its own parsing, row checks, preview payload and commit
task, and exposes its methods under the names its views, API and tests call
(`preview_import = IMPORT.preview`, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.translation import gettext as _

from . import jobs
from .errors import FieldErrors, Forbidden
from .models import Job
from .tabular import Column, Parsed, check_file, read_upload


def job_language(job: Job) -> str:
    """The language a job speaks: its creator's (a worker has no request to take it from)."""
    user = job.created_by
    return (getattr(user, "language", "") or settings.LANGUAGE_CODE) if user else settings.LANGUAGE_CODE


def stored_file(job: Job) -> tuple[str, bytes]:
    """The name and bytes of the file a job works on."""
    with job.input_file.open("rb") as stored:
        return job.input_file.name.rsplit("/", 1)[-1], stored.read()


def preview_errors(job: Job, flat_errors: Callable[[list[dict]], list[dict]]) -> list[dict]:
    """A preview's errors as {row, column, message}: its rows' errors (`flat_errors` of the stored
    rows), or, for a preview job that failed on the file as a whole (checked by a worker after
    the upload answered), those at row 0, column "file"."""
    if job.status == Job.Status.FAILED:
        messages = (job.error or {}).get("errors", {}).get("file") or [jobs.display_message(job)]
        return [{"row": 0, "column": "file", "message": str(message)} for message in messages]
    payload = (job.result or {}) if job.status == Job.Status.SUCCEEDED else {}
    return flat_errors(payload.get("rows", []))


def start_preview(*, kind: str, user, name: str, content: bytes, task) -> Job:
    """Store an uploaded import file and start its preview job with `task` (a Huey task taking the
    job id). Workers run it; in immediate mode (tests, single-process demos) it runs now, and a
    file that cannot be imported at all is refused as the upload would have been.

    :raises FieldErrors: on "file" (immediate mode only; otherwise the job fails with them)."""
    job = jobs.create_job(kind=kind, user=user, input_file=ContentFile(content, name=name))
    jobs.run_task(task, job)
    job.refresh_from_db()
    error = job.error or {}
    if job.status == Job.Status.FAILED and error.get("errors", {}).get("file"):
        raise FieldErrors(error["errors"], detail=error.get("detail"))
    return job


@dataclass(frozen=True)
class FileImport:
    preview_kind: str
    commit_kind: str
    permission: str  # the permission the importing user needs
    refusal: str  # the message (marked with gettext_noop) for a user without it
    columns: tuple[Column, ...]  # the import's columns, in file order (errors are listed in it)
    parse: Callable[[str, bytes], Parsed]  # raises FieldErrors on "file"
    check: Callable[[Parsed], dict]  # the preview payload of a parsed file (total_rows, rows, ...)
    task: Callable[[], Callable]  # the commit task (imported late: tasks import the module)
    preview_task: Callable[[], Callable]  # the preview task, which calls `run_preview(job_id)`
    previewed_message: str = "Preview ready"

    def require_permission(self, user) -> None:
        if not (getattr(user, "is_authenticated", False) and user.can(self.permission)):
            raise Forbidden(_(self.refusal))

    def preview(self, *, user, upload) -> Job:
        """Store an uploaded file and start its preview job, which reads and checks it; the
        request itself only checks what needs no parsing (core.tabular.check_file).

        :raises Forbidden: the user may not import.
        :raises FieldErrors: on "file" when the file cannot be imported at all (too big, wrong
            type, a workbook expanding beyond IMPORT_MAX_EXPANDED_BYTES; in immediate mode also
            whatever the preview job finds wrong with the file as a whole).
        """
        self.require_permission(user)
        name, content = read_upload(upload)
        check_file(name, content)
        return start_preview(kind=self.preview_kind, user=user, name=name, content=content, task=self.preview_task())

    def run_preview(self, job_id: int) -> Job | None:
        """The body of the preview task: read the stored file, check every row, store the payload."""
        return jobs.execute(job_id, self._preview_work, success_message=self.previewed_message)

    def _preview_work(self, job: Job) -> dict:
        with translation.override(job_language(job)):
            parsed = self.parse(*stored_file(job))
            jobs.advance(job.pk, 0, total=len(parsed.rows))
            return self.check(parsed)

    def get_preview(self, user, preview_id) -> Job:
        """The preview job, for its creator or an administrator. :raises NotFound: otherwise."""
        return jobs.preview_job(user, preview_id, kind=self.preview_kind)

    def commit(self, *, user, preview_id) -> Job:
        """Start the job that writes a previewed file, all or nothing.

        :raises Forbidden: the user may not import.
        :raises NotFound: no such preview, or not the user's.
        :raises FieldErrors: the preview has errors (nothing is started).
        :raises Conflict: the file is already being imported, or was imported.
        """
        self.require_permission(user)
        preview = self.get_preview(user, preview_id)
        return jobs.start_commit(
            user=user,
            preview_id=preview_id,
            preview_kind=self.preview_kind,
            commit_kind=self.commit_kind,
            total=(preview.result or {}).get("total_rows", 0),
            task=self.task(),
            row_errors=self.flat_errors,
        )

    def flat_errors(self, rows: list[dict]) -> list[dict]:
        """Every error as {row, column, message}, by row and then in the file's column order (the
        stored preview's keys may come back in any order: PostgreSQL's jsonb sorts them)."""
        order = {column.key: index for index, column in enumerate(self.columns)}
        return [
            {"row": row["row"], "column": column, "message": message}
            for row in rows
            for column, messages in sorted(row["errors"].items(), key=lambda item: order.get(item[0], 99))
            for message in messages
        ]


commit_job_of = jobs.commit_job_of
can_commit = jobs.can_commit
