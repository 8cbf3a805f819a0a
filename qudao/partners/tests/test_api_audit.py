"""API: the audit trail (GET /changes): who changed what, when, before and after, only for records
the caller may see."""

import pytest

from qudao.core.audit import acting_as
from qudao.core.models import ObjectChange
from qudao.partners import services

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def edits(world):
    """One edit of each partner, made by the channel manager."""
    with acting_as(world.channel):
        for key, address in (("dist_js", "南京新址"), ("sub_js", "苏州新址"), ("dealer_zj", "杭州新址")):
            services.update_partner(partner=world.partners[key], data={"address": address}, actor=world.channel)


def partner_ids(response) -> set:
    return {item["partner_id"] for item in response.json()["items"]}


def test_it_shows_the_changes_of_one_record(world, api_client, edits):
    # when
    response = api_client(world.admin).get(
        "/api/v1/changes", {"model": "partners.partner", "object_id": world.sub_js.pk}
    )
    # then
    assert response.status_code == 200
    body = response.json()
    change = ObjectChange.objects.filter(object_id=str(world.sub_js.pk), content_type__model="partner").first()
    assert (
        body["count"]
        == ObjectChange.objects.filter(object_id=str(world.sub_js.pk), content_type__model="partner").count()
    )
    assert {key: value for key, value in body["items"][0].items() if key != "at"} == {
        "id": change.pk,
        "actor": "channel",
        "action": "update",
        "model": "partners.partner",
        "object_id": str(world.sub_js.pk),
        "object_repr": "姑苏电器",
        "partner_id": world.sub_js.pk,
        "request_id": change.request_id,
        "changes": [{"field": "address", "before": "", "after": "苏州新址"}],
    }
    assert body["items"][-1]["action"] == "create"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {"dist_js", "sub_js", "dealer_zj"}),
        ("regional_js", {"dist_js", "sub_js"}),
        ("regional_zj", {"dealer_zj"}),
        ("dist_admin", {"dist_js", "sub_js"}),
        ("sub_admin", {"sub_js"}),
        ("zj_admin", {"dealer_zj"}),
    ],
)
def test_the_trail_only_shows_changes_of_visible_partners(world, api_client, edits, persona, expected):
    response = api_client(world.users[persona]).get("/api/v1/changes", {"model": "partners.partner", "limit": 200})
    assert response.status_code == 200
    assert partner_ids(response) == {world.partners[key].pk for key in expected}


def test_another_partners_record_is_simply_not_in_the_trail(world, api_client, edits):
    response = api_client(world.zj_admin).get(
        "/api/v1/changes", {"model": "partners.partner", "object_id": world.dist_js.pk}
    )
    assert response.json() == {"count": 0, "items": []}


def test_records_that_belong_to_no_partner_are_for_hq_only(world, api_client):
    admin_view = api_client(world.admin).get("/api/v1/changes", {"model": "accounts.user", "limit": 200})
    partner_view = api_client(world.dist_admin).get("/api/v1/changes", {"model": "accounts.user"})
    assert admin_view.json()["count"] >= 11
    assert "password" not in {change["field"] for item in admin_view.json()["items"] for change in item["changes"]}
    assert partner_view.json() == {"count": 0, "items": []}


def test_partner_staff_may_not_read_the_audit_trail(world, api_client):
    response = api_client(world.dist_staff).get("/api/v1/changes")
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("model", ["partners.nothing", "nonsense", "core.region", "contenttypes.contenttype"])
def test_an_unknown_or_unaudited_model_is_a_field_error(world, api_client, model):
    response = api_client(world.admin).get("/api/v1/changes", {"model": model})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "model", "message": f"Unknown model: {model}."}]
