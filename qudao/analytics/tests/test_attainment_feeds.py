"""Attainment where the portal home, the channel dashboard and the alerts left a slot for it
(qudao.analytics.portal_cards, qudao.analytics.attainment_feeds), each on approved targets built
through the targets services, with exact figures; the sources are the ones AnalyticsConfig.ready()
registers.

The plan (2025, net sales shipped): the brand 12,000.00, Jiangsu 9,000.00 and Zhejiang 3,000.00,
Jiangsu's partners dist_js and sub_js 4,500.00 each (Zhejiang's partners have none); every year
evenly into quarters and months (dist_js: Q4 1,125.00, December 375.00). Shipped: dist_js 600.00
on 3 December, sub_js 200.00 on 8 December, dealer_zj 100.00 on 20 November."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from qudao.analytics import alerts, attainment_feeds, dashboards, portal_cards
from qudao.analytics import targets as svc
from qudao.analytics.models import Alert, Target
from qudao.core.errors import FieldErrors
from qudao.core.models import ApprovalFlow
from qudao.partners import portal_home
from qudao.rebates.tests.conftest import books, catalogue  # noqa: F401  (fixtures)

from .test_store_fixtures import store_dir  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

D = Decimal
DEC_9 = date(2025, 12, 9)
Q4 = dashboards.DashboardFilters(start=date(2025, 10, 1), end=date(2025, 12, 31))


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def cell(plan, key, kind, start):
    return Target.objects.get(plan=plan, subject_key=key, period_kind=kind, period_start=start)


@pytest.fixture
def plan(world, books):  # noqa: F811
    ApprovalFlow.objects.filter(subject_kind="target_plan").update(is_active=False)
    plan = svc.create_plan(
        data={"code": "T2025", "name": "2025 年销售目标", "year": 2025, "metric": "net_sales_shipped",
              "amount": "12000.00"},
        actor=world.channel,
    )  # fmt: skip
    js, zj = world.regions["jiangsu"], world.regions["zhejiang"]
    svc.break_down(target=svc.brand_target(plan), into="regions", method="by_hand", subjects=[js.pk, zj.pk],
                   amounts={str(js.pk): "9000.00", str(zj.pk): "3000.00"})  # fmt: skip
    region = cell(plan, f"region:{js.pk}", "year", date(2025, 1, 1))
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk, world.sub_js.pk])
    svc.break_down_every_year(plan=plan, method="even")
    plan = svc.submit_plan(plan=plan, actor=world.channel)
    assert plan.status == "approved"
    books.sale(world.dist_js, "hood_a", 6, "100.00", date(2025, 12, 3))
    books.sale(world.sub_js, "hood_a", 2, "100.00", date(2025, 12, 8))
    books.sale(world.dealer_zj, "hood_a", 1, "100.00", date(2025, 11, 20))
    return plan


def portal_request(user, partner):
    """What the portal view hands a card: its user, the user's own partner."""
    return SimpleNamespace(user=user, partner=partner, partner_admin=False)


def figures(card) -> list[tuple]:
    return [
        (r.target.period_kind, r.target.amount, r.actual, r.attainment, r.elapsed, r.status)
        for item in card["items"]
        for r in item["rows"]
    ]


# --- the portal home's card --------------------------------------------------------------------


def test_the_portal_card_shows_the_partners_own_year_quarter_and_month(world, plan):
    # when dist_js's staff opens the home page on 9 December 2025
    card = portal_cards.attainment_card(portal_request(world.dist_staff, world.dist_js), today=DEC_9)
    # then its year (600 of 4,500: 13.3%, 94.0% elapsed: behind), Q4 (600 of 1,125: 53.3%, 76.1%:
    # behind) and December (600 of 375: 160.0%, 29.0%: ahead)
    assert figures(card) == [
        ("year", D("4500.00"), D("600.00"), D("13.3"), D("94.0"), "behind"),
        ("quarter", D("1125.00"), D("600.00"), D("53.3"), D("76.1"), "behind"),
        ("month", D("375.00"), D("600.00"), D("160.0"), D("29.0"), "ahead"),
    ]
    assert [item["plan"].code for item in card["items"]] == ["T2025"] and card["more"] == 0
    # and only its own targets: never those of sub_js, its sub-dealer (200 of 375 in December)
    assert {r.target.partner_id for item in card["items"] for r in item["rows"]} == {world.dist_js.pk}
    sub = portal_cards.attainment_card(portal_request(world.sub_admin, world.sub_js), today=DEC_9)
    assert figures(sub)[2] == ("month", D("375.00"), D("200.00"), D("53.3"), D("29.0"), "ahead")
    assert {r.target.partner_id for item in sub["items"] for r in item["rows"]} == {world.sub_js.pk}


