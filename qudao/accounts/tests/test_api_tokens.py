"""API: who am I, and personal API tokens (shown once, stored hashed, revocable, expiring), with
the log-in lock-out after repeated wrong passwords."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from qudao.accounts.models import ApiToken, LoginFailure, hash_token

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def create_token(identifier, password, **extra):
    return Client().post(
        "/api/v1/auth/tokens",
        {"name": "cli", "username": identifier, "password": password} | extra,
        content_type="application/json",
    )


@pytest.mark.parametrize("identifier", ["dist_admin", "DIST_ADMIN", "dist_admin@partner.example.cn"])
def test_a_user_gets_a_token_with_its_password_and_the_secret_is_shown_once(world, identifier):
    # when
    response = create_token(identifier, PASSWORD, expires_in_days=30)
    # then
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(user=world.dist_admin, name="cli")
    assert body["token"].startswith("qd_")
    assert (body["id"], body["name"], body["key_prefix"], body["revoked_at"]) == (
        token.pk,
        "cli",
        body["token"][:10],
        None,
    )
    assert token.key_hash == hash_token(body["token"]) != body["token"]
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    # and the secret works, and is never shown again
    me = bearer(body["token"]).get("/api/v1/me").json()
    assert (me["username"], me["partner_id"], me["partner_role"]) == ("dist_admin", world.dist_js.pk, "partner_admin")
    listed = bearer(body["token"]).get("/api/v1/auth/tokens").json()
    assert [item["id"] for item in listed] == [token.pk]
    assert "token" not in listed[0]


def test_a_mobile_number_logs_in_too(world):
    world.zj_admin.mobile = "13566667777"
    world.zj_admin.save()
    assert create_token("+86 135 6666 7777", PASSWORD).status_code == 201


def test_me_describes_an_hq_user_with_its_roles_and_regions(world, api_client):
    response = api_client(world.regional_js).get("/api/v1/me")
    assert response.json() == {
        "id": world.regional_js.pk,
        "username": "regional_js",
        "display_name": "regional_js",
        "email": "regional_js@hq.example.cn",
        "mobile": "",
        "language": "",
        "roles": ["regional_manager"],
        "partner_id": None,
        "partner_role": None,
        "region_codes": ["320000"],
    }


def test_a_wrong_password_answers_401_and_is_counted(world):
    response = create_token("dist_admin", "wrong-password")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "bad_credentials"
    assert LoginFailure.objects.filter(identifier="dist_admin").count() == 1
    assert ApiToken.objects.filter(user=world.dist_admin).count() == 0


def test_repeated_wrong_passwords_lock_the_identifier_out(world, settings):
    # given five wrong passwords
    assert [create_token("dist_admin", f"guess-{attempt}").status_code for attempt in range(5)] == [401] * 5
    # when the right password comes next
    response = create_token("dist_admin", PASSWORD)
    # then it is refused for now, and no token is issued
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "locked_out"
    assert ApiToken.objects.filter(user=world.dist_admin).count() == 0
    # while another user logs in as usual
    assert create_token("zj_admin", PASSWORD).status_code == 201


def test_the_lock_out_ends_when_the_window_has_passed(world, settings):
    for attempt in range(5):
        create_token("dist_admin", f"guess-{attempt}")
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 1))
    assert create_token("dist_admin", PASSWORD).status_code == 201


def test_a_successful_log_in_clears_earlier_failures(world):
    create_token("dist_admin", "typo")
    assert create_token("dist_admin", PASSWORD).status_code == 201
    assert LoginFailure.objects.filter(identifier="dist_admin").count() == 0


def test_an_expired_token_answers_401(world):
    token, raw = ApiToken.issue(user=world.finance, name="old", expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == 'Bearer realm="qudao"'


def test_a_revoked_token_answers_401(world, api_client):
    # given
    token, raw = ApiToken.issue(user=world.finance, name="laptop")
    client = bearer(raw)
    assert client.get("/api/v1/me").status_code == 200
    # when it revokes itself
    assert client.delete(f"/api/v1/auth/tokens/{token.pk}").status_code == 204
    # then
    assert client.get("/api/v1/me").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(world, api_client):
    token, raw = ApiToken.issue(user=world.finance, name="laptop")
    response = api_client(world.admin).delete(f"/api/v1/auth/tokens/{token.pk}")
    assert response.status_code == 404
    assert bearer(raw).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("raw", ["qd_not-a-real-token", "not-even-the-prefix", ""])
def test_an_unknown_token_answers_401(world, raw):
    assert bearer(raw).get("/api/v1/me").status_code == 401


def test_a_disabled_users_token_answers_401(world):
    token, raw = ApiToken.issue(user=world.sales, name="phone")
    world.sales.is_active = False
    world.sales.save()
    assert bearer(raw).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": " "}, "name"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 4000}, "expires_in_days"),
    ],
)
def test_it_refuses_a_bad_token_request(world, api_client, data, field):
    response = api_client(world.finance).post(
        "/api/v1/auth/tokens", {"name": "x"} | data, content_type="application/json"
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert ApiToken.objects.filter(user=world.finance).count() == 1  # only the client's own
