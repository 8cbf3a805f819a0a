"""Alerts in the API (HQ users with alerts.view; partner users 403; an alert the caller may not
see answers 404; docs/alerts.md).

GET  /analytics/alerts                     alerts of the caller's rules and those it was sent
                                           (?state=open|pending|closed|all, ?rule=<id>), newest first
GET  /analytics/alerts/{id}                one alert
POST /analytics/alerts/{id}/acknowledge    acknowledge it (the first acknowledgement stays)
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema

from qudao.core.errors import Forbidden
from qudao.core.schemas import IdParam, PageParams, TextSchema, page_of, paginate

from . import alerts
from .models_alerts import Alert

router = Router(tags=["analytics"])


class AlertRuleRef(Schema):
    id: int
    name: str
    kind: str
    kind_label: str


class AlertOut(Schema):
    id: int
    rule: AlertRuleRef
    subject: str = Field(description="partner, province, macro_region, sku or sku_warehouse.")
    subject_key: str = Field(description="The subject's code (SKU@warehouse for stock cover).")
    subject_label: str
    partner: int | None = Field(None, description="The partner's id, for a partner's alert.")
    figures: dict[str, str] = Field(description="What the evaluation saw (decimals as text).")
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    url: str = Field(description="The drill-down page.")


class AlertFilters(TextSchema):
    state: Literal["open", "pending", "closed", "all"] = Field(
        "open", description="open (default), pending (open, not acknowledged), closed or all."
    )
    rule: IdParam | None = None


def alert_out(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "rule": {
            "id": alert.rule_id,
            "name": alert.rule.name,
            "kind": alert.rule.kind,
            "kind_label": str(alert.rule.get_kind_display()),
        },
        "subject": alert.rule.subject,
        "subject_key": alert.subject_key,
        "subject_label": alert.subject_label,
        "partner": alert.partner_id,
        "figures": {key: str(value) for key, value in (alert.figures or {}).items()},
        "opened_at": alert.opened_at,
        "closed_at": alert.closed_at,
        "acknowledged_by": str(alert.acknowledged_by) if alert.acknowledged_by_id else None,
        "acknowledged_at": alert.acknowledged_at,
        "url": alerts.drilldown_url(alert),
    }


def _viewer(request):
    user = request.auth
    if not user.is_hq or not user.can("alerts.view"):
        raise Forbidden()
    return user


@router.get("/analytics/alerts", response=page_of(AlertOut))
def alert_list(request, filters: Query[AlertFilters], page: Query[PageParams]):
    """The alerts of your rules and those sent to you, about partners you see, newest first."""
    user = _viewer(request)
    rows = alerts.visible_alerts(user, state=filters.state, rule_id=filters.rule)
    return paginate(rows, page, alert_out)


@router.get("/analytics/alerts/{alert_id}", response=AlertOut)
def alert_detail(request, alert_id: IdParam):
    return alert_out(alerts.get_alert(_viewer(request), alert_id))


@router.post("/analytics/alerts/{alert_id}/acknowledge", response=AlertOut)
def alert_acknowledge(request, alert_id: IdParam):
    """You have seen the alert. Acknowledging again changes nothing (the first acknowledgement stays)."""
    user = _viewer(request)
    alert = alerts.acknowledge(alert=alerts.get_alert(user, alert_id), actor=user)
    return alert_out(alert)
