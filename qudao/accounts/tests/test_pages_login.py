"""The start page, log-in (username, e-mail or mobile; lock-out; safe `next`), log-out and the
one-time set-password link."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from conftest import PASSWORD
from qudao.accounts.models import LoginFailure, User


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# --- the start page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "location"),
    [
        (None, "/login/"),
        ("admin", "/workbench/"),
        ("finance", "/workbench/"),
        ("dist_staff", "/portal/"),
        ("zj_admin", "/portal/"),
    ],
)
def test_it_sends_each_user_to_its_start_page(world, page_client, persona, location):
    response = page_client(world.users[persona] if persona else None).get("/")

    assert response.status_code == 302
    assert response.url == location


def test_it_tells_a_user_without_a_role_to_ask_for_one(world, page_client):
    user = User.objects.create_user(username="nobody", password=PASSWORD)

    response = page_client(user).get("/")

    assert response.status_code == 403
    assert "Your user has no role yet." in response.content.decode()


# --- log-in ------------------------------------------------------------------------------------


def test_it_shows_the_login_page_with_a_link_to_apply(world, page_client):
    response = page_client().get("/login/")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="identifier"' in content and 'name="password"' in content
    assert '<a href="/apply/" data-testid="apply-link">Become a partner</a>' in content


@pytest.mark.parametrize(
    "identifier", ["channel", "CHANNEL", "channel@hq.example.cn", "13912340000", "+86 139-1234-0000"]
)
def test_it_logs_in_with_username_email_or_mobile(world, page_client, identifier):
    # given the channel manager has a mobile number
    User.objects.filter(pk=world.channel.pk).update(mobile="13912340000")
    client = page_client(enforce_csrf=False)

    # when it logs in with any of its identifiers
    response = client.post("/login/", {"identifier": identifier, "password": PASSWORD})

    # then it is logged in and sent to its start page
    assert response.status_code == 302
    assert response.url == "/"
    assert logged_in_as(client) == world.channel.pk


def test_it_refuses_a_wrong_password_and_records_the_failure(world, page_client):
    client = page_client()

    response = client.post("/login/", {"identifier": "channel", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["The user name or password is wrong."]
    assert logged_in_as(client) is None
    assert LoginFailure.objects.filter(identifier="channel").count() == 1


def test_it_refuses_an_inactive_user(world, page_client):
    User.objects.filter(pk=world.sales.pk).update(is_active=False)
    client = page_client()

    response = client.post("/login/", {"identifier": "sales", "password": PASSWORD})

    assert response.status_code == 200
    assert logged_in_as(client) is None


def test_it_locks_the_identifier_out_after_five_failures(world, page_client, settings):
    # given five wrong passwords for the finance user
    assert settings.LOGIN_FAILURE_LIMIT == 5
    client = page_client()
    answers = [client.post("/login/", {"identifier": "finance", "password": f"wrong{n}"}) for n in range(5)]

    # then the first four say "wrong", the fifth says it is locked
    locked = "Too many failed log-ins. Wait 15 minutes and try again."
    assert [a.context["form"].non_field_errors() for a in answers[:4]] == [["The user name or password is wrong."]] * 4
    assert answers[4].context["form"].non_field_errors() == [locked]

    # when the right password follows
    response = client.post("/login/", {"identifier": "finance", "password": PASSWORD})

    # then it is refused too, nobody is logged in, and no further failure was needed to say so
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [locked]
    assert logged_in_as(client) is None
    assert LoginFailure.objects.filter(identifier="finance").count() == 5
    # another user is not affected
    other = page_client()
    other.post("/login/", {"identifier": "channel", "password": PASSWORD})
    assert logged_in_as(other) == world.channel.pk


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/partners/?q=金陵", "/partners/?q=%E9%87%91%E9%99%B5"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/", "/"),
        ("", "/"),
    ],
)
def test_it_follows_only_a_safe_next(world, page_client, next_url, location):
    response = page_client().post("/login/", {"identifier": "admin", "password": PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response.url == location


def test_it_keeps_next_in_the_form(world, page_client):
    content = page_client().get("/login/?next=/approvals/").content.decode()

    assert '<input type="hidden" name="next" value="/approvals/">' in content


def test_it_enforces_csrf_on_the_login_form(world, page_client):
    client = page_client(enforce_csrf=True)

    response = client.post("/login/", {"identifier": "admin", "password": PASSWORD})

    assert response.status_code == 403
    assert logged_in_as(client) is None


# --- log-out -----------------------------------------------------------------------------------


def test_it_logs_out_only_by_post(world, page_client):
    client = page_client(world.admin)

    get = client.get("/logout/")
    assert get.status_code == 405
    assert logged_in_as(client) == world.admin.pk

    post = client.post("/logout/")
    assert post.status_code == 302 and post.url == "/login/"
    assert logged_in_as(client) is None


# --- set password ------------------------------------------------------------------------------


def link_for(user) -> str:
    return f"/set-password/{urlsafe_base64_encode(force_bytes(user.pk))}/{default_token_generator.make_token(user)}/"


def test_it_lets_an_invited_user_choose_its_password_once(world, page_client):
    # given a user invited without a password
    user = User.objects.create_user(username="newbie", email="newbie@example.cn")
    user.set_unusable_password()
    user.save()
    link = link_for(user)
    client = page_client()

    # when it opens the link and chooses a password
    page = client.get(link)
    response = client.post(
        link, {"new_password1": "Ch00se-A-Good-One", "new_password2": "Ch00se-A-Good-One"}, follow=True
    )

    # then it is sent to the log-in page with a message, and the password works
    assert page.status_code == 200 and "newbie" in page.content.decode()
    assert response.redirect_chain == [("/login/", 302)]
    assert "Your password is set. Log in with it now." in response.content.decode()
    assert User.objects.get(pk=user.pk).check_password("Ch00se-A-Good-One")

    # and the link cannot be used again
    again = client.get(link)
    assert again.status_code == 400
    assert 'data-testid="invalid-link"' in again.content.decode()


def test_it_shows_weak_passwords_at_the_field_and_keeps_the_old_one(world, page_client):
    link = link_for(world.sales)

    response = page_client().post(link, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "new_password2": ["This password is too common.", "This password is entirely numeric."]
    }
    assert User.objects.get(pk=world.sales.pk).check_password(PASSWORD)


@pytest.mark.parametrize("link", ["/set-password/xx/yy/", "/set-password/MQ/not-a-token/"])
def test_it_refuses_a_forged_link(world, page_client, link):
    response = page_client().post(link, {"new_password1": "Ch00se-A-Good-One", "new_password2": "Ch00se-A-Good-One"})

    assert response.status_code == 400
    assert User.objects.get(pk=world.admin.pk).check_password(PASSWORD)
