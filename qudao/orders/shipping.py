"""Shipments and tracking, delivery confirmation and discrepancy cases: everything between a
confirmed order and a completed one.

    confirmed --allocate_order--> allocated --create_shipment--> partially shipped / shipped
      --confirm_delivery (the partner) or auto_confirm_deliveries (after N days)--> delivered
      --complete_order (operations, once no discrepancy case is open)--> completed

Allocation. Stock is reserved for an order under its number (inventory's ledger: `reserve`
entries with the order number as reference) when it is submitted; allocating checks that the order
holds exactly what it still has to ship, reserves what it lacks, and may move the reservations to
other warehouses (release and re-reserve, in one transaction: all or nothing).

Shipments. A shipment takes units of the order's lines out of ONE warehouse that holds them
reserved for the order: never more than ordered minus already shipped per line (checked under the
order's row lock, and written as a conditional UPDATE of `shipped_quantity`), then
`inventory.ship_stock` takes them off on hand and reserved.

Tracking. Events come from operations, the ERP or a carrier push; `external_id` makes a push
idempotent (an event without one is the same event when its status and time are). A shipment's
status is always its latest event by time, whatever order the events arrive in. A "delivered"
event does not confirm the order's receipt: the partner confirms (with discrepancies if any), or
the system does after QUDAO_ORDER_AUTO_CONFIRM_DAYS days.

Locks: the order row first (select_for_update(of=("self",))), then the shipment or case row, then
stock (inventory locks its own rows, in (sku_id, warehouse_id) order). Every change publishes an
outbox event in the same transaction, with the order as aggregate (so one order's events are
delivered in order): order.allocated, order.reallocated, shipment.created, order.partially_shipped,
order.shipped, shipment.tracking_updated, order.delivered, order.discrepancy_reported,
order.discrepancy_resolved, order.completed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.events import publish
from qudao.core.notifications import notify
from qudao.core.numbering import next_number
from qudao.core.uploads import PHOTOS, check_upload, stored_name
from qudao.core.validators import check_text

from . import lifecycle, services
from .carriers import stored_carrier
from .models import (
    DeliveryConfirmation,
    DiscrepancyCase,
    DiscrepancyKind,
    DiscrepancyLine,
    DiscrepancyPhoto,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
    TrackingSource,
)

SHIPPABLE = (OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_SHIPPED)
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTOS_PER_CASE = 6
FUTURE_TOLERANCE = timedelta(hours=1)
MAX_BULK_ROWS = 500
NOTHING_CHANGED = _("Nothing was changed: correct the rows and send them again.")


# --- small helpers -------------------------------------------------------------------------------


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("partner").get(pk=order.pk)


def _operations_kind(actor, order: Order) -> str:
    """ "operations" for an HQ user who manages orders, "system" without an actor; else Forbidden."""
    kind = services.actor_kind(actor, order)
    if kind not in (lifecycle.OPERATIONS, lifecycle.SYSTEM):
        raise Forbidden()
    return kind


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _whole(value, minimum=1) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or value > 1_000_000_000:
        return None
    return value


def _text(value, errors: FieldErrors, key: str, limit: int, *, required_message=None) -> str:
    text = value.strip() if isinstance(value, str) else ("" if value is None else None)
    if text is None:
        errors.add(key, _("Enter text."))
        return ""
    if len(text) > limit:
        errors.add(key, _("At most %(max)s characters.") % {"max": limit})
    elif not text and required_message is not None:
        errors.add(key, required_message)
    else:
        check_text(errors, key, text)
    return text


def placed_on(order: Order):
    """The day the order was placed (submitted), in the deployment's time zone."""
    return timezone.localdate(order.submitted_at or order.created_at)


def check_shipped_at(order: Order, shipped_at, errors: FieldErrors, key: str = "shipped_at"):
    """The date a shipment left, checked: with its time zone, not in the future (beyond
    FUTURE_TOLERANCE for clocks that differ), and not before the day its order was placed (in the
    deployment's time zone: the same day is fine, whatever the hour). Returns it, or None when wrong
    (the error added at `key`)."""
    if not isinstance(shipped_at, datetime) or timezone.is_naive(shipped_at):
        errors.add(key, _("Enter a date and time with its time zone (ISO 8601)."))
        return None
    if shipped_at > timezone.now() + FUTURE_TOLERANCE:
        errors.add(key, _("A shipment cannot leave in the future."))
        return None
    placed = placed_on(order)
    if timezone.localdate(shipped_at) < placed:
        errors.add(
            key, _("A shipment cannot leave before its order was placed (%(date)s).") % {"date": placed.isoformat()}
        )
        return None
    return shipped_at


def _operations_users():
    from qudao.accounts.roles import OPERATIONS

    return list(get_user_model().objects.filter(is_active=True, role_assignments__role=OPERATIONS).distinct())


def _left_to_ship(order: Order) -> dict[int, int]:
    """{sku_id: units the order still has to ship} (gift lines included)."""
    left: dict[int, int] = defaultdict(int)
    for sku_id, quantity, shipped in order.lines.values_list("sku_id", "quantity", "shipped_quantity"):
        if quantity > shipped:
            left[sku_id] += quantity - shipped
    return dict(left)


