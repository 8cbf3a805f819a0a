"""Demo saved reports (拖拽报表): three reports the channel manager built and shared with every HQ
role, the first pinned to its workbench, so the Reports page and the workbench show the builder's
work on the first run. Each runs as its viewer (a regional manager sees its regions' figures)."""

from __future__ import annotations

import random
from collections.abc import Callable

from qudao.accounts.roles import HQRole

DEMO_REPORTS = (
    {
        "name": "近 12 个月各大区净销售额",
        "definition": {
            "metrics": ["net_sales"],
            "rows": ["month"],
            "columns": ["macro_region"],
            "filters": {},
            "period": {"relative": "last_12_months"},
            "chart": "pivot",
        },
    },
    {
        "name": "今年产品线销售构成",
        "definition": {
            "metrics": ["net_sales"],
            "rows": ["product_line"],
            "columns": [],
            "filters": {},
            "period": {"relative": "ytd"},
            "chart": "pie",
        },
    },
    {
        "name": "各省回款与逾期",
        "definition": {
            "metrics": ["payments_collected", "overdue"],
            "rows": ["province"],
            "columns": [],
            "filters": {},
            "period": {"relative": "ytd"},
            "chart": "table",
        },
    },
)


def seed_reports(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Create the demo reports once (nothing when saved reports exist)."""
    from qudao.accounts.models import User

    from . import reports
    from .models import SavedReport

    if SavedReport.objects.exists():
        return {}
    channel = User.objects.filter(role_assignments__role=HQRole.CHANNEL_MANAGER, is_active=True).first()
    if channel is None:
        return {}
    saved = [reports.save_report(channel, {**spec, "shared_roles": list(HQRole.values)}) for spec in DEMO_REPORTS]
    reports.pin(channel, saved[0])
    log(f"  {len(saved)} saved reports shared with every HQ role")
    return {"reports": len(saved)}
