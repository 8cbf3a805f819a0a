"""Job leases, dead jobs and retries (qudao.core.jobs): a running job carries its process and a
lease renewed by a heartbeat; a job whose lease expired and whose process is gone is failed with
a reason people can read; a failed job is retried from its page or the API, once at a time."""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core import jobs
from qudao.core.models import Job
from qudao.finance import importing as payment_import
from qudao.finance.models import Payment

LOST = (
    "The worker stopped while running this job (its process ended or its machine restarted). "
    "Retry the job to run it again."
)


def dead_process_identity() -> str:
    """The identity a job would carry from a process of this machine that has ended."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    return f"{socket.gethostname()}:{ended.pid}:4242"


def running_job(*, user=None, kind="finance.statements", worker: str, expired_seconds_ago: float, result=None) -> Job:
    """A job running since 10 minutes, whose lease expired `expired_seconds_ago` (< 0: in the future)."""
    now = timezone.now()
    return Job.objects.create(
        kind=kind,
        created_by=user,
        status=Job.Status.RUNNING,
        message="Running",
        result=result,
        worker=worker,
        lease_expires_at=now - timedelta(seconds=expired_seconds_ago),
        started_at=now - timedelta(minutes=10),
        attempts=1,
    )


def test_it_fails_only_the_running_jobs_whose_lease_expired_and_whose_process_is_gone(db):
    # given
    gone = dead_process_identity()
    dead = running_job(worker=gone, expired_seconds_ago=1)
    fresh = running_job(worker=gone, expired_seconds_ago=-30)  # its lease has not expired yet
    alive = running_job(worker=jobs.worker_identity(), expired_seconds_ago=600)  # this process: alive
    elsewhere = running_job(worker="another-host:7:99", expired_seconds_ago=1)  # only its lease tells
    elsewhere_fresh = running_job(worker="another-host:8:99", expired_seconds_ago=-5)
    # a job running since before leases existed (none recorded): the reaper's lease from its start
    legacy = running_job(worker="", expired_seconds_ago=0)
    Job.objects.filter(pk=legacy.pk).update(lease_expires_at=None)
    # when
    reaped = jobs.reap_dead_jobs()
    # then
    assert sorted(reaped) == sorted([dead.pk, elsewhere.pk, legacy.pk])
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert [statuses[job.pk] for job in (dead, fresh, alive, elsewhere, elsewhere_fresh, legacy)] == [
        "failed",
        "running",
        "running",
        "failed",
        "running",
        "failed",
    ]
    dead.refresh_from_db()
    assert (dead.message, dead.error, dead.finished_at is not None) == (
        LOST,
        {"detail": LOST, "code": "worker_lost", "worker": gone},
        True,
    )
    # and a second reaper finds nothing more to do
    assert jobs.reap_dead_jobs() == []


def test_it_knows_this_process_and_tells_a_later_process_with_the_same_pid_apart():
    me = jobs.worker_identity()
    host, pid, started = me.rsplit(":", 2)
    assert (host, int(pid)) == (socket.gethostname(), __import__("os").getpid())
    assert jobs.alive_here(me) is True
    assert jobs.alive_here(f"{host}:{pid}:{int(started) + 1}") is False  # same pid, another start
    assert jobs.alive_here(dead_process_identity()) is False
    assert jobs.alive_here("another-host:1:1") is False
    assert jobs.alive_here("") is False


@pytest.mark.django_db(transaction=True)
def test_a_running_job_renews_its_lease_while_its_work_runs(world, settings):
    # given: a lease of 0.8 s (a heartbeat every 0.2 s)
    settings.JOB_LEASE_SECONDS = 0.8
    job = jobs.create_job(kind="test.slow", user=world.admin)
    seen = []

    def work(job):
        for _ in range(6):
            time.sleep(0.25)
            seen.append(Job.objects.get(pk=job.pk).lease_expires_at)
        # a reaper that runs meanwhile leaves a job whose lease is fresh alone
        assert jobs.reap_dead_jobs() == []
        return {"ok": True}

    # when
    finished = jobs.execute(job.pk, work)
    # then: the heartbeat moved on while the work ran, and the job ended as its work did
    assert len(set(seen)) >= 3 and seen == sorted(seen)
    assert seen[-1] - finished.started_at >= timedelta(seconds=0.8 + 0.8)
    assert (finished.status, finished.result, finished.attempts) == ("succeeded", {"ok": True}, 1)
    assert finished.worker == jobs.worker_identity()


def test_the_api_shows_a_dead_job_failed_and_retries_it_once(world, api_client, settings):
    # given: the statements job of a month without entries, left running by a worker that died
    job = running_job(
        user=world.finance,
        worker=dead_process_identity(),
        expired_seconds_ago=60,
        result={"month": "2020-01", "partner": None},
    )
    client = api_client(world.finance)
    # when: its creator looks at it
    seen = client.get(f"/api/v1/jobs/{job.pk}")
    # then: it is failed, with the reason, and can be retried
    assert seen.status_code == 200
    assert {key: seen.json()[key] for key in ("status", "message", "can_retry", "attempts", "finished")} == {
        "status": "failed",
        "message": LOST,
        "can_retry": True,
        "attempts": 1,
        "finished": True,
    }
    assert seen.json()["error"]["code"] == "worker_lost"
    # when: someone else tries to retry it
    assert api_client(world.operations).post(f"/api/v1/jobs/{job.pk}/retry").status_code == 404
    assert Job.objects.get(pk=job.pk).status == "failed"
    # when: its creator retries it
    retried = client.post(f"/api/v1/jobs/{job.pk}/retry")
    # then: the same job ran again, to its end
    assert retried.status_code == 202
    body = retried.json()
    assert (body["id"], body["status"], body["attempts"], body["error"], body["can_retry"]) == (
        job.pk,
        "succeeded",
        2,
        None,
        False,
    )
    assert body["result"]["month"] == "2020-01"
    # and a job that is not failed is not run again
    again = client.post(f"/api/v1/jobs/{job.pk}/retry")
    assert (again.status_code, again.json()["detail"]) == (409, "Only a failed job can be retried.")
    assert Job.objects.get(pk=job.pk).attempts == 2


def test_a_retry_is_a_compare_and_set_on_the_failed_status(world):
    # given: a failed job, retried once (queued, not run yet: as with a worker that is busy)
    job = Job.objects.create(kind="finance.statements", created_by=world.finance, status=Job.Status.FAILED)
    requeued = Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(status=Job.Status.QUEUED)
    assert requeued == 1
    # when: a second retry arrives
    with pytest.raises(jobs.Conflict):
        jobs.retry(world.finance, job.pk)
    # then: still one queued run
    assert Job.objects.get(pk=job.pk).status == "queued"


def test_a_job_of_a_kind_no_task_runs_cannot_be_retried(world, api_client):
    # (every kind Qudao creates today has its task; a job row of a kind no task declares, e.g. one
    # left by an older release, is refused rather than queued for nothing)
    job = Job.objects.create(kind="legacy.inline_report", created_by=world.finance, status=Job.Status.FAILED)
    response = api_client(world.finance).post(f"/api/v1/jobs/{job.pk}/retry")
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "This job cannot be run again. Start the work again where you started it.",
    )
    assert Job.objects.get(pk=job.pk).status == "failed"


def test_a_killed_import_can_be_committed_again_or_retried_but_not_both(world, api_client, settings):
    # given: a payment file previewed, its import left running by a worker that died
    upload = SimpleUploadedFile(
        "bank.csv",
        f"partner_code,amount,received_on,bank_reference\n{world.dist_js.code},100,2026-11-20,BK-K1\n".encode(),
    )
    preview = payment_import.preview_import(user=world.finance, upload=upload)
    killed = running_job(
        user=world.finance,
        kind=payment_import.COMMIT_KIND,
        worker=dead_process_identity(),
        expired_seconds_ago=60,
        result={"preview_id": preview.pk},
    )
    Job.objects.filter(pk=killed.pk).update(input_file=preview.input_file.name)
    preview.result = preview.result | {"commit_job_id": killed.pk}
    preview.save(update_fields=["result"])
    client = api_client(world.finance)
    # then: the preview says the file is being imported... until the dead import is detected
    shown = client.get(f"/api/v1/finance/payments/imports/{preview.pk}").json()
    assert shown["can_commit"] is True
    assert Job.objects.get(pk=killed.pk).status == "failed"
    # when: the file is committed again from its preview (a new import)
    committed = client.post(f"/api/v1/finance/payments/imports/{preview.pk}/commit")
    assert committed.status_code == 202 and committed.json()["status"] == "succeeded"
    # then: the killed import cannot be retried any more: that would book the file twice
    refused = client.post(f"/api/v1/jobs/{killed.pk}/retry")
    assert (refused.status_code, refused.json()["detail"]) == (
        409,
        f"A newer import of this file was started (job {committed.json()['id']}): retry that one.",
    )
    assert list(Payment.objects.values_list("bank_reference", "amount")) == [("BK-K1", 100)]


def test_the_job_page_offers_retry_for_a_failed_job_and_retries_it(world, page_client, settings):
    job = running_job(
        user=world.finance,
        worker=dead_process_identity(),
        expired_seconds_ago=60,
        result={"month": "2020-01", "partner": None},
    )
    client = page_client(world.finance)
    page = client.get(f"/partners/jobs/{job.pk}/").content.decode()
    assert LOST in page
    assert f'action="/partners/jobs/{job.pk}/retry/"' in page and 'data-testid="job-retry"' in page
    # when
    response = client.post(f"/partners/jobs/{job.pk}/retry/")
    # then
    assert (response.status_code, response["Location"]) == (302, f"/partners/jobs/{job.pk}/")
    assert Job.objects.get(pk=job.pk).status == "succeeded"
    page = client.get(f"/partners/jobs/{job.pk}/").content.decode()
    assert 'data-testid="job-retry"' not in page
    # a second click is told why nothing happened
    again = client.post(f"/partners/jobs/{job.pk}/retry/", follow=True).content.decode()
    assert "Only a failed job can be retried." in again


def test_a_preview_whose_worker_died_is_retried_and_checks_the_file_again(world, api_client):
    # given: a payment file previewed (two rows, one of an unknown partner), then its preview job
    # found dead (as the reaper marks it: failed, worker_lost)
    upload = SimpleUploadedFile(
        "bank.csv",
        (
            "partner_code,amount,received_on,bank_reference\n"
            f"{world.dist_js.code},100,2026-11-20,BK-P1\nP999999,50,2026-11-20,BK-P2\n"
        ).encode(),
    )
    preview = payment_import.preview_import(user=world.finance, upload=upload)
    checked = preview.result
    Job.objects.filter(pk=preview.pk).update(
        status=Job.Status.FAILED, result=None, error={"code": "worker_lost"}, message="x"
    )
    # when: finance retries it
    response = api_client(world.finance).post(f"/api/v1/jobs/{preview.pk}/retry")
    # then: the same job checks the same stored file again, to the same outcome, and books nothing
    assert response.status_code == 202
    preview.refresh_from_db()
    assert (preview.status, preview.attempts, preview.result["can_commit"]) == ("succeeded", 2, False)
    assert preview.result["rows"] == checked["rows"]
    assert Payment.objects.count() == 0
