"""Pages of shipping: operations' allocate, ship, tracking and complete on the HQ order page, the
discrepancy cases (list, case, resolve, photos), and the partner's "Confirm receipt" on the portal
order page. The rules are qudao.orders.shipping's; another partner's order or case answers 404."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.numbers import parse_digits, parse_id
from qudao.core.pages import hq_page, paginate
from qudao.core.uploads import upload_response
from qudao.inventory.models import Warehouse
from qudao.partners.scoping import scope
from qudao.partners.views_portal import partner_portal

from . import carriers, shipping, views, views_portal
from .models import DiscrepancyCase, DiscrepancyKind, Shipment, ShipmentStatus


def _messages(error: FieldErrors) -> list[str]:
    return [str(message) for messages_ in error.errors.values() for message in messages_]


def _manage(request, number):
    order = views._order(request, number)  # someone else's order: 404 before any 403
    if not request.user.can("orders.manage"):
        raise PermissionDenied
    return order


def _done(request, order, text):
    messages.success(request, text)
    return redirect("orders:detail", order.number)


def _conflict(request, order, error):
    messages.error(request, str(error.detail))
    return redirect("orders:detail", order.number)


@require_POST
@hq_page("orders.view", partner_users="404")
def allocate_view(request, number):
    """Allocate a confirmed order (no warehouse chosen: from any shipping warehouse), or re-allocate
    an allocated or partially shipped one (mode "reallocate") to the warehouses chosen, posted as
    several `warehouse` values in priority order (filled from the first, splitting)."""
    order = _manage(request, number)
    posted = [raw.strip() for raw in request.POST.getlist("warehouse") if raw.strip()]
    reallocate = request.POST.get("mode") == "reallocate"
    warehouse_ids = [parse_id(raw) or 0 for raw in posted] if posted or reallocate else None
    try:
        order = shipping.allocate_order(order=order, actor=request.user, warehouse_ids=warehouse_ids)
    except FieldErrors as error:
        return views._detail(request, order, status=422, shipping_errors={"allocate": _messages(error)})
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        return _conflict(request, order, error)
    if reallocate:
        return _done(request, order, _("Order %(number)s is re-allocated.") % {"number": order.number})
    return _done(request, order, _("Order %(number)s is allocated.") % {"number": order.number})


@require_POST
@hq_page("orders.view", partner_users="404")
def ship_view(request, number):
    order = _manage(request, number)
    line_ids = []
    lines = []
    errors = FieldErrors()
    for line in order.lines.order_by("line_no"):
        raw = (request.POST.get(f"qty_{line.pk}") or "").strip()
        if raw in ("", "0"):
            continue
        if parse_digits(raw) is None:
            errors.add(f"line.{line.pk}", _("Enter a whole number of at least 1."))
            continue
        line_ids.append(line.pk)
        lines.append((line.pk, int(raw)))
    posted = {key: request.POST.get(key, "") for key in ("warehouse", "carrier", "tracking_number")}
    posted["quantities"] = {line.pk: request.POST.get(f"qty_{line.pk}", "") for line in order.lines.all()}
    try:
        if errors.errors:
            raise errors
        shipment = shipping.create_shipment(
            order=order,
            warehouse=parse_id(posted["warehouse"]),
            lines=lines,
            carrier=posted["carrier"],
            tracking_number=posted["tracking_number"],
            actor=request.user,
        )
    except FieldErrors as error:
        by_field: dict[str, list[str]] = {}
        for key, found in error.errors.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(line_ids):
                key = f"line.{line_ids[int(parts[1])]}"
            by_field.setdefault(key, []).extend(str(message) for message in found)
        return views._detail(request, order, status=422, ship_errors=by_field, ship_posted=posted)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        return _conflict(request, order, error)
    return _done(request, order, _("Shipment %(number)s created.") % {"number": shipment.number})


def _local_time(raw: str):
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return "invalid"
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@require_POST
@hq_page("orders.view", partner_users="404")
def tracking_view(request, number, shipment):
    order = views._order(request, number)
    found = Shipment.objects.filter(order=order, number=shipment).first()
    if found is None:
        raise Http404
    if not request.user.can("orders.manage"):
        raise PermissionDenied
    at = _local_time((request.POST.get("at") or "").strip())
    posted = {key: request.POST.get(key, "") for key in ("status", "at", "location", "note")}
    try:
        if at == "invalid":
            raise FieldErrors.single("at", _("Enter a date and time."))
        shipping.add_tracking_event(
            shipment=found,
            status=posted["status"],
            at=at,
            location=posted["location"],
            note=posted["note"],
            actor=request.user,
        )
    except FieldErrors as error:
        return views._detail(
            request,
            order,
            status=422,
            tracking_errors={found.number: {k: [str(m) for m in v] for k, v in error.errors.items()}},
            tracking_posted={found.number: posted},
        )
    except Forbidden:
        raise PermissionDenied from None
    return _done(request, order, _("Tracking event added to %(number)s.") % {"number": found.number})


@require_POST
@hq_page("orders.view", partner_users="404")
def complete_view(request, number):
    order = _manage(request, number)
    try:
        order = shipping.complete_order(order=order, actor=request.user)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        return _conflict(request, order, error)
    return _done(request, order, _("Order %(number)s is completed.") % {"number": order.number})


def hq_actions(request, order) -> dict:
    """What the HQ order page's shipping partial shows (orders/shipping/_hq.html)."""
    if not request.user.can("orders.manage"):
        return {}
    status = order.status
    can_ship = status in shipping.SHIPPABLE
    rows = []
    ship_warehouse = None
    if can_ship:
        # The ship form proposes the warehouse that holds most of what the order has reserved (after
        # a re-allocation: the new one), and per line what that warehouse holds for it.
        held: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for row in shipping.allocation(order):
            held[row["warehouse"].pk][row["sku"].pk] += row["quantity"]
        if held:
            ship_warehouse = max(held, key=lambda pk: (sum(held[pk].values()), -pk))
        there = dict(held.get(ship_warehouse, {}))
        for line in order.lines.select_related("sku").order_by("line_no"):
            left = line.quantity - line.shipped_quantity
            if left > 0:
                proposed = left if ship_warehouse is None else min(left, there.get(line.sku_id, 0))
                if ship_warehouse is not None:
                    there[line.sku_id] = there.get(line.sku_id, 0) - proposed
                rows.append({"line": line, "left": left, "proposed": proposed})
    # nearest to the partner first (ADR 0014): the order a reservation without a choice fills in
    ranked = _shipping_ids(order.partner.region)
    warehouses = sorted(Warehouse.objects.filter(pk__in=ranked), key=lambda wh: ranked.index(wh.pk))
    can_reallocate = can_ship and bool(rows)
    carrier_choices = carriers.choices()
    return {
        "carriers": carrier_choices,
        # a refused form shows again a carrier typed elsewhere (the API, an old value) as it was
        "posted_other_carrier": _other_carrier(request, carrier_choices),
        "ship_warehouse": str(ship_warehouse or ""),
        "can_allocate": status == "confirmed",
        "can_reallocate": can_reallocate,
        **(_allocation_context(request, order, warehouses) if status == "confirmed" or can_reallocate else {}),
        "can_ship": can_ship and bool(rows),
        "can_track": status in ("partially_shipped", "shipped", "delivered"),
        "can_complete": status == "delivered",
        "warehouses": warehouses,
        "ship_rows": rows,
        "tracking_statuses": ShipmentStatus.choices,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def _other_carrier(request, carrier_choices) -> str:
    posted = (request.POST.get("carrier") or "").strip() if request.method == "POST" else ""
    return posted if posted and posted not in {code for code, _name in carrier_choices} else ""


def _allocation_context(request, order, warehouses) -> dict:
    """What operations needs to choose warehouses: what the order holds reserved per SKU and
    warehouse, and per shipping warehouse the stock of the SKUs it still has to ship (available to
    others, and held for this order, which a re-allocation may take again)."""
    from qudao.catalog.models import Sku
    from qudao.inventory.models import StockLevel

    current = shipping.allocation(order)
    held = {(row["sku"].pk, row["warehouse"].pk): row["quantity"] for row in current}
    left: dict[int, int] = {}
    for sku_id, quantity, shipped in order.lines.values_list("sku_id", "quantity", "shipped_quantity"):
        if quantity > shipped:
            left[sku_id] = left.get(sku_id, 0) + quantity - shipped
    skus = list(Sku.objects.filter(pk__in=left).order_by("code"))
    levels = {
        (level.sku_id, level.warehouse_id): level
        for level in StockLevel.objects.filter(sku_id__in=left, warehouse__in=warehouses)
    }
    posted = request.POST.getlist("warehouse") if request.POST.get("mode") in ("allocate", "reallocate") else []
    posted = [raw.strip() for raw in posted if raw.strip()]
    stock_rows = []
    for warehouse in warehouses:
        cells = []
        for sku in skus:
            level = levels.get((sku.pk, warehouse.pk))
            cells.append(
                {
                    "sku": sku,
                    "available": level.available if level else 0,
                    "held": held.get((sku.pk, warehouse.pk), 0),
                }
            )
        stock_rows.append({"warehouse": warehouse, "cells": cells})
    return {
        "allocation": current,
        "stock_skus": [{"sku": sku, "left": left[sku.pk]} for sku in skus],
        "stock_rows": stock_rows,
        # one <select name="warehouse"> per priority, showing again what a refused form posted
        "priority_slots": [
            {"n": index + 1, "selected": posted[index] if index < len(posted) else ""}
            for index in range(len(warehouses))
        ],
    }


def _shipping_ids(near=None):
    from qudao.inventory.services import shipping_warehouse_ids

    return shipping_warehouse_ids(near)


# --- discrepancy cases (HQ) ------------------------------------------------------------------------


def _cases(user):
    return scope(
        DiscrepancyCase.objects.select_related("order__partner", "shipment").prefetch_related(
            "lines__order_line__sku", "photos"
        ),
        user,
        partner_field="order__partner",
    )


def _case(request, number) -> DiscrepancyCase:
    case = _cases(request.user).filter(number=number).first()
    if case is None:
        raise Http404
    return case


@require_GET
@hq_page("orders.view")
def case_list_view(request):
    status = request.GET.get("status") or ""
    rows = _cases(request.user)
    if status in DiscrepancyCase.Status.values:
        rows = rows.filter(status=status)
    page = paginate(request, rows.order_by("-created_at", "-pk"))
    return render(
        request,
        "orders/shipping/case_list.html",
        {"page": page, "cases": page.object_list, "status": status, "statuses": DiscrepancyCase.Status.choices},
    )


def _case_page(request, case, status=200, **extra):
    return render(
        request,
        "orders/shipping/case_detail.html",
        {"case": case, "can_resolve": request.user.can("orders.manage") and case.status == "open", **extra},
        status=status,
    )


@require_GET
@hq_page("orders.view", partner_users="404")
def case_detail_view(request, number):
    return _case_page(request, _case(request, number))


@require_POST
@hq_page("orders.view", partner_users="404")
def case_resolve_view(request, number):
    case = _case(request, number)
    if not request.user.can("orders.manage"):
        raise PermissionDenied
    resolution = request.POST.get("resolution") or ""
    try:
        case = shipping.resolve_case(case=case, actor=request.user, resolution=resolution)
    except FieldErrors as error:
        return _case_page(request, case, status=422, resolve_errors=_messages(error), resolution=resolution)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("orders_shipping:case", case.number)
    messages.success(request, _("Case %(number)s is resolved.") % {"number": case.number})
    return redirect("orders_shipping:case", case.number)


@require_GET
@hq_page("orders.view", partner_users="404")
def case_photo_view(request, number, photo_id):
    case = _case(request, number)
    photo = case.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    return upload_response(photo.file, photo.name)


# --- the partner confirms receipt (portal) ---------------------------------------------------------


def portal_receipt(order) -> dict:
    """What the portal order page's partial shows (orders/shipping/_portal.html)."""
    return {
        "can_confirm_receipt": order.status == "shipped",
        "receipt_lines": [
            line for line in order.lines.select_related("sku").order_by("line_no") if line.shipped_quantity
        ],
        "discrepancy_kinds": DiscrepancyKind.choices,
    }


@require_POST
@partner_portal
def portal_confirm_view(request, number):
    order = views_portal._order(request, number)
    if not request.user.can("orders.place"):
        raise PermissionDenied
    kind = request.POST.get("kind") or ""
    note = request.POST.get("note") or ""
    line_ids = []
    report_lines = []
    errors = FieldErrors()
    discrepancies = None
    if kind:
        for line in order.lines.order_by("line_no"):
            raw = (request.POST.get(f"qty_{line.pk}") or "").strip()
            if raw in ("", "0"):
                continue
            if parse_digits(raw) is None:
                errors.add(f"line.{line.pk}", _("Enter a whole number of at least 1."))
                continue
            line_ids.append(line.pk)
            report_lines.append((line.pk, int(raw)))
        discrepancies = [
            {
                "kind": kind,
                "lines": report_lines,
                "description": request.POST.get("description") or "",
                "photos": request.FILES.getlist("photos"),
            }
        ]
    try:
        if errors.errors:
            raise errors
        confirmation = shipping.confirm_delivery(
            order=order, actor=request.user, discrepancies=discrepancies, note=note
        )
    except FieldErrors as error:
        by_field: dict[str, list[str]] = {}
        for key, found in error.errors.items():
            parts = key.split(".")
            if parts[:1] == ["discrepancies"] and len(parts) >= 3:
                parts = parts[2:]
                if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(line_ids):
                    parts = ["line", str(line_ids[int(parts[1])])]
            by_field.setdefault(".".join(parts[:2]), []).extend(str(m) for m in found)
        context = views_portal._detail_context(request, order)
        context.update(receipt_errors=by_field, receipt_posted=request.POST)
        return render(request, "orders/portal/detail.html", context, status=422)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("orders_portal:detail", order.number)
    cases = getattr(confirmation, "opened_cases", [])
    if cases:
        messages.success(
            request,
            _("Receipt confirmed. We opened case %(case)s and will get back to you.") % {"case": cases[0].number},
        )
    else:
        messages.success(request, _("Receipt confirmed. Thank you."))
    return redirect("orders_portal:detail", order.number)
