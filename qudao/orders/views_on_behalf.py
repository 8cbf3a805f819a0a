"""HQ pages of ordering on a partner's behalf (代客下单): inside sales, operations, regional managers
and sales (orders.place_on_behalf) take an order by phone or WeChat for a partner they see.

/orders/new/ first picks the partner by name or code (a live search among the active partners the
user sees), then shows the quick-order rows for it: SKU code or barcode, quantity and unit, priced
as they are typed with the partner's own waterfall (list price, promotions, net price) and the stock
available, its credit, what its rebate fund may pay, and the payment method. Placing calls
qudao.orders.services.place_order with the HQ user as the actor: the partner's pricing, credit,
stock and approval rules apply exactly as to its own orders, and the order records who placed it.
Every submission carries the Idempotency-Key generated when the form was rendered, so a double
click places one order."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.pages import hq_page
from qudao.partners.scoping import get_visible_partner
from qudao.pricing import engine
from qudao.pricing.models import Promotion
from qudao.pricing.selectors import currency_symbol

from . import carts, selectors, services
from .models import Order, OrderStatus
from .views_portal import new_key, rebate_offer

PERMISSION = "orders.place_on_behalf"


def _partner(request):
    """The partner named by ?partner= / the form's `partner`, if the user sees it (else 404)."""
    wanted = request.POST.get("partner") or request.GET.get("partner") or ""
    try:
        return get_visible_partner(request.user, wanted)
    except NotFound:
        raise Http404 from None


def _payment_methods() -> list[tuple[str, str]]:
    labels = dict(Order._meta.get_field("payment_method").choices)
    return [(method, labels.get(method, method)) for method in services.payment_methods()]


def _form_context(request, partner, rows, *, priced=None, key=None, general=()) -> dict:
    result = priced.result if priced else None
    currency = engine.partner_currency(partner)
    codes = {item["promotion"] for row in rows if row.line is not None for item in row.line.promotions}
    return {
        "promotion_names": dict(Promotion.objects.filter(code__in=codes).values_list("code", "name")),
        "partner": partner,
        "buyer": partner,  # the cart panels (rebates) read what the cart adds to this partner
        "rows": rows,
        "row_count": len(rows),
        "priced": priced,
        "result": result,
        "general_errors": list(general) + (priced.general if priced else []),
        "credit": services.credit_of(partner),
        "idempotency_key": key or new_key(),
        "note": (request.POST.get("note") or "").strip()[:500],
        "payment_methods": _payment_methods(),
        "payment_method": request.POST.get("payment_method") or services.payment_methods()[0],
        "rebate": rebate_offer(partner, result.total if result else None),
        "rebate_amount": (request.POST.get("rebate_amount") or "0").strip()[:20],
        "symbol": currency_symbol(currency),
        "hq": True,
    }


@require_http_methods(["GET", "POST"])
@hq_page(PERMISSION)
def new_order_view(request):
    """/orders/new/: without a partner, the picker (?q= searches); with ?partner=<id>, the order
    form for it. POST action: place (default) or more (rows)."""
    if request.method == "GET" and not request.GET.get("partner"):
        q = (request.GET.get("q") or "").strip()[:100]
        return render(
            request,
            "orders/new_pick.html",
            {"q": q, "partners": selectors.partners_to_order_for(request.user, q)},
        )
    partner = _partner(request)
    if request.method == "GET":
        return render(request, "orders/new.html", _form_context(request, partner, carts.pad([])))
    rows = carts.rows_from(request.POST)
    key = (request.POST.get("idempotency_key") or "").strip()[:100]
    if (request.POST.get("action") or "place") == "more":
        rows = carts.pad(rows, len(rows) + 5)
        return render(request, "orders/new.html", _form_context(request, partner, rows, key=key))
    order, priced = _place(request, partner, rows, key or None)
    if order is None:
        return render(
            request, "orders/new.html", _form_context(request, partner, rows, priced=priced, key=key), status=422
        )
    if order.status == OrderStatus.PENDING_APPROVAL:
        message = _("Order %(number)s is placed for %(partner)s and awaits approval.")
    else:
        message = _("Order %(number)s is placed for %(partner)s.")
    messages.success(request, message % {"number": order.number, "partner": order.partner})
    return redirect("orders:detail", order.number)


def _place(request, partner, rows, key):
    """Place the rows for `partner` on its behalf: (order, None), or (None, the Priced with errors)."""
    if key:
        existing = selectors.placed_with(partner, key)
        if existing is not None:  # a retry: the first order, whatever the rows say now
            return existing, None
    priced = carts.price(partner, rows, timezone.localdate())
    if priced.has_errors:
        return None, priced
    ready = [row for row in rows if row.line is not None]
    try:
        order, _created = services.place_order(
            partner=partner,
            lines=carts.lines_of(ready),
            actor=request.user,
            idempotency_key=key,
            note=(request.POST.get("note") or "").strip(),
            payment_method=(request.POST.get("payment_method") or "").strip()[:20] or None,
            rebate_amount=(request.POST.get("rebate_amount") or "").strip()[:20],
        )
    except FieldErrors as error:
        priced.general.extend(carts.spread(error, ready))
        priced.result = None
        return None, priced
    except Forbidden:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    except Conflict as error:
        priced.general.append(str(error.detail))
        priced.result = None
        return None, priced
    return order, None


@require_GET
@hq_page(PERMISSION)
def partner_search_view(request):
    """/orders/new/partners/?q= (htmx): the picker's results as the user types."""
    q = (request.GET.get("q") or "").strip()[:100]
    return render(
        request, "orders/_partner_options.html", {"q": q, "partners": selectors.partners_to_order_for(request.user, q)}
    )


@require_POST
@hq_page(PERMISSION)
def price_view(request):
    """POST /orders/new/price/ (htmx): the rows priced for the partner, each row's waterfall,
    availability and errors swapped in place, and the total."""
    partner = _partner(request)
    rows = carts.rows_from(request.POST)
    priced = carts.price(partner, rows, timezone.localdate())
    return render(request, "orders/_new_result.html", _form_context(request, partner, rows, priced=priced))
