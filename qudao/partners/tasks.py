"""Background tasks of the partner network (run by Huey; in-process when QUDAO_JOBS_IMMEDIATE)."""

from huey.contrib.djhuey import db_task


@db_task()
def commit_partner_import(job_id: int):
    """Write a previewed import file (see partners.importing); the job records the outcome."""
    from .importing import run_commit

    run_commit(job_id)


@db_task()
def preview_partner_import(job_id: int):
    """Check a big import file row by row (see partners.importing.preview_import)."""
    from .importing import run_preview

    run_preview(job_id)
