"""Template tags of ordering in the portal: the "Place order" button under a priced catalogue cart (with
the part to pay from the rebate fund)."""

from __future__ import annotations

import uuid

from django import template

register = template.Library()


@register.inclusion_tag("orders/portal/_place_from_quote.html", takes_context=True)
def place_order_form(context):
    """The priced cart's lines as a form that places them as an order, with an Idempotency-Key
    generated now (a double tap or a browser retry sends the same key: one order)."""
    from qudao.orders.views_portal import rebate_offer

    request = context.get("request")
    user = getattr(request, "user", None)
    allowed = bool(user is not None and user.is_authenticated and user.can("orders.place"))
    partner = getattr(request, "partner", None) or getattr(user, "partner", None)
    result = context.get("result")
    total = getattr(result, "total", None)
    place = context.get("place") or {}
    return {
        # a refused order shown again: its errors beside their fields, the amount typed
        "place_errors": place.get("errors") or {},
        "rebate_amount": place.get("rebate_amount") or "0",
        "allowed": allowed,
        "rebate": rebate_offer(partner, total) if allowed and partner is not None else None,
        "symbol": context.get("symbol", ""),
        "csrf_token": context.get("csrf_token"),
        "entries": context.get("entries") or [],
        "idempotency_key": uuid.uuid4().hex,
        "cart_panels": render_cart_panels(request, partner, result) if allowed and partner is not None else "",
    }


def render_cart_panels(request, partner, result) -> str:
    """The panels higher contexts add under a priced cart (core.panels "portal_cart": rebates shows
    what the order adds to each policy), rendered for `partner` (the partner ordered for)."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from qudao.core.panels import panels_for

    if request is None or result is None:
        return ""
    cart = {"partner": partner, "result": result}
    parts = [
        render_to_string(panel.template, panel.context(request, cart), request=request)
        for panel in panels_for("portal_cart")
        if panel.visible(request, cart)
    ]
    return mark_safe("".join(parts))  # noqa: S308 - our own templates, autoescaped


@register.simple_tag(takes_context=True)
def cart_panels(context):
    """{% cart_panels %} under the quick order's priced total: see render_cart_panels."""
    request = context.get("request")
    return render_cart_panels(request, context.get("buyer") or getattr(request, "partner", None), context.get("result"))
