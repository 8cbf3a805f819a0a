"""The change-order page, shared by the portal (/portal/orders/<number>/change/) and HQ
(/orders/<number>/change/): the views authorise, this renders the form (qudao.orders.change_form),
previews the rows priced again and applies them with qudao.orders.services.change_order."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.pricing.selectors import currency_symbol

from . import carts, change_form, services
from .models import OrderStatus


def change_page(request, order, template: str, detail: str, context: dict):
    """The change form of `order` (the portal's and HQ's pages): render, preview or apply."""
    if order.status not in services.CHANGEABLE:
        messages.error(request, _("An order can be changed only until it is confirmed."))
        return redirect(detail, order.number)
    context = {
        **context,
        "order": order,
        "gifts": change_form.gifts_of(order),
        "symbol": currency_symbol(order.currency),
    }
    if request.method == "GET":
        return render(request, template, {**context, "rows": change_form.rows_of_order(order), "priced": None})
    rows = change_form.rows_from(request.POST)
    action = request.POST.get("action") or "apply"
    if action == "more":
        rows = change_form.pad(rows, len(rows) + change_form.BLANK_ROWS)
        return render(request, template, {**context, "rows": rows, "priced": None})
    priced = change_form.price(order, rows, timezone.localdate())
    if action == "preview":
        partial = "orders/portal/_quick_result.html" if request.headers.get("HX-Request") else template
        return render(request, partial, _change_context(context, rows, priced))
    if priced.has_errors:
        return render(request, template, _change_context(context, rows, priced), status=422)
    try:
        order = services.change_order(order=order, lines=change_form.lines_of(priced), actor=request.user)
    except FieldErrors as error:
        priced.general.extend(carts.spread(error, change_form.ready_rows(priced)))
        priced.result = None
        return render(request, template, _change_context(context, rows, priced), status=422)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect(detail, order.number)
    if order.status == OrderStatus.PENDING_APPROVAL:
        message = _("Order %(number)s is changed and now awaits approval.")
    else:
        message = _("Order %(number)s is changed; it does not need approval.")
    messages.success(request, message % {"number": order.number})
    return redirect(detail, order.number)


def _change_context(context: dict, rows, priced) -> dict:
    return {
        **context,
        "rows": rows,
        "row_count": len(rows),
        "priced": priced,
        "result": priced.result,
        "general_errors": list(priced.general),
    }
