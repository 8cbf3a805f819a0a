"""The order, shipment and return lists as .xlsx / .csv (qudao.core.exports): the rows the list
page shows for the same query string, in the user's scope."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.exports import ExportColumn, ListExport
from qudao.partners.scoping import scope

from . import selectors
from .models import CreditNote, ReturnRequest, ReturnStatus, Shipment


def hq_order_filters(params) -> dict:
    """The HQ order list's filters (orders.views.order_list_view) from its query string."""
    return {
        "q": (params.get("q") or "").strip()[:100],
        "status": params.get("status") or "",
        "region": (params.get("region") or "").strip()[:16],
    }


def portal_order_filters(params) -> dict:
    """The portal order list's one filter, the status."""
    return {"status": params.get("status") or ""}


def _user_name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _partner_columns(path: str = "partner"):
    def partner(row):
        for part in path.split("__"):
            row = getattr(row, part)
        return row

    return (
        ExportColumn(_("Partner code"), lambda row: partner(row).code),
        ExportColumn(_("Partner"), lambda row: partner(row).legal_name),
    )


ORDER_COLUMNS = (
    ExportColumn(_("Order number"), lambda order: order.number),
    *_partner_columns(),
    ExportColumn(_("Region"), lambda order: order.partner.region.display_name if order.partner.region_id else ""),
    ExportColumn(_("Ordered by"), lambda order: str(order.ordered_by_partner) if order.ordered_by_partner_id else ""),
    ExportColumn(_("Status"), lambda order: order.get_status_display()),
    ExportColumn(pgettext_lazy("order channel", "Channel"), lambda order: order.get_channel_display()),
    ExportColumn(_("Payment method"), lambda order: order.get_payment_method_display()),
    ExportColumn(_("Currency"), lambda order: order.currency),
    ExportColumn(_("List total"), lambda order: order.list_total, "money"),
    ExportColumn(_("Total"), lambda order: order.total, "money"),
    ExportColumn(_("Paid from the rebate fund"), lambda order: order.rebate_amount, "money"),
    ExportColumn(_("Submitted"), lambda order: order.submitted_at, "datetime"),
    ExportColumn(_("Priced on"), lambda order: order.priced_on, "date"),
    ExportColumn(_("Note"), lambda order: order.note),
)


def _orders(filters):
    def rows(user, params):
        return selectors.order_list(user, **filters(params)).select_related("partner__region")

    return rows


ORDERS_HQ = ListExport(
    "orders.hq", _("Orders"), "orders", ORDER_COLUMNS, _orders(hq_order_filters), permission="orders.view"
)
ORDERS_PORTAL = ListExport("orders.portal", _("Orders"), "orders", ORDER_COLUMNS, _orders(portal_order_filters))


# --- shipments: those of the orders the list shows ------------------------------------------------

SHIPMENT_COLUMNS = (
    ExportColumn(_("Shipment number"), lambda shipment: shipment.number),
    ExportColumn(_("Order number"), lambda shipment: shipment.order.number),
    *_partner_columns("order__partner"),
    ExportColumn(_("Warehouse"), lambda shipment: shipment.warehouse.name),
    ExportColumn(_("Status"), lambda shipment: shipment.get_status_display()),
    ExportColumn(_("Carrier"), lambda shipment: shipment.carrier),
    ExportColumn(_("Tracking number"), lambda shipment: shipment.tracking_number),
    ExportColumn(_("Quantity"), lambda shipment: shipment.quantity or 0, "quantity"),
    ExportColumn(_("Shipped"), lambda shipment: shipment.shipped_at, "datetime"),
    ExportColumn(_("Delivered"), lambda shipment: shipment.delivered_at, "datetime"),
)


def _shipments(filters):
    def rows(user, params):
        orders = selectors.order_list(user, **filters(params)).order_by().values("pk")
        return (
            Shipment.objects.filter(order__in=orders)
            .select_related("order__partner", "warehouse")
            .annotate(quantity=Sum("lines__quantity"))
            .order_by("-shipped_at", "-pk")
        )

    return rows


SHIPMENTS_HQ = ListExport(
    "orders.shipments_hq",
    _("Shipments"),
    "shipments",
    SHIPMENT_COLUMNS,
    _shipments(hq_order_filters),
    permission="orders.view",
)
SHIPMENTS_PORTAL = ListExport(
    "orders.shipments_portal", _("Shipments"), "shipments", SHIPMENT_COLUMNS, _shipments(portal_order_filters)
)


# --- returns ------------------------------------------------------------------------------------


def return_list(user, status: str = ""):
    """Returns in the user's scope, newest first, by status (the HQ and portal return lists)."""
    rows = scope(ReturnRequest.objects.select_related("order", "partner"), user)
    if status in ReturnStatus.values:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-pk")


RETURN_COLUMNS = (
    ExportColumn(_("Return number"), lambda rma: rma.number),
    ExportColumn(_("Order number"), lambda rma: rma.order.number),
    *_partner_columns(),
    ExportColumn(_("Status"), lambda rma: rma.get_status_display()),
    ExportColumn(_("Reason"), lambda rma: rma.get_reason_display()),
    ExportColumn(_("Description"), lambda rma: rma.description),
    ExportColumn(_("Quantity"), lambda rma: rma.quantity or 0, "quantity"),
    ExportColumn(_("Received"), lambda rma: rma.received_quantity or 0, "quantity"),
    ExportColumn(_("Credit note"), lambda rma: rma.credit_number or ""),
    ExportColumn(_("Credited"), lambda rma: rma.credit_amount, "money"),
    ExportColumn(_("Requested"), lambda rma: rma.created_at, "datetime"),
    ExportColumn(_("Decided"), lambda rma: rma.decided_at, "datetime"),
    ExportColumn(_("Decision note"), lambda rma: rma.decision_note),
)


def _returns(user, params):
    notes = CreditNote.objects.filter(return_request=OuterRef("pk"))
    return return_list(user, params.get("status") or "").annotate(
        quantity=Sum("lines__quantity"),
        received_quantity=Sum("lines__received_quantity"),
        credit_number=Subquery(notes.values("number")[:1]),
        credit_amount=Subquery(notes.values("amount")[:1]),
    )


RETURNS = ListExport("orders.returns", _("Returns"), "returns", RETURN_COLUMNS, _returns)
