"""The notifications page (/notifications/): list, open, mark read, mark all read."""

from __future__ import annotations

import pytest

from qudao.core.models import Notification


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def make(user, title, url=""):
    return Notification.objects.create(user=user, kind="test", title=title, body=f"{title} body", url=url)


def test_it_lists_only_the_users_own_notifications(world, page_client):
    make(world.channel, "审批提醒一")
    make(world.channel, "审批提醒二")
    make(world.finance, "别人的通知")

    response = page_client(world.channel).get("/notifications/")

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('data-testid="notification"') == 2
    assert "审批提醒一" in content and "审批提醒二" in content and "别人的通知" not in content
    # the bell in the top bar counts the unread ones
    assert '<span class="badge">2</span>' in content


def test_it_works_for_partner_users_too(world, page_client):
    make(world.dist_admin, "欢迎")

    response = page_client(world.dist_admin).get("/notifications/?unread=1")

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="notification"') == 1


def test_it_opens_a_notification_and_marks_it_read(world, page_client):
    notification = make(world.channel, "审批提醒", url="/approvals/")

    response = page_client(world.channel).post(f"/notifications/{notification.pk}/read/", {"open": "1"})

    assert response.status_code == 302
    assert response.url == "/approvals/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_it_never_opens_an_outside_address(world, page_client):
    notification = make(world.channel, "钓鱼", url="//evil.example/")

    response = page_client(world.channel).post(f"/notifications/{notification.pk}/read/", {"open": "1"})

    assert response.url == "/notifications/"


def test_it_marks_all_read(world, page_client):
    make(world.channel, "一")
    make(world.channel, "二")
    other = make(world.finance, "三")

    response = page_client(world.channel).post("/notifications/read-all/", follow=True)

    assert "2 notifications marked as read." in response.content.decode()
    assert Notification.objects.filter(user=world.channel, read_at__isnull=True).count() == 0
    other.refresh_from_db()
    assert other.read_at is None


def test_it_answers_404_for_another_users_notification(world, page_client):
    other = make(world.finance, "财务通知")

    response = page_client(world.channel).post(f"/notifications/{other.pk}/read/")

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_it_asks_anonymous_visitors_to_log_in(world, page_client):
    assert page_client().get("/notifications/").url == "/login/?next=/notifications/"