def _lock_stock(sku_ids, warehouse_ids) -> None:
    """Take the stock rows a step will touch in (sku_id, warehouse_id) order up front, so a step
    that calls inventory more than once never holds one stock row while waiting for a lower one."""
    from qudao.inventory.models import StockLevel

    sku_ids, warehouse_ids = sorted(set(sku_ids)), sorted(set(warehouse_ids))
    if sku_ids and warehouse_ids:
        list(
            StockLevel.objects.select_for_update()
            .filter(sku_id__in=sku_ids, warehouse_id__in=warehouse_ids)
            .order_by("sku_id", "warehouse_id")
            .values_list("pk", flat=True)
        )


def allocation(order: Order) -> list[dict]:
    """What the order holds reserved, per SKU and warehouse (from the stock ledger)."""
    from qudao.catalog.models import Sku
    from qudao.inventory.models import Warehouse
    from qudao.inventory.services import held_by

    held = held_by(order.number)
    skus = {sku.pk: sku for sku in Sku.objects.filter(pk__in={sku for sku, _wh in held})}
    warehouses = {wh.pk: wh for wh in Warehouse.objects.filter(pk__in={wh for _sku, wh in held})}
    return [
        {"sku": skus[sku], "warehouse": warehouses[wh], "quantity": quantity}
        for (sku, wh), quantity in sorted(held.items(), key=lambda item: (skus[item[0][0]].code, item[0][1]))
    ]


def _publish(event: str, order: Order, payload: dict) -> None:
    publish(event, "order", order.number, {"number": order.number, "partner": order.partner_id} | payload)


def shipment_payload(shipment: Shipment) -> dict:
    return {
        "shipment": shipment.number,
        "warehouse": shipment.warehouse.code,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "status": shipment.status,
        "shipped_at": shipment.shipped_at.isoformat(),
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "lines": [
            {"line_no": line.order_line.line_no, "sku": line.order_line.sku.code, "quantity": line.quantity}
            for line in shipment.lines.select_related("order_line__sku")
        ],
    }


# --- allocation ----------------------------------------------------------------------------------


def allocate_order(*, order: Order, actor, warehouse_ids: list[int] | None = None) -> Order:
    """Operations allocates a confirmed order: it must hold reserved exactly what it still has to
    ship. What it lacks is reserved (nearest warehouses to the partner first, ADR 0014); with
    `warehouse_ids` every reservation is moved to those
    warehouses (filled in that order, splitting when one has too little). An allocated or
    partially shipped order may be allocated again to other warehouses (order.reallocated).

    :raises FieldErrors: "warehouses" (unknown or inactive, or too little stock there: nothing
        is released or reserved).
    :raises Conflict: the order is not confirmed (nor allocated, for a move).
    :raises Forbidden: the actor does not manage orders.
    """
    from qudao.inventory.models import Warehouse
    from qudao.inventory.services import held_by, release_stock, reserve_stock, shipping_warehouse_ids

    if warehouse_ids is not None:
        ids = [_whole(pk) for pk in warehouse_ids] if isinstance(warehouse_ids, list | tuple) else [None]
        ids = list(dict.fromkeys(ids))
        found = set(Warehouse.objects.filter(pk__in=[pk for pk in ids if pk], active=True).values_list("pk", flat=True))
        if not ids or None in ids or set(ids) - found:
            raise FieldErrors.single("warehouses", _("Name active warehouses."))
        warehouse_ids = ids
    with transaction.atomic():
        order = _lock(order)
        kind = _operations_kind(actor, order)
        first = order.status == OrderStatus.CONFIRMED
        if not first and not (warehouse_ids and order.status in SHIPPABLE):
            services.move(order, OrderStatus.ALLOCATED, actor=actor, kind=kind)  # refuses, with the reason
        needed = _left_to_ship(order)
        held: dict[int, int] = defaultdict(int)
        held_pairs = held_by(order.number)
        for (sku, _wh), quantity in held_pairs.items():
            held[sku] += quantity
        if warehouse_ids or dict(held) != needed:
            targets = warehouse_ids or shipping_warehouse_ids()
            _lock_stock(set(needed) | set(held), {wh for _sku, wh in held_pairs} | set(targets))
            release_stock(reference=order.number, actor=actor)
            lines = [(sku, needed[sku]) for sku in sorted(needed)]
            if lines:
                try:
                    reserve_stock(
                        reference=order.number,
                        lines=lines,
                        warehouse_ids=warehouse_ids,
                        near=order.partner.region,
                        actor=actor,
                    )
                except FieldErrors as error:
                    raise _allocation_errors(error, lines) from None
        if first:
            services.move(order, OrderStatus.ALLOCATED, actor=actor, kind=kind)
        else:
            _publish(
                "order.reallocated",
                order,
                {
                    "status": order.status,
                    "allocation": [
                        {"sku": row["sku"].code, "warehouse": row["warehouse"].code, "quantity": row["quantity"]}
                        for row in allocation(order)
                    ],
                },
            )
    return order


