"""Settings > Tiers (/settings/tiers/): list, create and edit through the tier services."""

from __future__ import annotations

import re

import pytest

from qudao.partners.models import Tier


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_it_lists_the_tiers_in_rank_order_with_their_partner_counts(world, page_client):
    response = page_client(world.channel).get("/settings/tiers/")

    rows = re.findall(
        r'data-testid="tier-row">\s*<td>(\d+)</td>\s*<td class="mono"><a [^>]+>([^<]+)</a></td>'
        r'.*?\?tier=\w+">(\d+)</a>',
        response.content.decode(),
        re.S,
    )
    assert response.status_code == 200
    assert rows == [("1", "strategic", "0"), ("2", "gold", "1"), ("3", "silver", "1"), ("4", "registered", "1")]


def test_it_creates_a_tier(world, page_client):
    response = page_client(world.admin).post(
        "/settings/tiers/new/", {"code": "platinum", "name": "铂金", "rank": "5", "description": "", "is_active": "on"}
    )

    assert response.status_code == 302
    tier = Tier.objects.get(code="platinum")
    assert (tier.name, tier.rank, tier.is_active) == ("铂金", 5, True)


def test_it_shows_tier_errors_at_their_fields_and_creates_nothing(world, page_client):
    count = Tier.objects.count()

    response = page_client(world.admin).post("/settings/tiers/new/", {"code": "gold", "name": "", "rank": "2"})

    assert response.context["form"].errors == {
        "code": ["Another tier has this code."],
        "name": ["This field is required."],
        "rank": ["Another tier has this rank."],
    }
    assert Tier.objects.count() == count


def test_it_edits_a_tier(world, page_client):
    tier = Tier.objects.get(code="strategic")

    response = page_client(world.channel).post(
        f"/settings/tiers/{tier.pk}/",
        {"code": "strategic", "name": "战略伙伴", "rank": "1", "description": "顶级", "is_active": "on"},
    )

    assert response.status_code == 302
    tier.refresh_from_db()
    assert (tier.name, tier.description) == ("战略伙伴", "顶级")


def test_it_refuses_to_deactivate_a_tier_with_partners(world, page_client):
    tier = Tier.objects.get(code="gold")

    response = page_client(world.admin).post(
        f"/settings/tiers/{tier.pk}/", {"code": "gold", "name": "金牌", "rank": "2"}
    )

    assert response.context["form"].errors == {"is_active": ["Partners are in this tier; move them first."]}
    assert Tier.objects.get(pk=tier.pk).is_active is True


@pytest.mark.parametrize("persona", ["regional_js", "finance", "sales"])
def test_it_refuses_tier_settings_without_the_role(world, page_client, persona):
    client = page_client(world.users[persona])

    assert client.get("/settings/tiers/").status_code == 403
    assert client.post("/settings/tiers/new/", {"code": "x", "name": "x", "rank": "9"}).status_code == 403
    assert not Tier.objects.filter(code="x").exists()
