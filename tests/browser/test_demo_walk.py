"""The daily pages of every role on the freshly seeded demo, in a real browser.

The demo is seeded once (`manage.py seed`, as `qudao seed` and the run command do); then each
demo user logs in - channel, regional_east, finance and operations on a 1440 px office screen,
dist_admin and dealer_admin on a 375 px phone - and visits every link of its navigation (the HQ
menu, or the portal's). On each page the walk records what a person should never see: a page that
does not open, no data (no row or card, or an empty state), raw keys (snake_case values such as
`net_sales_shipped`, True/False, None), ISO timestamps, and, on the phone, sideways scrolling.

The walk runs once; each check is its own test, so a failure names what kind of thing went wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import StringIO

import pytest

from .ui import login

WIDE, PHONE = 1440, 375
WALKERS = {
    "channel": WIDE,
    "regional_east": WIDE,
    "finance": WIDE,
    "operations": WIDE,
    "dist_admin": PHONE,
    "dealer_admin": PHONE,
}
# menu items that are forms to start work, not lists: no rows expected, and an import page names
# its file's columns as the file spells them (legal_name, credit_code)
FORM_PAGES = re.compile(r"/import/$|/new/$|/quick/$|/announce/$")
# a users page shows each user's login name (dist_admin), which is what the person types
USERS_PAGES = re.compile(r"/users/$")

RAW_KEY = re.compile(r"(?<![\w./@-])[a-z]+(?:_[a-z0-9]+)+(?![\w@-])|\b(?:True|False)\b")
ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")
NONE = re.compile(r"\bNone\b")

PAGE_FACTS = """() => {
  const main = document.querySelector("main") || document.body;
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const rows = main.querySelectorAll(
    "tbody tr, .pt-list-item, [data-testid$='-row'], [data-testid$='-card'], .pt-card dl, dl.facts, .timeline li, " +
    "[data-testid=flow], [data-testid=me], .wb-todo, .wb-kpi, .wb-chart, [data-testid=portal-home] > .pt-card"
  ).length;
  const empty = [...main.querySelectorAll(".empty, .pt-empty, [data-testid=empty-state]")].filter(visible).length;
  return {
    text: document.body.innerText,
    rows: rows,
    empty: empty,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  };
}"""

NAV_LINKS = """() => [...new Set([...document.querySelectorAll("nav a[href^='/']")]
  .map((a) => a.getAttribute("href").split("?")[0].split("#")[0]))]
  .filter((href) => !/\\.(xlsx|csv|pdf)$/.test(href))"""


@dataclass
class Findings:
    pages: dict[str, list[str]] = field(default_factory=dict)  # user -> paths visited
    not_opening: list[str] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)
    raw_keys: list[str] = field(default_factory=list)
    iso_timestamps: list[str] = field(default_factory=list)
    none_shown: list[str] = field(default_factory=list)
    overflow: list[str] = field(default_factory=list)


DEFAULT_FLOW_MIGRATIONS = (
    ("qudao.orders.migrations.0002_order_flow", "load"),
    ("qudao.pricing.migrations.0002_price_list_flow", "load"),
    ("qudao.rebates.migrations.0002_policy_flow", "load"),
    ("qudao.rebates.migrations.0006_fund_deposits", "load_flow"),
    ("qudao.analytics.migrations.0002_target_plan_flow", "load"),
)

_WALK: list[Findings] = []  # the walk of this test run, shared by the checks below


def walk_demo(live_server, browser) -> Findings:
    if _WALK:
        return _WALK[0]
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from conftest import ensure_reference_data

    ensure_reference_data()  # a transactional test starts from flushed tables
    # and the default flows other contexts' data migrations add (rebate policies wait for finance)
    import importlib

    from django.apps import apps

    for module, function in DEFAULT_FLOW_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)
    call_command("seed", stdout=StringIO())
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    found = Findings()
    for username, width in WALKERS.items():
        phone = width == PHONE
        context = browser.new_context(
            viewport={"width": width, "height": 800 if phone else 900},
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            login(page, live_server.url, username, settings.DEMO_PASSWORD)
            links = page.evaluate(NAV_LINKS)
            found.pages[username] = links
            for path in links:
                where = f"{username} {path}"
                response = page.goto(live_server.url + path)
                if response is None or response.status != 200:
                    found.not_opening.append(f"{where}: {response.status if response else 'no answer'}")
                    continue
                facts = page.evaluate(PAGE_FACTS)
                text = facts["text"]
                if not FORM_PAGES.search(path) and (facts["rows"] == 0 or facts["empty"]):
                    found.no_data.append(where)
                keys = sorted(set(RAW_KEY.findall(text)))
                if FORM_PAGES.search(path):
                    keys = []
                elif USERS_PAGES.search(path):
                    keys = [key for key in keys if key not in usernames]
                if keys:
                    found.raw_keys.append(f"{where}: {keys[:8]}")
                if stamps := ISO_TIMESTAMP.findall(text):
                    found.iso_timestamps.append(f"{where}: {stamps[:3]}")
                if NONE.search(text):
                    found.none_shown.append(where)
                if phone and facts["scrollWidth"] > facts["innerWidth"]:
                    found.overflow.append(f"{where}: {facts['scrollWidth']} px")
        finally:
            context.close()
    _WALK.append(found)
    return found


@pytest.fixture
def findings(live_server, browser, transactional_db):
    return walk_demo(live_server, browser)


def test_every_user_s_menu_items_open(findings):
    assert set(findings.pages) == set(WALKERS)
    for username, links in findings.pages.items():
        assert len(links) >= 3, f"{username} has only {links} in its navigation"
    assert findings.not_opening == []


def test_every_menu_item_opens_a_page_with_data(findings):
    assert findings.no_data == [], findings.no_data


def test_no_page_shows_raw_keys(findings):
    assert findings.raw_keys == []


def test_no_page_shows_iso_timestamps(findings):
    assert findings.iso_timestamps == []


def test_no_page_shows_none(findings):
    assert findings.none_shown == []


def test_no_phone_page_scrolls_sideways(findings):
    assert findings.overflow == []