def _allocation_errors(error: FieldErrors, lines) -> FieldErrors:
    from qudao.catalog.models import Sku

    codes = dict(Sku.objects.filter(pk__in=[sku for sku, _qty in lines]).values_list("pk", "code"))
    mapped = FieldErrors()
    for key, messages in error.errors.items():
        parts = key.split(".")
        prefix = ""
        if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(lines):
            prefix = f"{codes.get(lines[int(parts[1])][0], '')}: "
        for message in messages:
            mapped.add("warehouses", f"{prefix}{message}")
    return mapped


# --- shipments -----------------------------------------------------------------------------------


def _clean_shipment_lines(order: Order, lines, warehouse, errors: FieldErrors, key: str = "lines") -> dict[int, int]:
    """{order_line_id: quantity} of a shipment, checked against what is left to ship and what the
    order holds reserved in `warehouse`; problems go to `errors`."""
    from qudao.inventory.services import held_by

    order_lines = {line.pk: line for line in order.lines.select_related("sku")}
    quantities: dict[int, int] = defaultdict(int)
    first_index: dict[int, int] = {}
    if not isinstance(lines, list | tuple) or not lines:
        errors.add(key, _("Give at least one line."))
        return {}
    for index, line in enumerate(lines):
        if not isinstance(line, list | tuple) or len(line) != 2:
            errors.add(f"{key}.{index}", _("Give an order line and a quantity."))
            continue
        line_id, quantity = line
        if _whole(line_id) is None or line_id not in order_lines:
            errors.add(f"{key}.{index}.line_no", _("This line is not on the order."))
            continue
        if _whole(quantity) is None:
            errors.add(f"{key}.{index}.quantity", _("Enter a whole number of at least 1."))
            continue
        quantities[line_id] += quantity
        first_index.setdefault(line_id, index)
    per_sku: dict[int, int] = defaultdict(int)
    sku_index: dict[int, int] = {}
    for line_id, quantity in quantities.items():
        line = order_lines[line_id]
        left = line.quantity - line.shipped_quantity
        if quantity > left:
            errors.add(
                f"{key}.{first_index[line_id]}.quantity",
                _("At most %(left)s left to ship on line %(line)s.") % {"left": left, "line": line.line_no},
            )
        per_sku[line.sku_id] += quantity
        sku_index.setdefault(line.sku_id, first_index[line_id])
    if warehouse is not None and per_sku:
        held = held_by(order.number)
        for sku_id, quantity in per_sku.items():
            reserved = held.get((sku_id, warehouse.pk), 0)
            if reserved < quantity:
                errors.add(
                    f"{key}.{sku_index[sku_id]}.quantity",
                    _("Only %(reserved)s reserved for this order in %(warehouse)s.")
                    % {"reserved": reserved, "warehouse": warehouse.code},
                )
    return dict(quantities)


def create_shipment(
    *,
    order: Order,
    warehouse,
    lines: list[tuple[int, int]],
    carrier: str = "",
    tracking_number: str = "",
    actor=None,
    shipped_at: datetime | None = None,
    source: str = TrackingSource.OPERATIONS,
    external_id: str | None = None,
) -> Shipment:
    """Ship (order_line_id, qty) lines of an allocated order from one warehouse that holds them
    reserved for it: the stock leaves (on hand and reserved go down), the lines' shipped
    quantities go up, the timeline starts with a "shipped" event, and the order becomes partially
    shipped or shipped. `external_id` is the ERP's number of the shipment (unique).

    :raises FieldErrors: warehouse, carrier, tracking_number, external_id, shipped_at (without a
        time zone, in the future, or before the day the order was placed), lines.<i>.line_no /
        .quantity (more than left to ship, or than reserved in the warehouse).
    :raises Conflict: the order is not allocated or partially shipped; the external id is taken.
    :raises Forbidden: the actor does not manage orders.
    """
    from qudao.inventory.models import Warehouse
    from qudao.inventory.services import ship_stock

    errors = FieldErrors()
    if not isinstance(warehouse, Warehouse):
        warehouse = Warehouse.objects.filter(pk=_whole(warehouse) or 0).first()
    if warehouse is None or not warehouse.active:
        errors.add("warehouse", _("Name an active warehouse."))
        warehouse = None
    carrier = stored_carrier(_text(carrier, errors, "carrier", 80))
    tracking_number = _text(tracking_number, errors, "tracking_number", 80)
    external_id = _text(external_id, errors, "external_id", 100) or None
    if source not in TrackingSource.values:
        errors.add("source", _("Choose one of: %(choices)s.") % {"choices": ", ".join(TrackingSource.values)})
    with transaction.atomic():
        order = _lock(order)
        shipped_at = check_shipped_at(order, shipped_at or timezone.now(), errors)
        # the lock order: the funds an order pays from (prepayment, rebate fund) are locked before
        # the stock (the capture of this shipment's share comes after it)
        services.lock_funds(
            order.partner, prepayment=order.payment_method == "prepayment", rebate=order.rebate_amount > 0
        )
        kind = _operations_kind(actor, order)
        if order.status not in SHIPPABLE:
            raise Conflict(
                gettext("An order that is %(status)s cannot be shipped.") % {"status": order.get_status_display()}
            )
        quantities = _clean_shipment_lines(order, lines, warehouse, errors)
        if errors.errors:
            raise errors
        if external_id and Shipment.objects.filter(external_id=external_id).exists():
            raise Conflict(gettext("A shipment with this ERP reference already exists."))
        order_lines = {line.pk: line for line in order.lines.filter(pk__in=quantities)}
        shipment = Shipment.objects.create(
            number=next_number("SH"),
            order=order,
            warehouse=warehouse,
            carrier=carrier,
            tracking_number=tracking_number,
            status=ShipmentStatus.SHIPPED,
            external_id=external_id,
            shipped_at=shipped_at,
            created_by=_user(actor),
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=quantity)
                for line_id, quantity in sorted(quantities.items())
            ]
        )
        stock: dict[int, int] = defaultdict(int)
        for line_id, quantity in sorted(quantities.items()):
            updated = OrderLine.objects.filter(
                pk=line_id, order=order, shipped_quantity__lte=F("quantity") - quantity
            ).update(shipped_quantity=F("shipped_quantity") + quantity)
            if not updated:  # pragma: no cover - guarded by the order lock and the check above
                raise Conflict(gettext("The order changed meanwhile. Reload it and try again."))
            stock[order_lines[line_id].sku_id] += quantity
        try:
            ship_stock(
                reference=order.number,
                lines=[(sku, warehouse.pk, quantity) for sku, quantity in sorted(stock.items())],
                actor=actor,
            )
        except FieldErrors as error:  # pragma: no cover - checked above under the order lock
            raise FieldErrors({"lines": [m for messages in error.errors.values() for m in messages]}) from None
        TrackingEvent.objects.create(
            shipment=shipment,
            status=ShipmentStatus.SHIPPED,
            at=shipped_at,
            source=source,
            note=gettext("Left %(warehouse)s") % {"warehouse": warehouse.name},
            created_by=_user(actor),
        )
        _publish("shipment.created", order, shipment_payload(shipment))
        complete = not OrderLine.objects.filter(order=order, shipped_quantity__lt=F("quantity")).exists()
        target = OrderStatus.SHIPPED if complete else OrderStatus.PARTIALLY_SHIPPED
        if order.status != target:
            services.move(order, target, actor=actor, kind=kind)  # takes the order's held money too
        else:  # another partial shipment: the order pays for what this one carries
            services.capture_shipped(order, actor)
    return shipment


