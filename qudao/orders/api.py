"""API of orders: partners place orders (with an Idempotency-Key) and follow them; HQ users holding
orders.place_on_behalf (an ERP's integration user, inside sales) place and change them on a
partner's behalf (代客下单); operations confirms, rejects or cancels them. Another partner's order
answers 404."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Header, Query, Router, Status

from qudao.core.api import require
from qudao.core.errors import FieldErrors, NotFound
from qudao.core.schemas import IdParam, PageParams, amount_out, page_of, paginate, unit_price_out
from qudao.partners.scoping import get_visible_partner, scope

from . import services
from .models import Order
from .schemas import (
    ChangesFilters,
    CreditOut,
    OrderChangesOut,
    OrderFilters,
    OrderIn,
    OrderLinesIn,
    OrderOut,
    OrderReasonIn,
)

router = Router(tags=["orders"])


def _ref(partner) -> dict | None:
    if partner is None:
        return None
    return {"id": partner.pk, "code": partner.code, "name": str(partner)}


def _user_ref(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": str(user)}


def order_out(order: Order, *, full: bool = False) -> dict:
    body = {
        "id": order.pk,
        "number": order.number,
        "partner": _ref(order.partner),
        "ordered_by": _ref(order.ordered_by_partner),
        "placed_by": _user_ref(order.created_by),
        "channel": order.channel,
        "channel_label": str(order.get_channel_display()),
        "on_behalf": order.on_behalf,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "status_reason": order.status_reason,
        "currency": order.currency,
        "list_total": amount_out(order.list_total),
        "total": amount_out(order.total),
        "payment_method": order.payment_method,
        "rebate_amount": amount_out(order.rebate_amount),
        "remainder": amount_out(order.remainder),
        "note": order.note,
        "approval": order.approval.number if order.approval_id else None,
        "approval_reasons": order.approval_reasons or [],
        "submitted_at": order.submitted_at,
        "created_at": order.created_at,
    }
    if full:
        body["lines"] = [
            {
                "line_no": line.line_no,
                "sku": {"id": line.sku_id, "code": line.sku.code, "name": line.sku.name},
                "unit": line.unit,
                "unit_quantity": line.unit_quantity,
                "quantity": line.quantity,
                "list_price": unit_price_out(line.list_price),
                "promotions": line.promotions,
                "net_unit_price": unit_price_out(line.net_unit_price),
                "line_total": amount_out(line.line_total),
                "gift_promotion": line.gift_promotion or None,
                "shipped_quantity": line.shipped_quantity,
            }
            for line in order.lines.select_related("sku")
        ]
        body["history"] = [
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "reason": change.reason,
                "at": change.at,
                "by": change.actor.get_username() if change.actor_id else None,
            }
            for change in order.status_changes.select_related("actor")
        ]
    return body


def _orders(user):
    return scope(Order.objects.select_related("partner", "ordered_by_partner", "approval", "created_by"), user)


def _order(user, order_id: int) -> Order:
    require(user, "orders.view")
    order = _orders(user).filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order


@router.post("/orders", response={201: OrderOut, 200: OrderOut})
def order_place(request, payload: OrderIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
    """Place (submit) an order: priced by the pricing engine, promotions and stock reserved, credit
    checked; it may wait for approval. `rebate_amount` pays part of it from the rebate fund. Send an
    Idempotency-Key: a retry with the same key (for the same partner) answers 200 with the first
    order and never creates a second one.

    An HQ user holding orders.place_on_behalf (an ERP's integration user, inside sales) orders on a
    partner's behalf (代客下单): `partner` is required and must be a partner it sees (else 404);
    the partner's prices, credit, stock and approval rules apply exactly as to its own orders, and
    the order answers `channel` "erp", `on_behalf` true and `placed_by`. Other HQ users: 403."""
    user = request.auth
    own = user.partner
    if own is not None:
        require(user, "orders.place")
        buyer = get_visible_partner(user, payload.partner or own.pk)
        ordered_by = own if buyer.pk != own.pk else None
    else:
        if payload.partner is None:
            require(user, "orders.place_on_behalf")
            raise FieldErrors.single("partner", _("Choose the partner to order for."), code="required")
        buyer = get_visible_partner(user, payload.partner)  # someone else's partner: 404 before any 403
        ordered_by = None
    order, created = services.place_order(
        partner=buyer,
        lines=[line.model_dump() for line in payload.lines],
        actor=user,
        idempotency_key=idempotency_key,
        ordered_by=ordered_by,
        note=payload.note,
        payment_method=payload.payment_method,
        rebate_amount=payload.rebate_amount,
        via="api",
    )
    return Status(201 if created else 200, order_out(_order(user, order.pk), full=True))


@router.get("/orders", response=page_of(OrderOut))
def order_list(request, filters: Query[OrderFilters], page: Query[PageParams]):
    """Orders in your scope, newest first."""
    require(request.auth, "orders.view")
    orders = _orders(request.auth)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.partner:
        orders = orders.filter(partner_id=filters.partner)
    return paginate(orders.order_by("-created_at", "-pk"), page, order_out)


def _decode_cursor(cursor: str | None):
    if not cursor:
        return None
    try:
        stamp, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise FieldErrors.single("cursor", _("This cursor is not one this API gave.")) from None


def _encode_cursor(order: Order) -> str:
    return base64.urlsafe_b64encode(f"{order.updated_at.isoformat()}|{order.pk}".encode()).decode()


@router.get("/orders/changes", response=OrderChangesOut)
def order_changes(request, filters: Query[ChangesFilters]):
    """Orders changed since a cursor, oldest change first, with their lines: an ERP reads this in
    a loop, keeping the last `next_cursor`. Every change of an order (status, lines) moves it to
    the end. Changes younger than a few seconds (QUDAO_ORDER_CHANGES_SETTLE_SECONDS, 5) are left
    for the next call, so a change still being committed is not skipped by a cursor that has
    already passed its time."""
    require(request.auth, "orders.view")
    settle = timedelta(seconds=int(getattr(settings, "ORDER_CHANGES_SETTLE_SECONDS", 5)))
    orders = _orders(request.auth).filter(updated_at__lte=timezone.now() - settle).order_by("updated_at", "pk")
    after = _decode_cursor(filters.cursor)
    if after is not None:
        stamp, pk = after
        orders = orders.filter(Q(updated_at__gt=stamp) | Q(updated_at=stamp, pk__gt=pk))
    rows = list(orders[: filters.limit])
    return {
        "items": [order_out(order, full=True) for order in rows],
        "next_cursor": _encode_cursor(rows[-1]) if rows else filters.cursor,
    }


@router.get("/orders/{order_id}", response=OrderOut)
def order_detail(request, order_id: IdParam):
    return order_out(_order(request.auth, order_id), full=True)


@router.put("/orders/{order_id}/lines", response=OrderOut)
def order_change(request, order_id: IdParam, payload: OrderLinesIn):
    """Replace the lines of an order until it is confirmed: it is priced, reserved and checked
    again (and may wait for approval again). Refused lines answer 422 and change nothing. The
    buyer's users, operations, and HQ users holding orders.place_on_behalf (on the partner's
    behalf: the partner's users are told) may change it."""
    order = services.change_order(
        order=_order(request.auth, order_id),
        lines=[line.model_dump() for line in payload.lines],
        actor=request.auth,
        rebate_amount=payload.rebate_amount,
    )
    return order_out(_order(request.auth, order.pk), full=True)


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def order_cancel(request, order_id: IdParam, payload: OrderReasonIn):
    """Cancel an order (the partner until it is confirmed, operations until it is allocated);
    everything it held is released."""
    order = services.cancel_order(order=_order(request.auth, order_id), actor=request.auth, reason=payload.reason)
    return order_out(_order(request.auth, order.pk), full=True)


@router.post("/orders/{order_id}/confirm", response=OrderOut)
def order_confirm(request, order_id: IdParam):
    """Operations confirms a submitted order (credit is checked again)."""
    order = _order(request.auth, order_id)  # someone else's order: 404 before any 403
    require(request.auth, "orders.manage")
    order = services.confirm_order(order=order, actor=request.auth)
    return order_out(_order(request.auth, order.pk), full=True)


@router.post("/orders/{order_id}/reject", response=OrderOut)
def order_reject(request, order_id: IdParam, payload: OrderReasonIn):
    """Operations rejects a submitted order, with the reason."""
    order = _order(request.auth, order_id)  # someone else's order: 404 before any 403
    require(request.auth, "orders.manage")
    order = services.reject_order(order=order, actor=request.auth, reason=payload.reason)
    return order_out(_order(request.auth, order.pk), full=True)


@router.get("/partners/{partner_id}/credit", response=CreditOut)
def partner_credit(request, partner_id: IdParam):
    """A partner's credit: the limit, what its open orders hold, and what is available."""
    require(request.auth, "orders.view")
    partner = get_visible_partner(request.auth, partner_id)
    credit = services.credit_of(partner)
    return {
        "partner": _ref(partner),
        "currency": credit.currency,
        "limit": amount_out(credit.limit),
        "open_orders": amount_out(credit.open_orders),
        "receivables": amount_out(credit.receivables),
        "used": amount_out(credit.used),
        "available": amount_out(credit.available),
    }
