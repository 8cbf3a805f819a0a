"""A rebate run computed and posted by a worker: the pages show the job's live progress and end on
the run, never "being computed" above "no runs"; the buttons that start the work are sent once."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from qudao.core.models import Job
from qudao.rebates import runs
from qudao.rebates.models import RebateRun


@pytest.fixture
def queued_jobs(monkeypatch):
    """Jobs go to a worker (Huey out of immediate mode; the test's transaction never commits, so
    nothing is enqueued: the test runs the worker's task itself)."""
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "immediate_use_memory", False)
    monkeypatch.setattr(HUEY, "immediate", False)


def test_a_run_computed_by_a_worker_is_followed_on_its_job_page_until_it_links_to_the_run(
    page_client, books, world, queued_jobs
):
    # given an active policy and 350,000.00 shipped by dist_js in Q1 2025
    policy = books.policy(tier_style="marginal")
    books.sale(world.dist_js, "hood_a", 350, "1000", date(2025, 2, 1))
    finance = page_client(world.finance)
    with translation.override("en"):
        # when finance asks for the run while jobs go to a worker
        form = finance.get("/rebates/runs/new/").content.decode()
        response = finance.post("/rebates/runs/new/", {"policy": policy.pk, "period": "2025-03-31", "kind": "final"})
        job = Job.objects.get(kind="rebate_run")
        # then it is taken to the job's page (not to the runs list saying "being computed")
        assert (response.status_code, response["Location"]) == (302, f"/jobs/{job.pk}/")
        assert 'data-testid="run-form" data-once' in form
        page = finance.get(f"/jobs/{job.pk}/").content.decode()
        assert '<h1 data-testid="job-title">Compute a rebate run</h1>' in page
        assert f'hx-get="/jobs/{job.pk}/status/" hx-trigger="every 1s"' in page
        assert '<strong data-testid="job-state">Waiting for a worker</strong>' in page
        assert "This page updates itself." in page
        assert "refresh" not in page.lower() and "reload" not in page.lower()
        assert 'data-testid="job-result"' not in page
        runs_page = finance.get("/rebates/runs/").content.decode()
        assert "being computed" not in runs_page

        # when the worker computes it
        runs.run_compute_job(job.pk)
        run = RebateRun.objects.get()

        # then the fragment the page polls stops polling and links to the run
        fragment = finance.get(f"/jobs/{job.pk}/status/").content.decode()
        assert "hx-get" not in fragment
        assert '<strong data-testid="job-state">Done</strong>' in fragment
        assert (
            f'<a class="btn btn-primary" href="/rebates/runs/{run.number}/" data-testid="job-result">'
            f"Open run {run.number}</a>"
        ) in fragment
        # and the run page offers approval, sent once
        run_page = finance.get(f"/rebates/runs/{run.number}/").content.decode()
        assert 'class="inline" data-once>' in run_page and 'data-testid="approve-run"' in run_page

        # when finance approves and posts it, then the run page shows the posting's progress and
        # no button to post it a second time, until the worker is done
        finance.post(f"/rebates/runs/{run.number}/approve/")
        finance.post(f"/rebates/runs/{run.number}/post/")
        post_job = Job.objects.get(kind="rebate_post")
        posting = finance.get(f"/rebates/runs/{run.number}/").content.decode()
        assert 'data-testid="run-posting"' in posting
        assert f'hx-get="/jobs/{post_job.pk}/status/?reload=1"' in posting
        assert 'data-testid="post-run"' not in posting
        runs.run_post_job(post_job.pk)
        done = finance.get(f"/jobs/{post_job.pk}/status/?reload=1")
        assert done["HX-Refresh"] == "true"
        posted = finance.get(f"/rebates/runs/{run.number}/").content.decode()
        assert 'data-testid="run-posting"' not in posted
        assert '<span class="status status-posted" data-testid="run-status">Posted</span>' in posted


def test_another_user_s_job_page_is_404_and_a_failed_job_offers_a_retry(page_client, world):
    job = Job.objects.create(
        kind="rebate_run",
        created_by=world.finance,
        status=Job.Status.FAILED,
        message="The job stopped because of an unexpected error. Nothing was changed.",
        error={"detail": "boom"},
        result={},
    )
    assert page_client(world.channel).get(f"/jobs/{job.pk}/").status_code == 404
    assert page_client(world.dist_admin).get(f"/jobs/{job.pk}/status/").status_code == 404
    with translation.override("en"):
        page = page_client(world.finance).get(f"/jobs/{job.pk}/").content.decode()
    assert '<strong data-testid="job-state">Failed</strong>' in page
    assert "The job stopped because of an unexpected error. Nothing was changed." in page
    assert f'action="/jobs/{job.pk}/retry/" data-once' in page
    assert "hx-get" not in page and 'data-testid="job-result"' not in page
