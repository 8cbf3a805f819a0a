"""The portal home's attainment card on a 375 px phone: a distributor's staff sees its own approved
targets of this year, quarter and month (the figures, the progress bars, the status), nothing sticks
out sideways, and "Details" opens /portal/targets/. Screenshot in the test's temporary directory."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.analytics import targets as svc
from qudao.analytics.models import Target
from qudao.core.models import ApprovalFlow

from .ui import assert_fits_phone, login


def test_the_attainment_card_fits_a_phone_and_links_to_the_targets(live_server, browser, world, tmp_path):
    # given an approved plan for this year: dist_js 1,200,000.00, evenly into quarters and months
    ApprovalFlow.objects.filter(subject_kind="target_plan").update(is_active=False)
    year = date.today().year
    plan = svc.create_plan(
        data={"code": "TNOW", "name": f"{year} 年销售目标", "year": year, "metric": "net_sales_shipped",
              "amount": "1200000.00"},
        actor=world.channel,
    )  # fmt: skip
    js = world.regions["jiangsu"]
    svc.break_down(target=svc.brand_target(plan), into="regions", method="even", subjects=[js.pk])
    region = Target.objects.get(plan=plan, subject_key=f"region:{js.pk}", period_kind="year")
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk])
    svc.break_down_every_year(plan=plan, method="even")
    svc.submit_plan(plan=plan, actor=world.channel)
    # when dist_js's staff opens the portal home on a phone
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-US"
    )
    page = context.new_page()
    login(page, live_server.url, "dist_staff", PASSWORD)
    page.goto(f"{live_server.url}/portal/")
    # then the card shows the year, the quarter and the month, and fits the screen
    card = page.locator('[data-testid="home-card-analytics.attainment"]')
    expect(card).to_be_visible()
    expect(card.locator("[data-testid=home-attainment-row]")).to_have_count(3)
    expect(card).to_contain_text("of 1,200,000.00")
    expect(card).to_contain_text("of 300,000.00")
    expect(card).to_contain_text("of 100,000.00")
    assert_fits_phone(page)
    card.screenshot(path=str(tmp_path / "portal-attainment-375.png"))
    page.screenshot(path=str(tmp_path / "portal-home-375.png"), full_page=True)
    # and Details opens the partner's targets
    card.locator("[data-testid=home-attainment-link]").click()
    expect(page.locator("[data-testid=portal-targets]")).to_be_visible()
    context.close()
