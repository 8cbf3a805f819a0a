"""The portal home's card registry (qudao.partners.portal_home) and the page that shows it:
cards in their order, a card answering None left out, the empty state, the profile moved to
/portal/profile/ (reached from "me")."""

from __future__ import annotations

import pytest

from qudao.partners import portal_home
from qudao.partners.portal_home import PortalCard

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def no_cards(monkeypatch):
    monkeypatch.setattr(portal_home, "_cards", {})


def test_it_shows_the_cards_in_order_leaves_out_none_and_replaces_by_key(world, page_client, no_cards):
    seen = []

    def context(request):
        seen.append((request.user.username, request.partner.code))
        return {"text": "first"}

    portal_home.register_card(PortalCard("b", "portal/_field.html", lambda request: {"x": 1}, order=20))
    portal_home.register_card(PortalCard("a", "portal/_field.html", context, order=10))
    portal_home.register_card(PortalCard("none", "portal/_field.html", lambda request: None, order=15))
    portal_home.register_card(PortalCard("b", "portal/_field.html", lambda request: {"x": 2}, order=5))

    response = page_client(world.dist_staff).get("/portal/")

    assert [card.key for card in portal_home.registered_cards()] == ["b", "a", "none"]
    assert [(card["key"], card["context"]) for card in response.context["cards"]] == [
        ("b", {"x": 2}),
        ("a", {"text": "first"}),
    ]
    assert seen == [("dist_staff", world.dist_js.code)]


def test_it_says_so_when_no_card_has_anything(world, page_client, no_cards):
    html = page_client(world.zj_admin).get("/portal/").content.decode()

    assert 'data-testid="home-empty"' in html
    assert "Nothing to show yet." in html


def test_the_profile_moved_under_me(world, page_client):
    client = page_client(world.sub_admin)

    profile = client.get("/portal/profile/").content.decode()
    me = client.get("/portal/me/").content.decode()

    assert f'data-testid="profile-code">{world.sub_js.code}<' in profile
    assert 'class="pt-tab-holds-current" data-testid="nav-me"' in profile
    assert '<a href="/portal/profile/" data-testid="me-profile">' in me
    assert 'data-testid="profile-code"' not in client.get("/portal/").content.decode()
