"""Authorization matrix rows of alerts (预警): an administrator's rule with one open alert about
dist_js, sent to the administrator and to regional_js (dist_js's regional owner). The alert is seen
by whoever may manage every rule (admin, channel, finance, operations) and by its recipients within their scope
(regional_js); other HQ users get 404 for it and an empty list; partner users 403 (API) or their
portal (pages). Rules: alerts.manage (admin,
channel, regional managers, finance, operations); another's rule 404 to a regional manager."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PORTAL, Case, expect, only

SEE_ALERT = {"admin": 200, "channel": 200, "regional_js": 200, "finance": 200, "operations": 200}
ALERT = only(SEE_ALERT, 404, 401) | {p: 403 for p in ("dist_admin", "dist_staff", "sub_admin", "zj_admin")}
ACK_PAGE = only({p: "analytics/alerts/" for p in SEE_ALERT}, 404, LOGIN)
RULES_PAGE = expect(
    403,
    anonymous=LOGIN,
    partners=PORTAL,
    admin=200,
    channel=200,
    regional_js=200,
    regional_zj=200,
    finance=200,
    operations=200,
)
RULE_PAGE = expect(
    403,
    anonymous=LOGIN,
    partners=404,
    admin=200,
    channel=200,
    regional_js=404,
    regional_zj=404,
    finance=200,
    operations=200,
)
RULE_ACTIVE = RULE_PAGE | {p: "analytics/alerts/rules/" for p in ("admin", "channel", "finance", "operations")}
# the list's count proves the scope inside a 200: the alert is there for those who see it only
LISTED = expect(0, anonymous=401, partners=403, admin=1, channel=1, regional_js=1, finance=1, operations=1)


def targets(world) -> dict:
    from datetime import date

    from qudao.analytics import alerts
    from qudao.analytics.models import Alert
    from qudao.partners.models import Partner

    Partner.objects.filter(pk=world.dist_js.pk).update(regional_owner=world.regional_js)
    rule = alerts.create_rule(
        data={"name": "矩阵预警", "kind": "silence", "subject": "partner", "threshold": "45"}, actor=world.admin
    )
    alert = Alert.objects.create(
        rule=rule,
        subject_key=world.dist_js.code,
        subject_label=str(world.dist_js),
        partner=world.dist_js,
        value=60,
        figures={"days": "60", "last_order_on": date(2025, 1, 1).isoformat()},
        opened_at=world.dist_js.created_at,
    )
    alert.recipients.set([world.admin, world.regional_js])
    return {"alert_rule": rule.pk, "alert_id": alert.pk}


API_CASES = [
    Case("GET", "/api/v1/analytics/alerts", LISTED, answer=lambda response, targets: response.json()["count"]),
    Case("GET", "/api/v1/analytics/alerts/{alert_id}", ALERT),
    Case("POST", "/api/v1/analytics/alerts/{alert_id}/acknowledge", ALERT),
]

PAGE_CASES = [
    Case("GET", "analytics/alerts/", expect(200, anonymous=LOGIN, partners=PORTAL), page=True),
    Case("POST", "analytics/alerts/{alert_id}/acknowledge/", ACK_PAGE, page=True),
    Case("GET", "analytics/alerts/rules/", RULES_PAGE, page=True),
    Case("GET", "analytics/alerts/rules/new/", RULES_PAGE, page=True),
    Case("GET", "analytics/alerts/rules/{alert_rule}/", RULE_PAGE, page=True),
    Case("POST", "analytics/alerts/rules/{alert_rule}/active/", RULE_ACTIVE, page=True),
]
