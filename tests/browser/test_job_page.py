"""A job in a real browser: finance asks for a rebate run while the work goes to a worker; the job
page shows it waiting, then, without anyone reloading it, done with a link to the run."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from conftest import PASSWORD

from .ui import login


def test_the_job_page_goes_from_waiting_to_done_and_links_to_the_run(live_server, browser, world, monkeypatch):
    from qudao.core import jobs
    from qudao.core.models import Job
    from qudao.rebates import runs
    from qudao.rebates import services as rebates
    from qudao.rebates.models import RebateRun

    # given an active quarterly policy, and jobs that wait for a worker (the test is the worker)
    policy = rebates.create_policy(
        data={
            "code": "JOB-Q",
            "name": "季度返利",
            "basis": "net_sales_shipped",
            "period_kind": "quarter",
            "tier_style": "retrospective",
            "effective_from": "2025-01-01",
            "target_partners": [world.dist_js.code],
            "tiers": [{"lower_bound": "0", "value": "1"}, {"lower_bound": "5000", "value": "2"}],
        },
        actor=world.channel,
    )
    rebates.activate_policy(policy=policy, actor=world.channel)
    monkeypatch.setattr(jobs, "run_task", lambda task, job: None)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # when finance computes a run from the page
        login(page, live_server.url, "finance", PASSWORD)
        page.goto(f"{live_server.url}/rebates/runs/new/")
        page.select_option("#r-policy", str(policy.pk))
        page.fill("#r-period", "2025-03-31")
        page.select_option("#r-kind", "final")
        with page.expect_navigation():
            page.click("[data-testid=compute-run]")

        # then its job page says it waits, and updates itself
        job = Job.objects.get(kind="rebate_run")
        assert page.url == f"{live_server.url}/jobs/{job.pk}/"
        expect(page.locator("[data-testid=job-title]")).to_have_text("Compute a rebate run")
        expect(page.locator("[data-testid=job-state]")).to_have_text("Waiting for a worker")
        expect(page.locator("[data-testid=job-result]")).to_have_count(0)

        # when the worker computes it, then the page shows it done with a link to the run
        runs.run_compute_job(job.pk)
        run = RebateRun.objects.get()
        expect(page.locator("[data-testid=job-state]")).to_have_text("Done")
        result = page.locator("[data-testid=job-result]")
        expect(result).to_have_text(f"Open run {run.number}")
        with page.expect_navigation():
            result.click()
        expect(page.locator("[data-testid=run-number]")).to_have_text(run.number)
        assert run.amount_total == Decimal("0")
    finally:
        context.close()


def test_a_double_click_on_generate_starts_one_job(live_server, browser, world, monkeypatch):
    from qudao.core import jobs
    from qudao.core.models import Job

    # given jobs that wait for a worker
    monkeypatch.setattr(jobs, "run_task", lambda task, job: None)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, live_server.url, "finance", PASSWORD)
        page.goto(f"{live_server.url}/finance/statements/")
        posts = []
        page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
        # (the answer goes to a frame, so the page stays to be looked at)
        page.evaluate(
            """() => { const sink = document.createElement("iframe"); sink.name = "sink";
            document.body.appendChild(sink); document.querySelector("[data-testid=generate-form]").target = "sink"; }"""
        )
        # when finance clicks Generate, then clicks again
        page.click("[data-testid=generate]")
        expect(page.locator("[data-testid=generate]")).to_be_disabled()
        page.evaluate("document.querySelector('[data-testid=generate-form]').requestSubmit()")
        page.wait_for_timeout(500)
        # then the form was sent once, and one job started
        assert posts == [f"{live_server.url}/finance/statements/generate/"]
        assert Job.objects.filter(kind="finance.statements").count() == 1
    finally:
        context.close()
