"""Empty list pages say what they are for and where their rows come from (the one shared partial,
partials/empty_state.html), on HQ pages and in the portal."""

from __future__ import annotations

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("user", "url", "testid", "title", "purpose"),
    [
        (
            "operations",
            "/orders/",
            "no-orders",
            "No orders match.",
            "Orders from partners (portal, API) and orders taken on their behalf wait here",
        ),
        ("finance", "/finance/invoices/", "no-invoices", "No invoices match.", "Receivables: what each partner owes"),
        (
            "operations",
            "/orders/returns/",
            "no-returns",
            "No returns match.",
            "Returns to approve, receive and credit.",
        ),
        ("operations", "/orders/cases/", "no-cases", "No cases match.", "A case opens when a partner reports"),
        ("dist_admin", "/portal/returns/", "empty-state", "No returns yet.", "Your returns and their credit notes."),
    ],
)
def test_an_empty_list_says_what_it_is_for_and_the_next_step(world, page_client, user, url, testid, title, purpose):
    # given: nothing of that kind yet
    client = page_client(world.users[user])
    # when
    with translation.override("en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    # then: the shared empty state, with its title, what the page is for and where rows come from
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="{testid}"' in page
    assert title in page
    assert purpose in page
    assert page.count('class="empty-purpose"') == 1
