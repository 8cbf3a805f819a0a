"""The user's own pages: account (profile, language), the language switch, API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from qudao.accounts.models import ApiToken, User, hash_token


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


ACCOUNT = {"display_name": "王渠道", "email": "wang@hq.example.cn", "mobile": "13811112222", "language": "en"}


# --- account -----------------------------------------------------------------------------------


def test_it_shows_the_account(world, page_client):
    response = page_client(world.regional_js).get("/account/")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="username">regional_js<' in content
    assert "Regional manager" in content and "Jiangsu" in content
    assert response.context["form"].initial["email"] == "regional_js@hq.example.cn"


def test_it_saves_the_profile_and_applies_the_language_at_once(world, page_client):
    # given a channel manager reading Simplified Chinese
    client = page_client(world.channel)

    # when it saves its account with English chosen
    response = client.post("/account/", ACCOUNT | {"language": "zh-hant"}, follow=True)

    # then the user is changed, and the next page is already in the chosen language
    user = User.objects.get(pk=world.channel.pk)
    assert (user.display_name, user.email, user.mobile, user.language) == (
        "王渠道",
        "wang@hq.example.cn",
        "13811112222",
        "zh-hant",
    )
    assert response.redirect_chain == [("/account/", 302)]
    assert response["Content-Language"] == "zh-hant"
    assert '<html lang="zh-hant">' in response.content.decode()
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "zh-hant"


def test_it_shows_profile_errors_at_their_fields_and_changes_nothing(world, page_client):
    response = page_client(world.channel).post(
        "/account/", ACCOUNT | {"email": "finance@hq.example.cn", "mobile": "123", "language": "fr"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["Another user has this e-mail address."],
        "mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."],
        "language": ["Choose one of: zh-hans, zh-hant, en."],
    }
    user = User.objects.get(pk=world.channel.pk)
    assert (user.display_name, user.email, user.mobile, user.language) == ("channel", "channel@hq.example.cn", "", "")


def test_it_asks_anonymous_visitors_to_log_in(world, page_client):
    assert page_client().get("/account/").url == "/login/?next=/account/"
    assert page_client().get("/account/tokens/").url == "/login/?next=/account/tokens/"


# --- the language switch -----------------------------------------------------------------------


def test_it_switches_a_users_language_and_saves_it(world, page_client):
    client = page_client(world.dist_admin)

    response = client.post("/account/language/", {"language": "en", "next": "/notifications/"})

    assert response.status_code == 302
    assert response.url == "/notifications/"
    assert User.objects.get(pk=world.dist_admin.pk).language == "en"
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get("/notifications/")["Content-Language"] == "en"


def test_the_users_language_follows_it_to_a_new_session(world, page_client):
    page_client(world.finance).post("/account/language/", {"language": "zh-hant", "next": "/"})

    response = page_client(world.finance).get("/notifications/")

    assert response["Content-Language"] == "zh-hant"


def test_it_refuses_an_unknown_language_and_keeps_the_old_one(world, page_client):
    User.objects.filter(pk=world.finance.pk).update(language="en")

    response = page_client(world.finance).post(
        "/account/language/", {"language": "xx", "next": "/account/"}, follow=True
    )

    assert "Choose one of: zh-hans, zh-hant, en." in response.content.decode()
    assert User.objects.get(pk=world.finance.pk).language == "en"


def test_it_switches_an_anonymous_visitors_language_with_a_cookie(world, page_client):
    # given the switch in the top bar of the log-in page posts to Django's set_language view
    client = page_client()
    assert 'action="/i18n/setlang/"' in client.get("/login/").content.decode()

    # when a visitor picks Traditional Chinese
    response = client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/login/"})

    # then the cookie is set and the log-in page answers in that language
    assert response.status_code == 302 and response.url == "/login/"
    assert client.get("/login/")["Content-Language"] == "zh-hant"


def test_the_switch_of_a_logged_in_user_posts_to_its_account(world, page_client):
    content = page_client(world.admin).get("/account/").content.decode()

    assert 'action="/account/language/"' in content
    assert '<input type="hidden" name="next" value="/account/">' in content


def test_the_language_switch_is_post_only(world, page_client):
    assert page_client(world.admin).get("/account/language/?language=en").status_code == 405
    assert User.objects.get(pk=world.admin.pk).language == ""


# --- API tokens --------------------------------------------------------------------------------


def test_it_creates_a_token_and_shows_its_secret_once(world, page_client):
    client = page_client(world.finance)

    # when finance creates a token
    response = client.post("/account/tokens/", {"name": "ERP", "expires_in_days": "30"}, follow=True)

    # then the secret is shown, and it is the token's (only its hash is stored)
    content = response.content.decode()
    secret = re.search(r'data-testid="token-secret">([^<]+)<', content).group(1)
    token = ApiToken.objects.get(user=world.finance)
    assert (token.name, token.key_hash, token.key_prefix) == ("ERP", hash_token(secret), secret[:10])
    assert content.count('data-testid="token-row"') == 1
    assert abs(token.expires_at - token.created_at - timedelta(days=30)) < timedelta(seconds=5)

    # and the next visit does not show it again
    again = client.get("/account/tokens/").content.decode()
    assert secret not in again
    assert 'data-testid="new-token"' not in again
    assert f"{secret[:10]}…" in again


def test_the_new_token_works_on_the_api(world, page_client, client):
    page = page_client(world.channel).post("/account/tokens/", {"name": "BI", "expires_in_days": "90"}, follow=True)
    secret = re.search(r'data-testid="token-secret">([^<]+)<', page.content.decode()).group(1)

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json()["username"] == "channel"


def test_it_requires_a_token_name(world, page_client):
    response = page_client(world.finance).post("/account/tokens/", {"name": " ", "expires_in_days": "30"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["Give the token a name."]}
    assert not ApiToken.objects.filter(user=world.finance).exists()


def test_it_revokes_a_token(world, page_client):
    client = page_client(world.finance)
    client.post("/account/tokens/", {"name": "ERP", "expires_in_days": ""})
    token = ApiToken.objects.get(user=world.finance)
    assert token.expires_at is None

    response = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Token “ERP” is revoked." in response.content.decode()


def test_it_answers_404_for_another_users_token(world, page_client):
    page_client(world.finance).post("/account/tokens/", {"name": "ERP", "expires_in_days": "30"})
    token = ApiToken.objects.get(user=world.finance)

    response = page_client(world.channel).post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
