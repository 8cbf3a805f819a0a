"""The alert pages and API: the list shows each alert's subject, figures and drill-down, and
acknowledges it; the rule form refuses impossible rules at their fields and saves nothing, saves
a good one, and a rule can be disabled; the API lists, shows and acknowledges, 404 for an alert
the caller may not see, problem details for bad filters."""

from __future__ import annotations

import random
from datetime import date

import pytest

from qudao.analytics import alerts
from qudao.analytics.models import Alert, AlertRule


@pytest.fixture
def dist_alert(world):
    from qudao.partners.models import Partner

    Partner.objects.filter(pk=world.dist_js.pk).update(regional_owner=world.regional_js)
    rule = alerts.create_rule(
        data={"name": "沉默客户", "kind": "silence", "subject": "partner", "threshold": "45"}, actor=world.admin
    )
    alert = Alert.objects.create(
        rule=rule,
        subject_key=world.dist_js.code,
        subject_label="金陵商贸",
        partner=world.dist_js,
        value=60,
        figures={"days": "60", "last_order_on": date(2025, 1, 1).isoformat()},
        opened_at=world.dist_js.created_at,
    )
    alert.recipients.set([world.admin, world.regional_js])
    return alert


def test_it_lists_an_alert_with_its_figures_and_drilldown_and_acknowledges_it(world, page_client, dist_alert):
    # given regional_js, to whom the alert was sent
    client = page_client(world.regional_js)
    # when it opens the alerts
    page = client.get("/analytics/alerts/").content.decode()
    # then it reads the rule, the subject linking to the partner, the figures in words
    assert "沉默客户" in page and "Days since the partner&#x27;s last order" in page
    assert f'href="/partners/{world.dist_js.pk}/" data-testid="alert-drilldown">金陵商贸</a>' in page
    assert "60 days since the last order (2025-01-01)" in page
    assert 'data-testid="acknowledge"' in page
    # and a threshold alert reads its value as money, its rule its threshold in its unit
    sales = alerts.create_rule(
        data={
            "name": "大额销售",
            "kind": "threshold",
            "metric": "net_sales",
            "subject": "partner",
            "threshold": "10000",
        },
        actor=world.admin,
    )
    big = Alert.objects.create(
        rule=sales,
        subject_key=world.dist_js.code,
        subject_label="金陵商贸",
        partner=world.dist_js,
        figures={"value": "12345.6"},
        opened_at=world.dist_js.created_at,
    )
    big.recipients.set([world.regional_js])
    assert "12,345.60" in client.get("/analytics/alerts/").content.decode()
    rules = page_client(world.admin).get("/analytics/alerts/rules/").content.decode()
    assert "above 10,000.00" in rules and "above 45 days" in rules
    # and its workbench counts the two to acknowledge, linking to exactly those
    from qudao.core import workbench

    todo = {row["key"]: row for row in workbench.todos_for(world.regional_js)}["analytics.alerts_to_acknowledge"]
    assert (todo["count"], todo["url"]) == (2, "/analytics/alerts/?state=pending")
    assert client.get(todo["url"]).content.decode().count('data-testid="alert-row"') == 2
    # when it acknowledges it
    response = client.post(f"/analytics/alerts/{dist_alert.pk}/acknowledge/")
    # then the alert is acknowledged by it and the button is gone
    assert response.status_code == 302 and response["Location"] == "/analytics/alerts/"
    dist_alert.refresh_from_db()
    assert dist_alert.acknowledged_by == world.regional_js
    assert client.get("/analytics/alerts/").content.decode().count('data-testid="acknowledge"') == 1  # the other
    assert {row["key"]: row for row in workbench.todos_for(world.regional_js)}["analytics.alerts_to_acknowledge"][
        "count"
    ] == 1
    # and regional_zj, who was not sent it and does not see dist_js, sees an empty list and gets 404
    other = page_client(world.regional_zj)
    assert 'data-testid="no-alerts"' in other.get("/analytics/alerts/").content.decode()
    assert other.post(f"/analytics/alerts/{dist_alert.pk}/acknowledge/").status_code == 404


