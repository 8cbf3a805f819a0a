"""Import job progress on PostgreSQL: the commit writes the whole file in one transaction, yet its
progress is visible to the job page (another connection) while that transaction is open."""

import pytest
from django.db import connection, connections, transaction

from qudao.core import jobs
from qudao.core.models import Job
from qudao.partners import importing

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second PostgreSQL connection"),
]


def progress_seen_by_another_connection(job_id):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT progress_done, progress_total FROM core_job WHERE id = %s", [job_id])
            return cursor.fetchone()
    finally:
        other.close()


def test_it_shows_progress_made_inside_an_open_transaction(db):
    # given: a running job (committed)
    job = jobs.create_job(kind=importing.COMMIT_KIND, total=10)
    jobs.start(job.pk)

    # when: the job's work advances inside its write transaction
    with jobs.progress_scope(), transaction.atomic():
        jobs.advance(job.pk, 7)
        seen_during = progress_seen_by_another_connection(job.pk)
        transaction.set_rollback(True)

    # then: the page saw it at once, and the rollback of the work did not undo the progress
    assert seen_during == (7, 10)
    assert Job.objects.get(pk=job.pk).progress_done == 7


def test_it_falls_back_to_its_own_connection_for_a_job_created_in_the_same_transaction(db):
    # given/when: a job created and advanced in one transaction (invisible to any other connection)
    with jobs.progress_scope(), transaction.atomic():
        job = jobs.create_job(kind=importing.COMMIT_KIND, total=4)
        jobs.advance(job.pk, 3)
        jobs.advance(job.pk, 4)
        done_inside = Job.objects.get(pk=job.pk).progress_done

    # then: the progress was written through the transaction itself, and no wait happened
    assert done_inside == 4
    assert Job.objects.get(pk=job.pk).progress_done == 4
