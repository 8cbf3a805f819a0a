"""API: a partner's users. Its partner administrator (or HQ admin / channel manager) invites,
disables and enables them; nobody manages another partner's users."""

import pytest
from django.core import mail

from qudao.accounts.models import User
from qudao.partners.models import PartnerMember

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def post_json(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def members(partner):
    return list(
        PartnerMember.objects.filter(partner=partner).order_by("pk").values_list("user__username", "role", "is_active")
    )


def test_the_partner_admin_lists_its_users(world, api_client):
    response = api_client(world.dist_admin).get(f"/api/v1/partners/{world.dist_js.pk}/members")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    admin_row, staff_row = body["items"]
    assert {key: value for key, value in admin_row.items() if key != "created_at"} == {
        "user_id": world.dist_admin.pk,
        "username": "dist_admin",
        "display_name": "dist_admin",
        "email": "dist_admin@partner.example.cn",
        "mobile": "",
        "role": "partner_admin",
        "is_active": True,
    }
    assert (staff_row["username"], staff_row["role"]) == ("dist_staff", "partner_staff")


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("regional_js", "dist_js", 200),
        ("finance", "dist_js", 200),
        ("dist_staff", "dist_js", 403),
        ("dist_admin", "sub_js", 403),
        ("zj_admin", "dist_js", 404),
        ("sub_admin", "dist_js", 404),
        ("regional_zj", "dist_js", 404),
    ],
)
def test_the_users_of_a_partner_are_listed_for_hq_and_its_admin_only(world, api_client, persona, target, status):
    response = api_client(world.users[persona]).get(f"/api/v1/partners/{world.partners[target].pk}/members")
    assert response.status_code == status


def test_the_partner_admin_invites_a_user_who_gets_a_one_time_link(
    world, api_client, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            api_client(world.dist_admin),
            f"/api/v1/partners/{world.dist_js.pk}/members",
            {"display_name": "仓库小陈", "mobile": "13655556666", "email": "chen@jinling.cn", "username": "jl_chen"},
        )
    # then
    assert response.status_code == 201
    user = User.objects.get(username="jl_chen")
    body = response.json()
    assert {key: value for key, value in body["member"].items() if key != "created_at"} == {
        "user_id": user.pk,
        "username": "jl_chen",
        "display_name": "仓库小陈",
        "email": "chen@jinling.cn",
        "mobile": "13655556666",
        "role": "partner_staff",
        "is_active": True,
    }
    assert body["set_password_link"].startswith("http://testserver/set-password/")
    assert not user.has_usable_password()
    assert user.partner_member.invited_by == world.dist_admin
    assert [message.to for message in mail.outbox] == [["chen@jinling.cn"]]
    assert body["set_password_link"] in mail.outbox[0].body


def test_hq_invites_a_partner_administrator(world, api_client):
    response = post_json(
        api_client(world.channel),
        f"/api/v1/partners/{world.dealer_zj.pk}/members",
        {"display_name": "西湖二号管理员", "email": "second@xihu.cn", "role": "partner_admin"},
    )
    assert response.status_code == 201
    assert response.json()["member"]["role"] == "partner_admin"
    assert response.json()["member"]["username"].startswith(world.dealer_zj.code.lower() + "-")


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("dist_staff", "dist_js", 403),
        ("dist_admin", "sub_js", 403),
        ("regional_js", "dist_js", 403),
        ("finance", "dist_js", 403),
        ("zj_admin", "dist_js", 404),
        ("sub_admin", "dist_js", 404),
    ],
)
def test_it_refuses_invitations_without_the_right(
    world, api_client, django_capture_on_commit_callbacks, persona, target, status
):
    partner = world.partners[target]
    before = members(partner)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            api_client(world.users[persona]),
            f"/api/v1/partners/{partner.pk}/members",
            {"display_name": "越权", "email": "intruder@example.cn"},
        )
    assert response.status_code == status
    assert members(partner) == before
    assert not User.objects.filter(email="intruder@example.cn").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"display_name": "A", "mobile": "123"},
            {"mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."]},
        ),
        ({"display_name": "A", "email": "bad@"}, {"email": ["Enter a valid e-mail address."]}),
        (
            {"display_name": "A", "email": "dist_staff@partner.example.cn"},
            {"email": ["Another user has this e-mail address."]},
        ),
        ({"display_name": "A", "email": "x@y.cn", "username": "zj_admin"}, {"username": ["This username is taken."]}),
        ({"display_name": "", "email": "x@y.cn"}, {"display_name": ["This field is required."]}),
        ({"display_name": "A"}, {"mobile": ["Give a mobile number or an e-mail address."]}),
        ({"display_name": "A", "email": "x@y.cn", "role": "admin"}, {"role": ["Choose one of the allowed values."]}),
    ],
)
def test_it_refuses_a_bad_invitation(world, api_client, django_capture_on_commit_callbacks, data, errors):
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(api_client(world.dist_admin), f"/api/v1/partners/{world.dist_js.pk}/members", data)
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert User.objects.count() == users_before
    assert mail.outbox == []


def test_the_partner_admin_disables_and_enables_a_user(world, api_client):
    client = api_client(world.dist_admin)
    staff_client = api_client(world.dist_staff)
    assert staff_client.get("/api/v1/me").status_code == 200
    # when disabled
    disabled = post_json(client, f"/api/v1/partners/{world.dist_js.pk}/members/{world.dist_staff.pk}/disable")
    # then the user can no longer use the API
    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    assert members(world.dist_js) == [("dist_admin", "partner_admin", True), ("dist_staff", "partner_staff", False)]
    assert staff_client.get("/api/v1/me").status_code == 401
    # when enabled again
    enabled = post_json(client, f"/api/v1/partners/{world.dist_js.pk}/members/{world.dist_staff.pk}/enable")
    assert enabled.status_code == 200
    assert enabled.json()["is_active"] is True
    assert staff_client.get("/api/v1/me").status_code == 200


def test_a_partner_admin_cannot_disable_itself_or_the_last_admin(world, api_client):
    itself = post_json(
        api_client(world.dist_admin), f"/api/v1/partners/{world.dist_js.pk}/members/{world.dist_admin.pk}/disable"
    )
    last_admin = post_json(
        api_client(world.channel), f"/api/v1/partners/{world.dist_js.pk}/members/{world.dist_admin.pk}/disable"
    )
    assert (itself.status_code, last_admin.status_code) == (422, 422)
    assert errors_of(itself) == {"user": ["You cannot disable yourself."]}
    assert errors_of(last_admin) == {"user": ["A partner needs at least one active administrator."]}
    assert members(world.dist_js)[0] == ("dist_admin", "partner_admin", True)


@pytest.mark.parametrize(
    ("persona", "target", "user_key", "status"),
    [
        ("dist_admin", "dist_js", "zj_admin", 404),  # another partner's user through my partner's URL
        ("dist_admin", "sub_js", "sub_admin", 403),
        ("dist_staff", "dist_js", "dist_admin", 403),
        ("zj_admin", "dist_js", "dist_staff", 404),
    ],
)
def test_it_refuses_to_disable_users_it_does_not_manage(world, api_client, persona, target, user_key, status):
    user = world.users[user_key]
    response = post_json(
        api_client(world.users[persona]), f"/api/v1/partners/{world.partners[target].pk}/members/{user.pk}/disable"
    )
    assert response.status_code == status
    user.refresh_from_db()
    assert user.is_active is True
    assert PartnerMember.objects.get(user=user).is_active is True
