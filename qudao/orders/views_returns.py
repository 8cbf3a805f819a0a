"""Pages of returns (RMA). Portal: the "request a return" form of a shipped order, the partner's
returns and a return with its credit note (and cancel). HQ: the returns in scope and a return with
approve, reject, receive and cancel (operations). The rules are qudao.orders.returns'; another partner's order or
return answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core import exports as list_exports
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.numbers import parse_digits, parse_id
from qudao.core.pages import hq_page, paginate
from qudao.core.uploads import upload_response
from qudao.inventory.models import Warehouse
from qudao.partners.scoping import scope
from qudao.partners.views_portal import partner_portal

from . import exports, returns, selectors, services
from .models import CreditNote, ReturnCondition, ReturnReason, ReturnRequest, ReturnStatus

PAGE_SIZE = 20


def _messages(error: FieldErrors) -> list[str]:
    return [str(message) for messages_ in error.errors.values() for message in messages_]


return_list = exports.return_list


def _return(request, number) -> ReturnRequest:
    rma = (
        scope(ReturnRequest.objects.select_related("order__partner", "partner", "warehouse"), request.user)
        .filter(number=number)
        .first()
    )
    if rma is None:
        raise Http404
    return rma


def _detail(rma: ReturnRequest) -> dict:
    note = CreditNote.objects.filter(return_request=rma).first()
    return {
        "rma": rma,
        "lines": list(rma.lines.select_related("order_line__sku")),
        "photos": list(rma.photos.all()),
        "credit_note": note,
        "credit_lines": list(note.lines.select_related("order_line__sku")) if note else [],
    }


# --- portal ----------------------------------------------------------------------------------------


def _portal_context(request, **extra) -> dict:
    return {"partner": request.partner, "is_partner_admin": request.partner_admin, "section": "orders", **extra}


def _request_rows(order) -> list[dict]:
    left = returns.returnable_quantities(order)
    return [
        {"line": line, "left": left.get(line.pk, 0)}
        for line in order.lines.select_related("sku").order_by("line_no")
        if left.get(line.pk, 0) > 0
    ]


@require_http_methods(["GET", "POST"])
@partner_portal
def portal_request_view(request, number):
    """/portal/orders/<number>/return/: ask to return units of a shipped order (lines, reason,
    description, photos)."""
    try:
        order = selectors.get_order(request.user, number)
    except NotFound:
        raise Http404 from None
    if services.actor_kind(request.user, order) != "partner":
        raise PermissionDenied
    rows = _request_rows(order)
    context = {"order": order, "rows": rows, "reasons": ReturnReason.choices, "errors": {}, "form": request.POST}
    if request.method == "GET":
        return render(request, "orders/returns/portal_request.html", _portal_context(request, **context))
    lines, row_of = [], {}
    for row in rows:
        raw = (request.POST.get(f"qty_{row['line'].pk}") or "").strip()
        if raw:
            row_of[len(lines)] = row["line"].pk
            lines.append((row["line"].pk, raw if parse_digits(raw) is None else parse_digits(raw)))
    try:
        rma = returns.request_return(
            order=order,
            lines=lines,
            reason=request.POST.get("reason") or "",
            description=request.POST.get("description") or "",
            photos=request.FILES.getlist("photos"),
            actor=request.user,
        )
    except FieldErrors as error:
        errors: dict = {}
        for key, found in error.errors.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) == 3 and int(parts[1]) in row_of:
                errors[f"qty_{row_of[int(parts[1])]}"] = [str(message) for message in found]
            else:
                errors.setdefault(parts[0], []).extend(str(message) for message in found)
        context["errors"] = errors
        return render(request, "orders/returns/portal_request.html", _portal_context(request, **context), status=422)
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("orders_portal:detail", order.number)
    except Forbidden:
        raise PermissionDenied from None
    messages.success(request, _("Return %(number)s is requested.") % {"number": rma.number})
    return redirect("returns:portal_detail", rma.number)


@require_GET
@partner_portal
def portal_list_view(request):
    """/portal/returns/: the partner's returns (and its sub-dealers'), newest first."""
    if (download := list_exports.respond(request, exports.RETURNS)) is not None:
        return download
    status = request.GET.get("status") or ""
    page = paginate(request, return_list(request.user, status), PAGE_SIZE)
    return render(
        request,
        "orders/returns/portal_list.html",
        _portal_context(request, page=page, rows=page.object_list, status=status, statuses=ReturnStatus.choices),
    )


def _portal_detail(request, rma, status=200, **extra):
    can_cancel = (
        rma.status in returns.CANCELLABLE
        and services.actor_kind(request.user, rma.order) == "partner"
        and returns.may_cancel(request.user, rma)
    )
    context = _detail(rma) | {"can_cancel": can_cancel, "errors": {}, **extra}
    return render(request, "orders/returns/portal_detail.html", _portal_context(request, **context), status=status)


@require_GET
@partner_portal
def portal_detail_view(request, number):
    """/portal/returns/<number>/: the lines, the decision, what was received and the credit note."""
    return _portal_detail(request, _return(request, number))


@require_POST
@partner_portal
def portal_cancel_view(request, number):
    """/portal/returns/<number>/cancel/: the buyer's administrators cancel a requested or approved
    return (reason optional); its staff get 403."""
    rma = _return(request, number)  # another partner's return: 404
    if services.actor_kind(request.user, rma.order) != "partner" or not returns.may_cancel(request.user, rma):
        raise PermissionDenied  # a user of another side, or the partner's staff
    try:
        returns.cancel_return(return_request=rma, actor=request.user, reason=request.POST.get("reason") or "")
    except FieldErrors as error:
        return _portal_detail(request, rma, status=422, errors={"cancel": _messages(error)})
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("returns:portal_detail", rma.number)
    messages.success(request, _("Return %(number)s is cancelled.") % {"number": rma.number})
    return redirect("returns:portal_detail", rma.number)


# --- HQ --------------------------------------------------------------------------------------------


@require_GET
@hq_page("orders.view")
def hq_list_view(request):
    if (download := list_exports.respond(request, exports.RETURNS)) is not None:
        return download
    status = request.GET.get("status") or ""
    page = paginate(request, return_list(request.user, status))
    return render(
        request,
        "orders/returns/list.html",
        {"page": page, "rows": page.object_list, "status": status, "statuses": ReturnStatus.choices},
    )


def _hq_detail(request, rma, status=200, **extra):
    can_manage = request.user.can("orders.manage")
    context = _detail(rma) | {
        "can_decide": can_manage and rma.status == ReturnStatus.REQUESTED,
        "can_receive": can_manage and rma.status == ReturnStatus.APPROVED,
        "can_cancel": can_manage and rma.status in returns.CANCELLABLE,
        "warehouses": Warehouse.objects.filter(active=True, ships_to_partners=True).exclude(kind="partner"),
        "conditions": ReturnCondition.choices,
        "errors": {},
        **extra,
    }
    return render(request, "orders/returns/detail.html", context, status=status)


@require_GET
@hq_page("orders.view", partner_users="404")
def hq_detail_view(request, number):
    return _hq_detail(request, _return(request, number))


def _managed(request, number) -> ReturnRequest:
    rma = _return(request, number)  # someone else's return: 404 before any 403
    if not request.user.can("orders.manage"):
        raise PermissionDenied
    return rma


def _done(request, rma):
    rma.refresh_from_db()
    messages.success(
        request, _("Return %(number)s is now: %(status)s.") % {"number": rma.number, "status": rma.get_status_display()}
    )
    return redirect("returns:detail", rma.number)


@require_POST
@hq_page("orders.view", partner_users="404")
def hq_decide_view(request, number, action):
    rma = _managed(request, number)
    note = (request.POST.get("note") or "").strip()
    try:
        if action == "approve":
            returns.approve_return(return_request=rma, actor=request.user, note=note)
        else:
            returns.reject_return(return_request=rma, actor=request.user, note=note)
    except FieldErrors as error:
        return _hq_detail(request, rma, status=422, errors={action: _messages(error)})
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("returns:detail", rma.number)
    return _done(request, rma)


@require_POST
@hq_page("orders.view", partner_users="404")
def hq_cancel_view(request, number):
    """/orders/returns/<number>/cancel/: operations cancels a requested or approved return, saying
    why."""
    rma = _managed(request, number)
    try:
        returns.cancel_return(return_request=rma, actor=request.user, reason=request.POST.get("reason") or "")
    except FieldErrors as error:
        return _hq_detail(request, rma, status=422, errors={"cancel": _messages(error)})
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("returns:detail", rma.number)
    return _done(request, rma)


def _warehouse(value):
    pk = parse_id(value or "")
    return Warehouse.objects.filter(pk=pk).first() if pk is not None else None


@require_POST
@hq_page("orders.view", partner_users="404")
def hq_receive_view(request, number):
    rma = _managed(request, number)
    lines = []
    for line in rma.lines.all():
        raw = (request.POST.get(f"received_{line.pk}") or "0").strip()
        lines.append(
            (
                line.pk,
                raw if parse_digits(raw) is None else parse_digits(raw),
                request.POST.get(f"condition_{line.pk}") or "sellable",
            )
        )
    try:
        returns.receive_return(
            return_request=rma,
            warehouse=_warehouse(request.POST.get("warehouse")),
            lines=lines,
            actor=request.user,
        )
    except FieldErrors as error:
        return _hq_detail(request, rma, status=422, errors={"receive": _messages(error)})
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("returns:detail", rma.number)
    return _done(request, rma)


def _photo(request, number, photo_id):
    photo = _return(request, number).photos.filter(pk=photo_id).first()  # another partner's: 404
    if photo is None or not photo.file:
        raise Http404
    return upload_response(photo.file, photo.name)


@require_GET
@hq_page("orders.view", partner_users="404")
def hq_photo_view(request, number, photo_id):
    """A photo of a return, served as the kind its bytes are (an image inline: the page's thumbnail)."""
    return _photo(request, number, photo_id)


@require_GET
@partner_portal
def portal_photo_view(request, number, photo_id):
    return _photo(request, number, photo_id)
