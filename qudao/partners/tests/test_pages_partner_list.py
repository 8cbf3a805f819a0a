"""The HQ partner list (/partners/): scope, search, filters, sort, pagination and the htmx table."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qudao.core.models import Region
from qudao.partners.models import Partner, PartnerStatus, PartnerType, Tier


@pytest.fixture(autouse=True)
def _english(settings):
    # Exact texts are asserted in the English source text.
    settings.LANGUAGE_CODE = "en"


def row_codes(response) -> list[str]:
    return re.findall(r'data-testid="partner-row" data-code="([^"]+)"', response.content.decode())


def test_it_lists_every_partner_to_an_admin_in_code_order(world, page_client):
    # when an admin opens the partner list
    response = page_client(world.admin).get("/partners/")

    # then it sees the three partners, ordered by code, with their names
    assert response.status_code == 200
    assert row_codes(response) == sorted([world.dist_js.code, world.sub_js.code, world.dealer_zj.code])
    content = response.content.decode()
    assert "南京金陵商贸有限公司" in content and "杭州西湖家电有限公司" in content
    assert 'data-testid="partner-count">3 partners<' in content


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("regional_js", ["dist_js", "sub_js"]),
        ("regional_zj", ["dealer_zj"]),
        ("sales", ["dealer_zj"]),
        ("finance", ["dist_js", "sub_js", "dealer_zj"]),
    ],
)
def test_it_lists_only_the_partners_in_the_users_scope(world, page_client, persona, expected):
    # when an HQ user opens the list
    response = page_client(world.users[persona]).get("/partners/")

    # then it sees exactly the partners of its scope
    assert response.status_code == 200
    assert row_codes(response) == sorted(world.partners[key].code for key in expected)


def test_it_sends_partner_users_to_their_portal(world, page_client):
    # when a partner user opens the HQ list
    response = page_client(world.dist_admin).get("/partners/")

    # then it is sent to its portal
    assert response.status_code == 302
    assert response.url == "/portal/"


def test_it_asks_anonymous_visitors_to_log_in(world, page_client):
    response = page_client().get("/partners/?q=x")

    assert response.status_code == 302
    assert response.url == "/login/?next=/partners/%3Fq%3Dx"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=金陵", ["dist_js"]),
        ("q=西湖家电", ["dealer_zj"]),
        ("partner_type=dealer", ["sub_js", "dealer_zj"]),
        ("partner_type=distributor", ["dist_js"]),
        ("tier=silver", ["sub_js"]),
        ("region=320000", ["dist_js", "sub_js"]),
        ("region=330000", ["dealer_zj"]),
        ("owner=sales", ["dealer_zj"]),
        ("partner_type=dealer&region=320000", ["sub_js"]),
        ("status=suspended", []),
        ("partner_type=nonsense", ["dist_js", "sub_js", "dealer_zj"]),  # an invalid filter is ignored
    ],
)
def test_it_filters_and_searches(world, page_client, query, expected):
    # when an admin filters the list
    response = page_client(world.admin).get(f"/partners/?{query}")

    # then exactly the matching partners are listed
    assert response.status_code == 200
    assert row_codes(response) == sorted(world.partners[key].code for key in expected)


def test_it_searches_by_partner_code_and_credit_code(world, page_client):
    client = page_client(world.admin)

    by_code = client.get(f"/partners/?q={world.sub_js.code}")
    by_credit_code = client.get(f"/partners/?q={world.dist_js.credit_code.lower()}")

    assert row_codes(by_code) == [world.sub_js.code]
    assert row_codes(by_credit_code) == [world.dist_js.code]


def test_it_says_so_when_nothing_matches(world, page_client):
    response = page_client(world.admin).get("/partners/?q=nobody-has-this-name")

    content = response.content.decode()
    assert row_codes(response) == []
    empty = content.split('data-testid="no-partners">', 1)[1].split("</div>", 1)[0]
    assert "<strong>No partner matches these filters.</strong>" in empty
    assert 'data-testid="partner-count">0 partners<' in content


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["dist_js", "dealer_zj", "sub_js"]),  # 南 U+5357 < 杭 U+676D < 苏 U+82CF (code point order)
        ("-name", ["sub_js", "dealer_zj", "dist_js"]),
        ("tier", ["dist_js", "sub_js", "dealer_zj"]),  # gold (2), silver (3), registered (4)
        ("-tier", ["dealer_zj", "sub_js", "dist_js"]),
        ("region", ["dist_js", "sub_js", "dealer_zj"]),  # 320100 < 320500 < 330100
        ("-code", ["dealer_zj", "sub_js", "dist_js"]),
    ],
)
def test_it_sorts_by_the_chosen_column(world, page_client, sort, expected):
    response = page_client(world.admin).get(f"/partners/?sort={sort}")

    assert row_codes(response) == [world.partners[key].code for key in expected]


def test_its_sort_links_toggle_the_direction_and_keep_the_filters(world, page_client):
    # given the list filtered to dealers and sorted by name
    response = page_client(world.admin).get("/partners/?partner_type=dealer&sort=name&page=1")

    # then the name header sorts the other way, keeping the filter and going back to page 1
    links = response.context["sort_links"]
    assert links["name"] == {"url": "?partner_type=dealer&sort=-name", "direction": "asc"}
    assert links["code"] == {"url": "?partner_type=dealer&sort=code", "direction": ""}


def _bulk_partners(count: int) -> list[Partner]:
    """`count` extra partners, written directly (fast): only the list reads them."""
    region = Region.objects.get(code="320100")
    tier = Tier.objects.get(code="registered")
    partners = Partner.objects.bulk_create(
        Partner(
            code=f"T{index:05d}",
            partner_type=PartnerType.DEALER,
            legal_name=f"测试经销商{index:05d}有限公司",
            region=region,
            tier=tier,
            status=PartnerStatus.ACTIVE,
        )
        for index in range(count)
    )
    for partner in Partner.objects.filter(code__startswith="T", path=""):
        Partner.objects.filter(pk=partner.pk).update(path=f"/{partner.pk}/")
    return partners


def test_it_pages_through_the_list_keeping_the_filters(world, page_client):
    # given 25 more dealers in Nanjing (27 dealers in all, 28 partners in Jiangsu)
    _bulk_partners(25)
    client = page_client(world.admin)

    # when the admin pages through Jiangsu's partners 10 at a time
    first = client.get("/partners/?region=320000&per_page=10")
    last = client.get("/partners/?region=320000&per_page=10&page=3")
    beyond = client.get("/partners/?region=320000&per_page=10&page=99")

    # then the pages hold 10, 10 and 7 partners, in code order, and a page past the end is the last
    codes = sorted([world.dist_js.code, world.sub_js.code] + [f"T{index:05d}" for index in range(25)])
    assert row_codes(first) == codes[:10]
    assert row_codes(last) == codes[20:]
    assert row_codes(beyond) == codes[20:]
    content = first.content.decode()
    assert 'data-testid="partner-count">27 partners<' in content
    assert "Page 1 of 3" in content
    assert 'href="?region=320000&amp;per_page=10&amp;page=2"' in content


def test_its_query_count_does_not_grow_with_the_rows(world, page_client):
    # given a page of three partners and a page of fifty
    client = page_client(world.admin)
    client.get("/partners/")  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        client.get("/partners/")
    _bulk_partners(60)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/partners/")

    # then rendering fifty rows costs the same queries as three (no query per row)
    assert len(row_codes(response)) == 50
    assert len(large.captured_queries) == len(small.captured_queries)
    # (13: the filter bar's provinces, by name, are one query of their own since issue 11)
    assert len(small.captured_queries) <= 13


def test_it_answers_an_htmx_request_with_the_table_only(world, page_client):
    # when the filter form asks for the table through htmx
    response = page_client(world.admin).get("/partners/?partner_type=dealer", HTTP_HX_REQUEST="true")

    # then only the table comes back (no page around it), with the matching rows
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content and "<form" not in content
    assert 'data-testid="partner-table"' in content
    assert row_codes(response) == sorted([world.sub_js.code, world.dealer_zj.code])
    assert 'id="sort-input" value="code" hx-swap-oob="true"' in content


def test_it_answers_a_normal_request_with_the_whole_page(world, page_client):
    content = page_client(world.admin).get("/partners/").content.decode()

    assert "<html" in content
    assert 'hx-get="/partners/" hx-target="#partner-table"' in content


def test_its_export_link_keeps_the_current_filters(world, page_client):
    response = page_client(world.admin).get("/partners/?q=金陵&tier=gold&sort=-name&page=1&per_page=25")

    content = response.content.decode()
    assert 'href="/partners/export.xlsx?q=%E9%87%91%E9%99%B5&amp;tier=gold&amp;sort=-name"' in content


@pytest.mark.parametrize(
    ("persona", "import_link", "create_link", "export_link"),
    [
        ("admin", True, True, True),
        ("channel", True, True, True),
        ("finance", False, False, True),
        ("operations", False, False, False),
    ],
)
def test_it_shows_the_buttons_the_users_roles_allow(world, page_client, persona, import_link, create_link, export_link):
    content = page_client(world.users[persona]).get("/partners/").content.decode()

    assert ('href="/partners/import/"' in content) is import_link
    assert ('href="/partners/new/"' in content) is create_link
    assert ('data-testid="export-link"' in content) is export_link


def test_it_shows_owners_by_their_names_not_their_login_names(world, page_client):
    # given the Jiangsu distributor owned by a regional manager named 王芳 (login regional_js)
    regional = world.regional_js
    regional.display_name = "王芳"
    regional.save()
    world.channel.display_name, world.channel.first_name = "", "Li"  # a name from first/last name
    world.channel.last_name = "Lei"
    world.channel.save()
    Partner.objects.filter(pk=world.dist_js.pk).update(regional_owner=regional, channel_manager=world.channel)

    # when the admin opens the list
    content = page_client(world.admin).get("/partners/").content.decode()

    # then the owner column and the owner filter show the names
    row = content[content.index(f'data-code="{world.dist_js.code}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="hide-sm">Li Lei / 王芳</td>' in row
    owner_filter = content[content.index('name="owner"') :]
    owner_filter = owner_filter[: owner_filter.index("</select>")]
    assert '<option value="regional_js">王芳</option>' in owner_filter
    assert '<option value="channel">Li Lei</option>' in owner_filter
    assert regional.username not in owner_filter.replace('value="regional_js"', "")


def test_its_owner_filter_tells_two_people_of_one_name_apart_by_login_name(world):
    from qudao.partners.forms import hq_owner_choices

    for user in (world.regional_js, world.regional_zj):
        user.display_name = "王芳"
        user.save()
    choices = dict(hq_owner_choices())
    assert choices["regional_js"] == "王芳 (regional_js)" and choices["regional_zj"] == "王芳 (regional_zj)"