# --- tracking ------------------------------------------------------------------------------------


def _clean_event(status, at, location, note, source, external_id, errors: FieldErrors, key: str = "") -> dict:
    prefix = f"{key}." if key else ""
    if status not in ShipmentStatus.values:
        errors.add(f"{prefix}status", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ShipmentStatus.values)})
    if source not in TrackingSource.values:
        errors.add(f"{prefix}source", _("Choose one of: %(choices)s.") % {"choices": ", ".join(TrackingSource.values)})
    now = timezone.now()
    if at is None:
        at = now
    elif not isinstance(at, datetime) or timezone.is_naive(at):
        errors.add(f"{prefix}at", _("Enter a date and time with its time zone (ISO 8601)."))
        at = now
    elif at > now + FUTURE_TOLERANCE:
        errors.add(f"{prefix}at", _("A tracking event cannot be in the future."))
    return {
        "status": status,
        "at": at,
        "location": _text(location, errors, f"{prefix}location", 200),
        "note": _text(note, errors, f"{prefix}note", 500),
        "source": source,
        "external_id": _text(external_id, errors, f"{prefix}external_id", 100),
    }


def _record_event(shipment: Shipment, order: Order, cleaned: dict, actor) -> tuple[TrackingEvent, bool]:
    """Record one cleaned event on a shipment whose order row is locked (see add_tracking_event)."""
    shipment = Shipment.objects.select_for_update().select_related("warehouse").get(pk=shipment.pk)
    existing = shipment.events.filter(external_id=cleaned["external_id"])
    if not cleaned["external_id"]:
        existing = existing.filter(status=cleaned["status"], at=cleaned["at"])
    found = existing.first()
    if found is not None:
        return found, False
    event = TrackingEvent.objects.create(shipment=shipment, created_by=_user(actor), **cleaned)
    latest = shipment.events.order_by("-at", "-pk").first()
    before = shipment.status
    shipment.status = latest.status
    shipment.delivered_at = latest.at if latest.status == ShipmentStatus.DELIVERED else None
    shipment.save()
    _publish(
        "shipment.tracking_updated",
        order,
        {
            "shipment": shipment.number,
            "status": shipment.status,
            "event": {
                "status": event.status,
                "at": event.at.isoformat(),
                "location": event.location,
                "note": event.note,
                "source": event.source,
                "external_id": event.external_id,
            },
        },
    )
    if shipment.status == ShipmentStatus.EXCEPTION and before != ShipmentStatus.EXCEPTION:
        notify(
            _operations_users(),
            kind="shipment.exception",
            title=_("Shipment %(number)s of order %(order)s: delivery exception"),
            body=_("%(location)s %(note)s"),
            params={"number": shipment.number, "order": order.number, "location": event.location, "note": event.note},
        )
    return event, True


