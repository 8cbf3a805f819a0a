"""Rebates' card on the portal's home page (qudao.partners.portal_home): the partner's progress in
the rebate periods running now (the RebateProgress rows, read by progress.progress_for: a few
queries whatever the number of policies), with the tier reached and what the next tier needs."""

from __future__ import annotations

from qudao.partners.portal_home import PortalCard, register_card

SHOWN = 3


def progress_card(request) -> dict | None:
    from . import progress

    if not request.user.can("rebates.view"):
        return None
    items = progress.progress_for(request.partner)
    if not items:
        return None
    return {"items": items[:SHOWN], "more": max(len(items) - SHOWN, 0)}


def register() -> None:
    register_card(PortalCard("rebates.progress", "rebates/portal/home_progress.html", progress_card, order=50))
