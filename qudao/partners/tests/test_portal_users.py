"""The partner portal's users page: the partner admin invites, disables and re-enables its users;
staff may look only."""

from __future__ import annotations

import pytest

from qudao.accounts.models import User
from qudao.accounts.roles import PartnerRole
from qudao.partners.models import PartnerMember


@pytest.fixture(autouse=True)
def _english(settings):
    # Exact messages are asserted in the English source text (translations come and go).
    settings.LANGUAGE_CODE = "en"


def usernames(response) -> list[str]:
    return sorted(member.user.username for member in response.context["members"])


def snapshot():
    return sorted(PartnerMember.objects.values_list("user__username", "role", "is_active", "user__is_active"))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("dist_admin", ["dist_admin", "dist_staff"]),
        ("dist_staff", ["dist_admin", "dist_staff"]),
        ("sub_admin", ["sub_admin"]),
        ("zj_admin", ["zj_admin"]),
    ],
)
def test_it_lists_the_users_of_the_own_partner_only(world, page_client, persona, expected):
    # when a partner user opens the users page
    response = page_client(world.users[persona]).get("/portal/users/")

    # then it sees its own partner's users (a distributor's sub-dealers' users are not its users)
    assert response.status_code == 200
    assert usernames(response) == expected
    assert response.content.decode().count('data-testid="user-row"') == len(expected)


def test_it_shows_the_invite_form_and_buttons_to_the_admin_only(world, page_client):
    # when dist_admin and dist_staff open the users page
    admin = page_client(world.dist_admin).get("/portal/users/")
    staff = page_client(world.dist_staff).get("/portal/users/")

    # then only the admin gets the invite form and the disable button (never for itself)
    assert admin.context["invite_form"] is not None
    assert admin.content.decode().count('data-testid="user-disable"') == 1
    assert staff.context["invite_form"] is None
    staff_content = staff.content.decode()
    assert 'data-testid="invite-form"' not in staff_content
    assert 'data-testid="user-disable"' not in staff_content
    assert 'data-testid="staff-note"' in staff_content


def test_it_invites_a_user_and_shows_the_set_password_link_once(world, page_client):
    # given dist_admin
    client = page_client(world.dist_admin)

    # when it invites a member of its staff
    response = client.post(
        "/portal/users/invite/",
        {
            "display_name": "周敏",
            "mobile": "13655550001",
            "email": "zhoumin@jinling.example.cn",
            "username": "zhoumin",
            "role": PartnerRole.STAFF,
        },
    )

    # then the user and its membership of dist_js exist, without a usable password yet
    assert response.status_code == 302
    assert response.url == "/portal/users/"
    user = User.objects.get(username="zhoumin")
    assert (user.display_name, user.mobile, user.email) == ("周敏", "13655550001", "zhoumin@jinling.example.cn")
    assert not user.has_usable_password()
    member = PartnerMember.objects.get(user=user)
    assert (member.partner_id, member.role, member.is_active, member.invited_by_id) == (
        world.dist_js.pk,
        PartnerRole.STAFF,
        True,
        world.dist_admin.pk,
    )
    # and the one-time set-password link is shown on the next page, and only there
    page = client.get("/portal/users/")
    link = page.context["invite_link"]["link"]
    assert link.startswith("http://testserver/set-password/")
    assert f'value="{link}"' in page.content.decode()
    assert client.get("/portal/users/").context["invite_link"] is None
    assert usernames(page) == ["dist_admin", "dist_staff", "zhoumin"]


def test_it_shows_invitation_errors_at_their_fields_and_creates_nobody(world, page_client):
    # given a user already holding this mobile number
    before = (User.objects.count(), snapshot())

    # when dist_admin invites somebody without a name, with dist_staff's e-mail address
    response = page_client(world.dist_admin).post(
        "/portal/users/invite/",
        {
            "display_name": "",
            "email": "dist_staff@partner.example.cn",
            "role": PartnerRole.STAFF,
        },
    )

    # then the fields are in error and nobody was created
    assert response.status_code == 200
    assert response.context["invite_form"].errors == {
        "display_name": ["This field is required."],
        "email": ["Another user has this e-mail address."],
    }
    assert (User.objects.count(), snapshot()) == before


