"""Every list that exports shows its "Export Excel" / "Export CSV" buttons, HQ and portal, each a
link to the list's own URL with its filters and the format (qudao.core.exports)."""

from __future__ import annotations

import html
import re

import pytest

HQ_LISTS = [
    ("operations", "/orders/?status=submitted&page=2"),
    ("operations", "/orders/returns/"),
    ("finance", "/finance/invoices/?overdue=1"),
    ("finance", "/finance/payments/"),
    ("finance", "/finance/aging/?by=region"),
    ("finance", "/finance/statements/"),
    ("operations", "/inventory/"),
    ("operations", "/inventory/entries/"),
    ("channel", "/pricing/"),
    ("channel", "/pricing/promotions/"),
]
PORTAL_LISTS = [
    "/portal/orders/",
    "/portal/returns/",
    "/portal/finance/",
    "/portal/finance/payments/",
    "/portal/finance/statements/",
    "/portal/rebates/",
]


def export_links(content: bytes) -> dict[str, str]:
    text = content.decode()
    return {
        kind: html.unescape(href)
        for href, kind in re.findall(r'href="([^"]*)" data-export="(xlsx|csv)"(?! data-export-kind)', text)
    }


@pytest.mark.parametrize(("persona", "url"), HQ_LISTS)
def test_hq_lists_offer_their_exports_with_their_filters(world, page_client, persona, url):
    response = page_client(getattr(world, persona)).get(url)
    assert response.status_code == 200
    path, _sep, query = url.partition("?")
    filters = "&".join(part for part in query.split("&") if part and not part.startswith("page="))
    expected = f"{path}?{filters + '&' if filters else ''}format="
    assert export_links(response.content) == {"xlsx": expected + "xlsx", "csv": expected + "csv"}


def test_portal_lists_offer_their_exports(world, page_client):
    client = page_client(world.dist_admin)
    for url in PORTAL_LISTS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert export_links(response.content) == {"xlsx": f"{url}?format=xlsx", "csv": f"{url}?format=csv"}, url


def test_the_order_list_also_exports_its_shipments(world, page_client):
    content = page_client(world.operations).get("/orders/", {"status": "shipped"}).content.decode()
    assert 'href="/orders/?status=shipped&amp;export=shipments&amp;format=xlsx"' in content
    assert 'href="/orders/?status=shipped&amp;export=shipments&amp;format=csv"' in content
