"""API: in-app notifications. Everyone reads and marks only its own."""

import pytest
from django.utils import timezone

from qudao.core.models import Notification
from qudao.core.notifications import notify


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def inbox(world):
    """Two notifications for dist_admin (one already read), one for zj_admin."""
    read, unread = notify([world.dist_admin], kind="test.a", title="First", body="one", url="/a/") + notify(
        [world.dist_admin], kind="test.b", title="Second", body="two", url="/b/"
    )
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    (others,) = notify([world.zj_admin], kind="test.c", title="Not yours")
    return {"read": read, "unread": unread, "others": others}


def test_a_user_lists_its_own_notifications_newest_first(world, api_client, inbox):
    response = api_client(world.dist_admin).get("/api/v1/notifications")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [inbox["unread"].pk, inbox["read"].pk]
    assert {key: value for key, value in body["items"][0].items() if key != "created_at"} == {
        "id": inbox["unread"].pk,
        "kind": "test.b",
        "title": "Second",
        "body": "two",
        "url": "/b/",
        "read_at": None,
    }


def test_it_lists_only_the_unread_ones_when_asked(world, api_client, inbox):
    response = api_client(world.dist_admin).get("/api/v1/notifications", {"unread": "true"})
    assert [item["id"] for item in response.json()["items"]] == [inbox["unread"].pk]


def test_a_user_marks_a_notification_read(world, api_client, inbox):
    response = api_client(world.dist_admin).post(f"/api/v1/notifications/{inbox['unread'].pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    inbox["unread"].refresh_from_db()
    assert inbox["unread"].read_at is not None


def test_someone_elses_notification_answers_404_and_stays_unread(world, api_client, inbox):
    response = api_client(world.dist_admin).post(f"/api/v1/notifications/{inbox['others'].pk}/read")
    assert response.status_code == 404
    inbox["others"].refresh_from_db()
    assert inbox["others"].read_at is None


def test_read_all_marks_only_the_users_own(world, api_client, inbox):
    response = api_client(world.dist_admin).post("/api/v1/notifications/read-all")
    assert response.status_code == 200
    assert response.json() == {"updated": 1}
    assert Notification.objects.filter(user=world.dist_admin, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=world.zj_admin, read_at__isnull=True).count() == 1


def test_notifications_need_a_log_in(world, api_client, inbox):
    assert api_client().get("/api/v1/notifications").status_code == 401
    assert api_client().post("/api/v1/notifications/read-all").status_code == 401
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
