"""Background tasks of rebates (run by Huey; in-process when jobs run immediately)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qudao.core.jobs import job_task


@job_task("rebate_run")
def compute_rebate_run(job_id: int):
    """Compute a rebate run (a preview) - see qudao.rebates.runs."""
    from .runs import run_compute_job

    run_compute_job(job_id)


@job_task("rebate_post")
def post_rebate_run(job_id: int):
    """Post an approved rebate run partner by partner, with progress - see qudao.rebates.runs."""
    from .runs import run_post_job

    run_post_job(job_id)


@db_periodic_task(crontab(hour="2", minute="37"))
def recompute_rebate_progress():
    """Every night: every active policy's live progress (this period: basis, units, growth baselines)
    checked against a full recomputation, the drift logged (qudao.rebates.progress logger), then
    exactly the rows that differ rebuilt."""
    from .progress import check_all

    drift = check_all(repair=True)
    return {code: len(rows) for code, rows in drift.items()}
