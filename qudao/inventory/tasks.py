"""Background tasks of the inventory context (run by Huey; in-process when QUDAO_JOBS_IMMEDIATE)."""

from qudao.core.jobs import job_task


@job_task("inventory.import")
def commit_stock_import(job_id: int):
    """Write a previewed stock file (see inventory.importing); the job records the outcome."""
    from .importing import run_commit

    run_commit(job_id)


@job_task("inventory.import_preview")
def preview_stock_import(job_id: int):
    """Read and check an uploaded stock file row by row (see inventory.importing); nothing is written."""
    from .importing import run_preview

    run_preview(job_id)
