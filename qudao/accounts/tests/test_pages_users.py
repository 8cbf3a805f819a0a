"""Settings > Users (/settings/users/): administrators list, create, change and deactivate HQ users."""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD
from qudao.accounts.models import RoleAssignment, User
from qudao.core.models import Region


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def listed(response) -> list[str]:
    return re.findall(r'data-testid="user-row">\s*<td><a [^>]+>([^<]+)<', response.content.decode())


def test_it_lists_the_hq_users_only(world, page_client):
    response = page_client(world.admin).get("/settings/users/")

    assert response.status_code == 200
    assert listed(response) == ["admin", "channel", "finance", "operations", "regional_js", "regional_zj", "sales"]


@pytest.mark.parametrize("persona", ["channel", "finance", "regional_js"])
def test_it_refuses_the_users_pages_to_non_admins(world, page_client, persona):
    client = page_client(world.users[persona])

    assert client.get("/settings/users/").status_code == 403
    assert client.post("/settings/users/new/", {"username": "x", "roles": ["admin"]}).status_code == 403
    assert client.post(f"/settings/users/{world.sales.pk}/active/", {"active": "0"}).status_code == 403
    assert not User.objects.filter(username="x").exists()
    assert User.objects.get(pk=world.sales.pk).is_active


def test_it_creates_an_hq_user_with_roles_regions_and_a_password_link(world, page_client):
    zhejiang = Region.objects.get(code="330000")

    response = page_client(world.admin).post(
        "/settings/users/new/",
        {
            "username": "east",
            "display_name": "华东经理",
            "email": "east@hq.example.cn",
            "mobile": "13600001111",
            "roles": ["regional_manager", "sales"],
            "regions": [zhejiang.pk],
        },
        follow=True,
    )

    user = User.objects.get(username="east")
    assert sorted(user.role_codes()) == ["regional_manager", "sales"]
    assert list(user.regions.values_list("code", flat=True)) == ["330000"]
    assert not user.has_usable_password()
    content = response.content.decode()
    assert "User east is created." in content
    assert "Send east this link to choose a password: http://testserver/set-password/" in content


def test_it_creates_an_hq_user_with_a_password(world, page_client):
    page_client(world.admin).post(
        "/settings/users/new/", {"username": "ops2", "password": "Another-Str0ng-One", "roles": ["operations"]}
    )

    assert User.objects.get(username="ops2").check_password("Another-Str0ng-One")


def test_it_shows_user_errors_at_their_fields_and_creates_nothing(world, page_client):
    count = User.objects.count()

    response = page_client(world.admin).post(
        "/settings/users/new/",
        {"username": "Finance", "email": "bad", "mobile": "42", "password": "123", "roles": ["finance"]},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["username"] == ["This username is taken."]
    assert errors["email"] == ["Enter a valid e-mail address."]
    assert errors["mobile"] == ["Enter a valid mainland China mobile number (11 digits, starting with 1)."]
    assert errors["password"][0] == "This password is too short. It must contain at least 8 characters."
    assert User.objects.count() == count


def test_it_requires_a_role(world, page_client):
    response = page_client(world.admin).post("/settings/users/new/", {"username": "norole"})

    assert response.context["form"].errors == {"roles": ["Give the user at least one role."]}
    assert not User.objects.filter(username="norole").exists()


def test_it_changes_roles_and_regions(world, page_client):
    zhejiang = Region.objects.get(code="330000")

    response = page_client(world.admin).post(
        f"/settings/users/{world.regional_js.pk}/", {"roles": ["regional_manager", "finance"], "regions": [zhejiang.pk]}
    )

    assert response.status_code == 302
    user = User.objects.get(pk=world.regional_js.pk)
    assert sorted(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [
        "finance",
        "regional_manager",
    ]
    assert list(user.regions.values_list("code", flat=True)) == ["330000"]


def test_it_deactivates_and_reactivates_a_user(world, page_client):
    client = page_client(world.admin)

    client.post(f"/settings/users/{world.sales.pk}/active/", {"active": "0"})
    assert User.objects.get(pk=world.sales.pk).is_active is False
    login = page_client().post("/login/", {"identifier": "sales", "password": PASSWORD})
    assert login.status_code == 200  # refused

    client.post(f"/settings/users/{world.sales.pk}/active/", {"active": "1"})
    assert User.objects.get(pk=world.sales.pk).is_active is True


def test_it_refuses_to_deactivate_oneself(world, page_client):
    response = page_client(world.admin).post(f"/settings/users/{world.admin.pk}/active/", {"active": "0"}, follow=True)

    assert "You cannot deactivate yourself." in response.content.decode()
    assert User.objects.get(pk=world.admin.pk).is_active is True


def test_it_answers_404_for_a_partner_user(world, page_client):
    client = page_client(world.admin)

    assert client.get(f"/settings/users/{world.dist_admin.pk}/").status_code == 404
    assert client.post(f"/settings/users/{world.dist_admin.pk}/active/", {"active": "0"}).status_code == 404
    assert User.objects.get(pk=world.dist_admin.pk).is_active is True