def add_tracking_event(
    *,
    shipment: Shipment,
    status: str,
    at: datetime | None = None,
    location: str = "",
    note: str = "",
    source: str = TrackingSource.OPERATIONS,
    external_id: str = "",
    actor=None,
) -> tuple[TrackingEvent, bool]:
    """Add a step to a shipment's timeline. Idempotent: an event with an `external_id` the
    shipment already has (or, without one, the same status and time) is not recorded again and
    (event, False) is answered. The shipment's status becomes its latest event by time. A
    "delivered" event does not confirm the order's receipt (the partner does).

    :raises FieldErrors: status, at (not in the future), location, note, source, external_id.
    :raises Forbidden: the actor does not manage orders.
    """
    errors = FieldErrors()
    cleaned = _clean_event(status, at, location, note, source, external_id, errors)
    with transaction.atomic():
        order = _lock(shipment.order)
        _operations_kind(actor, order)
        if errors.errors:
            raise errors
        return _record_event(shipment, order, cleaned, actor)


# --- the ERP's shipment and tracking import ------------------------------------------------------


@dataclass
class _BulkRow:
    index: int
    order: Order | None = None
    shipment: Shipment | None = None
    new: dict | None = None  # {"warehouse", "lines": [(line_id, qty)], "carrier", ...}
    events: list[dict] = field(default_factory=list)


def import_tracking(*, rows: list[dict], actor, source: str = TrackingSource.ERP) -> list[dict]:
    """The ERP's (or a carrier's) shipments and tracking, all or nothing. Each row names an order
    by number and either an existing shipment by number, or a new shipment (`new_shipment`:
    warehouse code, carrier, tracking number, lines by line number, and the ERP's `external_id`,
    which makes a re-sent row find its shipment instead of shipping twice), with its `events`.
    Re-sending a batch changes nothing.

    :raises FieldErrors: "rows", or "rows.<i>.<field>" for every wrong row (nothing is written).
    :raises Forbidden: the actor does not manage orders.
    """
    from qudao.inventory.models import Warehouse

    if not getattr(actor, "is_authenticated", False) or not actor.can("orders.manage"):
        raise Forbidden()
    if source not in (TrackingSource.ERP, TrackingSource.CARRIER):
        raise FieldErrors.single("source", _("Choose one of: %(choices)s.") % {"choices": "erp, carrier"})
    if not isinstance(rows, list) or not rows:
        raise FieldErrors.single("rows", _("Give at least one row."))
    if len(rows) > MAX_BULK_ROWS:
        raise FieldErrors.single("rows", _("At most %(max)s rows in one request.") % {"max": MAX_BULK_ROWS})
    errors = FieldErrors(detail=NOTHING_CHANGED)
    numbers = {row.get("order") for row in rows if isinstance(row, dict) and isinstance(row.get("order"), str)}
    orders = {order.number: order for order in Order.objects.filter(number__in=numbers).select_related("partner")}
    parsed: list[_BulkRow] = []
    for index, row in enumerate(rows):
        key = f"rows.{index}"
        item = _BulkRow(index)
        if not isinstance(row, dict):
            errors.add(key, _("Give an object."))
            continue
        item.order = orders.get(row.get("order"))
        if item.order is None:
            errors.add(f"{key}.order", _("Unknown order."))
            continue
        shipment_number, new = row.get("shipment"), row.get("new_shipment")
        if bool(shipment_number) == bool(new):
            errors.add(f"{key}.shipment", _("Name a shipment, or give a new shipment (not both)."))
            continue
        if shipment_number:
            item.shipment = Shipment.objects.filter(order=item.order, number=shipment_number).first()
            if item.shipment is None:
                errors.add(f"{key}.shipment", _("This order has no such shipment."))
        else:
            item.new, item.shipment = _parse_new_shipment(new, item.order, errors, key, Warehouse)
        events = row.get("events") or []
        if not isinstance(events, list):
            errors.add(f"{key}.events", _("Give a list."))
            events = []
        for number, event in enumerate(events):
            if not isinstance(event, dict):
                errors.add(f"{key}.events.{number}", _("Give an object."))
                continue
            item.events.append(
                _clean_event(
                    event.get("status"),
                    event.get("at"),
                    event.get("location", ""),
                    event.get("note", ""),
                    source,
                    event.get("external_id", ""),
                    errors,
                    f"{key}.events.{number}",
                )
            )
        if shipment_number and not item.events:
            errors.add(f"{key}.events", _("Give at least one event."))
        parsed.append(item)
    _check_batch_quantities(parsed, errors)
    if errors.errors:
        raise errors
    results = []
    with transaction.atomic():
        locked = {
            order.pk: order
            for order in Order.objects.select_for_update(of=("self",))
            .select_related("partner")
            .filter(pk__in=sorted({item.order.pk for item in parsed}))
            .order_by("pk")
        }
        new_lines = [
            (item.new["warehouse"].pk, line_id) for item in parsed if item.new for line_id, _q in item.new["lines"]
        ]
        skus = OrderLine.objects.filter(pk__in={line_id for _wh, line_id in new_lines}).values_list("sku_id", flat=True)
        _lock_stock(set(skus), {wh for wh, _line in new_lines})
        for item in parsed:
            order = locked[item.order.pk]
            key = f"rows.{item.index}"
            created = False
            shipment = item.shipment
            if shipment is None:
                try:
                    shipment = create_shipment(
                        order=order,
                        warehouse=item.new["warehouse"],
                        lines=item.new["lines"],
                        carrier=item.new["carrier"],
                        tracking_number=item.new["tracking_number"],
                        shipped_at=item.new["shipped_at"],
                        external_id=item.new["external_id"],
                        source=source,
                        actor=actor,
                    )
                except FieldErrors as error:
                    raise _rekeyed(error, f"{key}.new_shipment") from None
                except Conflict as error:
                    raise _rekeyed(FieldErrors.single("order", error.detail), key) from None
                created = True
                order.refresh_from_db()
            added = unchanged = 0
            for cleaned in item.events:
                _event, new_event = _record_event(shipment, order, cleaned, actor)
                added, unchanged = added + new_event, unchanged + (not new_event)
            shipment.refresh_from_db()
            results.append(
                {
                    "row": item.index,
                    "order": order.number,
                    "shipment": shipment.number,
                    "shipment_created": created,
                    "events_added": added,
                    "events_unchanged": unchanged,
                    "status": shipment.status,
                }
            )
    return results


