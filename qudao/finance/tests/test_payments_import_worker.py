"""A payment import whose worker is killed (SIGKILL) half-way through its one transaction: the job
is found dead and failed with its reason, nothing of it was booked, and retried with a new worker
it books every row exactly once (a real `run_huey` process: qudao/core/tests/worker_process.py)."""

from __future__ import annotations

import signal
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from qudao.core.models import Job
from qudao.core.tests.worker_process import WorkerWorld
from qudao.finance import ledger
from qudao.finance.models import Allocation, Book, LedgerEntry, Payment
from qudao.finance.tests.test_payments import three_invoices

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 120  # 10.00 each; the import advances every 50 rows, and each step sleeps 1 s in the first worker
LOST = (
    "The worker stopped while running this job (its process ended or its machine restarted). "
    "Retry the job to run it again."
)


def bank_file(partner) -> SimpleUploadedFile:
    lines = ["partner_code,amount,received_on,bank_reference"]
    lines += [f"{partner.code},10.00,2026-11-20,BK-K{number:03d}" for number in range(1, ROWS + 1)]
    return SimpleUploadedFile("bank.csv", ("\n".join(lines) + "\n").encode())


def test_a_payment_import_killed_mid_commit_is_failed_then_retried_to_a_clean_end(world, api_client, tmp_path):
    # given: 6,000.00 receivable of dist_js and a previewed file of 120 payments (1,200.00)
    three_invoices(world.dist_js)
    client = api_client(world.finance)
    preview = client.post("/api/v1/finance/payments/imports", {"file": bank_file(world.dist_js)}).json()
    assert (preview["total_rows"], preview["can_commit"]) == (ROWS, True)
    with WorkerWorld(tmp_path, lease_seconds=1.5, step_seconds=1.0) as shared:
        first = shared.start_worker()
        # when: the file is committed, and its worker is killed while it writes
        started = client.post(f"/api/v1/finance/payments/imports/{preview['id']}/commit")
        assert (started.status_code, started.json()["status"]) == (202, "queued")
        job_id = started.json()["id"]

        def half_way():
            # past its first lease (1.5 s): the lease was renewed (PostgreSQL), or its live process
            # vouches for it (SQLite, whose write lock the import's transaction holds)
            job = Job.objects.get(pk=job_id)
            if job.status != "running" or timezone.now() - job.started_at < timedelta(seconds=2):
                return False
            if connection.vendor == "postgresql":  # progress shows through the job's side connection
                return job.progress_done >= 50
            # SQLite shows the progress of an open transaction to nobody, but its write lock shows
            return shared.sqlite_write_locked() and shared.sqlite_write_locked()

        shared.wait_for(half_way, what="the import half-way")
        assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        # then: nothing of the transaction it had open was kept
        assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
        # and within the lease the job is found dead: failed, with its reason
        dead = shared.wait_for(
            lambda: (body := client.get(f"/api/v1/jobs/{job_id}").json())["status"] == "failed" and body,
            what="the dead job",
        )
        assert (dead["message"], dead["error"]["code"], dead["can_retry"], dead["attempts"]) == (
            LOST,
            "worker_lost",
            True,
            1,
        )
        # when: retried (twice: the second is refused, the job is queued once) with a new worker
        retried = client.post(f"/api/v1/jobs/{job_id}/retry")
        assert (retried.status_code, retried.json()["status"]) == (202, "queued")
        assert client.post(f"/api/v1/jobs/{job_id}/retry").status_code == 409
        shared.start_worker(step_seconds=0)
        done = shared.wait_for(
            lambda: (body := client.get(f"/api/v1/jobs/{job_id}").json())["finished"] and body,
            what="the retried import",
        )
        # then: every payment booked exactly once, and the ledger exact
        assert (done["status"], done["attempts"], done["result"]["booked"], done["result"]["total_amount"]) == (
            "succeeded",
            2,
            ROWS,
            "1200.00",
        ), shared.log()
        references = list(Payment.objects.order_by("bank_reference").values_list("bank_reference", flat=True))
        assert references == [f"BK-K{number:03d}" for number in range(1, ROWS + 1)]
        assert sum(Payment.objects.values_list("amount", flat=True)) == Decimal("1200.0000")
        assert sum(Allocation.objects.values_list("amount", flat=True)) == Decimal("1200.0000")
        assert ledger.balance_of(world.dist_js, Book.RECEIVABLE) == Decimal("4800.0000")
        assert LedgerEntry.objects.filter(partner=world.dist_js, book=Book.RECEIVABLE).count() == 3 + ROWS
        # and the preview knows its file is imported
        assert client.post(f"/api/v1/finance/payments/imports/{preview['id']}/commit").status_code == 409
