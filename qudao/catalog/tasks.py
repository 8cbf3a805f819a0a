"""Background tasks of the catalog (run by Huey; in-process when QUDAO_JOBS_IMMEDIATE)."""

from qudao.core.jobs import job_task


@job_task("catalog.import")
def commit_catalog_import(job_id: int):
    """Write a previewed product/SKU file (see catalog.importing); the job records the outcome."""
    from .importing import run_commit

    run_commit(job_id)


@job_task("catalog.import_preview")
def preview_catalog_import(job_id: int):
    """Read and check an uploaded product/SKU file row by row (see catalog.importing); nothing is written."""
    from .importing import run_preview

    run_preview(job_id)
