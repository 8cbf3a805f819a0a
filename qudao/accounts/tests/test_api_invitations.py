"""Accepting an invitation through the API (POST /api/v1/auth/invitations/accept): an invited user
(a partner's new user, an approved applicant, an HQ user created without a password) chooses its
password with the uid and token of its link, under the same password rules and with the same
answer for a used, expired or forged link as the HTML form its link opens."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.contrib.auth.tokens import default_token_generator
from django.test import Client

from qudao.accounts.models import User
from qudao.partners import services as partners

INVALID_LINK = "This link is not valid any more: it was used already, or it has expired. Ask for a new one."


def accept(body) -> object:
    return Client().post("/api/v1/auth/invitations/accept", json.dumps(body), content_type="application/json")


def invite(world) -> tuple[User, str, str, str]:
    """dist_admin invites a staff user: (the user, its link, the link's uid, the link's token)."""
    member, link = partners.invite_member(
        partner=world.dist_js,
        actor=world.dist_admin,
        data={"username": "jl_wang", "display_name": "仓库小王", "mobile": "13655557777"},
    )
    uid, token = link.rstrip("/").split("/")[-2:]
    return member.user, link, uid, token


def test_an_invited_user_chooses_its_password_through_the_api_once(world):
    user, link, uid, token = invite(world)
    # when: its app sends the link's uid and token with the password it chose
    response = accept({"uid": uid, "token": token, "password": "Jinling-Wang-2026"})
    # then: the password is set, and the answer names the user (it may not know its user name)
    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": "jl_wang",
        "display_name": "仓库小王",
        "partner_id": world.dist_js.pk,
    }
    user.refresh_from_db()
    assert user.check_password("Jinling-Wang-2026")
    # and: it logs in with it (an API token from its user name and password)
    token_response = Client().post(
        "/api/v1/auth/tokens",
        json.dumps({"name": "phone", "username": "jl_wang", "password": "Jinling-Wang-2026"}),
        content_type="application/json",
    )
    assert token_response.status_code == 201
    # and: the link is used up, in the API and in the form alike
    again = accept({"uid": uid, "token": token, "password": "Another-Pass-2026"})
    assert (again.status_code, again["Content-Type"], again.json()) == (
        400,
        "application/problem+json",
        {
            "type": "https://qudao.dev/problems/invalid_link",
            "title": INVALID_LINK,
            "status": 400,
            "code": "invalid_link",
        },
    )
    page = Client().get(link.replace("http://testserver", ""))
    assert page.status_code == 400
    user.refresh_from_db()
    assert user.check_password("Jinling-Wang-2026")


def test_the_password_rules_and_messages_are_the_forms_and_a_refusal_keeps_the_link(world):
    user, link, uid, token = invite(world)
    # the form's messages for a weak password ...
    form = Client().post(
        link.replace("http://testserver", ""), {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert form.context["form"].errors == {
        "new_password2": ["This password is too common.", "This password is entirely numeric."]
    }
    # ... are the API's, on `password`
    cases = {
        "12345678": ["This password is too common.", "This password is entirely numeric."],
        "Abc-12": ["This password is too short. It must contain at least 8 characters."],
        "jl_wang_": ["The password is too similar to the username."],
        "": ["This field is required."],
    }
    for password, messages in cases.items():
        refused = accept({"uid": uid, "token": token, "password": password})
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid")
        assert refused.json()["errors"] == [{"field": "password", "message": message} for message in messages]
    # nothing changed: still no password, and the link still works
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert accept({"uid": uid, "token": token, "password": "Jinling-Wang-2026"}).status_code == 200


def test_a_forged_expired_or_disabled_link_answers_the_forms_problem_and_changes_nothing(world, settings):
    user, _link, uid, token = invite(world)
    settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
    four_days_ago = default_token_generator._num_seconds(datetime.now() - timedelta(days=4))
    expired = default_token_generator._make_token_with_timestamp(user, four_days_ago, default_token_generator.secret)
    other_uid = uid[:-1] + ("A" if uid[-1] != "A" else "B")
    for uid_sent, token_sent in ((uid, "1-forged"), ("!!", token), (other_uid, token), (uid, expired)):
        refused = accept({"uid": uid_sent, "token": token_sent, "password": "Jinling-Wang-2026"})
        assert (refused.status_code, refused.json()["code"], refused.json()["title"]) == (
            400,
            "invalid_link",
            INVALID_LINK,
        )
    # a disabled user's link is no longer valid either
    User.objects.filter(pk=user.pk).update(is_active=False)
    refused = accept({"uid": uid, "token": token, "password": "Jinling-Wang-2026"})
    assert refused.status_code == 400
    # a body without the token: the field is named
    missing = accept({"uid": uid, "password": "Jinling-Wang-2026"})
    assert (missing.status_code, missing.json()["errors"]) == (
        422,
        [{"field": "token", "message": "This field is required."}],
    )
    user.refresh_from_db()
    assert not user.has_usable_password()
