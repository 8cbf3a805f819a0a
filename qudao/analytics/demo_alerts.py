"""Demo alert rules (预警): the channel manager's, finance's (overdue) and operations' (stock
cover) rules over the whole network, and a regional manager's over its regions. Rules on days
since the last order are evaluated at once (they read orders); the others once the analytics store
is built (qudao.demo evaluates them after its rebuild; the worker after each refresh)."""

from __future__ import annotations

import random
from collections.abc import Callable


def seed_alerts(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Create the demo rules once (nothing when rules exist) and evaluate those that need no store."""
    from django.utils import timezone

    from qudao.accounts.models import User
    from qudao.accounts.roles import HQRole

    from . import alerts
    from .models import AlertRule

    if AlertRule.objects.exists():
        return {}
    channel = User.objects.filter(role_assignments__role=HQRole.CHANNEL_MANAGER, is_active=True).first()
    regional = User.objects.filter(role_assignments__role=HQRole.REGIONAL_MANAGER, is_active=True).first()
    # finance watches overdue, operations stock cover: each finds its alerts on its own alerts page
    finance = User.objects.filter(role_assignments__role=HQRole.FINANCE, is_active=True).first() or channel
    operations = User.objects.filter(role_assignments__role=HQRole.OPERATIONS, is_active=True).first() or channel
    if channel is None:
        return {}
    rules = [
        (channel, {"name": "45 天未下单", "kind": "silence", "subject": "partner", "threshold": "45"}),
        (
            channel,
            {
                "name": "销售额同比下滑 30%",
                "kind": "change",
                "metric": "net_sales",
                "subject": "partner",
                "comparison": "below",
                "threshold": "30",
            },
        ),
        (
            finance,
            {
                "name": "逾期超过应收 10%",
                "kind": "ratio",
                "metric": "overdue",
                "denominator": "receivables",
                "subject": "partner",
                "comparison": "above",
                "threshold": "10",
            },
        ),
        (
            operations,
            {"name": "库存可售不足 7 天", "kind": "stock_cover", "subject": "sku_warehouse", "threshold": "7"},
        ),
    ]
    if regional is not None:
        rules.append(
            (
                regional,
                {
                    "name": "本区 30 天未下单",
                    "kind": "silence",
                    "subject": "partner",
                    "threshold": "30",
                },
            )
        )
    created = [alerts.create_rule(data=data, actor=owner) for owner, data in rules]
    opened = 0
    for rule in created:
        if rule.kind == AlertRule.Kind.SILENCE:
            opened += alerts.evaluate_rule(rule, timezone.localdate())[0]
    log(f"alerts: {len(created)} rules, {opened} alerts open")
    return {"rules": len(created), "alerts": opened}
