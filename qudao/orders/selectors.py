"""Reads of the orders context for the pages. Every read of orders goes through the scoping rule
(partners.scoping.scope): a partner user sees its own partner's orders and those below it (a
distributor its sub-dealers'), a regional manager its regions', the other HQ roles every order.
An order outside the scope is NotFound (404), never Forbidden."""

from __future__ import annotations

from django.db.models import Q

from qudao.core.errors import NotFound
from qudao.partners.scoping import scope, visible_partners

from . import lifecycle
from .models import OPEN_STATUSES, Order, OrderStatus, OrderTemplate


def orders(user):
    return scope(Order.objects.select_related("partner", "ordered_by_partner", "approval", "created_by"), user)


def order_list(user, *, status: str = "", q: str = "", region: str = ""):
    """Orders in the user's scope, newest first, filtered by status, by number or partner, and by
    the partner's region (a region code: that region and those inside it)."""
    from qudao.core.models import Region

    result = orders(user)
    if region:
        found = Region.objects.filter(code=str(region)[:16]).first()
        result = result.filter(partner__region__path__startswith=found.path) if found else result.none()
    if status in OrderStatus.values:
        result = result.filter(status=status)
    q = (q or "").strip()
    if q:
        result = result.filter(
            Q(number__icontains=q)
            | Q(partner__code__icontains=q)
            | Q(partner__legal_name__icontains=q)
            | Q(partner__short_name__icontains=q)
        )
    return result.order_by("-created_at", "-pk")


def region_options():
    """The provinces, to filter orders by the partner's region."""
    from qudao.core.models import Region

    return Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")


def get_order(user, number) -> Order:
    """The order with this number if the user may see it. :raises NotFound: otherwise."""
    order = orders(user).filter(number=str(number)[:20]).first()
    if order is None:
        raise NotFound()
    return order


def placed_with(partner, idempotency_key: str) -> Order | None:
    """The order `partner` already placed with this Idempotency-Key, if any."""
    return Order.objects.filter(partner=partner, idempotency_key=idempotency_key).first()


def order_lines(order: Order):
    return order.lines.select_related("sku", "sku__product").order_by("line_no")


def priced_lines(order: Order) -> list:
    """The order's lines, each with `applied`: its promotions as priced (name, amount off the
    line, amount per unit for unit kinds, whether it is the line's share of an order discount),
    and `price_list_name`: the name of the price list that priced it."""
    from qudao.pricing.models import PriceList, Promotion

    lines = list(order_lines(order))
    codes = {item.get("promotion") for line in lines for item in line.promotions or []}
    names = dict(Promotion.objects.filter(code__in=codes).values_list("code", "name"))
    list_codes = {(line.price_source or {}).get("price_list") for line in lines} - {None, ""}
    list_names = dict(PriceList.objects.filter(code__in=list_codes).values_list("code", "name"))
    for line in lines:
        # the price list a person recognises by its name (its code stays beside it, smaller)
        list_code = (line.price_source or {}).get("price_list") or ""
        line.price_list_code = list_code
        line.price_list_name = list_names.get(list_code, list_code)
        line.applied = [
            {
                "code": item.get("promotion"),
                "name": names.get(item.get("promotion"), item.get("promotion")),
                "amount": item.get("amount"),
                "unit_amount": None if item.get("allocated") else item.get("unit_amount"),
                "allocated": bool(item.get("allocated")),
            }
            for item in line.promotions or []
        ]
    return lines


def timeline(order: Order):
    return order.status_changes.select_related("actor").order_by("at", "pk")


def shipments(order: Order) -> list:
    """The order's shipments, each with `tracking`: its tracking events in time order."""
    from . import models

    shipment_model = getattr(models, "Shipment", None)
    if shipment_model is None:  # the shipments models are not there yet
        return []
    found = list(shipment_model.objects.filter(order=order).select_related("warehouse").order_by("shipped_at", "pk"))
    event_model = getattr(models, "TrackingEvent", None)
    events: dict[int, list] = {}
    if event_model is not None and found:
        for event in event_model.objects.filter(shipment__in=found).order_by("at", "pk"):
            events.setdefault(event.shipment_id, []).append(event)
    for shipment in found:
        shipment.tracking = events.get(shipment.pk, [])
    return found


def moves(order: Order, kind: str) -> set[str]:
    """The statuses `kind` ("partner", "operations") may move the order to now."""
    return set(lifecycle.next_statuses(order.status, kind))


def sub_dealers(user, partner):
    """The partners a distributor's user may order for besides its own: those below it."""
    if not partner.is_distributor:
        return visible_partners(user).none()
    return visible_partners(user).exclude(pk=partner.pk).order_by("code")


def partners_to_order_for(user, q: str = "", limit: int = 20):
    """The partners an HQ user may order for on their behalf (代客下单): the active partners it sees
    (the scoping rule), matched as every partner picker matches them (legal or short name, code,
    credit code: qudao.partners.pickers); at most `limit`."""
    from qudao.partners.pickers import partners_matching

    return partners_matching(user, q, active_only=True, limit=limit)


def open_orders(partner):
    """The orders behind the partner's used credit."""
    return Order.objects.filter(partner=partner, status__in=OPEN_STATUSES).order_by("-submitted_at", "-pk")


def templates_of(partner):
    return OrderTemplate.objects.filter(partner=partner).order_by("name", "pk")


def stock_reference_owners(references: set[str]) -> dict[str, int]:
    """{order or return number: the buying partner's id} for the references among `references`
    that are orders or returns: how the stock ledger learns whose records its entries name
    (inventory.selectors.register_reference_owner)."""
    from .models import ReturnRequest

    owners = dict(Order.objects.filter(number__in=references).values_list("number", "partner_id"))
    owners.update(ReturnRequest.objects.filter(number__in=references).values_list("number", "order__partner_id"))
    return owners
