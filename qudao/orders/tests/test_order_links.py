"""An order links to its returns and discrepancy cases (HQ and portal), and they link back to it."""

from __future__ import annotations

from qudao.orders.models import DiscrepancyCase
from qudao.orders.tests.test_returns import approved_return, delivered_order


def test_the_order_page_links_its_returns_and_cases_and_they_link_back(world, shop, page_client):
    # given a delivered order of dist_js with an approved return and an open damage case
    order = delivered_order(world, shop, ("hood_a", 2))
    rma = approved_return(world, order, (1, 1))
    case = DiscrepancyCase.objects.create(number="DC-LINK-1", order=order, kind="damaged", created_by=world.dist_admin)

    # when operations opens the HQ order page, then it lists both, each linked to its page
    hq = page_client(world.operations).get(f"/orders/{order.number}/").content.decode()
    assert f'<a class="mono" href="/orders/returns/{rma.number}/">{rma.number}</a>' in hq
    assert f'<a class="mono" href="/orders/cases/{case.number}/">{case.number}</a>' in hq
    # and the return's and case's pages link back to the order
    assert (
        f'href="/orders/{order.number}/"'
        in page_client(world.operations).get(f"/orders/returns/{rma.number}/").content.decode()
    )
    assert (
        f'href="/orders/{order.number}/"'
        in page_client(world.operations).get(f"/orders/cases/{case.number}/").content.decode()
    )

    # when the partner opens its order in the portal, then its return is linked and its case shown
    portal = page_client(world.dist_admin).get(f"/portal/orders/{order.number}/").content.decode()
    assert f'href="/portal/returns/{rma.number}/"' in portal
    assert 'data-testid="order-case"' in portal and case.number in portal
    assert (
        f'href="/portal/orders/{order.number}/"'
        in page_client(world.dist_admin).get(f"/portal/returns/{rma.number}/").content.decode()
    )


def test_an_order_without_returns_or_cases_shows_no_empty_section(world, shop, page_client):
    order = delivered_order(world, shop, ("hood_a", 1))
    assert (
        'data-testid="order-related"'
        not in page_client(world.operations).get(f"/orders/{order.number}/").content.decode()
    )