def test_no_card_without_a_target_of_the_current_period_nor_before_approval(world, plan):
    # dealer_zj has no target of its own (Zhejiang's target was not broken into partners)
    assert portal_cards.attainment_card(portal_request(world.zj_admin, world.dealer_zj), today=DEC_9) is None
    # the plan is for 2025: on 2 January 2026 dist_js has no current target
    request = portal_request(world.dist_staff, world.dist_js)
    assert portal_cards.attainment_card(request, today=date(2026, 1, 2)) is None
    # a plan no longer approved shows nothing
    Target.objects.filter(plan=plan).update(approved=False)
    assert portal_cards.attainment_card(request, today=DEC_9) is None


def test_the_card_is_on_the_home_page_with_its_link(world, plan, page_client):
    # the card is registered by AnalyticsConfig.ready() at order 20
    registered = {card.key: card for card in portal_home.registered_cards()}["analytics.attainment"]
    assert (registered.order, registered.context) == (20, portal_cards.attainment_card)
    # today the 2025 plan is over: a plan for this year's period shows on the page
    today = date.today()
    this_year = svc.create_plan(
        data={
            "code": "TNOW",
            "name": "本年目标",
            "year": today.year,
            "metric": "net_sales_shipped",
            "amount": "800.00",
        },
        actor=world.channel,
    )
    brand = svc.brand_target(this_year)
    svc.break_down(target=brand, into="regions", method="even", subjects=[world.regions["jiangsu"].pk])
    region = cell(this_year, f"region:{world.regions['jiangsu'].pk}", "year", date(today.year, 1, 1))
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk])
    svc.submit_plan(plan=this_year, actor=world.channel)
    html = page_client(world.dist_staff).get("/portal/").content.decode()
    assert 'data-testid="home-card-analytics.attainment"' in html
    assert f'href="{reverse("analytics:portal_targets")}" data-testid="home-attainment-link"' in html
    assert html.count('data-testid="home-attainment-row"') == 1  # the year: no quarter or month targets
    assert "0.00 of 800.00" in html
    # another partner's users do not get it
    assert (
        'data-testid="home-card-analytics.attainment"'
        not in page_client(world.zj_admin).get("/portal/").content.decode()
    )


# --- the dashboard's ranking -------------------------------------------------------------------


def ranking(table) -> list[tuple]:
    return [(r["key"], r["target"], r["net_sales"], r["attainment"]) for r in table.rows]


def test_the_dashboard_ranks_regions_and_partners_by_attainment(world, plan):
    js, zj = world.regions["jiangsu"].pk, world.regions["zhejiang"].pk
    dist, sub = f"partner:{world.dist_js.pk}", f"partner:{world.sub_js.pk}"
    # Q4 2025: dist_js 600 of 1,125 (53.3%), Jiangsu 800 of 2,250 (35.6%), sub_js 200 of 1,125
    # (17.8%), Zhejiang 100 of 750 (13.3%); the brand is not ranked
    table = dashboards.attainment(world.channel, Q4)
    assert ranking(table) == [
        (dist, D("1125.00"), D("600.00"), D("0.533")),
        (f"region:{js}", D("2250.00"), D("800.00"), D("0.356")),
        (sub, D("1125.00"), D("200.00"), D("0.178")),
        (f"region:{zj}", D("750.00"), D("100.00"), D("0.133")),
    ]
    first = table.rows[0]
    assert (first["name"], first["level"], first["elapsed"], first["status"]) == (
        world.dist_js.short_name or world.dist_js.legal_name, "Partner", D("1"), "Behind"
    )  # fmt: skip
    assert first["url"] == reverse("partners:detail", args=[world.dist_js.pk])
    # January to November is tiled by three quarters and two months: dist_js 4,500 - 375 = 4,125.00
    # with nothing shipped; Zhejiang 2,750.00 with 100.00 (3.6%)
    to_november = dashboards.DashboardFilters(start=date(2025, 1, 1), end=date(2025, 11, 30))
    rows = {key: (target, actual, attained) for key, target, actual, attained in ranking(
        dashboards.attainment(world.channel, to_november))}  # fmt: skip
    assert rows[dist] == (D("4125.00"), D("0.00"), D("0"))
    assert rows[f"region:{zj}"] == (D("2750.00"), D("100.00"), D("0.036"))
    # no approved targets in 2024: nothing ranked
    assert (
        dashboards.attainment(world.channel, dashboards.DashboardFilters(date(2024, 1, 1), date(2024, 12, 31))).rows
        == []
    )


