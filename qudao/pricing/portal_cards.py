"""Pricing's card on the portal's home page (qudao.partners.portal_home): the promotions open to
the partner today (selectors.open_promotions: the audience, the dates, the partner's caps), each
in words, with a link to the catalogue."""

from __future__ import annotations

from django.utils import timezone

from qudao.partners.portal_home import PortalCard, register_card

from .selectors import open_promotions

SHOWN = 5


def promotions_card(request) -> dict | None:
    promotions = open_promotions(request.partner, timezone.localdate())
    if not promotions:
        return None
    return {"promotions": promotions[:SHOWN], "count": len(promotions)}


def register() -> None:
    register_card(PortalCard("pricing.promotions", "pricing/portal/home_promotions.html", promotions_card, order=60))
