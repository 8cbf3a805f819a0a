"""Ordering in the partner portal (phone-first): placing the priced catalogue cart, the quick order
(SKU code or barcode + quantity, priced live, with availability), reorder, saved templates, order
import from a file, the partner's orders with their timeline and shipments, and its credit.

Every submission carries an Idempotency-Key generated when the form was rendered (a hidden
field): a double tap or a browser retry returns the first order, never a second one; the same form
sent again with other lines is refused and gets a new key. The views
parse, call a service or selector and render; the rules are qudao.orders.services'."""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core import exports as list_exports
from qudao.core import idempotency
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.pages import paginate
from qudao.partners.models import FundAccount
from qudao.partners.scoping import get_visible_partner
from qudao.partners.views_portal import partner_portal
from qudao.pricing import engine
from qudao.pricing.selectors import currency_symbol

from . import carts, exports, importing, selectors, services, views_change
from .carts import Row
from .models import OrderStatus

PAGE_SIZE = 20
# the order's own fields a refused order shows its errors beside (not the lines')
ORDER_FIELDS = ("rebate_amount",)
APPROVAL_REASONS = {
    "over_credit_limit": _lazy("it is over your available credit"),
    "large_order": _lazy("it is a large order"),
    "deep_discount": _lazy("its discount is above the usual"),
    "first_orders": _lazy("it is one of your first orders"),
}


def placed_message(request, order) -> None:
    """Tell the partner the order is placed, in which status, and what happens next."""
    status = order.get_status_display()
    if order.status == OrderStatus.PENDING_APPROVAL:
        reasons = [str(APPROVAL_REASONS[r]) for r in order.approval_reasons or [] if r in APPROVAL_REASONS]
        text = _(
            "Order %(number)s is placed (%(status)s). It waits for HQ's approval because %(reasons)s; "
            "you are told when it is decided."
        ) % {"number": order.number, "status": status, "reasons": _("; ").join(reasons) or _("of the brand's rules")}
    elif order.status == OrderStatus.SUBMITTED:
        text = _(
            "Order %(number)s is placed (%(status)s). Next, HQ confirms it; you are told when it is confirmed."
        ) % {"number": order.number, "status": status}
    else:
        text = _("Order %(number)s is placed (%(status)s).") % {"number": order.number, "status": status}
    messages.success(request, text)


QTY_FIELD = re.compile(r"^qty_(\d{1,9})$")


def new_key() -> str:
    return uuid.uuid4().hex


def _context(request, section: str = "orders", **extra) -> dict:
    partner = request.partner
    return {
        "partner": partner,
        "is_partner_admin": request.partner_admin,
        "is_distributor": partner.is_distributor,
        "section": section,
        "symbol": currency_symbol(engine.partner_currency(partner)),
        **extra,
    }


def _require_place(request) -> None:
    if not request.user.can("orders.place"):
        raise PermissionDenied


def _order(request, number):
    try:
        return selectors.get_order(request.user, number)
    except NotFound:
        raise Http404 from None


# --- the partner's orders ------------------------------------------------------------------------


@require_GET
@partner_portal
def order_list_view(request):
    """/portal/orders/: the orders in the partner's scope (its own; a distributor's sub-dealers'
    too), newest first, by status, 20 a page."""
    export = list_exports.requested_export(request, {"shipments": exports.SHIPMENTS_PORTAL}, exports.ORDERS_PORTAL)
    if (download := list_exports.respond(request, export)) is not None:
        return download  # ?format=xlsx|csv: the orders (or their shipments) the list shows
    status = exports.portal_order_filters(request.GET)["status"]
    page = paginate(request, selectors.order_list(request.user, status=status), PAGE_SIZE)
    return render(
        request,
        "orders/portal/list.html",
        _context(request, page=page, orders=page.object_list, status=status, statuses=OrderStatus.choices),
    )


@require_GET
@partner_portal
def order_detail_view(request, number):
    """/portal/orders/<number>/: the lines as priced, the timeline, the reason of a cancellation
    or rejection, the shipments and their tracking; cancel (while allowed) and reorder."""
    order = _order(request, number)
    return render(request, "orders/portal/detail.html", _detail_context(request, order))


def _detail_context(request, order, **extra) -> dict:
    kind = services.actor_kind(request.user, order)
    can_cancel = kind == "partner" and OrderStatus.CANCELLED in selectors.moves(order, "partner")
    can_change = kind == "partner" and order.status in services.CHANGEABLE
    return _context(
        request,
        order=order,
        lines=selectors.priced_lines(order),
        timeline=selectors.timeline(order),
        shipments=selectors.shipments(order),
        can_cancel=can_cancel,
        can_change=can_change,
        can_reorder=request.user.can("orders.place"),
        symbol=currency_symbol(order.currency),
        **extra,
    )


