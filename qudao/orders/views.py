"""HQ pages of orders: the list (by number or partner, by status; a regional manager sees its
regions' orders only, through the scoping rule) and the order with the waterfall of each line,
who placed it and how, its timeline, its approval, and operations' moves (confirm, reject, cancel
with a reason, as the lifecycle allows); changing its lines until it is confirmed (operations and
HQ users on the partner's behalf). Placing a new order on a partner's behalf is
qudao.orders.views_on_behalf. The rules are qudao.orders.services'."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core import exports as list_exports
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.pages import hq_page, paginate

from . import exports, selectors, services, views_change
from .models import OrderStatus


def _order(request, number):
    try:
        return selectors.get_order(request.user, number)
    except NotFound:
        raise Http404 from None


@require_GET
@hq_page("orders.view")
def order_list_view(request):
    export = list_exports.requested_export(request, {"shipments": exports.SHIPMENTS_HQ}, exports.ORDERS_HQ)
    if (download := list_exports.respond(request, export)) is not None:
        return download  # ?format=xlsx|csv: the orders (or their shipments) the list shows
    filters = exports.hq_order_filters(request.GET)
    q, status, region = filters["q"], filters["status"], filters["region"]
    page = paginate(request, selectors.order_list(request.user, **filters))
    template = "orders/_table.html" if request.headers.get("HX-Request") else "orders/list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "orders": page.object_list,
            "q": q,
            "status": status,
            "statuses": OrderStatus.choices,
            "region": region,
            "regions": selectors.region_options(),
            "can_order_on_behalf": request.user.can("orders.place_on_behalf"),
        },
    )


def _detail(request, order, status=200, **extra):
    can_manage = request.user.can("orders.manage")
    moves = selectors.moves(order, "operations") if can_manage else set()
    lines = selectors.priced_lines(order)
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "lines": lines,
            "timeline": selectors.timeline(order),
            "shipments": selectors.shipments(order),
            "can_confirm": OrderStatus.CONFIRMED in moves,
            "can_reject": OrderStatus.REJECTED in moves,
            "can_cancel": OrderStatus.CANCELLED in moves,
            "can_change": may_change(request.user) and order.status in services.CHANGEABLE,
            **extra,
        },
        status=status,
    )


def may_change(user) -> bool:
    """Operations, and HQ users ordering on partners' behalf (the order is in their scope: it was
    found through it), change an order's lines until it is confirmed."""
    return user.can("orders.manage") or user.can("orders.place_on_behalf")


@require_GET
@hq_page("orders.view", partner_users="404")
def order_detail_view(request, number):
    return _detail(request, _order(request, number))


def _move(request, number, action):
    order = _order(request, number)  # someone else's order: 404 before any 403
    if not request.user.can("orders.manage"):
        raise PermissionDenied
    reason = (request.POST.get("reason") or "").strip()
    try:
        if action == "confirm":
            order = services.confirm_order(order=order, actor=request.user)
        elif action == "reject":
            order = services.reject_order(order=order, actor=request.user, reason=reason)
        else:
            order = services.cancel_order(order=order, actor=request.user, reason=reason)
    except FieldErrors as error:
        errors = {action: [str(m) for ms in error.errors.values() for m in ms]}
        return _detail(request, order, status=422, action_errors=errors, reason=reason)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("orders:detail", order.number)
    messages.success(
        request,
        _("Order %(number)s is now: %(status)s.") % {"number": order.number, "status": order.get_status_display()},
    )
    return redirect("orders:detail", order.number)


@require_POST
@hq_page("orders.view", partner_users="404")
def order_confirm_view(request, number):
    return _move(request, number, "confirm")


@require_POST
@hq_page("orders.view", partner_users="404")
def order_reject_view(request, number):
    return _move(request, number, "reject")


@require_POST
@hq_page("orders.view", partner_users="404")
def order_cancel_view(request, number):
    return _move(request, number, "cancel")


@require_http_methods(["GET", "POST"])
@hq_page("orders.view", partner_users="404")
def order_change_view(request, number):
    """/orders/<number>/change/: operations, or an HQ user on the partner's behalf, changes the
    lines of an order until it is confirmed (the form of the portal's change page: quantities,
    removed lines, lines added by SKU code)."""
    order = _order(request, number)  # someone else's order: 404 before any 403
    if not may_change(request.user):
        raise PermissionDenied
    return views_change.change_page(request, order, "orders/change.html", "orders:detail", {})
