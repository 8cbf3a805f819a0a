"""Every page a role may use is reachable from the navigation.

For every role, the walk starts on the page the role lands on after logging in, reads the links of
the global navigation (the page header: the main menu, notifications, the account) and of every
tab bar (<nav> elements) on each page it reaches, and follows them: each answers 200. Then every
list page of the URL conf that this role may open (a parameterless page answering it 200, other
than the forms and tools named in NOT_LIST_PAGES) must be among the pages reached.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROLES = {
    "admin": "admin",
    "channel_manager": "channel",
    "regional_manager": "regional_js",
    "finance": "finance",
    "operations": "operations",
    "sales": "sales",
    "partner_admin": "dist_admin",
    "partner_staff": "dist_staff",
}

# Parameterless pages that are not list pages: forms that create or import one thing, tools
# reached from a list page's buttons, fragments, the public application and the account's own
# pages (reached from the header's user name).
NOT_LIST_PAGES = {
    "home",  # redirects to the role's landing page
    "set_language",
    "javascript-catalog",
    "accounts:login",
    "accounts:logout",
    "accounts:language",
    "accounts:user_create",
    "core:notifications_read_all",
    "core:jobs",  # the user's jobs, reached from the workbench's failed-jobs to-do
    "core:flow_create",
    "partners:create",
    "analytics:report_new",  # the report builder, reached from the reports list's "New report"
    "analytics:report_preview",  # the builder's result fragment (POST)
    "analytics:report_values",  # the builder's filter values (JSON)
    "partners:tier_create",
    "apply:form",
    "apply:cities",
    "apply:distributors",
    "portal:profile_edit",
    "portal:contact_add",
    "portal:user_invite",
    "partner_imports:template",
    "partner_imports:export",
    "catalog:product_create",
    "analytics:alert_rule_create",
    "catalog:line_create",
    "catalog:export",
    "pricing:price_list_create",
    "pricing:promotion_create",
    "pricing_portal:quote",
    "inventory:warehouse_create",
    "orders:new",
    "orders:new_partners",
    "orders:new_price",
    "orders_portal:quick",
    "orders_portal:quick_price",
    "orders_portal:place",
    "orders_portal:import",
    "finance_payments:create",
    "finance_payments:portal_announce",
    "finance_statements:generate",
    "finance:home",  # the same list as finance:invoices
    "rebates:policy_new",
    "analytics:target_plan_new",
    "rebates:run_new",
}


def parameterless_pages() -> dict[str, str]:
    """URL name -> path of every page of the URL conf that takes no parameter (the API aside)."""

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")
                yield prefix + str(pattern.pattern), name

    pages = {}
    for route, name in walk(get_resolver().url_patterns):
        if "<" in route or route.startswith("api/") or not (route == "" or route.endswith("/")):
            continue
        pages[name] = "/" + route
    return pages


def list_pages() -> dict[str, str]:
    return {name: path for name, path in parameterless_pages().items() if name not in NOT_LIST_PAGES}


class _Links(HTMLParser):
    """The links inside the page's <header> and inside every <nav> element."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # how many <header>/<nav> elements we are in
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("header", "nav"):
            self.depth += 1
        elif tag == "a" and self.depth:
            href = dict(attrs).get("href") or ""
            if href.startswith("/") and not href.startswith("//"):
                self.links.append(urlsplit(href).path)

    def handle_endtag(self, tag):
        if tag in ("header", "nav") and self.depth:
            self.depth -= 1


def navigation_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def walk_navigation(client) -> tuple[set[str], dict[str, int]]:
    """Follow the header's and tabs' links from the landing page; the paths reached and any link
    that did not answer 200."""
    landing = client.get("/", follow=True)
    assert landing.status_code == 200
    start = landing.request["PATH_INFO"]
    reached: set[str] = {start}
    broken: dict[str, int] = {}
    queue = navigation_links(landing.content.decode())
    while queue:
        path = queue.pop()
        if path in reached or path in broken or path.endswith((".xlsx", ".csv", ".pdf")):
            continue
        response = client.get(path, follow=True)  # the brand's "/" goes to the landing page
        if response.status_code != 200:
            broken[path] = response.status_code
            continue
        reached.update({path, response.request["PATH_INFO"]})
        if "text/html" in response.get("Content-Type", ""):
            queue.extend(navigation_links(response.content.decode()))
    return reached, broken


@pytest.mark.parametrize("role", ROLES)
def test_every_list_page_a_role_may_open_is_reachable_from_its_navigation(role, world, page_client):
    client = page_client(world.users[ROLES[role]])
    reached, broken = walk_navigation(client)
    assert broken == {}, f"{role}: navigation links that do not open: {broken}"

    answers = {name: client.get(path) for name, path in list_pages().items()}
    may_open = {
        name: list_pages()[name]
        for name, response in answers.items()
        if response.status_code == 200 and "text/html" in response.get("Content-Type", "")
    }
    assert may_open, role
    missing = {name: path for name, path in may_open.items() if path not in reached}
    assert missing == {}, f"{role} may open these list pages, but its navigation does not lead to them: {missing}"


def test_the_hq_menu_groups_the_pages_and_marks_the_current_one(world, page_client):
    from django.utils import translation

    with translation.override("en"):
        page = page_client(world.finance).get("/finance/payments/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # finance sees its groups as dropdowns, the current group and page marked
    assert 'data-testid="nav-group-finance"' in page
    assert 'class="nav-group active"' in page
    assert '<a href="/finance/payments/" class="active" aria-current="page"' in page
    # returns and discrepancy cases are in the orders group
    assert 'href="/orders/returns/"' in page and 'href="/orders/cases/"' in page
    # promotions is one item of the products group, not a top item beside it
    assert page.count('href="/pricing/promotions/"') == 1
    # no inline script or handler (the CSP forbids them)
    assert "onclick" not in page