def _parse_new_shipment(new, order: Order, errors: FieldErrors, row_key: str, warehouse_model):
    """(cleaned new-shipment data, None) or (None, the existing shipment of its external id)."""
    key = f"{row_key}.new_shipment"
    if not isinstance(new, dict):
        errors.add(key, _("Give an object."))
        return None, None
    external_id = new.get("external_id")
    if not isinstance(external_id, str) or not external_id.strip():
        errors.add(f"{key}.external_id", _("Give the ERP's number of the shipment (a re-sent import is then safe)."))
        return None, None
    existing = Shipment.objects.filter(external_id=external_id.strip()).first()
    if existing is not None:
        if existing.order_id != order.pk:
            errors.add(f"{key}.external_id", _("A shipment of another order has this ERP reference."))
        return None, existing
    if order.status not in SHIPPABLE:
        errors.add(
            f"{row_key}.order",
            _("An order that is %(status)s cannot be shipped.") % {"status": order.get_status_display()},
        )
    warehouse = warehouse_model.objects.filter(code=str(new.get("warehouse") or "").strip().upper()).first()
    if warehouse is None or not warehouse.active:
        errors.add(f"{key}.warehouse", _("Unknown warehouse."))
    line_ids = dict(order.lines.values_list("line_no", "pk"))
    lines = []
    raw_lines = new.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors.add(f"{key}.lines", _("Give at least one line."))
        raw_lines = []
    for number, line in enumerate(raw_lines):
        line_no = line.get("line_no") if isinstance(line, dict) else None
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if _whole(line_no) is None or line_no not in line_ids:
            errors.add(f"{key}.lines.{number}.line_no", _("This line is not on the order."))
        elif _whole(quantity) is None:
            errors.add(f"{key}.lines.{number}.quantity", _("Enter a whole number of at least 1."))
        else:
            lines.append((line_ids[line_no], quantity))
    shipped_at = new.get("shipped_at")
    if shipped_at is not None:  # checked here too, so that every wrong row is named at once
        shipped_at = check_shipped_at(order, shipped_at, errors, f"{key}.shipped_at")
    return {
        "warehouse": warehouse,
        "lines": lines,
        "carrier": new.get("carrier") or "",
        "tracking_number": new.get("tracking_number") or "",
        "shipped_at": shipped_at,
        "external_id": external_id.strip(),
        "key": key,
    }, None


def _check_batch_quantities(parsed: list[_BulkRow], errors: FieldErrors) -> None:
    """New shipments of one batch together never ship more than is left on a line, nor more than
    the order holds reserved in the warehouse (checked again under the locks when written)."""
    from qudao.inventory.services import held_by

    shipped: dict[int, int] = defaultdict(int)
    taken: dict[tuple[str, int, int], int] = defaultdict(int)
    held_cache: dict[str, dict] = {}
    for item in parsed:
        if not item.new or item.new["warehouse"] is None:
            continue
        order = item.order
        lines = {line.pk: line for line in order.lines.all()}
        held = held_cache.setdefault(order.number, held_by(order.number))
        for number, (line_id, quantity) in enumerate(item.new["lines"]):
            line = lines[line_id]
            shipped[line_id] += quantity
            left = line.quantity - line.shipped_quantity
            key = f"{item.new['key']}.lines.{number}.quantity"
            if shipped[line_id] > left:
                errors.add(
                    key, _("At most %(left)s left to ship on line %(line)s.") % {"left": left, "line": line.line_no}
                )
                continue
            pair = (order.number, line.sku_id, item.new["warehouse"].pk)
            taken[pair] += quantity
            reserved = held.get(pair[1:], 0)
            if taken[pair] > reserved:
                errors.add(
                    key,
                    _("Only %(reserved)s reserved for this order in %(warehouse)s.")
                    % {"reserved": reserved, "warehouse": item.new["warehouse"].code},
                )


def _rekeyed(error: FieldErrors, prefix: str) -> FieldErrors:
    rekeyed = FieldErrors(detail=NOTHING_CHANGED)
    for key, messages in error.errors.items():
        for message in messages:
            rekeyed.add(f"{prefix}.{key}", message)
    return rekeyed


