"""An import written by a worker is followed on its job page, which ends with a link to the list
the rows went to; its preview page polls the check instead of reloading itself."""

from __future__ import annotations

from django.utils import translation

from qudao.core.models import Job
from qudao.core.tests.test_import_files import catalog, catalog_file, queued_jobs  # noqa: F401


def test_a_catalogue_import_run_by_a_worker_ends_on_a_link_to_the_catalogue(
    world,
    catalog,  # noqa: F811
    page_client,
    queued_jobs,  # noqa: F811
):
    from qudao.catalog import importing

    client = page_client(world.channel)
    with translation.override("en"):
        # given a file uploaded and checked by the worker
        uploaded = client.post(
            "/catalog/import/", {"file": catalog_file([["KF-9", "炸锅", "home", "件", "KF-9-1", "炸锅 1L"]])}
        )
        preview = Job.objects.get(kind=importing.PREVIEW_KIND)
        assert uploaded["Location"] == f"/catalog/import/{preview.pk}/"
        checking = client.get(uploaded["Location"]).content.decode()
        assert f'hx-get="/jobs/{preview.pk}/status/?reload=1" hx-trigger="every 1s"' in checking
        importing.run_preview(preview.pk)
        ready = client.get(uploaded["Location"]).content.decode()
        assert f'action="/catalog/import/{preview.pk}/commit/" class="inline" data-once>' in ready

        # when the user imports it, then it follows the import on the job page
        committed = client.post(f"/catalog/import/{preview.pk}/commit/")
        job = Job.objects.get(kind=importing.COMMIT_KIND)
        assert (committed.status_code, committed["Location"]) == (302, f"/jobs/{job.pk}/")
        page = client.get(f"/jobs/{job.pk}/").content.decode()
        assert '<h1 data-testid="job-title">Import a file</h1>' in page and "reload" not in page.lower()
        # and the preview page links to it while it runs
        assert (
            f'href="/jobs/{job.pk}/" data-testid="commit-job">Follow its progress</a>'
            in client.get(uploaded["Location"]).content.decode()
        )

        # when the worker writes it, then the job page links to the catalogue
        importing.run_commit(job.pk)
        done = client.get(f"/jobs/{job.pk}/status/").content.decode()
        assert '<a class="btn btn-primary" href="/catalog/" data-testid="job-result">Open the catalogue</a>' in done
