"""Alerts on the fixed trade (test_store_fixtures.py): each rule kind opens exactly the alerts it
should, with their figures; a condition that keeps holding is not notified again; alerts close when
it stops and a new one opens when it comes back; notifications and e-mails go to the rule's owner
and the partner's regional owner; a rule covers its owner's scope only; impossible rules are
refused and change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.analytics import alerts, store
from qudao.analytics.models import Alert, AlertEvaluation, AlertRule
from qudao.core.errors import FieldErrors, Forbidden
from qudao.core.models import Notification
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from . import test_store_fixtures as fixtures

store_dir, trade = fixtures.store_dir, fixtures.trade  # the fixtures these tests use

D = Decimal


def rule(owner, **data) -> AlertRule:
    values = {"name": "rule", "kind": "threshold", "subject": "partner", "comparison": "above"} | data
    return alerts.create_rule(data=values, actor=owner)


def open_alerts(rule_: AlertRule) -> dict[str, tuple]:
    return {
        alert.subject_label: (alert.value, alert.figures)
        for alert in Alert.objects.filter(rule=rule_, closed_at__isnull=True)
    }


def test_it_opens_each_kind_of_figure_rule_once_closes_and_reopens_and_tells_the_owners(trade, world, mailoutbox):
    # given: the trade, a sale to sub_js in March 2024 (4,000.00), dist_js's regional owner is
    # regional_js (dealer_zj's is sales), and the store rebuilt
    from qudao.partners.models import Partner

    books = trade.books
    fixtures.submitted(books.sale(world.sub_js, "hood_b", 8, "500.00", date(2024, 3, 12)), date(2024, 3, 10))
    Partner.objects.filter(pk=world.dist_js.pk).update(regional_owner=world.regional_js)
    store.rebuild()
    big = rule(world.admin, name="Big sales", metric="net_sales", threshold="500", window="days", window_days=30)
    province = rule(world.admin, name="Province", metric="net_sales", subject="province", threshold="3500")
    macro = rule(world.channel, name="Macro", metric="net_sales", subject="macro_region", threshold="3999.99")
    sku = rule(world.admin, name="SKU", metric="net_sales", subject="sku", comparison="below", threshold="2000")
    down = rule(world.admin, name="Down", kind="change", metric="net_sales", comparison="below", threshold="30")
    overdue = rule(
        world.admin, name="Overdue share", kind="ratio", metric="overdue", denominator="receivables", threshold="10"
    )
    zj_only = rule(world.regional_zj, name="ZJ", metric="net_sales", threshold="0", window="days", window_days=366)
    js_only = rule(world.regional_js, name="JS", metric="net_sales", threshold="0", window="days", window_days=366)

    # when every rule is evaluated on 31 March 2025
    outcome = alerts.evaluate_alerts(date(2025, 3, 31))

    # then each rule opened exactly its subjects, with the figures
    assert open_alerts(big) == {
        "金陵商贸": (D("3000.0000"), {"value": "3000.00"}),
        "姑苏电器": (D("1000.0000"), {"value": "1000.00"}),
    }
    assert open_alerts(province) == {"Jiangsu": (D("4000.0000"), {"value": "4000.00"})}
    assert open_alerts(macro) == {"East China": (D("4000.0000"), {"value": "4000.00"})}
    assert open_alerts(sku) == {"HOOD-B": (D("1000.0000"), {"value": "1000.00"})}
    assert open_alerts(down) == {
        "姑苏电器": (
            D("1000.0000"),
            {"value": "1000.00", "last_year": "4000.00", "change_percent": "-75.00"},
        )
    }
    assert open_alerts(overdue) == {}  # nothing is overdue on 31 March
    # a regional manager's rule covers its regions only: Jiangsu's partners, nothing in Zhejiang yet
    assert set(open_alerts(js_only)) == {"金陵商贸", "姑苏电器"}
    assert open_alerts(zj_only) == {}
    assert (outcome.rules, outcome.opened, outcome.closed, outcome.failed) == (8, 8, 0, 0)
    big_dist = Alert.objects.get(rule=big, subject_label="金陵商贸")
    assert big_dist.partner_id == world.dist_js.pk and big_dist.subject_key == world.dist_js.code
    assert alerts.drilldown_url(big_dist) == f"/partners/{world.dist_js.pk}/"
    assert set(big_dist.recipients.values_list("username", flat=True)) == {"admin", "regional_js"}

    # and the owner got one notification per rule, the regional owner one for its partner, by e-mail too
    admin_titles = sorted(Notification.objects.filter(user=world.admin).values_list("title", flat=True))
    assert admin_titles == [
        "Alert “Big sales”: 2 new",
        "Alert “Down”: 1 new",
        "Alert “Province”: 1 new",
        "Alert “SKU”: 1 new",
    ]
    told = Notification.objects.get(user=world.regional_js, title="Alert “Big sales”: 1 new")
    assert told.body == ("The rule “Big sales” holds for: 金陵商贸 (3,000.00). Open the alerts to acknowledge them.")
    assert told.url == f"/analytics/alerts/?rule={big.pk}"
    # and channel (its macro rule), regional_js twice (its own rule, dist_js of "Big sales")
    assert Notification.objects.filter(kind="analytics.alert").count() == 7
    assert sorted((m.to[0], m.subject) for m in mailoutbox if "Big sales" in m.subject) == [
        ("admin@hq.example.cn", "Alert “Big sales”: 2 new"),
        ("regional_js@hq.example.cn", "Alert “Big sales”: 1 new"),
    ]
    assert len(mailoutbox) == 7

    # when the same day is evaluated again: nothing new, nobody told twice
    outcome = alerts.evaluate_alerts(date(2025, 3, 31))
    assert (outcome.opened, outcome.closed) == (0, 0)
    assert Notification.objects.filter(kind="analytics.alert").count() == 7 and len(mailoutbox) == 7

    # when a user acknowledges one: the first acknowledgement stays
    alerts.acknowledge(alert=big_dist, actor=world.regional_js)
    alerts.acknowledge(alert=big_dist, actor=world.admin)
    big_dist.refresh_from_db()
    assert big_dist.acknowledged_by == world.regional_js and big_dist.acknowledged_at is not None

    # when 5 April is evaluated: sub_js's receivable (due 31 March) is overdue: 1,000.00 of 1,000.00
    alerts.evaluate_alerts(date(2025, 4, 5))
    assert open_alerts(overdue) == {
        "姑苏电器": (D("100.0000"), {"value": "1000.00", "denominator": "1000.00", "percent": "100.00"})
    }
    assert set(open_alerts(big)) == {"金陵商贸", "姑苏电器"}  # still holding: not opened again
    # when 20 April is evaluated: the 30 days hold dist_js's return (-1,000.00) and nothing of sub_js
    alerts.evaluate_alerts(date(2025, 4, 20))
    assert open_alerts(big) == {}
    assert Alert.objects.filter(rule=big, closed_at__isnull=False).count() == 2
    # and dist_js's receivable (due 10 April) is overdue too: 2,000.00 of 2,000.00
    assert set(open_alerts(overdue)) == {"金陵商贸", "姑苏电器"}

    # when 30 June is evaluated: dist_js sold 1,000.00 in June, so its alert comes back as a new one
    alerts.evaluate_alerts(date(2025, 6, 30))
    assert open_alerts(big) == {"金陵商贸": (D("1000.0000"), {"value": "1000.00"})}
    assert Alert.objects.filter(rule=big, subject_key=world.dist_js.code).count() == 2
    assert Notification.objects.filter(user=world.admin, title="Alert “Big sales”: 1 new").count() == 1
    # and over the year to 30 June regional_zj's rule sees dealer_zj (2,999.99), regional_js's its two
    assert open_alerts(zj_only) == {"西湖家电": (D("2999.9900"), {"value": "2999.99"})}
    assert {label: value for label, (value, _f) in open_alerts(js_only).items()} == {
        "金陵商贸": D("3000.0000"),
        "姑苏电器": D("1000.0000"),
    }
    zj_alert = Alert.objects.get(rule=zj_only)
    assert set(zj_alert.recipients.values_list("username", flat=True)) == {"regional_zj", "sales"}

    # when a rule is disabled, its open alerts close and it is not evaluated any more
    alerts.set_rule_active(rule=big, active=False, actor=world.admin)
    assert open_alerts(big) == {}
    assert alerts.evaluate_alerts(date(2025, 6, 30)).rules == 7


def test_it_alerts_on_days_since_the_last_order_and_on_stock_cover(trade, world, mailoutbox):
    # given: the trade, stock at the HQ warehouse (HOOD-A 1, HOOD-B 2), the store rebuilt
    from qudao.inventory.models import StockLevel

    warehouse = trade.books.warehouse
    StockLevel.objects.create(warehouse=warehouse, sku=trade.books.sku("hood_a"), on_hand=1)
    StockLevel.objects.create(warehouse=warehouse, sku=trade.books.sku("hood_b"), on_hand=2)
    store.rebuild()
    silent = rule(world.admin, name="Silent", kind="silence", threshold="101")
    cover = rule(world.admin, name="Cover", kind="stock_cover", subject="sku_warehouse", threshold="14")

    # when evaluated on 31 July 2025: last orders dist_js 18 June (43 days), sub_js 9 March (144),
    # dealer_zj 20 April (102 > 101; its cancelled order of 7 May does not count)
    alerts.evaluate_alerts(date(2025, 7, 31))
    # then
    assert open_alerts(silent) == {
        "姑苏电器": (D("144.0000"), {"days": "144", "last_order_on": "2025-03-09"}),
        "西湖家电": (D("102.0000"), {"days": "102", "last_order_on": "2025-04-20"}),
    }
    zj_alert = Alert.objects.get(rule=silent, subject_label="西湖家电")
    assert set(zj_alert.recipients.values_list("username", flat=True)) == {"admin", "sales"}
    assert open_alerts(cover) == {}  # nothing shipped in the last 30 days: no demand, no cover to watch

    # when evaluated on 31 March: 3 HOOD-A shipped in 30 days (0.1 a day) against 1 on hand: 10
    # days; HOOD-B 2 sold + 1 gift (0.1 a day) against 2: 20 days
    alerts.evaluate_alerts(date(2025, 3, 31))
    assert open_alerts(cover) == {
        "HOOD-A HOOD-A · 总仓": (D("10.0000"), {"on_hand": "1", "shipped_30_days": "3", "cover_days": "10.0"}),
    }
    assert Alert.objects.get(rule=cover).subject_key == "HOOD-A@HQ"
    # and on 31 March nobody is silent (dist_js ordered 8 March, sub_js 9 March, dealer_zj not yet)
    assert open_alerts(silent) == {}
    assert Alert.objects.filter(rule=silent, closed_at__isnull=False).count() == 2


def test_it_evaluates_after_a_refresh_only(trade, world):
    # given a rule and the store rebuilt
    store.rebuild()
    rule(world.admin, name="Any", metric="net_sales", threshold="0", window="days", window_days=366)
    # when the periodic task runs twice without a refresh between
    from qudao.analytics.tasks import evaluate_analytics_alerts

    first = evaluate_analytics_alerts.call_local()
    second = evaluate_analytics_alerts.call_local()
    # then it evaluated once (today is far after the trade: nothing holds) and recorded it
    assert first == {"rules": 1, "opened": 0, "closed": 0, "failed": 0} and second is None
    assert AlertEvaluation.objects.count() == 1
    # and after the next refresh it evaluates again
    store.refresh()
    assert alerts.evaluate_after_refresh() is not None and AlertEvaluation.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"kind": "threshold", "metric": "nope", "threshold": "1"}, {"metric": ["Choose a metric you may see."]}),
        (
            {"kind": "threshold", "metric": "gross_margin", "threshold": "1"},  # cost: not for regional managers
            {"metric": ["Choose a metric you may see."]},
        ),
        (
            {"kind": "change", "metric": "net_sales", "threshold": "1000.01"},
            {"threshold": ["Give a percentage above 0 and at most 1000, with at most 2 decimals."]},
        ),
        (
            {"kind": "ratio", "metric": "overdue", "denominator": "overdue", "threshold": "10"},
            {"denominator": ["Divide by another metric."]},
        ),
        (
            {"kind": "threshold", "metric": "net_sales", "threshold": "1e30"},
            {"threshold": ["Give an amount from 0 to 1,000,000,000,000.00, in whole cents."]},
        ),
        (
            {"kind": "threshold", "metric": "net_sales", "threshold": "10.001"},
            {"threshold": ["Give an amount from 0 to 1,000,000,000,000.00, in whole cents."]},
        ),
        ({"kind": "threshold", "metric": "net_sales", "threshold": "NaN"}, {"threshold": ["Give a number."]}),
        (
            {"kind": "threshold", "metric": "orders", "threshold": "2.5"},
            {"threshold": ["Give a whole number from 0 to 1,000,000,000."]},
        ),
        (
            {"kind": "silence", "threshold": "0"},
            {"threshold": ["Give a whole number of days from 1 to 3650."]},
        ),
        (
            {"kind": "stock_cover", "threshold": "3651", "subject": "sku_warehouse"},
            {"threshold": ["Give a whole number of days from 1 to 3650."]},
        ),
        (
            {"kind": "threshold", "metric": "receivables", "subject": "sku", "threshold": "1"},
            {"metric": ["This metric cannot be broken down by SKU."]},
        ),
        (
            {"kind": "threshold", "metric": "net_sales", "threshold": "1", "window": "days", "window_days": 0},
            {"window_days": ["Give a whole number of days from 1 to 366."]},
        ),
        (
            {"kind": "threshold", "metric": "net_sales", "threshold": "1", "region": "330000"},
            {"region": ["Choose a region inside your own regions."]},
        ),
        (
            {"kind": "threshold", "metric": "net_sales", "threshold": "1", "macro_region": "south"},
            {"macro_region": ["Choose a macro region with one of your regions."]},
        ),
        (
            {"kind": "attainment", "subject": "province", "threshold": "15"},
            {"subject": ["Attainment is compared per partner."]},
        ),
        ({"kind": "bogus", "threshold": "15"}, {"kind": ["Choose a kind of rule."]}),
        ({"name": "", "kind": "silence", "threshold": "5"}, {"name": ["Give the rule a name."]}),
    ],
)
def test_it_refuses_impossible_rules_and_writes_nothing(world, data, errors):
    # given a regional manager of Jiangsu
    values = {"name": "R", "subject": "partner"} | data
    # when it creates an impossible rule
    with pytest.raises(FieldErrors) as refused:
        alerts.create_rule(data=values, actor=world.regional_js)
    # then every wrong field is named, and nothing was written
    assert {key: [str(m) for m in messages] for key, messages in refused.value.errors.items()} == errors
    assert AlertRule.objects.count() == 0


def test_it_accepts_a_regional_managers_rule_inside_its_regions_and_refuses_those_without_the_right(world):
    # when regional_js scopes a rule to Nanjing, and to East China
    nanjing = alerts.create_rule(
        data={"name": "南京", "kind": "silence", "threshold": "45", "region": "320100"}, actor=world.regional_js
    )
    east = alerts.create_rule(
        data={"name": "华东", "kind": "silence", "threshold": "45", "macro_region": "east"}, actor=world.regional_js
    )
    # then both are kept, with their owner
    assert (nanjing.region.code, nanjing.owner, east.macro_region) == ("320100", world.regional_js, "east")
    # and a user without alerts.manage may not create one
    with pytest.raises(Forbidden):
        alerts.create_rule(data={"name": "x", "kind": "silence", "threshold": "45"}, actor=world.sales)
    assert AlertRule.objects.count() == 2
    # and each sees its own rules: regional_zj none, the administrator all
    assert list(alerts.visible_rules(world.regional_zj)) == []
    assert alerts.visible_rules(world.admin).count() == 2


def test_the_attainment_slot_opens_alerts_when_targets_register_their_source(world, store_dir):
    # given targets registered as the targets module will: dist_js at 35% with 50% of the month gone,
    # sub_js at 45%
    def attainment(owner, filters, as_of):
        assert (owner, filters, as_of) == (world.admin, {}, date(2025, 3, 15))
        return {world.dist_js.code: (D("0.35"), D("0.5")), world.sub_js.code: (D("0.45"), D("0.5"))}

    real = list(alerts._ATTAINMENT)  # the targets' source AnalyticsConfig.ready() registered
    alerts.register_attainment(attainment)
    try:
        behind = rule(world.admin, name="Behind", kind="attainment", threshold="15")
        # when evaluated at mid-month
        alerts.evaluate_alerts(date(2025, 3, 15))
    finally:
        alerts._ATTAINMENT[:] = real
    # then dist_js, 15 points behind, has an alert; sub_js (5 points) none
    assert {a.subject_key: (a.value, a.figures["behind_points"]) for a in Alert.objects.filter(rule=behind)} == {
        world.dist_js.code: (D("15.0000"), "15.00")
    }
    assert Alert.objects.get(rule=behind).partner_id == world.dist_js.pk
