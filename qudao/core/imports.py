"""The life of a file import, the same for every import that previews a whole file and then writes
it all or nothing (the catalogue, stock counts, payments): who may import, the preview job (the
file read with core.tabular and checked row by row, nothing written), the preview for its creator
only, and the commit job started once from a preview without errors (core.jobs).

Each import declares one `FileImport` with its own parsing, row checks, preview payload and commit
task, and exposes its methods under the names its views, API and tests call
(`preview_import = IMPORT.preview`, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from . import jobs
from .errors import Forbidden
from .models import Job
from .tabular import Column, Parsed, read_upload


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
    previewed_message: str = "Preview ready"

    def require_permission(self, user) -> None:
        if not (getattr(user, "is_authenticated", False) and user.can(self.permission)):
            raise Forbidden(_(self.refusal))

    def preview(self, *, user, upload) -> Job:
        """Read and check an uploaded file (at once); store the preview as a job.

        :raises Forbidden: the user may not import.
        :raises FieldErrors: on "file" when the file cannot be imported at all.
        """
        self.require_permission(user)
        name, content = read_upload(upload)
        parsed = self.parse(name, content)
        job = jobs.create_job(
            kind=self.preview_kind, user=user, input_file=ContentFile(content, name=name), total=len(parsed.rows)
        )
        jobs.execute(job.pk, lambda job: self.check(parsed), success_message=self.previewed_message)
        job.refresh_from_db()
        return job

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
