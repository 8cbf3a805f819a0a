"""The demo's inboxes: a year of trade would leave every demo user hundreds of unread
notifications; qudao.demo.read_old_news keeps each user's newest few unread, as a person who reads
their news would have them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qudao.accounts.models import User
from qudao.core.models import Notification
from qudao.demo import UNREAD_KEPT, read_old_news

pytestmark = pytest.mark.django_db


def test_all_but_the_newest_news_of_each_user_is_marked_read_when_it_arrived():
    # given a user with 15 unread notifications, one a day, and another with 3
    busy = User.objects.create_user(username="busy", password="x-2026-demo")
    quiet = User.objects.create_user(username="quiet", password="x-2026-demo")
    start = timezone.now() - timedelta(days=30)
    for day in range(15):
        Notification.objects.create(
            user=busy, kind="order", title=f"news {day}", created_at=start + timedelta(days=day)
        )
    for day in range(3):
        Notification.objects.create(
            user=quiet, kind="order", title=f"quiet {day}", created_at=start + timedelta(days=day)
        )

    # when the demo tidies the inboxes
    assert read_old_news() == {"read": 15 - UNREAD_KEPT}

    # then the busy user keeps its 10 newest unread, the older 5 read at the time they arrived
    unread = Notification.objects.filter(user=busy, read_at__isnull=True).order_by("created_at")
    assert [note.title for note in unread] == [f"news {day}" for day in range(5, 15)]
    read = Notification.objects.filter(user=busy, read_at__isnull=False)
    assert sorted(note.title for note in read) == [f"news {day}" for day in range(5)]
    assert all(note.read_at == note.created_at for note in read)
    # and the quiet user's three stay unread
    assert Notification.objects.filter(user=quiet, read_at__isnull=True).count() == 3
