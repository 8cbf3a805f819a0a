"""The portal's home page (首页, /portal/): a column of cards, each from the context that owns its
figures, registered in that context's AppConfig.ready() so that partners (a low context) imports
none of them:

    register_card(PortalCard("orders.month", "orders/portal/home_month.html", month_card, order=10))

`context(request)` gets the portal request (`request.user`, `request.partner`: the user's own
partner, read through the scoping rule; `request.partner_admin`) and answers the dict its template
renders as `card`, or None to leave the card out (nothing to show, or not for this user). Cards are
shown by `order`, smaller first. Reads must go through the scoping rule and be set-based: the home
page is the most opened page of the portal. docs/workbench.md lists the cards and their orders
(attainment, the targets context's card, takes order 20).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PortalCard:
    key: str
    template: str
    context: Callable  # (request) -> dict | None
    order: int = 100


_cards: dict[str, PortalCard] = {}


def register_card(card: PortalCard) -> None:
    """Add a card (a card with the same key is replaced)."""
    _cards[card.key] = card


def registered_cards() -> list[PortalCard]:
    return sorted(_cards.values(), key=lambda card: (card.order, card.key))


def cards_for(request) -> list[dict]:
    """The cards to show to this request's partner user, in order, each with its template and
    the context its function made."""
    shown = []
    for card in registered_cards():
        context = card.context(request)
        if context is not None:
            shown.append({"key": card.key, "template": card.template, "context": context})
    return shown
