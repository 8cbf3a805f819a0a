"""Background tasks of the inventory context (run by Huey; in-process when QUDAO_JOBS_IMMEDIATE)."""

from huey.contrib.djhuey import db_task


@db_task()
def commit_stock_import(job_id: int):
    """Write a previewed stock file (see inventory.importing); the job records the outcome."""
    from .importing import run_commit

    run_commit(job_id)


@db_task()
def preview_stock_import(job_id: int):
    """Read and check an uploaded stock file row by row (see inventory.importing); nothing is written."""
    from .importing import run_preview

    run_preview(job_id)