# --- delivery ------------------------------------------------------------------------------------


def validate_photo(upload, key: str, errors: FieldErrors) -> None:
    """A photo: JPEG, PNG or WebP by extension AND content, at most PHOTO_MAX_BYTES, not empty."""
    check_upload(
        upload,
        errors,
        key,
        kinds=PHOTOS,
        max_bytes=PHOTO_MAX_BYTES,
        wrong_kind=_("Upload a JPG, PNG or WebP photo."),
        not_genuine=_("The file is not a real JPG, PNG or WebP photo."),
    )


def _clean_discrepancies(order: Order, discrepancies, errors: FieldErrors) -> list[dict]:
    if discrepancies in (None, []):
        return []
    if not isinstance(discrepancies, list | tuple):
        errors.add("discrepancies", _("Give a list."))
        return []
    order_lines = {line.pk: line for line in order.lines.all()}
    shipments = {shipment.pk: shipment for shipment in order.shipments.all()}
    by_number = {shipment.number: shipment for shipment in shipments.values()}
    cleaned = []
    for index, item in enumerate(discrepancies):
        key = f"discrepancies.{index}"
        if not isinstance(item, dict):
            errors.add(key, _("Give an object."))
            continue
        kind = item.get("kind")
        if kind not in DiscrepancyKind.values:
            errors.add(f"{key}.kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(DiscrepancyKind.values)})
        shipment = item.get("shipment")
        if shipment not in (None, ""):
            shipment = by_number.get(shipment) if isinstance(shipment, str) else shipments.get(_whole(shipment))
            if shipment is None:
                errors.add(f"{key}.shipment", _("This order has no such shipment."))
        else:
            shipment = None
        description = _text(
            item.get("description", ""),
            errors,
            f"{key}.description",
            2000,
            required_message=_("Describe what is wrong.") if kind == DiscrepancyKind.OTHER else None,
        )
        lines: dict[int, int] = {}
        raw_lines = item.get("lines") or []
        if not isinstance(raw_lines, list):
            errors.add(f"{key}.lines", _("Give a list."))
            raw_lines = []
        if not raw_lines and kind in (DiscrepancyKind.SHORT, DiscrepancyKind.DAMAGED, DiscrepancyKind.WRONG_ITEM):
            errors.add(f"{key}.lines", _("Name the lines and quantities concerned."))
        for number, line in enumerate(raw_lines):
            line_id = line[0] if isinstance(line, list | tuple) and len(line) == 2 else None
            quantity = line[1] if line_id is not None else None
            order_line = order_lines.get(_whole(line_id) or 0)
            if order_line is None:
                errors.add(f"{key}.lines.{number}.line_no", _("This line is not on the order."))
            elif _whole(quantity) is None:
                errors.add(f"{key}.lines.{number}.quantity", _("Enter a whole number of at least 1."))
            elif lines.get(order_line.pk, 0) + quantity > order_line.shipped_quantity:
                errors.add(
                    f"{key}.lines.{number}.quantity",
                    _("At most %(shipped)s were shipped on line %(line)s.")
                    % {"shipped": order_line.shipped_quantity, "line": order_line.line_no},
                )
            else:
                lines[order_line.pk] = lines.get(order_line.pk, 0) + quantity
        photos = list(item.get("photos") or [])
        if len(photos) > PHOTOS_PER_CASE:
            errors.add(f"{key}.photos", _("At most %(max)s photos.") % {"max": PHOTOS_PER_CASE})
        for photo in photos:
            validate_photo(photo, f"{key}.photos", errors)
        cleaned.append(
            {"kind": kind, "shipment": shipment, "description": description, "lines": lines, "photos": photos}
        )
    return cleaned


def confirm_delivery(*, order: Order, actor, discrepancies: list[dict] | None = None, note: str = ""):
    """The partner confirms receipt of a shipped order (shipped -> delivered). Each discrepancy
    ({"kind": short|damaged|wrong_item|other, "shipment": id or number, "lines": [(order_line_id,
    qty)], "description", "photos": [uploads]}) opens a case for operations, who are told in-app.

    :raises FieldErrors: note, discrepancies.<i>.<field> (nothing is written).
    :raises Conflict: the order is not shipped (e.g. still partially shipped, or already delivered).
    :raises Forbidden: the actor may not confirm this order's receipt.
    """
    if services.actor_kind(actor, order) not in (lifecycle.PARTNER, lifecycle.OPERATIONS) or actor is None:
        raise Forbidden()
    errors = FieldErrors()
    note = _text(note, errors, "note", 500)
    cleaned = _clean_discrepancies(order, discrepancies, errors)
    if errors.errors:
        raise errors
    with transaction.atomic():
        order = _lock(order)
        kind = services.actor_kind(actor, order)
        services.move(order, OrderStatus.DELIVERED, actor=actor, kind=kind, reason=note)
        confirmation = DeliveryConfirmation.objects.create(
            order=order,
            kind=DeliveryConfirmation.Kind.PARTNER
            if kind == lifecycle.PARTNER
            else DeliveryConfirmation.Kind.OPERATIONS,
            note=note,
            confirmed_by=_user(actor),
        )
        cases = [_open_case(order, confirmation, item, actor) for item in cleaned]
    confirmation.opened_cases = cases
    return confirmation


def _open_case(order: Order, confirmation: DeliveryConfirmation, item: dict, actor) -> DiscrepancyCase:
    case = DiscrepancyCase.objects.create(
        number=next_number("DC"),
        order=order,
        shipment=item["shipment"],
        confirmation=confirmation,
        kind=item["kind"],
        description=item["description"],
        created_by=_user(actor),
    )
    DiscrepancyLine.objects.bulk_create(
        [
            DiscrepancyLine(case=case, order_line_id=line_id, quantity=quantity)
            for line_id, quantity in sorted(item["lines"].items())
        ]
    )
    for upload in item["photos"]:
        photo = DiscrepancyPhoto(case=case, name=(upload.name or "")[:200], size=upload.size)
        photo.file.save(stored_name(upload, "photo"), upload, save=True)
    lines = [
        {"line_no": line.order_line.line_no, "sku": line.order_line.sku.code, "quantity": line.quantity}
        for line in case.lines.select_related("order_line__sku")
    ]
    _publish(
        "order.discrepancy_reported",
        order,
        {
            "case": case.number,
            "kind": case.kind,
            "shipment": case.shipment.number if case.shipment_id else None,
            "lines": lines,
        },
    )
    notify(
        _operations_users(),
        kind="order.discrepancy_reported",
        title=_("Order %(order)s: %(kind)s reported (%(case)s)"),
        body=_("%(partner)s: %(description)s"),
        params={
            "order": order.number,
            "kind": DiscrepancyKind(case.kind).label,
            "case": case.number,
            "partner": str(order.partner),
            "description": case.description,
        },
    )
    return case


def auto_confirm_deliveries(now: datetime | None = None) -> list[str]:
    """Orders shipped more than QUDAO_ORDER_AUTO_CONFIRM_DAYS days ago (by the time they became
    shipped) and not confirmed by the partner become delivered by the system. Each order in its own
    transaction; returns their numbers."""
    now = now or timezone.now()
    days = int(getattr(settings, "ORDER_AUTO_CONFIRM_DAYS", 7))
    cutoff = now - timedelta(days=days)
    due = (
        Order.objects.filter(status=OrderStatus.SHIPPED)
        .annotate(
            shipped_on=Max("status_changes__at", filter=Q(status_changes__to_status=OrderStatus.SHIPPED)),
        )
        .filter(shipped_on__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    confirmed = []
    for pk in list(due):
        with transaction.atomic():
            order = Order.objects.select_for_update(of=("self",)).select_related("partner").get(pk=pk)
            if order.status != OrderStatus.SHIPPED:
                continue
            reason = gettext("Receipt confirmed automatically after %(days)s days.") % {"days": days}
            services.move(order, OrderStatus.DELIVERED, kind=lifecycle.SYSTEM, reason=reason)
            DeliveryConfirmation.objects.create(order=order, kind=DeliveryConfirmation.Kind.SYSTEM, note=reason, at=now)
            confirmed.append(order.number)
    return confirmed


def complete_order(*, order: Order, actor=None) -> Order:
    """Operations (or the system) completes a delivered order once its discrepancy cases are
    resolved. :raises Conflict: not delivered, or a case is open. :raises Forbidden."""
    with transaction.atomic():
        order = _lock(order)
        kind = _operations_kind(actor, order)
        if order.status == OrderStatus.DELIVERED and order.cases.filter(status=DiscrepancyCase.Status.OPEN).exists():
            raise Conflict(gettext("Resolve the open discrepancy cases of this order first."))
        services.move(order, OrderStatus.COMPLETED, actor=actor, kind=kind)
    return order


def resolve_case(*, case: DiscrepancyCase, actor, resolution: str) -> DiscrepancyCase:
    """Operations closes a case with what was done (re-sent, credited, refused...); the partner
    user who reported it is told in-app.

    :raises FieldErrors: resolution (required). :raises Conflict: already resolved.
    :raises Forbidden: the actor does not manage orders.
    """
    errors = FieldErrors()
    resolution = _text(resolution, errors, "resolution", 2000, required_message=_("Say how the case was resolved."))
    with transaction.atomic():
        order = _lock(case.order)
        if services.actor_kind(actor, order) != lifecycle.OPERATIONS:
            raise Forbidden()
        if errors.errors:
            raise errors
        case = DiscrepancyCase.objects.select_for_update().get(pk=case.pk)
        if case.status != DiscrepancyCase.Status.OPEN:
            raise Conflict(gettext("This case is already resolved."))
        case.status = DiscrepancyCase.Status.RESOLVED
        case.resolution = resolution
        case.resolved_by = _user(actor)
        case.resolved_at = timezone.now()
        case.save()
        _publish("order.discrepancy_resolved", order, {"case": case.number, "resolution": resolution})
        if case.created_by is not None and case.created_by.is_active:
            notify(
                [case.created_by],
                kind="order.discrepancy_resolved",
                title=_("Order %(order)s: case %(case)s resolved"),
                body=_("%(resolution)s"),
                params={"order": order.number, "case": case.number, "resolution": resolution},
            )
    return case
