"""Rebates' panel on the partner 360 page (registered in RebatesConfig.ready): the partner's live
progress on each policy this period, the rebates posted to it lately, and its rebate statement."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.panels import Panel, register_panel


def rebates_panel(request, partner) -> dict:
    from . import progress
    from .models import RebateLine

    return {
        "progress_items": progress.progress_for(partner, timezone.localdate()),
        "posted_lines": list(
            RebateLine.objects.filter(partner=partner, posted_at__isnull=False)
            .exclude(posted_amount=0)
            .select_related("policy", "run")
            .order_by("-posted_at", "-pk")[:10]
        ),
    }


def register() -> None:
    register_panel(
        "partner",
        Panel(
            "rebates",
            _("Rebates"),
            "rebates/panels/rebates.html",
            rebates_panel,
            48,
            visible=lambda request, partner: request.user.can("rebates.view"),
        ),
    )