def test_the_ranking_keeps_to_the_users_scope_and_the_filters(world, plan):
    js = world.regions["jiangsu"]
    dist, sub = f"partner:{world.dist_js.pk}", f"partner:{world.sub_js.pk}"
    # a regional manager of Jiangsu: Jiangsu and its partners only
    assert [r["key"] for r in dashboards.attainment(world.regional_js, Q4).rows] == [dist, f"region:{js.pk}", sub]
    assert [r["key"] for r in dashboards.attainment(world.regional_zj, Q4).rows] == [
        f"region:{world.regions['zhejiang'].pk}"
    ]
    # a province: the regions and partners inside it
    zhejiang = dashboards.DashboardFilters(Q4.start, Q4.end, province="330000")
    assert [r["key"] for r in dashboards.attainment(world.channel, zhejiang).rows] == [
        f"region:{world.regions['zhejiang'].pk}"
    ]
    # a partner filter (type): partners only
    typed = dashboards.DashboardFilters(Q4.start, Q4.end, type=world.dist_js.partner_type)
    assert [r["key"] for r in dashboards.attainment(world.channel, typed).rows] == [dist]
    # a product line: targets are for the whole range, the ranking says so
    lined = dashboards.attainment(world.channel, dashboards.DashboardFilters(Q4.start, Q4.end, line="7"))
    assert (lined.rows, lined.refused) == ([], "Targets are set for all product lines: clear the product line.")


def test_the_dashboard_page_shows_the_ranking(world, plan, page_client, store_dir):  # noqa: F811
    html = page_client(world.channel).get(reverse("analytics:dashboard"), {"from": "2025-10", "to": "2025-12"})
    body = html.content.decode()
    assert body.count('data-testid="row-attainment"') == 4
    assert "53.3%" in body and "1,125.00" in body
    assert 'data-testid="attainment-not-available"' not in body


# --- the alerts' source ------------------------------------------------------------------------


def test_the_alert_source_gives_this_months_attainment_and_time_elapsed(world, plan):
    source = alerts._ATTAINMENT[0]
    assert source is attainment_feeds.alert_source  # registered by AnalyticsConfig.ready()
    # on 20 December: 20 of 31 days (64.5%); dist_js 600 of 375 (160.0%), sub_js 200 of 375 (53.3%)
    assert source(world.admin, {}, date(2025, 12, 20)) == {
        world.dist_js.code: (D("1.6"), D("0.645")),
        world.sub_js.code: (D("0.533"), D("0.645")),
    }
    # on 2 December nothing shipped yet this month (dist_js ships on the 3rd)
    assert source(world.admin, {}, date(2025, 12, 2))[world.dist_js.code] == (D("0"), D("0.065"))
    # scope and the rule's region: Zhejiang's manager, a Zhejiang rule see no Jiangsu partner
    assert source(world.regional_zj, {}, date(2025, 12, 20)) == {}
    assert source(world.admin, {"province": ["330000"]}, date(2025, 12, 20)) == {}
    assert world.dist_js.code in source(world.admin, {"city": [world.dist_js.region.code]}, date(2025, 12, 20))
    assert source(world.admin, {"city": ["330100"]}, date(2025, 12, 20)) == {}
    assert source(world.regional_js, {"macro_region": ["east"]}, date(2025, 12, 20)).keys() == {
        world.dist_js.code,
        world.sub_js.code,
    }
    # no month target in 2026
    assert source(world.admin, {}, date(2026, 1, 20)) == {}


def test_an_attainment_rule_opens_an_alert_for_the_partner_behind(world, plan, store_dir):  # noqa: F811
    # given a rule: 10 points behind the time elapsed
    rule = alerts.create_rule(
        data={"name": "Behind", "kind": "attainment", "subject": "partner", "threshold": "10"}, actor=world.admin
    )
    # when evaluated on 20 December
    alerts.evaluate_alerts(date(2025, 12, 20))
    # then sub_js (53.3% with 64.5% elapsed: 11.2 points behind) has an alert, dist_js none
    alert = Alert.objects.get(rule=rule)
    assert (alert.subject_key, alert.partner_id, alert.value) == (world.sub_js.code, world.sub_js.pk, D("11.2000"))
    assert alert.figures == {"attainment": "0.533", "elapsed": "0.645", "behind_points": "11.20"}


def test_without_a_source_attainment_rules_are_refused(world, monkeypatch):
    monkeypatch.setattr(alerts, "_ATTAINMENT", [])
    with pytest.raises(FieldErrors) as refused:
        alerts.create_rule(data={"name": "R", "kind": "attainment", "subject": "partner", "threshold": "15"},
                           actor=world.admin)  # fmt: skip
    assert refused.value.errors["kind"] == ["Attainment alerts need targets, which are not set up yet."]
