"""Background and scheduled jobs of the finance context (run by Huey; in-process when
QUDAO_JOBS_IMMEDIATE)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qudao.core.jobs import job_task


@job_task("finance.statements")
def generate_statements_task(job_id: int):
    """Generate a month's statements (see qudao.finance.statements.start_generation)."""
    from .statements import run_generation

    run_generation(job_id)


@db_periodic_task(crontab(day="1,2", minute="17"))
def generate_last_month_statements():
    """Hourly on the 1st and 2nd of each month (Huey's clock is UTC): the statements of the month
    before in settings.TIME_ZONE, for every partner with ledger entries. The first run after the
    local month ended does the work; later runs find every partner done and start no job (a run
    stopped half-way is finished by the next)."""
    from .statements import run_scheduled_generation

    return run_scheduled_generation()


@job_task("finance.payment_import")
def commit_payment_import(job_id: int):
    """Book a previewed payment file, all or nothing (see qudao.finance.importing)."""
    from .importing import run_commit

    run_commit(job_id)


@job_task("finance.payment_import_preview")
def preview_payment_import(job_id: int):
    """Read and check an uploaded payment file row by row (see finance.importing); nothing is written."""
    from .importing import run_preview

    run_preview(job_id)