@require_POST
@partner_portal
def order_cancel_view(request, number):
    """POST /portal/orders/<number>/cancel/: cancel with a reason (the buyer's users, or the
    distributor's that placed it, until it is confirmed)."""
    order = _order(request, number)
    reason = (request.POST.get("reason") or "").strip()
    try:
        services.cancel_order(order=order, actor=request.user, reason=reason)
    except FieldErrors as error:
        context = _detail_context(request, order, cancel_errors=[str(m) for ms in error.errors.values() for m in ms])
        return render(request, "orders/portal/detail.html", context, status=422)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("orders_portal:detail", order.number)
    messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
    return redirect("orders_portal:detail", order.number)


@require_http_methods(["GET", "POST"])
@partner_portal
def order_change_view(request, number):
    """/portal/orders/<number>/change/: change the quantities, drop lines (quantity 0 or the remove
    box) and add lines by SKU code, until the order is confirmed (the users who may cancel it).
    GET shows the lines as rows; POST action: apply (default), preview (htmx: the rows priced
    again, in place), more (rows). Refused rows answer 422 with the errors on their row and change
    nothing; a confirmed order goes back to its page with the reason."""
    order = _order(request, number)  # another partner's order: 404 before any 403
    if services.actor_kind(request.user, order) != "partner":
        raise PermissionDenied
    return views_change.change_page(
        request, order, "orders/portal/change.html", "orders_portal:detail", _context(request)
    )


# --- placing ---------------------------------------------------------------------------------------


def _buyer(request):
    """The partner ordered for: the user's own, or (a distributor) one of its sub-dealers."""
    own = request.partner
    wanted = request.POST.get("buyer") or request.GET.get("buyer") or ""
    if not wanted or str(wanted) == str(own.pk):
        return own
    try:
        buyer = get_visible_partner(request.user, wanted)
    except NotFound:
        raise Http404 from None
    return buyer


def _share_label() -> str:
    """The max share of an order payable from the rebate fund, as shown ("30"), or "" when none."""
    share = services.rebate_max_share()
    return f"{share.normalize():f}" if share > 0 else ""


def rebate_offer(partner, total) -> dict | None:
    """What the checkout shows of the rebate fund: what it has available and the most this cart may
    use (None for the most while the cart is not priced); None when the rebate fund pays no orders."""
    if services.rebate_max_share() <= 0:
        return None
    usable = None if total is None else services.rebate_usable(partner, total)
    return {"available": services.rebate_available(partner), "usable": usable, "share": _share_label()}


def _quick_context(request, rows, *, priced=None, buyer=None, key=None, general=(), **extra) -> dict:
    buyer = buyer or request.partner
    result = priced.result if priced else None
    return _context(
        request,
        rows=rows,
        row_count=len(rows),
        priced=priced,
        result=priced.result if priced else None,
        general_errors=list(general) + (priced.general if priced else []),
        buyer=buyer,
        sub_dealers=selectors.sub_dealers(request.user, request.partner),
        idempotency_key=key or new_key(),
        note=(request.POST.get("note") or "").strip()[:500],
        templates=selectors.templates_of(request.partner),
        symbol=currency_symbol(engine.partner_currency(buyer)),
        rebate=rebate_offer(buyer, result.total if result else None),
        rebate_amount=(request.POST.get("rebate_amount") or "0").strip()[:20],
        **extra,
    )


def _place(request, rows, buyer, key):
    """Place the rows as an order for `buyer`: (order, None) or (None, the Priced with errors).
    The form's key makes a double tap return the first order; the same form sent again with other
    lines (after the back button) is refused, and the page gets a new key for a new order."""
    priced = carts.price(buyer, rows, timezone.localdate())
    if priced.has_errors:
        return None, priced
    ready = [row for row in rows if row.line is not None]
    own = request.partner
    try:
        order, _created = services.place_order(
            partner=buyer,
            lines=carts.lines_of(ready),
            actor=request.user,
            idempotency_key=key,
            ordered_by=own if buyer.pk != own.pk else None,
            note=(request.POST.get("note") or "").strip(),
            rebate_amount=(request.POST.get("rebate_amount") or "").strip()[:20],
        )
    except FieldErrors as error:
        if error.code == idempotency.REUSED:
            first = selectors.placed_with(buyer, key)
            priced.general.append(
                _("This form already placed order %(number)s. Check the lines and place them again for a new order.")
                % {"number": first.number}
            )
            priced.key_reused = True
        else:
            own_fields = {key: [str(m) for m in error.errors.pop(key)] for key in ORDER_FIELDS if key in error.errors}
            priced.fields.update(own_fields)
            priced.general.extend(carts.spread(error, ready))
        priced.result = None
        return None, priced
    except Conflict as error:
        priced.general.append(str(error.detail))
        return None, priced
    return order, None


