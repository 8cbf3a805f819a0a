"""Returns (RMA) and credit notes.

    requested --approve_return--> approved --receive_return--> received --(same transaction)--> credited
              \\--reject_return--> rejected
    requested or approved --cancel_return--> cancelled

Cancelling. The buyer's users (those who may ask for returns) cancel their partner's return while it
is requested or approved and nothing has come back; operations may cancel too, saying why. The
cancellation is recorded like a decision (by, when, the reason as note) and its units may be asked
back again.

Requesting. The buyer's users (or operations) ask to send back units of a shipped, delivered or
completed order, with a reason, a description and photos. Per order line, what may still be asked
back is the shipped quantity minus what the other returns of that line hold (requested and
approved returns: their requested units; received and credited ones: the units that came back;
rejected and cancelled returns hold nothing). The check runs under the order's row lock, so two
simultaneous requests cannot both take the last units.

Receiving. Operations records, per return line, how many units came back and their condition, and
the warehouse they come back to. Through `inventory.return_stock`, in one lock of the stock rows,
sellable units go back on hand there (entry kind "return") and quarantined units into the
quarantine of the SAME warehouse (kind "quarantine"): not on hand, never available, until
operations releases them to on hand or scraps them on the inventory pages. Both entries carry the
RMA number as reference; the return line keeps the condition. E.g. 2 sellable + 1 quarantined of a
SKU: on hand +2, available +2, quarantined +1.

Crediting. Right after receipt a credit note is issued: per line, received units at the order line's
true net unit price (line total after the order-level discounts allocated to it / units ordered,
exact), rounded to the cent once per line; the note's amount is the sum of its lines (recorded per
order line in CreditNoteLine, for finance, rebates and promotion consumption). A line credited over
several returns never gives back more than its line total. When the order was paid partly from the
rebate fund, the rebate fund's share of what came back goes back to the fund (a deposit with the
credit note's number as reference) and the credit note's amount is the rest: the share is the
order's rebate_amount x (the value of all its credit notes so far / its total), rounded to the
cent, less what earlier credit notes gave back, so returning everything gives back exactly
rebate_amount.

Locks: the order row first, then the return row, then the rebate fund (an order paid partly from
it), then stock (inventory locks its own rows). Every
move publishes an outbox event in the same transaction, with the order as aggregate (one order's
events are delivered in order): return.requested, return.approved, return.rejected,
return.cancelled, return.received, return.credited.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.events import publish
from qudao.core.money import quantize, unit_price_text
from qudao.core.notifications import notify
from qudao.core.numbering import next_number
from qudao.core.uploads import stored_name
from qudao.core.validators import clean_past_date

from . import lifecycle, services
from .models import (
    RETURN_COUNTING,
    CreditNote,
    CreditNoteLine,
    Order,
    OrderLine,
    OrderStatus,
    ReturnCondition,
    ReturnLine,
    ReturnPhoto,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
    ShipmentLine,
)
from .shipping import PHOTOS_PER_CASE, _lock, _operations_users, _text, _user, _whole, validate_photo

RETURNABLE = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def _publish(event: str, rma: ReturnRequest, payload: dict | None = None) -> None:
    body = {"number": rma.number, "order": rma.order.number, "partner": rma.partner_id, "status": rma.status}
    publish(event, "order", rma.order.number, body | (payload or {}))


def _partner_users(order: Order) -> list:
    from qudao.accounts.models import User

    partner_ids = [order.partner_id] + ([order.ordered_by_partner_id] if order.ordered_by_partner_id else [])
    return list(
        User.objects.filter(is_active=True, partner_member__partner_id__in=partner_ids, partner_member__is_active=True)
    )


def returned_quantities(order: Order, *, exclude: ReturnRequest | None = None) -> dict[int, int]:
    """{order_line_id: units held by the order's returns} (requested/approved: asked; received/
    credited: received; rejected/cancelled: nothing)."""
    held: dict[int, int] = defaultdict(int)
    rows = ReturnLine.objects.filter(
        return_request__order=order, return_request__status__in=RETURN_COUNTING
    ).values_list("order_line_id", "quantity", "received_quantity", "return_request__status", "return_request_id")
    for line_id, quantity, received, status, return_id in rows:
        if exclude is not None and return_id == exclude.pk:
            continue
        held[line_id] += received if status in (ReturnStatus.RECEIVED, ReturnStatus.CREDITED) else quantity
    return dict(held)


def returnable_quantities(order: Order) -> dict[int, int]:
    """{order_line_id: units that may still be asked back} (shipped minus held by returns)."""
    held = returned_quantities(order)
    return {
        line.pk: max(line.shipped_quantity - held.get(line.pk, 0), 0)
        for line in order.lines.all()
        if line.shipped_quantity
    }


def _clean_request(order: Order, lines, reason, description, photos, errors: FieldErrors) -> dict[int, int]:
    if reason not in ReturnReason.values:
        errors.add("reason", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ReturnReason.values)})
    _text(
        description,
        errors,
        "description",
        2000,
        required_message=_("Describe why the goods come back.") if reason == ReturnReason.OTHER else None,
    )
    if len(photos) > PHOTOS_PER_CASE:
        errors.add("photos", _("At most %(max)s photos.") % {"max": PHOTOS_PER_CASE})
    for photo in photos:
        validate_photo(photo, "photos", errors)
    wanted: dict[int, int] = {}
    if not isinstance(lines, list | tuple) or not lines:
        errors.add("lines", _("Name the lines and quantities to return."))
        return wanted
    order_lines = {line.pk: line for line in order.lines.all()}
    left = returnable_quantities(order)
    for index, line in enumerate(lines):
        line_id = line[0] if isinstance(line, list | tuple) and len(line) == 2 else None
        quantity = line[1] if line_id is not None else None
        order_line = order_lines.get(_whole(line_id) or 0)
        if order_line is None:
            errors.add(f"lines.{index}.line", _("This line is not on the order."))
        elif _whole(quantity) is None:
            errors.add(f"lines.{index}.quantity", _("Enter a whole number of at least 1."))
        elif wanted.get(order_line.pk, 0) + quantity > left.get(order_line.pk, 0):
            errors.add(
                f"lines.{index}.quantity",
                _("At most %(left)s of line %(line)s may still be returned.")
                % {"left": left.get(order_line.pk, 0) - wanted.get(order_line.pk, 0), "line": order_line.line_no},
            )
        else:
            wanted[order_line.pk] = wanted.get(order_line.pk, 0) + quantity
    return wanted


def request_return(*, order: Order, lines, reason: str, description: str = "", photos=None, actor) -> ReturnRequest:
    """The buyer's users (or operations) ask to return units of a shipped, delivered or completed
    order. `lines`: [(order_line_id, qty)] in base units.

    :raises FieldErrors: reason, description, photos, lines, lines.<i>.line, lines.<i>.quantity
        (nothing is written).
    :raises Conflict: the order is not shipped, delivered or completed.
    :raises Forbidden: the actor may not return this order's goods.
    """
    if actor is None or services.actor_kind(actor, order) not in (lifecycle.PARTNER, lifecycle.OPERATIONS):
        raise Forbidden()
    photos = list(photos or [])
    with transaction.atomic():
        order = _lock(order)
        if order.status not in RETURNABLE:
            raise Conflict(
                gettext("An order that is %(status)s cannot be returned.") % {"status": order.get_status_display()}
            )
        errors = FieldErrors()
        wanted = _clean_request(order, lines, reason, description, photos, errors)
        if errors.errors:
            raise errors
        rma = ReturnRequest.objects.create(
            number=next_number("RMA"),
            order=order,
            partner=order.partner,
            reason=reason,
            description=(description or "").strip(),
            created_by=_user(actor),
        )
        ReturnLine.objects.bulk_create(
            [
                ReturnLine(return_request=rma, order_line_id=line_id, quantity=quantity)
                for line_id, quantity in sorted(wanted.items())
            ]
        )
        for upload in photos:
            photo = ReturnPhoto(return_request=rma, name=(upload.name or "")[:200], size=upload.size)
            photo.file.save(stored_name(upload, "photo"), upload, save=True)
        _publish("return.requested", rma, {"reason": rma.reason, "lines": _lines_payload(rma)})
        notify(
            _operations_users(),
            kind="return.requested",
            title=_("Return %(number)s requested for order %(order)s"),
            body=_("%(partner)s: %(reason)s. %(description)s"),
            params={
                "number": rma.number,
                "order": order.number,
                "partner": str(order.partner),
                "reason": ReturnReason(rma.reason).label,
                "description": rma.description,
            },
            url=f"/orders/returns/{rma.number}/",
        )
    return rma


def _lines_payload(rma: ReturnRequest) -> list[dict]:
    return [
        {
            "line_no": line.order_line.line_no,
            "sku": line.order_line.sku.code,
            "quantity": line.quantity,
            "received_quantity": line.received_quantity,
            "condition": line.condition or None,
        }
        for line in rma.lines.select_related("order_line__sku")
    ]


def _locked_for_operations(rma: ReturnRequest, actor) -> tuple[Order, ReturnRequest]:
    order = _lock(rma.order)
    if actor is None or services.actor_kind(actor, order) != lifecycle.OPERATIONS:
        raise Forbidden()
    rma = ReturnRequest.objects.select_for_update().get(pk=rma.pk)
    rma.order = order
    return order, rma


def _decide(rma: ReturnRequest, actor, note, to_status: str, event: str, title) -> ReturnRequest:
    errors = FieldErrors()
    note = _text(
        note,
        errors,
        "note",
        500,
        required_message=_("Say why the return is rejected.") if to_status == ReturnStatus.REJECTED else None,
    )
    with transaction.atomic():
        order, rma = _locked_for_operations(rma, actor)
        if errors.errors:
            raise errors
        if rma.status != ReturnStatus.REQUESTED:
            raise Conflict(
                gettext("A return that is %(status)s cannot be decided.") % {"status": rma.get_status_display()}
            )
        rma.status = to_status
        rma.decided_by = _user(actor)
        rma.decided_at = timezone.now()
        rma.decision_note = note
        rma.save()
        _publish(event, rma, {"note": note})
        notify(
            _partner_users(order),
            kind=event,
            title=title,
            body=_("%(note)s"),
            params={"number": rma.number, "order": order.number, "note": note},
            url=f"/portal/returns/{rma.number}/",
        )
    return rma


def approve_return(*, return_request: ReturnRequest, actor, note: str = "") -> ReturnRequest:
    """Operations approves a requested return (the partner may send the goods); the partner's users
    are told in-app. :raises Conflict: not requested. :raises Forbidden."""
    return _decide(
        return_request,
        actor,
        note,
        ReturnStatus.APPROVED,
        "return.approved",
        _("Return %(number)s of order %(order)s approved"),
    )


def reject_return(*, return_request: ReturnRequest, actor, note: str) -> ReturnRequest:
    """Operations rejects a requested return, saying why; its units may be asked back again.
    :raises FieldErrors: note (required). :raises Conflict: not requested. :raises Forbidden."""
    return _decide(
        return_request,
        actor,
        note,
        ReturnStatus.REJECTED,
        "return.rejected",
        _("Return %(number)s of order %(order)s rejected"),
    )


CANCELLABLE = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED)


def may_cancel(user, return_request: ReturnRequest) -> bool:
    """Whether `user` may cancel the return (whatever its status): operations, or an
    administrator of the buyer (or of the distributor that placed the order) - not its staff."""
    kind = services.actor_kind(user, return_request.order) if user is not None else None
    if kind == lifecycle.OPERATIONS:
        return True
    return kind == lifecycle.PARTNER and user.can("orders.cancel_return")


def cancel_return(*, return_request: ReturnRequest, actor, reason: str = "") -> ReturnRequest:
    """The buyer's administrators (`orders.cancel_return`; its staff may ask for returns, not
    cancel them) or operations cancel a return that is
    requested or approved and of which nothing came back; operations says why (`reason`, kept as
    the decision note with who and when, like approve and reject). Its units may be asked back
    again; the other side is told in-app (operations when the partner cancels, the partner's users
    when operations does).

    :raises FieldErrors: reason (required for operations; at most 500 characters; nothing written).
    :raises Conflict: received, credited, rejected or cancelled already.
    :raises Forbidden: neither the buyer's administrators nor operations.
    """
    if not may_cancel(actor, return_request):
        raise Forbidden()
    with transaction.atomic():
        order = _lock(return_request.order)
        kind = services.actor_kind(actor, order) if actor is not None else None
        if kind not in (lifecycle.PARTNER, lifecycle.OPERATIONS):
            raise Forbidden()
        rma = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        rma.order = order
        errors = FieldErrors()
        reason = _text(
            reason,
            errors,
            "reason",
            500,
            required_message=_("Say why the return is cancelled.") if kind == lifecycle.OPERATIONS else None,
        )
        if errors.errors:
            raise errors
        if rma.status not in CANCELLABLE or rma.lines.filter(received_quantity__gt=0).exists():
            raise Conflict(
                gettext("A return that is %(status)s cannot be cancelled.") % {"status": rma.get_status_display()}
            )
        from_status = rma.status
        rma.status = ReturnStatus.CANCELLED
        rma.decided_by = _user(actor)
        rma.decided_at = timezone.now()
        rma.decision_note = reason
        rma.save()
        _publish("return.cancelled", rma, {"from_status": from_status, "by": kind, "note": reason})
        title = _("Return %(number)s of order %(order)s cancelled")
        params = {"number": rma.number, "order": order.number, "partner": str(order.partner), "note": reason}
        if kind == lifecycle.PARTNER:
            notify(
                _operations_users(),
                kind="return.cancelled",
                title=title,
                body=_("%(partner)s: %(note)s"),
                params=params,
                url=f"/orders/returns/{rma.number}/",
            )
        else:
            notify(
                _partner_users(order),
                kind="return.cancelled",
                title=title,
                body=_("%(note)s"),
                params=params,
                url=f"/portal/returns/{rma.number}/",
            )
    return rma


def _clean_receipt(rma: ReturnRequest, lines, errors: FieldErrors) -> dict[int, tuple[int, str]]:
    own = {line.pk: line for line in rma.lines.all()}
    received: dict[int, tuple[int, str]] = {}
    if not isinstance(lines, list | tuple) or not lines:
        errors.add("lines", _("Say how many units of each line came back."))
        return received
    for index, row in enumerate(lines):
        if not isinstance(row, list | tuple) or len(row) != 3:
            errors.add(f"lines.{index}", _("Give the line, the quantity received and its condition."))
            continue
        line_id, quantity, condition = row
        line = own.get(_whole(line_id) or 0)
        if line is None or line.pk in received:
            errors.add(f"lines.{index}.line", _("This line is not on the return (or is given twice)."))
            continue
        if _whole(quantity, minimum=0) is None or quantity > line.quantity:
            errors.add(
                f"lines.{index}.quantity",
                _("Enter a whole number from 0 to %(max)s.") % {"max": line.quantity},
            )
        if condition not in ReturnCondition.values:
            errors.add(
                f"lines.{index}.condition",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(ReturnCondition.values)},
            )
        received[line.pk] = (quantity, condition)
    if not errors.errors and not any(quantity for quantity, _condition in received.values()):
        errors.add("lines", _("Receive at least one unit."))
    return received


def clean_credited_on(value, rma: ReturnRequest, errors: FieldErrors, key: str = "credited_on"):
    """The credit note's business date when the ERP (or operations) gives one - the day the goods
    were received and credited there - else None (today): a date, not in the future, not before the
    returned goods first shipped."""
    value = clean_past_date(value, errors, key)
    if value is None:
        return None
    shipped = ShipmentLine.objects.filter(order_line__return_lines__return_request=rma).aggregate(
        first=Min("shipment__shipped_at")
    )["first"]
    if shipped is not None and value < timezone.localdate(shipped):
        errors.add(
            key,
            _("The goods shipped on %(date)s: they cannot be credited before.")
            % {"date": timezone.localdate(shipped).isoformat()},
        )
        return None
    return value


def receive_return(*, return_request: ReturnRequest, warehouse, lines, actor, credited_on=None) -> ReturnRequest:
    """Operations records what came back of an approved return: `lines` [(return_line_id,
    received_qty, "sellable" | "quarantine")] (lines not named: nothing came back). Sellable units go
    back on hand in `warehouse` ("return" entries), quarantined ones into the quarantine of the same
    warehouse ("quarantine" entries: never available until released), with the RMA number as
    reference. Then the credit note is issued (received -> credited), dated `credited_on` (its
    business date, e.g. the day the ERP received the goods; default today).

    :raises FieldErrors: warehouse, lines, lines.<i>.<line|quantity|condition>, credited_on.
    :raises Conflict: the return is not approved. :raises Forbidden.
    """
    from qudao.inventory import services as inventory

    with transaction.atomic():
        order, rma = _locked_for_operations(return_request, actor)
        if rma.status != ReturnStatus.APPROVED:
            raise Conflict(
                gettext("A return that is %(status)s cannot be received.") % {"status": rma.get_status_display()}
            )
        errors = FieldErrors()
        received = _clean_receipt(rma, lines, errors)
        if warehouse is None or not warehouse.active:
            errors.add("warehouse", _("Choose an active warehouse."))
        credited_on = clean_credited_on(credited_on, rma, errors)
        if errors.errors:
            raise errors
        if order.rebate_amount > 0:  # the lock order: the rebate fund (credited below) before the stock
            services.lock_funds(order.partner, prepayment=False, rebate=True)
        return_lines = {line.pk: line for line in rma.lines.select_related("order_line")}
        into: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for line_id, (quantity, condition) in sorted(received.items()):
            line = return_lines[line_id]
            line.received_quantity = quantity
            line.condition = condition
            line.save(update_fields=["received_quantity", "condition"])
            if quantity:
                into[condition][line.order_line.sku_id] += quantity
        inventory.return_stock(
            warehouse_id=warehouse.pk,
            lines=sorted(into[ReturnCondition.SELLABLE].items()),
            quarantined=sorted(into[ReturnCondition.QUARANTINE].items()),
            reference=rma.number,
            actor=actor,
        )
        rma.status = ReturnStatus.RECEIVED
        rma.received_by = _user(actor)
        rma.received_at = timezone.now()
        rma.warehouse = warehouse
        rma.save()
        _publish("return.received", rma, {"warehouse": warehouse.code, "lines": _lines_payload(rma)})
        _credit(order, rma, issued_on=credited_on)
    return rma


def credit_lines(rma: ReturnRequest) -> list[CreditNoteLine]:
    """The credit of each received line at the true net price the partner paid: the order line's
    total (after allocated discounts) × units / units ordered, rounded to the cent once per line.
    What earlier credit notes gave for the same order line is taken into account, so that crediting
    every unit of a line, in one return or several, gives back exactly its line total."""
    credited = []
    for line in rma.lines.select_related("order_line").order_by("order_line__line_no"):
        if not line.received_quantity:
            continue
        order_line = line.order_line
        before = CreditNoteLine.objects.filter(order_line=order_line).exclude(return_line=line)
        units_before = sum(before.values_list("quantity", flat=True))
        amount_before = sum(before.values_list("amount", flat=True), Decimal("0"))
        units = units_before + line.received_quantity
        amount = quantize(order_line.line_total * units / order_line.quantity) - amount_before
        credited.append(
            CreditNoteLine(
                return_line=line,
                order_line=order_line,
                quantity=line.received_quantity,
                unit_price=order_line.net_unit_price,
                amount=amount,
            )
        )
    return credited


def rebate_share(order: Order, value: Decimal) -> Decimal:
    """What goes back to the rebate fund of a credit note of `value` for `order`: rebate_amount x
    (the value of the order's credit notes so far, this one included) / the order total, rounded
    to the cent, less what its earlier credit notes gave back (never more than rebate_amount)."""
    if order.rebate_amount <= 0 or order.total <= 0:
        return Decimal("0")
    earlier = CreditNote.objects.filter(return_request__order=order)
    before = sum((note.amount + note.rebate_amount for note in earlier), Decimal("0"))
    given = sum((note.rebate_amount for note in earlier), Decimal("0"))
    due = min(quantize(order.rebate_amount * (before + value) / order.total), order.rebate_amount)
    return max(due - given, Decimal("0"))


def _credit(order: Order, rma: ReturnRequest, issued_on=None) -> CreditNote:
    from qudao.partners import funds
    from qudao.partners.models import FundAccount

    lines = credit_lines(rma)
    value = sum((line.amount for line in lines), Decimal("0"))
    back = quantize(min(rebate_share(order, value), value))
    note = CreditNote.objects.create(
        number=next_number("CN"),
        return_request=rma,
        partner=rma.partner,
        currency=order.currency,
        amount=value - back,
        rebate_amount=back,
        issued_on=issued_on or timezone.localdate(),
    )
    if back > 0:
        funds.deposit(
            partner=order.partner,
            amount=back,
            reference=note.number,
            note=gettext("Returned from order %(order)s (return %(number)s)")
            % {"order": order.number, "number": rma.number},
            kind=FundAccount.Kind.REBATE,
        )
    for line in lines:
        line.credit_note = note
    CreditNoteLine.objects.bulk_create(lines)
    rma.status = ReturnStatus.CREDITED
    rma.save()
    _publish(
        "return.credited",
        rma,
        {
            "credit_note": note.number,
            "issued_on": note.issued_on.isoformat(),
            "currency": note.currency,
            "amount": f"{note.amount:.2f}",
            "rebate_amount": f"{note.rebate_amount:.2f}",
            "lines": [
                {
                    "line_no": line.order_line.line_no,
                    "quantity": line.quantity,
                    "unit_price": unit_price_text(line.unit_price),
                    "amount": f"{line.amount:.2f}",
                }
                for line in lines
            ],
        },
    )
    notify(
        _partner_users(order),
        kind="return.credited",
        title=_("Return %(number)s: credit note %(note)s of %(amount)s %(currency)s"),
        params={"number": rma.number, "note": note.number, "amount": f"{note.amount:,.2f}", "currency": note.currency},
        url=f"/portal/returns/{rma.number}/",
    )
    return note


def order_line_returned(order_line: OrderLine) -> int:
    """Units of an order line received back (credited or not)."""
    return sum(
        ReturnLine.objects.filter(
            order_line=order_line,
            return_request__status__in=(ReturnStatus.RECEIVED, ReturnStatus.CREDITED),
        ).values_list("received_quantity", flat=True)
    )
