"""The HQ workbench and the portal's home page in real Chromium, on the seeded demo: the channel
manager logs in, lands on its workbench at 1440 px and sees its to-dos and a drawn ECharts chart
(served by the app from node_modules, under the Content-Security-Policy, no console error); a
dealer's administrator on a 375 px phone lands on its home cards with nothing sticking out."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import ensure_reference_data

from .ui import PHONE_WIDTH, assert_fits_phone, login

SCREENSHOTS = os.environ.get("QUDAO_SCREENSHOTS_DIR", "")


@pytest.fixture
def demo(transactional_db):
    ensure_reference_data()  # a transactional test starts from flushed tables
    call_command("seed", partners=12, verbosity=0)


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_the_channel_manager_lands_on_its_workbench_and_a_dealer_on_its_home(live_server, browser, demo):
    base = live_server.url
    # given the channel manager at an office screen
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    desk = context.new_page()
    errors = []
    desk.on("console", lambda message: message.type == "error" and errors.append(message.text))
    desk.on("pageerror", lambda error: errors.append(str(error)))
    desk.goto(f"{base}/login/", timeout=60_000)  # the server's first page (slow on a busy machine)

    # when it logs in
    login(desk, base, "channel", settings.DEMO_PASSWORD)

    # then it lands on the workbench, first in the menu, with its to-dos linking to their lists
    assert desk.url == f"{base}/workbench/"
    expect(desk.locator("h1")).to_have_text("Workbench")
    todos = desk.locator("[data-testid=wb-todos] a.wb-todo")
    expect(todos.first).to_be_visible()
    approvals = desk.locator('[data-testid="todo-core.approvals"]')
    expect(approvals).to_have_attribute("href", "/approvals/?tab=inbox")
    waiting = int(approvals.locator("[data-testid=todo-count]").inner_text())
    assert waiting > 0
    # and its KPI cards and the orders-per-day chart, drawn by ECharts as SVG
    expect(desk.locator('[data-testid="kpi-orders.active_partners"] [data-testid=kpi-value]')).to_be_visible()
    chart = desk.locator('[data-testid="chart-orders.per_day"]')
    expect(chart.locator("svg").first).to_be_visible()
    assert chart.locator("svg path").count() > 10  # axes and 30 bars, not an empty frame
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] >= 280
    shoot(desk, "workbench-channel-1440")

    # when the window narrows to one column, the chart is redrawn to its card's new width
    desk.set_viewport_size({"width": 800, "height": 900})
    desk.wait_for_timeout(500)
    wide = chart.bounding_box()
    drawn = chart.locator("svg").first.bounding_box()
    assert wide is not None and drawn is not None and wide["width"] > box["width"]
    assert abs(drawn["width"] - wide["width"]) <= 2, (drawn, wide)

    # and the approvals to-do opens the inbox with as many requests as it counted
    approvals_href = approvals.get_attribute("href")
    desk.goto(base + approvals_href)
    expect(desk.locator("[data-testid=approval-row]")).to_have_count(min(waiting, 25))
    assert errors == [], errors
    context.close()

    # given a dealer's administrator on a 375 px phone
    phone_context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    phone_context.set_default_timeout(15_000)
    phone = phone_context.new_page()

    # when it logs in
    login(phone, base, "dealer_admin", settings.DEMO_PASSWORD)

    # then it lands on its home page: this month's orders, its credit, rebate progress and
    # promotions as cards, the home tab current, nothing sticking out sideways
    assert phone.url == f"{base}/portal/"
    expect(phone.locator('[data-testid="home-card-orders.month"] [data-testid=home-month-count]')).to_be_visible()
    expect(phone.locator('[data-testid="home-card-orders.credit"]')).to_be_visible()
    keys = phone.locator("[data-testid^=home-card-]").evaluate_all(
        "cards => cards.map(card => card.dataset.testid.replace('home-card-', ''))"
    )
    assert keys[0] == "orders.month" and "orders.credit" in keys, keys
    expect(phone.locator("[data-testid=nav-home]")).to_have_attribute("aria-current", "page")
    assert_fits_phone(phone)
    widths = phone.locator("[data-testid^=home-card-]").evaluate_all(
        "cards => cards.map(card => Math.round(card.getBoundingClientRect().right))"
    )
    assert all(right <= PHONE_WIDTH for right in widths), widths
    shoot(phone, "portal-home-dealer-375")

    # and its profile is one tap from "me"
    phone.click("[data-testid=nav-me]")
    phone.click("[data-testid=me-profile]")
    assert re.search(r"/portal/profile/$", phone.url)
    expect(phone.locator("[data-testid=profile-code]")).to_be_visible()
    phone_context.close()
