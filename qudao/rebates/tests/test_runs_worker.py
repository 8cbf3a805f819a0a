"""Posting a rebate run in a real worker that is killed (SIGKILL) between two partners: the job is
found dead and failed, and retried with a new worker it posts only the partners left, so every
partner's rebate is in its fund exactly once (qudao/core/tests/worker_process.py)."""

from __future__ import annotations

import signal
from datetime import date
from decimal import Decimal as D

import pytest

from qudao.core.models import Job
from qudao.core.tests.worker_process import WorkerWorld
from qudao.partners.models import FundEntry
from qudao.rebates import runs
from qudao.rebates.models import RebateLine
from qudao.rebates.tests.conftest import rebate_balance

pytestmark = pytest.mark.django_db(transaction=True)

Q1 = date(2025, 2, 1)


def test_a_rebate_posting_killed_between_partners_is_retried_posting_only_the_partners_left(
    books, world, api_client, tmp_path
):
    # given: an approved run of three partners (2,000.00, 4,000.00 and 9,000.00)
    partners = [world.dist_js, world.sub_js, world.dealer_zj]
    for index, partner in enumerate(partners, start=1):
        books.sale(partner, "hood_a", 100 * index, "1000", date(2025, 2, 1))
    policy = books.policy(target_partners=[partner.code for partner in partners])
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    runs.approve_run(run=run, actor=world.finance)
    client = api_client(world.finance)
    with WorkerWorld(tmp_path, lease_seconds=1.5, step_seconds=1.5) as shared:
        first = shared.start_worker()
        # when: it is posted by a worker that is killed after the first partner
        job = runs.start_post(run=run, user=world.finance)
        shared.wait_for(
            lambda: RebateLine.objects.filter(run=run, posted_at__isnull=False).count() == 1, what="one partner posted"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert RebateLine.objects.filter(run=run, posted_at__isnull=False).count() == 1
        # then: the job is found dead and failed
        dead = shared.wait_for(
            lambda: (body := client.get(f"/api/v1/jobs/{job.pk}").json())["status"] == "failed" and body,
            what="the dead job",
        )
        assert (dead["error"]["code"], dead["can_retry"]) == ("worker_lost", True)
        # when: retried with a new worker
        assert client.post(f"/api/v1/jobs/{job.pk}/retry").status_code == 202
        shared.start_worker(step_seconds=0)
        done = shared.wait_for(
            lambda: (body := client.get(f"/api/v1/jobs/{job.pk}").json())["finished"] and body,
            what="the retried posting",
        )
        # then: every partner posted once, with exactly its rebate
        assert (done["status"], done["attempts"], done["result"]["posted"], done["result"]["partners"]) == (
            "succeeded",
            2,
            "15000.0000",
            3,
        ), shared.log()
        run.refresh_from_db()
        assert (run.status, run.posted_count, run.posted_total) == ("posted", 3, D("15000.00"))
        posted = sorted(
            (line.partner.code, line.posted_amount)
            for line in RebateLine.objects.filter(run=run).select_related("partner")
        )
        assert posted == sorted(
            [
                (world.dist_js.code, D("2000.00")),
                (world.sub_js.code, D("4000.00")),
                (world.dealer_zj.code, D("9000.00")),
            ]
        )
        assert FundEntry.objects.filter(reference__startswith=f"{run.number}/").count() == 3
        assert [rebate_balance(partner) for partner in partners] == [D("2000.00"), D("4000.00"), D("9000.00")]
        assert Job.objects.get(pk=job.pk).attempts == 2