def test_it_refuses_invitations_by_partner_staff(world, page_client):
    # given the users and memberships as they are
    before = (User.objects.count(), snapshot())

    # when dist_staff posts an invitation
    response = page_client(world.dist_staff).post(
        "/portal/users/invite/",
        {
            "display_name": "偷偷加的",
            "mobile": "13655550002",
            "role": PartnerRole.ADMIN,
        },
    )

    # then it is refused and nobody was created
    assert response.status_code == 403
    assert (User.objects.count(), snapshot()) == before


def test_it_disables_and_enables_a_staff_user(world, page_client):
    # given dist_admin
    client = page_client(world.dist_admin)

    # when it disables dist_staff
    response = client.post(f"/portal/users/{world.dist_staff.pk}/active/", {"active": "0"})

    # then dist_staff's membership and user are inactive: it can no longer log in
    assert response.status_code == 302
    member = PartnerMember.objects.get(user=world.dist_staff)
    assert (member.is_active, member.user.is_active) == (False, False)
    assert page_client(world.dist_staff).get("/portal/").status_code == 302
    page = client.get("/portal/users/")
    assert 'data-testid="user-enable"' in page.content.decode()

    # when it enables dist_staff again
    response = client.post(f"/portal/users/{world.dist_staff.pk}/active/", {"active": "1"})

    # then dist_staff can log in again
    assert response.status_code == 302
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert (member.is_active, member.user.is_active) == (True, True)


def test_it_refuses_disabling_by_partner_staff(world, page_client):
    # given the memberships as they are
    before = snapshot()

    # when dist_staff tries to disable its admin
    response = page_client(world.dist_staff).post(f"/portal/users/{world.dist_admin.pk}/active/", {"active": "0"})

    # then it is refused and nothing changed
    assert response.status_code == 403
    assert snapshot() == before


def test_it_refuses_to_disable_the_last_admin(world, page_client):
    # given sub_admin, the only administrator of sub_js
    before = snapshot()
    client = page_client(world.sub_admin)

    # when it tries to disable itself
    response = client.post(f"/portal/users/{world.sub_admin.pk}/active/", {"active": "0"})

    # then it is refused with a message, and nothing changed
    assert response.status_code == 302
    assert snapshot() == before
    page = client.get(response.url)
    assert [str(message) for message in page.context["messages"]] == ["You cannot disable yourself."]


def test_it_lets_one_admin_disable_another(world, page_client):
    # given a second administrator of dist_js
    client = page_client(world.dist_admin)
    client.post(
        "/portal/users/invite/",
        {"display_name": "吴刚", "mobile": "13655550003", "username": "wugang", "role": PartnerRole.ADMIN},
    )
    second = User.objects.get(username="wugang")

    # when dist_admin disables it
    response = client.post(f"/portal/users/{second.pk}/active/", {"active": "0"})

    # then it is disabled (dist_admin remains an active administrator)
    assert response.status_code == 302
    assert PartnerMember.objects.get(user=second).is_active is False


@pytest.mark.parametrize("target", ["zj_admin", "sub_admin", "admin"])
def test_it_answers_404_for_another_partners_user(world, page_client, target):
    # given the memberships as they are
    before = snapshot()

    # when dist_admin tries to disable a user of another partner (even its own sub-dealer's) or HQ
    response = page_client(world.dist_admin).post(f"/portal/users/{world.users[target].pk}/active/", {"active": "0"})

    # then the answer is 404 and nothing changed
    assert response.status_code == 404
    assert snapshot() == before
    assert User.objects.get(pk=world.users[target].pk).is_active is True
