"""API: a partner's contacts (HQ editors in scope, and the partner's own administrator)."""

import pytest

from qudao.partners import services
from qudao.partners.models import PartnerContact

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def post_json(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch_json(client, url, data):
    return client.patch(url, data, content_type="application/json")


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def contacts(partner):
    return list(
        PartnerContact.objects.filter(partner=partner)
        .order_by("pk")
        .values_list("name", "mobile", "email", "is_primary")
    )


@pytest.fixture
def boss(world):
    return services.add_contact(
        partner=world.dist_js, data={"name": "张总", "role": "总经理", "mobile": "13811112222", "is_primary": True}
    )


def test_it_lists_the_contacts_of_a_visible_partner(world, api_client, boss):
    second = services.add_contact(partner=world.dist_js, data={"name": "小李", "email": "li@jinling.cn"})
    response = api_client(world.dist_staff).get(f"/api/v1/partners/{world.dist_js.pk}/contacts")
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "items": [
            {"id": boss.pk, "name": "张总", "role": "总经理", "mobile": "13811112222", "email": "", "is_primary": True},
            {"id": second.pk, "name": "小李", "role": "", "mobile": "", "email": "li@jinling.cn", "is_primary": False},
        ],
    }


@pytest.mark.parametrize("persona", ["zj_admin", "sub_admin", "regional_zj"])
def test_the_contacts_of_another_partner_answer_404(world, api_client, boss, persona):
    response = api_client(world.users[persona]).get(f"/api/v1/partners/{world.dist_js.pk}/contacts")
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["dist_admin", "channel", "regional_js", "admin"])
def test_the_partner_admin_and_hq_editors_add_a_contact(world, api_client, persona):
    # when
    response = post_json(
        api_client(world.users[persona]),
        f"/api/v1/partners/{world.dist_js.pk}/contacts",
        {"name": "财务王", "role": "财务", "mobile": "139 1234 5678", "email": "Wang@Jinling.cn", "is_primary": True},
    )
    # then
    assert response.status_code == 201
    contact = PartnerContact.objects.get(partner=world.dist_js)
    assert response.json() == {
        "id": contact.pk,
        "name": "财务王",
        "role": "财务",
        "mobile": "13912345678",
        "email": "wang@jinling.cn",
        "is_primary": True,
    }


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("dist_staff", "dist_js", 403),  # a staff member of the partner
        ("dist_admin", "sub_js", 403),  # the parent's admin is not the sub-dealer's admin
        ("finance", "dist_js", 403),
        ("sales", "dealer_zj", 403),
        ("zj_admin", "dist_js", 404),
        ("sub_admin", "dist_js", 404),
        ("regional_zj", "sub_js", 404),
    ],
)
def test_it_refuses_to_add_a_contact_without_the_right(world, api_client, persona, target, status):
    partner = world.partners[target]
    response = post_json(
        api_client(world.users[persona]),
        f"/api/v1/partners/{partner.pk}/contacts",
        {"name": "x", "mobile": "13900000000"},
    )
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert contacts(partner) == []


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"name": "A", "mobile": "1234567"},
            {"mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."]},
        ),
        ({"name": "A", "email": "a@"}, {"email": ["Enter a valid e-mail address."]}),
        ({"name": "A"}, {"mobile": ["Give a mobile number or an e-mail address."]}),
        ({"name": "", "mobile": "13900000000"}, {"name": ["This field is required."]}),
        ({"mobile": "13900000000"}, {"name": ["This field is required."]}),
        ({"name": "A", "mobile": 13900000000}, {"mobile": ["Enter text."]}),
        ({"name": "A", "mobile": "13900000000", "partner": 3}, {"partner": ["This field is not accepted here."]}),
    ],
)
def test_it_refuses_a_bad_contact(world, api_client, data, errors):
    response = post_json(api_client(world.dist_admin), f"/api/v1/partners/{world.dist_js.pk}/contacts", data)
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert contacts(world.dist_js) == []


def test_the_partner_admin_changes_a_contact_partially(world, api_client, boss):
    response = patch_json(
        api_client(world.dist_admin),
        f"/api/v1/partners/{world.dist_js.pk}/contacts/{boss.pk}",
        {"email": "zhang@jl.cn"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": boss.pk,
        "name": "张总",
        "role": "总经理",
        "mobile": "13811112222",
        "email": "zhang@jl.cn",
        "is_primary": True,
    }


def test_a_new_primary_contact_replaces_the_old_one(world, api_client, boss):
    other = services.add_contact(partner=world.dist_js, data={"name": "小李", "mobile": "13700000000"})
    response = patch_json(
        api_client(world.channel), f"/api/v1/partners/{world.dist_js.pk}/contacts/{other.pk}", {"is_primary": True}
    )
    assert response.status_code == 200
    assert contacts(world.dist_js) == [("张总", "13811112222", "", False), ("小李", "13700000000", "", True)]


def test_it_refuses_a_bad_contact_change_and_keeps_the_contact(world, api_client, boss):
    response = patch_json(
        api_client(world.dist_admin),
        f"/api/v1/partners/{world.dist_js.pk}/contacts/{boss.pk}",
        {"mobile": "02588888888", "email": "nope"},
    )
    assert response.status_code == 422
    assert errors_of(response) == {
        "mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."],
        "email": ["Enter a valid e-mail address."],
    }
    assert contacts(world.dist_js) == [("张总", "13811112222", "", True)]


def test_a_contact_is_reached_only_through_its_own_partner(world, api_client, boss):
    # the contact of dist_js through the URL of sub_js (which dist_admin sees): not there
    response = patch_json(
        api_client(world.admin), f"/api/v1/partners/{world.sub_js.pk}/contacts/{boss.pk}", {"name": "改名"}
    )
    assert response.status_code == 404
    assert contacts(world.dist_js) == [("张总", "13811112222", "", True)]


def test_the_partner_admin_deletes_a_contact(world, api_client, boss):
    response = api_client(world.dist_admin).delete(f"/api/v1/partners/{world.dist_js.pk}/contacts/{boss.pk}")
    assert response.status_code == 204
    assert contacts(world.dist_js) == []


@pytest.mark.parametrize(("persona", "status"), [("dist_staff", 403), ("zj_admin", 404), ("finance", 403)])
def test_it_refuses_to_delete_a_contact_without_the_right(world, api_client, boss, persona, status):
    response = api_client(world.users[persona]).delete(f"/api/v1/partners/{world.dist_js.pk}/contacts/{boss.pk}")
    assert response.status_code == status
    assert contacts(world.dist_js) == [("张总", "13811112222", "", True)]
