"""API: tiers are data, ordered by rank, configured by HQ (admin, channel manager)."""

import pytest

from qudao.partners.models import Tier

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def tiers():
    return list(Tier.objects.order_by("rank").values_list("code", "name", "rank", "is_active"))


DEFAULT_TIERS = [
    ("strategic", "战略", 1, True),
    ("gold", "金牌", 2, True),
    ("silver", "银牌", 3, True),
    ("registered", "注册", 4, True),
]


@pytest.mark.parametrize("persona", ["admin", "sales", "zj_admin"])
def test_every_user_reads_the_tiers_in_rank_order(world, api_client, persona):
    response = api_client(world.users[persona]).get("/api/v1/tiers")
    assert response.status_code == 200
    gold = Tier.objects.get(code="gold")
    body = response.json()
    assert body["count"] == 4
    assert [item["code"] for item in body["items"]] == ["strategic", "gold", "silver", "registered"]
    assert body["items"][1] == {
        "id": gold.pk,
        "code": "gold",
        "name": "金牌",
        "rank": 2,
        "description": "金牌伙伴",
        "is_active": True,
    }


def test_the_tiers_need_a_log_in(world, api_client):
    assert api_client().get("/api/v1/tiers").status_code == 401


def test_a_channel_manager_adds_a_tier(world, api_client):
    response = api_client(world.channel).post(
        "/api/v1/tiers",
        {"code": "Platinum", "name": "白金", "rank": 5, "description": "试点"},
        content_type="application/json",
    )
    assert response.status_code == 201
    tier = Tier.objects.get(code="platinum")
    assert response.json() == {
        "id": tier.pk,
        "code": "platinum",
        "name": "白金",
        "rank": 5,
        "description": "试点",
        "is_active": True,
    }


@pytest.mark.parametrize("persona", ["regional_js", "finance", "sales", "dist_admin"])
def test_it_refuses_tier_changes_without_the_role(world, api_client, persona):
    client = api_client(world.users[persona])
    gold = Tier.objects.get(code="gold")
    created = client.post("/api/v1/tiers", {"code": "x", "name": "X", "rank": 9}, content_type="application/json")
    changed = client.patch(f"/api/v1/tiers/{gold.pk}", {"name": "黄金"}, content_type="application/json")
    assert (created.status_code, changed.status_code) == (403, 403)
    assert tiers() == DEFAULT_TIERS


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"code": "gold", "name": "重复", "rank": 9}, {"code": ["Another tier has this code."]}),
        ({"code": "bronze", "name": "铜牌", "rank": 2}, {"rank": ["Another tier has this rank."]}),
        ({"code": "bronze", "name": "铜牌", "rank": 0}, {"rank": ["Enter a whole number from 1 to 999."]}),
        ({"code": "br onze!", "name": "铜牌", "rank": 9}, {"code": ["Use letters, digits, - and _ only."]}),
        ({"code": "bronze", "name": "", "rank": 9}, {"name": ["This field is required."]}),
        ({"code": "bronze", "name": "铜牌", "rank": 2.5}, {"rank": ["Enter a whole number."]}),
        ({"code": "bronze", "name": "铜牌"}, {"rank": ["This field is required."]}),
    ],
)
def test_it_refuses_a_bad_tier(world, api_client, data, errors):
    response = api_client(world.admin).post("/api/v1/tiers", data, content_type="application/json")
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert tiers() == DEFAULT_TIERS


def test_a_tier_is_renamed_and_reranked(world, api_client):
    silver = Tier.objects.get(code="silver")
    response = api_client(world.admin).patch(
        f"/api/v1/tiers/{silver.pk}", {"name": "银卡", "rank": 7}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["rank"], response.json()["code"]) == ("银卡", 7, "silver")


def test_a_tier_with_partners_cannot_be_deactivated(world, api_client):
    gold = Tier.objects.get(code="gold")
    response = api_client(world.admin).patch(
        f"/api/v1/tiers/{gold.pk}", {"is_active": False}, content_type="application/json"
    )
    assert response.status_code == 422
    assert errors_of(response) == {"is_active": ["Partners are in this tier; move them first."]}
    assert Tier.objects.get(code="gold").is_active is True


def test_an_empty_tier_is_deactivated_and_filtered(world, api_client):
    strategic = Tier.objects.get(code="strategic")
    client = api_client(world.channel)
    response = client.patch(f"/api/v1/tiers/{strategic.pk}", {"is_active": False}, content_type="application/json")
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    active = client.get("/api/v1/tiers", {"active": "true"}).json()
    assert [item["code"] for item in active["items"]] == ["gold", "silver", "registered"]


def test_a_missing_tier_answers_404(world, api_client):
    response = api_client(world.admin).patch("/api/v1/tiers/999999", {"name": "x"}, content_type="application/json")
    assert response.status_code == 404