def test_the_rule_form_refuses_impossible_rules_at_their_fields_and_saves_good_ones(world, page_client):
    client = page_client(world.regional_js)
    form = {
        "name": "江苏回款",
        "kind": "ratio",
        "metric": "overdue",
        "denominator": "receivables",
        "subject": "partner",
        "comparison": "above",
        "threshold": "1500",
        "window": "month",
        "region": "浙江",
    }
    # when regional_js sends a ratio above 1000% over Zhejiang
    response = client.post("/analytics/alerts/rules/new/", form)
    # then both fields say what is wrong, and nothing is saved
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors == {
        "threshold": ["Give a percentage above 0 and at most 1000, with at most 2 decimals."],
        "region": ["Choose a region inside your own regions."],
    }
    assert AlertRule.objects.count() == 0
    # when it sends 10% over Jiangsu
    response = client.post("/analytics/alerts/rules/new/", form | {"threshold": "10", "region": "江苏"})
    # then the rule is saved, listed, and can be disabled
    assert response.status_code == 302 and response["Location"] == "/analytics/alerts/rules/"
    rule = AlertRule.objects.get()
    assert (rule.owner, rule.threshold, rule.region.code, rule.denominator) == (
        world.regional_js,
        10,
        "320000",
        "receivables",
    )
    assert "江苏回款" in client.get("/analytics/alerts/rules/").content.decode()
    assert client.get(f"/analytics/alerts/rules/{rule.pk}/").status_code == 200
    client.post(f"/analytics/alerts/rules/{rule.pk}/active/", {"active": "0"})
    rule.refresh_from_db()
    assert rule.active is False
    # and the audit trail holds the rule's creation and its disabling
    from django.contrib.contenttypes.models import ContentType

    from qudao.core.models import ObjectChange

    kind = ContentType.objects.get_for_model(AlertRule)
    changes = ObjectChange.objects.filter(content_type=kind, object_id=str(rule.pk)).order_by("pk")
    assert [(change.action, (change.after or {}).get("active")) for change in changes] == [
        ("create", True),
        ("update", False),
    ]
    assert changes.last().before["active"] is True and changes.last().actor == world.regional_js
    # and another regional manager cannot open it
    assert page_client(world.regional_zj).get(f"/analytics/alerts/rules/{rule.pk}/").status_code == 404


def test_the_api_lists_shows_and_acknowledges_alerts_in_scope(world, api_client, dist_alert):
    # when regional_js lists its open alerts
    body = api_client(world.regional_js).get("/api/v1/analytics/alerts").json()
    # then it reads the alert, with its figures and drill-down
    assert body["count"] == 1
    item = body["items"][0]
    assert {
        key: item[key] for key in ("id", "subject", "subject_key", "subject_label", "partner", "figures", "url")
    } == {
        "id": dist_alert.pk,
        "subject": "partner",
        "subject_key": world.dist_js.code,
        "subject_label": "金陵商贸",
        "partner": world.dist_js.pk,
        "figures": {"days": "60", "last_order_on": "2025-01-01"},
        "url": f"/partners/{world.dist_js.pk}/",
    }
    assert item["rule"]["kind"] == "silence" and item["acknowledged_at"] is None
    # when it acknowledges it
    response = api_client(world.regional_js).post(f"/api/v1/analytics/alerts/{dist_alert.pk}/acknowledge")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == str(world.regional_js)
    # then closed alerts are none, and a bad state is refused with problem details
    assert api_client(world.admin).get("/api/v1/analytics/alerts?state=closed").json()["count"] == 0
    bad = api_client(world.admin).get("/api/v1/analytics/alerts?state=sometimes")
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    # and sales, who was not sent it and manages no rule, gets 404; a partner user 403
    assert api_client(world.sales).get(f"/api/v1/analytics/alerts/{dist_alert.pk}").status_code == 404
    assert api_client(world.dist_admin).get("/api/v1/analytics/alerts").status_code == 403


def test_the_demo_creates_its_rules_once(world):
    from qudao.analytics.demo_alerts import seed_alerts

    # when the demo seeds alerts twice
    first, second = seed_alerts(random.Random(1)), seed_alerts(random.Random(1))
    # then five rules exist (the channel manager's, finance's, operations' and a regional manager's), once
    assert first == {"rules": 5, "alerts": 0} and second == {}
    assert sorted(AlertRule.objects.values_list("kind", "owner__username")) == [
        ("change", "channel"),
        ("ratio", "finance"),
        ("silence", "channel"),
        ("silence", "regional_js"),
        ("stock_cover", "operations"),
    ]