@require_http_methods(["GET", "POST"])
@partner_portal
def quick_view(request):
    """/portal/orders/quick/: rows of SKU code or barcode, quantity and unit, priced as they are
    typed (htmx, /portal/orders/quick/price/), then placed as one order. GET ?reorder=<number>
    fills the rows with an order's lines, ?template=<id> with a saved template's; lines whose SKU
    is no longer on sale (or available to the partner) are left out, and the page says which and why.
    POST action: place (default), more (rows), save (a template)."""
    _require_place(request)
    if request.method == "GET":
        # the lines of an earlier order or a template, less those that may no longer be ordered
        rows, left_out = carts.leave_out(request.partner, _initial_rows(request))
        buyer = request.partner
        priced = carts.price(buyer, rows, timezone.localdate()) if any(not row.blank for row in rows) else None
        context = _quick_context(request, carts.pad(rows), priced=priced, left_out=left_out)
        return render(request, "orders/portal/quick.html", context)
    buyer = _buyer(request)
    rows = carts.rows_from(request.POST)
    action = request.POST.get("action") or "place"
    key = (request.POST.get("idempotency_key") or "").strip()[:100]
    if action == "more":
        rows = carts.pad(rows, len(rows) + 5)
        return render(request, "orders/portal/quick.html", _quick_context(request, rows, buyer=buyer, key=key))
    if action == "save":
        return _save_template(request, rows, buyer, key)
    order, priced = _place(request, rows, buyer, key or None)
    if order is None:
        context = _quick_context(request, rows, priced=priced, buyer=buyer, key=None if priced.key_reused else key)
        return render(request, "orders/portal/quick.html", context, status=422)
    placed_message(request, order)
    return redirect("orders_portal:detail", order.number)


def _initial_rows(request) -> list[Row]:
    reorder = request.GET.get("reorder")
    if reorder:
        order = _order(request, reorder)
        return [
            Row(index=index, code=line.sku.code, quantity=str(line.unit_quantity), unit=line.unit)
            for index, line in enumerate(selectors.order_lines(order).filter(gift_promotion=""))
        ]
    template_id = request.GET.get("template")
    if template_id:
        try:
            return carts.rows_of_template(carts.get_template(request.partner, template_id))
        except NotFound:
            raise Http404 from None
    return []


def _save_template(request, rows, buyer, key):
    name = request.POST.get("template_name") or ""
    try:
        template = carts.save_template(partner=request.partner, name=name, rows=rows, actor=request.user)
    except FieldErrors as error:
        general = [str(m) for k, ms in error.errors.items() if not k.startswith("lines.") for m in ms]
        for k, ms in error.errors.items():
            match = carts.LINE_ERROR.match(k)
            if match and int(match.group(1)) < len(rows):
                row = rows[int(match.group(1))]
                for message in ms:
                    if str(message) not in row.errors.get(match.group(2), []):
                        row.add(match.group(2), message)
        context = _quick_context(request, rows, buyer=buyer, key=key, general=general, template_name=name)
        return render(request, "orders/portal/quick.html", context, status=422)
    messages.success(request, _("Template “%(name)s” is saved.") % {"name": template.name})
    return redirect("orders_portal:templates")


@require_POST
@partner_portal
def quick_price_view(request):
    """POST /portal/orders/quick/price/ (htmx): the rows priced, each row's price, availability and
    errors swapped in place, and the total."""
    _require_place(request)
    buyer = _buyer(request)
    rows = carts.rows_from(request.POST)
    priced = carts.price(buyer, rows, timezone.localdate())
    return render(
        request, "orders/portal/_quick_result.html", _quick_context(request, rows, priced=priced, buyer=buyer)
    )


