"""The portal's chrome: the one-line header, the tab bar and the "me" page, which holds what the
five tabs do not (profile, rebates, credit, users, sub-dealers, applications, notifications, the
account, the language, logging out)."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def links(html: str) -> list[str]:
    return re.findall(r'data-testid="(me-[a-z-]+)"', html)


def test_it_shows_the_me_page_with_the_pages_the_tab_bar_leaves_out(world, page_client):
    # when the distributor's admin opens "me"
    html = page_client(world.dist_admin).get("/portal/me/").content.decode()

    # then it names the user and its partner, and links every other page, sub-dealers included
    assert 'data-testid="me-name">' in html and world.dist_js.legal_name in html
    assert '<a href="/portal/profile/" data-testid="me-profile">' in html
    assert links(html) == [
        "me-name",
        "me-partner",
        "me-profile",
        "me-rebates",
        "me-targets",
        "me-credit",
        "me-users",
        "me-sub-dealers",
        "me-applications",
        "me-notifications",
        "me-account",
        "me-logout",
    ]
    # and the tab bar marks "me", the header names the partner and holds no second language switch
    assert re.search(r'aria-current="page" data-testid="nav-me"', html)
    assert f'data-testid="portal-partner" title="{world.dist_js.legal_name}">' in html
    assert html.count('data-testid="language-select"') == 1

    # when a dealer's admin opens it, there are no sub-dealers to link
    dealer = page_client(world.zj_admin).get("/portal/me/").content.decode()
    assert "me-sub-dealers" not in links(dealer)
    assert "nav-sub-dealers" not in dealer
    # nor applications: it has none of its own (it did not apply online) and no sub-dealers to apply
    assert "me-applications" not in links(dealer) and "nav-applications" not in dealer


@pytest.mark.parametrize(
    ("path", "tab"),
    [
        ("/portal/", "nav-home"),
        ("/portal/catalog/", "nav-catalog"),
        ("/portal/orders/", "nav-orders"),
        ("/portal/credit/", "nav-orders"),
        ("/portal/returns/", "nav-orders"),
        ("/portal/finance/", "nav-finance"),
        ("/portal/finance/statements/", "nav-finance"),
        ("/portal/rebates/", "nav-rebates"),
        ("/portal/users/", "nav-users"),
    ],
)
def test_it_marks_the_section_of_every_portal_page_in_the_tab_bar(world, page_client, path, tab):
    html = page_client(world.dist_admin).get(path).content.decode()

    assert re.findall(r'aria-current="page"(?: class="[^"]*")? data-testid="(nav-[a-z-]+)"', html) == [tab]
