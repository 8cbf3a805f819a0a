"""Background tasks of the partner network (run by Huey; in-process when QUDAO_JOBS_IMMEDIATE)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qudao.core.jobs import job_task


@job_task("partners.import")
def commit_partner_import(job_id: int):
    """Write a previewed import file (see partners.importing); the job records the outcome."""
    from .importing import run_commit

    run_commit(job_id)


@job_task("partners.import_preview")
def preview_partner_import(job_id: int):
    """Check a big import file row by row (see partners.importing.preview_import)."""
    from .importing import run_preview

    run_preview(job_id)


@db_periodic_task(crontab(minute="17", hour="2"))
def expire_rebate_money():
    """Every night: unused rebate money older than QUDAO_REBATE_EXPIRY_DAYS expires (0: never)."""
    from .funds import expire_rebates

    return len(expire_rebates())