@require_POST
@partner_portal
def place_view(request):
    """POST /portal/orders/place/: the catalogue's priced cart (qty_<sku id>, unit_<sku id>) placed
    as an order with the Idempotency-Key of the form. A refused cart from the catalogue
    (source=catalog) comes back as the cart with each error beside its line or field; from
    elsewhere, as a quick order with the rows to correct."""
    _require_place(request)
    from qudao.catalog.models import Sku

    entries = []
    for name in request.POST:
        match = QTY_FIELD.match(name)
        quantity = (request.POST.get(name) or "").strip()[:12]
        if match and quantity:
            entries.append((int(match.group(1)), quantity, (request.POST.get(f"unit_{match.group(1)}") or "")[:20]))
    codes = dict(Sku.objects.filter(pk__in=[sku_id for sku_id, _q, _u in entries]).values_list("pk", "code"))
    rows = [
        Row(index=index, code=codes.get(sku_id, str(sku_id)), quantity=quantity, unit=unit)
        for index, (sku_id, quantity, unit) in enumerate(entries[: carts.MAX_ROWS])
    ]
    key = (request.POST.get("idempotency_key") or "").strip()[:100]
    order, priced = _place(request, rows, request.partner, key or None)
    from_catalog = request.POST.get("source") == "catalog"
    if order is None and from_catalog:
        # the catalogue's cart: the user stays on it, each error beside its field, a line's
        # (below the minimum, not a multiple, over the stock) beside that line's quantity
        from qudao.pricing.views_portal import cart_entries, render_quote

        line_errors: dict[int, list[str]] = {}
        for row in priced.rows:
            if row.errors and row.index < len(entries):
                sku_id = row.sku.pk if row.sku is not None else entries[row.index][0]
                line_errors.setdefault(sku_id, []).extend(m for messages in row.errors.values() for m in messages)
        place = {
            "errors": {**priced.fields, "general": priced.general},
            "rebate_amount": (request.POST.get("rebate_amount") or "").strip()[:20],
        }
        return render_quote(request, cart_entries(request.POST), place=place, line_errors=line_errors, status=422)
    if order is None:
        context = _quick_context(request, carts.pad(rows), priced=priced, key=None if priced.key_reused else key)
        return render(request, "orders/portal/quick.html", context, status=422)
    placed_message(request, order)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("orders_portal:detail", args=[order.number])
        return response
    return redirect("orders_portal:detail", order.number)


# --- import ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@partner_portal
def import_view(request):
    """/portal/orders/import/: upload an .xlsx (or .csv) of SKU code or barcode, quantity and unit;
    the rows are shown priced, with every row's errors, as a quick order to correct and place."""
    _require_place(request)
    file_errors = []
    if request.method == "POST":
        try:
            rows = importing.read_rows(request.FILES.get("file"))
        except FieldErrors as error:
            file_errors = [str(m) for ms in error.errors.values() for m in ms]
        else:
            priced = carts.price(request.partner, rows, timezone.localdate())
            context = _quick_context(request, rows, priced=priced, imported=True)
            return render(request, "orders/portal/quick.html", context)
    return render(
        request,
        "orders/portal/import.html",
        _context(request, file_errors=file_errors, columns=importing.COLUMNS),
        status=422 if file_errors else 200,
    )


# --- templates -------------------------------------------------------------------------------------


@require_GET
@partner_portal
def template_list_view(request):
    """/portal/orders/templates/: the partner's saved carts, to load into a quick order or delete."""
    templates = list(selectors.templates_of(request.partner).select_related("created_by"))
    return render(request, "orders/portal/templates.html", _context(request, templates=templates))


@require_POST
@partner_portal
def template_delete_view(request, template_id):
    _require_place(request)
    try:
        template = carts.get_template(request.partner, template_id)
        carts.delete_template(partner=request.partner, template_id=template.pk, actor=request.user)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Template “%(name)s” is deleted.") % {"name": template.name})
    return redirect("orders_portal:templates")


# --- credit ----------------------------------------------------------------------------------------


@require_GET
@partner_portal
def credit_view(request):
    """/portal/credit/: the partner's credit limit, used and available, and the open orders
    behind "used"."""
    partner = request.partner
    credit = services.credit_of(partner)
    return render(
        request,
        "orders/portal/credit.html",
        _context(
            request,
            "credit",
            credit=credit,
            prepayment=FundAccount.objects.filter(partner=partner, kind=FundAccount.Kind.PREPAYMENT).first(),
            rebate_fund=FundAccount.objects.filter(partner=partner, kind=FundAccount.Kind.REBATE).first(),
            rebate_share=_share_label(),
            open_orders=selectors.open_orders(partner),
            symbol=currency_symbol(credit.currency),
        ),
    )
