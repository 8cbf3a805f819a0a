"""Import: only admins and channel managers import; a preview and its jobs belong to their creator
(and admins); everyone else gets 403 for the action, 404 for someone else's import."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.accounts.services import create_user
from qudao.core.models import Job, ObjectChange
from qudao.partners.models import Partner


def xlsx_file(uscc):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "type", "legal_name", "credit_code", "region"])
    sheet.append(["P1", "dealer", "南京试验公司", uscc(90), "320100"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("partners.xlsx", buffer.getvalue())


@pytest.mark.parametrize("persona_case", ["dist_staff", "operations", "dist_admin", "regional_js", "finance"])
def test_it_refuses_import_to_users_without_the_permission(world, api_client, page_client, uscc, persona_case):
    # given
    user = world.users[persona_case]
    client = api_client(user)
    partners_before, changes_before = Partner.objects.count(), ObjectChange.objects.count()

    # when
    api_response = client.post("/api/v1/partners/imports", {"file": xlsx_file(uscc)})
    page_response = page_client(user).post("/partners/import/", {"file": xlsx_file(uscc)})

    # then: 403, and nothing stored or written
    assert api_response.status_code == 403
    assert page_response.status_code == 403
    assert page_client(user).get("/partners/import/").status_code == 403
    assert page_client(user).get("/partners/import/template.xlsx").status_code == 403
    assert Job.objects.count() == 0
    assert (Partner.objects.count(), ObjectChange.objects.count()) == (partners_before, changes_before)


@pytest.mark.parametrize("persona_case", ["admin", "channel"])
def test_it_lets_admins_and_channel_managers_preview(world, api_client, uscc, persona_case):
    response = api_client(world.users[persona_case]).post("/api/v1/partners/imports", {"file": xlsx_file(uscc)})
    assert response.status_code == 201


def test_it_shows_a_preview_and_its_job_only_to_its_creator_and_admins(world, api_client, uscc):
    # given: the channel manager's preview, committed
    owner = api_client(world.channel)
    preview = owner.post("/api/v1/partners/imports", {"file": xlsx_file(uscc)}).json()
    job = owner.post(f"/api/v1/partners/imports/{preview['id']}/commit").json()
    other_channel = create_user(username="channel2", password="Qudao-Test-2026!", roles=["channel_manager"])

    # then: creator and admin see both
    for client in (owner, api_client(world.admin)):
        assert client.get(f"/api/v1/partners/imports/{preview['id']}").status_code == 200
        assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 200
    # ... everyone else gets 404, the same as for an import that does not exist
    for user in (other_channel, world.regional_js, world.operations, world.dist_admin):
        client = api_client(user)
        assert client.get(f"/api/v1/partners/imports/{preview['id']}").status_code == 404
        assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert owner.get("/api/v1/partners/imports/999999").status_code == 404
    assert owner.get(f"/api/v1/partners/imports/{job['id']}").status_code == 404  # a job is not a preview


def test_it_refuses_to_commit_someone_elses_preview(world, api_client, uscc):
    # given: the channel manager's preview
    preview = api_client(world.channel).post("/api/v1/partners/imports", {"file": xlsx_file(uscc)}).json()
    other_channel = create_user(username="channel2", password="Qudao-Test-2026!", roles=["channel_manager"])

    # when: another channel manager, and an operations user, try to commit it
    not_theirs = api_client(other_channel).post(f"/api/v1/partners/imports/{preview['id']}/commit")
    no_role = api_client(world.operations).post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then
    assert not_theirs.status_code == 404
    assert no_role.status_code == 403
    assert not Partner.objects.filter(code="P1").exists()
    assert Job.objects.filter(kind="partners.import").count() == 0


def test_it_commits_a_preview_only_once(world, api_client, uscc):
    # given: a committed preview
    client = api_client(world.channel)
    preview = client.post("/api/v1/partners/imports", {"file": xlsx_file(uscc)}).json()
    first = client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # when
    second = client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then
    assert first.status_code == 202
    assert second.status_code == 409
    assert Job.objects.filter(kind="partners.import").count() == 1
    assert client.get(f"/api/v1/partners/imports/{preview['id']}").json()["can_commit"] is False


def test_it_answers_401_without_credentials(db, api_client):
    assert api_client().post("/api/v1/partners/imports").status_code == 401
    assert api_client().get("/api/v1/jobs/1").status_code == 401
    assert api_client().get("/api/v1/partners/export.xlsx").status_code == 401
