"""Background tasks of the pricing context (run by Huey; in-process when QUDAO_JOBS_IMMEDIATE)."""

from qudao.core.jobs import job_task


@job_task("pricing.import")
def commit_price_list_import(job_id: int):
    """Write a previewed price list file (see pricing.importing); the job records the outcome."""
    from .importing import run_commit

    run_commit(job_id)


@job_task("pricing.import_preview")
def preview_price_list_import(job_id: int):
    """Read and check an uploaded price list file row by row (see pricing.importing); nothing is written."""
    from .importing import run_preview

    run_preview(job_id)
