"""Stock services: every rule about warehouses and stock. Pages, the API, the importer, the demo
and the orders context call these; none holds a rule of its own.

Counters and ledger. A `StockLevel` (one SKU in one warehouse) holds on hand and reserved;
available = on hand - reserved. Every movement writes `StockEntry` rows in the same transaction as
the counters change, so a level always equals the sum of its entries.

Quarantine. A level also holds quarantined units (returned goods kept apart until checked): they are
not part of on hand and never available. `quarantine_stock` receives units into quarantine (kind
"quarantine"), `release_quarantine` moves them to on hand, sellable again (kind "unquarantine"),
and `scrap_quarantine` writes them off (kind "scrap", with the reason). Quarantine is Qudao's own:
the ERP's counts and the stock import set on hand only.

Concurrency. A movement takes ONE `SELECT ... FOR UPDATE` of the levels it needs, ordered by
(sku_id, warehouse_id) - the stock step of the lock order (partner -> order -> funds ->
promotion -> stock) - computes everything in memory, then writes with one bulk UPDATE of the
levels and one bulk INSERT of the entries. Two reservations for the last units queue on the same
rows: the second sees what the first left, so stock is never promised twice; the database's check
constraints (on hand >= reserved >= 0) are the backstop. Missing levels are created first with
INSERT ... ON CONFLICT DO NOTHING, so two first receipts of one SKU never collide.

Orders call `reserve_stock` (submission), `release_stock` (cancel, reject, change), `ship_stock`
(shipment), `return_stock` (returns received: sellable and quarantined units), `available` and
`availability_band`/`availability_display` (the catalogue).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.accounts.roles import OPERATIONS
from qudao.catalog.models import Sku
from qudao.core.audit import current_actor
from qudao.core.errors import Conflict, FieldErrors, NotFound
from qudao.core.models import Region
from qudao.core.notifications import notify
from qudao.core.regions import nearness
from qudao.core.validators import check_text, text_problem
from qudao.partners.models import Partner

from .models import StockEntry, StockLevel, Warehouse

MAX_QUANTITY = 1_000_000_000  # fits the integer columns with room for sums
MAX_BULK_ROWS = 1000
REFERENCE_MAX = 64

BAND_IN_STOCK, BAND_LOW, BAND_OUT = "in_stock", "low", "out"
BAND_LABELS = {
    BAND_IN_STOCK: pgettext_lazy("stock band", "In stock"),
    BAND_LOW: pgettext_lazy("stock band", "Low"),
    BAND_OUT: pgettext_lazy("stock band", "Out of stock"),
}
SHIPPING_KINDS = (Warehouse.Kind.HQ, Warehouse.Kind.REGIONAL)


# --- small parsers -----------------------------------------------------------------------------


# A whole number as text: ASCII digits only ("³".isdigit() is true, but int("³") fails), at most
# 30 of them (the bounds are checked on the number).
_WHOLE_NUMBER = re.compile(r"^[+-]?[0-9]{1,30}$")


def parse_quantity(value, *, minimum: int = 0) -> int | None:
    """A whole number >= minimum (an int, or a string of digits), else None. Never a bool or float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _WHOLE_NUMBER.match(text):
            return None
        value = int(text)
    if not isinstance(value, int) or value < minimum or value > MAX_QUANTITY:
        return None
    return value


def parse_erp_version(value) -> int | None:
    """The ERP's version of a row: a whole number (a counter, or a Unix time) or an ISO 8601 time
    stamp with a time zone (stored as microseconds since 1970 UTC). None when neither."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**63 else None
    if isinstance(value, str):
        text = value.strip()
        if _WHOLE_NUMBER.match(text):
            number = int(text)
            return number if 0 <= number < 2**63 else None
        try:
            moment = parse_datetime(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            return None
        if moment is None or moment.tzinfo is None:
            return None
        delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return None


def _version_text(version: int, *, like) -> str:
    """A stored version as the ERP sends it: a time stamp (ISO 8601, UTC) when `like` is one."""
    if isinstance(like, str) and not like.strip().isdigit():
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=version)
        return moment.isoformat()
    return str(version)


def _clean_reference(reference, errors: FieldErrors | None = None, *, required: bool = True) -> str:
    text = reference.strip() if isinstance(reference, str) else ""
    message = None
    if required and not text:
        message = _("Give the reference (an order number).")
    elif len(text) > REFERENCE_MAX:
        message = _("At most %(max)s characters.") % {"max": REFERENCE_MAX}
    else:
        message = text_problem(text)
    if message is not None:
        if errors is None:
            raise FieldErrors.single("reference", message)
        errors.add("reference", message)
    return text


def _actor(actor):
    actor = actor or current_actor()
    return actor if getattr(actor, "is_authenticated", False) else None


# --- reads ---------------------------------------------------------------------------------------


def shipping_warehouse_ids(near: Region | None = None) -> list[int]:
    """The warehouses orders are filled from by default: active HQ and regional ones that ship to
    partners. Without `near`, in id order. With `near` (the partner's region), nearest first
    (ADR 0014): the warehouses serving its city, then its province, then its macro region (大区),
    then the others; warehouses equally near stay in id order. Two queries, whatever the count."""
    warehouses = Warehouse.objects.filter(active=True, ships_to_partners=True, kind__in=SHIPPING_KINDS).order_by("pk")
    if near is None:
        return list(warehouses.values_list("pk", flat=True))
    ranked = warehouses.select_related("region").prefetch_related("serves")
    return [warehouse.pk for warehouse in sorted(ranked, key=lambda wh: (nearness(wh.served_regions(), near), wh.pk))]


def available(sku_ids: Iterable[int], warehouse_ids: Iterable[int] | None = None) -> dict[int, int]:
    """{sku_id: units available (on hand - reserved)} summed over `warehouse_ids` (None: the
    shipping warehouses). Every asked SKU has a key (0 when it has no stock). One query."""
    summary = stock_summary(sku_ids, warehouse_ids)
    return {sku_id: row["available"] for sku_id, row in summary.items()}


def stock_summary(sku_ids: Iterable[int], warehouse_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """{sku_id: {"available", "safety_stock", "band"}} over the warehouses (None: shipping ones)."""
    sku_ids = list(dict.fromkeys(int(pk) for pk in sku_ids))
    levels = StockLevel.objects.filter(sku_id__in=sku_ids)
    if warehouse_ids is None:
        levels = levels.filter(
            warehouse__active=True, warehouse__ships_to_partners=True, warehouse__kind__in=SHIPPING_KINDS
        )
    else:
        levels = levels.filter(warehouse_id__in=list(warehouse_ids))
    rows = {
        row["sku_id"]: row
        for row in levels.values("sku_id").annotate(free=Sum(F("on_hand") - F("reserved")), safety=Sum("safety_stock"))
    }
    summary = {}
    for sku_id in sku_ids:
        row = rows.get(sku_id) or {}
        free, safety = row.get("free") or 0, row.get("safety") or 0
        summary[sku_id] = {"available": free, "safety_stock": safety, "band": availability_band(free, safety)}
    return summary


def availability_band(qty: int, safety: int = 0) -> str:
    """ "out" with nothing available, "low" at or below the safety stock, else "in_stock"."""
    if qty <= 0:
        return BAND_OUT
    if qty <= (safety or 0):
        return BAND_LOW
    return BAND_IN_STOCK


def stock_display_mode() -> str:
    """ "exact" or "bands" (settings.STOCK_DISPLAY, from QUDAO_STOCK_DISPLAY; default bands)."""
    mode = str(getattr(settings, "STOCK_DISPLAY", "bands") or "bands").strip().lower()
    return "exact" if mode == "exact" else "bands"


def availability_display(qty: int, safety: int = 0, mode: str | None = None) -> dict:
    """What a partner is shown: {"mode", "band", "label", "quantity"} - the quantity only in
    "exact" mode (None in "bands" mode, so the number never leaks)."""
    mode = mode or stock_display_mode()
    band = availability_band(qty, safety)
    exact = mode == "exact"
    return {
        "mode": mode,
        "band": band,
        "label": str(max(qty, 0)) if exact else str(BAND_LABELS[band]),
        "quantity": max(qty, 0) if exact else None,
    }


def partner_availability(sku_ids: Iterable[int]) -> dict[int, dict]:
    """{sku_id: availability_display(...)} over the shipping warehouses, for the portal's
    catalogue: a band, or the count in "exact" mode (one query)."""
    return {
        sku_id: availability_display(row["available"], row["safety_stock"])
        for sku_id, row in stock_summary(sku_ids).items()
    }


def low_stock(*, warehouse_ids: Iterable[int] | None = None, sku_ids: Iterable[int] | None = None):
    """Levels whose available is at or below their safety stock (active warehouses), as a query."""
    levels = StockLevel.objects.filter(warehouse__active=True).filter(on_hand__lte=F("reserved") + F("safety_stock"))
    if warehouse_ids is not None:
        levels = levels.filter(warehouse_id__in=list(warehouse_ids))
    if sku_ids is not None:
        levels = levels.filter(sku_id__in=list(sku_ids))
    return levels.select_related("warehouse", "sku").order_by("sku__code", "warehouse__code")


def held_by(reference: str) -> dict[tuple[int, int], int]:
    """{(sku_id, warehouse_id): units} that `reference` still holds reserved (from the ledger)."""
    rows = (
        StockEntry.objects.filter(reference=reference)
        .exclude(reserved_delta=0)
        .values("sku_id", "warehouse_id")
        .annotate(held=Sum("reserved_delta"))
    )
    return {(row["sku_id"], row["warehouse_id"]): row["held"] for row in rows if row["held"] > 0}


# --- the one way counters change -----------------------------------------------------------------


@dataclass
class _Movement:
    level: StockLevel
    kind: str
    on_hand_delta: int = 0
    reserved_delta: int = 0
    reference: str = ""
    quarantined_delta: int = 0
    note: str = ""


def _lock(sku_ids: Iterable[int], warehouse_ids: Iterable[int]) -> dict[tuple[int, int], StockLevel]:
    """Lock the levels of these SKUs in these warehouses, in (sku_id, warehouse_id) order: one query."""
    sku_ids, warehouse_ids = sorted(set(sku_ids)), sorted(set(warehouse_ids))
    if not sku_ids or not warehouse_ids:
        return {}
    levels = (
        StockLevel.objects.select_for_update()
        .filter(sku_id__in=sku_ids, warehouse_id__in=warehouse_ids)
        .order_by("sku_id", "warehouse_id")
    )
    return {(level.sku_id, level.warehouse_id): level for level in levels}


def _ensure_levels(pairs: Iterable[tuple[int, int]]) -> None:
    """Create the missing levels (empty) of these (sku_id, warehouse_id) pairs; a level another
    transaction creates at the same time is left to it (ON CONFLICT DO NOTHING)."""
    pairs = set(pairs)
    if not pairs:
        return
    skus = {sku for sku, _wh in pairs}
    warehouses = {wh for _sku, wh in pairs}
    existing = set(
        StockLevel.objects.filter(sku_id__in=skus, warehouse_id__in=warehouses).values_list("sku_id", "warehouse_id")
    )
    missing = sorted(pairs - existing)
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(sku_id=sku, warehouse_id=wh) for sku, wh in missing], ignore_conflicts=True
        )


def _apply(
    movements: list[_Movement],
    *,
    actor,
    also_save: Iterable[StockLevel] = (),
    fields: tuple[str, ...] = (),
    alert: bool = False,
) -> list[StockEntry]:
    """Change the locked levels by the movements, write one entry per movement (with the counters
    after it), save every touched level in one UPDATE and the entries in one INSERT. With `alert`,
    operations users are told of each level this took to or below its safety stock."""
    now = timezone.now()
    actor = _actor(actor)
    touched: dict[int, StockLevel] = {level.pk: level for level in also_save}
    was_above: dict[int, bool] = {}
    entries = []
    for movement in movements:
        level = movement.level
        touched[level.pk] = level
        was_above.setdefault(level.pk, level.available > level.safety_stock)
        level.on_hand += movement.on_hand_delta
        level.reserved += movement.reserved_delta
        level.quarantined += movement.quarantined_delta
        entries.append(
            StockEntry(
                warehouse_id=level.warehouse_id,
                sku_id=level.sku_id,
                kind=movement.kind,
                on_hand_delta=movement.on_hand_delta,
                reserved_delta=movement.reserved_delta,
                quarantined_delta=movement.quarantined_delta,
                on_hand_after=level.on_hand,
                reserved_after=level.reserved,
                quarantined_after=level.quarantined,
                reference=movement.reference,
                note=movement.note[:300],
                actor=actor,
                created_at=now,
            )
        )
    if touched:
        for level in touched.values():
            level.updated_at = now
        StockLevel.objects.bulk_update(
            list(touched.values()), ["on_hand", "reserved", "quarantined", "updated_at", *fields], batch_size=500
        )
    created = StockEntry.objects.bulk_create(entries, batch_size=500)
    if alert:
        crossed = [pk for pk, above in was_above.items() if above and touched[pk].available <= touched[pk].safety_stock]
        if crossed:
            _alert_low_stock([touched[pk] for pk in crossed])
    return created


def _alert_low_stock(levels: list[StockLevel]) -> None:
    """Tell every active operations user, in-app, of the levels a movement took to or below their
    safety stock: one notification per user and movement, naming the level (or, for several, how
    many and which), written in one INSERT in the same transaction."""
    users = list(get_user_model().objects.filter(is_active=True, role_assignments__role=OPERATIONS).distinct())
    if not users:
        return
    named = {
        level.pk: level
        for level in StockLevel.objects.select_related("sku", "warehouse").filter(pk__in=[lv.pk for lv in levels])
    }
    lines = [
        f"{named[level.pk].sku.code} @ {named[level.pk].warehouse.name}: {level.available} / {level.safety_stock}"
        for level in levels
    ]
    if len(levels) == 1:
        (level,) = levels
        notify(
            users,
            kind="inventory.low_stock",
            title=_("Low stock: %(sku)s in %(warehouse)s"),
            body=_("%(available)s available; the safety stock is %(safety)s."),
            params={
                "sku": named[level.pk].sku.code,
                "warehouse": named[level.pk].warehouse.name,
                "available": level.available,
                "safety": level.safety_stock,
            },
            url=f"/inventory/?low=1&q={named[level.pk].sku.code}",
        )
        return
    notify(
        users,
        kind="inventory.low_stock",
        title=_("Low stock: %(count)s SKUs at or below their safety stock"),
        body=_("Available / safety stock:\n%(lines)s"),
        params={"count": len(levels), "lines": "\n".join(lines)},
        url="/inventory/?low=1",
    )


# --- reservations, releases, shipments (called by orders) ----------------------------------------


def _parse_lines(lines, errors: FieldErrors, width: int) -> list[tuple]:
    parsed = []
    if not isinstance(lines, list | tuple) or not lines:
        errors.add("lines", _("Give at least one line."))
        return parsed
    for index, line in enumerate(lines):
        if not isinstance(line, list | tuple) or len(line) != width:
            errors.add(
                f"lines.{index}",
                _("Give a SKU, a warehouse and a quantity.") if width == 3 else _("Give a SKU and a quantity."),
            )
            continue
        ids = [parse_quantity(value, minimum=1) for value in line[:-1]]
        quantity = parse_quantity(line[-1], minimum=1)
        if ids[0] is None:
            errors.add(f"lines.{index}.sku", _("Unknown SKU."))
        if width == 3 and ids[1] is None:
            errors.add(f"lines.{index}.warehouse", _("Unknown warehouse."))
        if quantity is None:
            errors.add(f"lines.{index}.quantity", _("Enter a whole number of at least 1."))
        if None not in ids and quantity is not None:
            parsed.append((index, *ids, quantity))
    known = set(Sku.objects.filter(pk__in={line[1] for line in parsed}).values_list("pk", flat=True))
    for line in parsed:
        if line[1] not in known:
            errors.add(f"lines.{line[0]}.sku", _("Unknown SKU."))
    return [line for line in parsed if line[1] in known]


def reserve_stock(
    *,
    reference: str,
    lines: list[tuple[int, int]],
    warehouse_ids: list[int] | None = None,
    allow_backorder: bool = False,
    near: Region | None = None,
    actor=None,
) -> list[StockEntry]:
    """Reserve `qty` base units of each (sku_id, qty) line for `reference` (an order number),
    filling from the warehouses in `warehouse_ids` order (None: the shipping warehouses, nearest
    to the region `near` first - the partner's - see `shipping_warehouse_ids`), splitting a line
    across warehouses when one has too little. The order of filling is not the order of locking:
    the levels are locked in (sku, warehouse) order whatever the preference.

    With `allow_backorder`, a line takes what there is and the rest is not reserved (the entries
    say how much was). Returns the reservation entries.

    :raises FieldErrors: "lines.<i>.quantity" ("Only N available.") when a line cannot be filled,
        bad lines, unknown SKUs or warehouses - nothing is reserved.
    :raises Conflict: `reference` already holds reserved stock (release it first).
    """
    errors = FieldErrors()
    reference = _clean_reference(reference, errors)
    parsed = _parse_lines(lines, errors, 2)
    if warehouse_ids is None:
        order = shipping_warehouse_ids(near)
    else:
        asked = [parse_quantity(pk, minimum=1) for pk in (warehouse_ids or [])]
        order = list(dict.fromkeys(pk for pk in asked if pk is not None))
        found = set(Warehouse.objects.filter(pk__in=order, active=True).values_list("pk", flat=True))
        if not order or None in asked or set(order) - found:
            errors.add("warehouse_ids", _("Name active warehouses."))
    if errors.errors:
        raise errors
    with transaction.atomic():
        levels = _lock([line[1] for line in parsed], order)
        if held_by(reference):
            raise Conflict(_("Stock is already reserved for %(reference)s.") % {"reference": reference})
        taken: dict[tuple[int, int], int] = defaultdict(int)
        movements = []
        for index, sku_id, quantity in parsed:
            free = {wh: levels[(sku_id, wh)].available - taken[(sku_id, wh)] for wh in order if (sku_id, wh) in levels}
            total = sum(max(value, 0) for value in free.values())
            if total < quantity and not allow_backorder:
                errors.add(f"lines.{index}.quantity", _("Only %(available)s available.") % {"available": total})
                continue
            remaining = quantity
            for wh in order:
                take = min(remaining, max(free.get(wh, 0), 0))
                if take <= 0:
                    continue
                taken[(sku_id, wh)] += take
                remaining -= take
                movements.append(
                    _Movement(levels[(sku_id, wh)], StockEntry.Kind.RESERVE, reserved_delta=take, reference=reference)
                )
                if not remaining:
                    break
        if errors.errors:
            raise errors
        return _apply(movements, actor=actor, alert=True)


def release_stock(*, reference: str, actor=None) -> list[StockEntry]:
    """Release everything `reference` still holds reserved (cancel, reject). Releasing twice
    releases once (the second call finds nothing held and returns [])."""
    reference = _clean_reference(reference)
    with transaction.atomic():
        pairs = set(
            StockEntry.objects.filter(reference=reference)
            .exclude(reserved_delta=0)
            .values_list("sku_id", "warehouse_id")
            .distinct()
        )
        if not pairs:
            return []
        levels = _lock([sku for sku, _wh in pairs], [wh for _sku, wh in pairs])
        held = held_by(reference)  # read again under the locks: a concurrent release is seen
        movements = [
            _Movement(levels[pair], StockEntry.Kind.RELEASE, reserved_delta=-quantity, reference=reference)
            for pair, quantity in sorted(held.items())
        ]
        return _apply(movements, actor=actor)


def ship_stock(*, reference: str, lines: list[tuple[int, int, int]], actor=None) -> list[StockEntry]:
    """Ship reserved units: each (sku_id, warehouse_id, qty) line takes qty off on hand and off
    what `reference` holds reserved there.

    :raises FieldErrors: "lines.<i>.quantity" when the reference holds fewer units there; bad
        lines - nothing is shipped.
    """
    errors = FieldErrors()
    reference = _clean_reference(reference, errors)
    parsed = _parse_lines(lines, errors, 3)
    if errors.errors:
        raise errors
    with transaction.atomic():
        levels = _lock([line[1] for line in parsed], [line[2] for line in parsed])
        held = held_by(reference)
        movements = []
        for index, sku_id, warehouse_id, quantity in parsed:
            pair = (sku_id, warehouse_id)
            if held.get(pair, 0) < quantity:
                errors.add(
                    f"lines.{index}.quantity",
                    _("Only %(reserved)s reserved for %(reference)s in this warehouse.")
                    % {"reserved": held.get(pair, 0), "reference": reference},
                )
                continue
            held[pair] -= quantity
            movements.append(
                _Movement(
                    levels[pair],
                    StockEntry.Kind.SHIPMENT,
                    on_hand_delta=-quantity,
                    reserved_delta=-quantity,
                    reference=reference,
                )
            )
        if errors.errors:
            raise errors
        return _apply(movements, actor=actor, alert=True)


# --- receipts, returns, adjustments, safety stock --------------------------------------------------


def _active_warehouse(warehouse_id) -> Warehouse:
    warehouse = Warehouse.objects.filter(pk=parse_quantity(warehouse_id, minimum=1) or 0).first()
    if warehouse is None:
        raise FieldErrors.single("warehouse", _("Unknown warehouse."))
    if not warehouse.active:
        raise FieldErrors.single("warehouse", _("This warehouse is inactive."))
    return warehouse


def _receive(
    warehouse_id, lines: list[tuple[int, int]], *, reference: str, note: str, actor, kind: str, quarantined=()
) -> list[StockEntry]:
    """Goods in, in one lock: `lines` onto on hand with `kind`, `quarantined` lines into quarantine
    (kind "quarantine"); both (sku_id, qty). :raises FieldErrors: bad lines ("lines.<i>..." or
    "quarantined.<i>..."), unknown SKU or warehouse - nothing written."""
    errors = FieldErrors()
    reference = _clean_reference(reference, errors, required=False)
    parsed = _parse_lines(lines, errors, 2) if lines or not quarantined else []
    parsed_quarantined = []
    if quarantined:
        quarantine_errors = FieldErrors()
        parsed_quarantined = _parse_lines(quarantined, quarantine_errors, 2)
        for key, messages_ in quarantine_errors.errors.items():
            for message in messages_:
                errors.add("quarantined" + key.removeprefix("lines"), message)
    if errors.errors:
        raise errors
    warehouse = _active_warehouse(warehouse_id)
    note = note or ""
    with transaction.atomic():
        everything = parsed + parsed_quarantined
        _ensure_levels((line[1], warehouse.pk) for line in everything)
        levels = _lock([line[1] for line in everything], [warehouse.pk])
        into_quarantine = [(line, StockEntry.Kind.QUARANTINE) for line in parsed_quarantined]
        movements = [
            _Movement(
                levels[(sku_id, warehouse.pk)],
                line_kind,
                on_hand_delta=0 if line_kind == StockEntry.Kind.QUARANTINE else quantity,
                quarantined_delta=quantity if line_kind == StockEntry.Kind.QUARANTINE else 0,
                reference=reference,
                note=note,
            )
            for (_index, sku_id, quantity), line_kind in [(line, kind) for line in parsed] + into_quarantine
        ]
        return _apply(movements, actor=actor)


def receive_stock(
    *, warehouse_id: int, lines: list[tuple[int, int]], reference: str = "", note: str = "", actor=None, kind=None
) -> list[StockEntry]:
    """Goods in: each (sku_id, qty) line adds qty to on hand in the warehouse (a receipt, or a
    return with kind="return"). :raises FieldErrors: bad lines, unknown SKU or warehouse."""
    kind = kind or StockEntry.Kind.RECEIPT
    if kind not in (StockEntry.Kind.RECEIPT, StockEntry.Kind.RETURN):
        raise ValueError(kind)
    return _receive(warehouse_id, lines, reference=reference, note=note, actor=actor, kind=kind)


def return_stock(
    *,
    warehouse_id: int,
    lines: list[tuple[int, int]],
    reference: str,
    note: str = "",
    quarantined: list[tuple[int, int]] = (),
    actor=None,
) -> list[StockEntry]:
    """Returned goods received into a warehouse (RMA): sellable (sku_id, qty) `lines` onto on hand
    (kind "return"), `quarantined` lines into the same warehouse's quarantine (kind "quarantine"),
    in one lock of the levels in (sku, warehouse) order. Either list may be empty, not both.
    :raises FieldErrors: bad lines, unknown SKU or warehouse."""
    return _receive(
        warehouse_id,
        list(lines),
        reference=reference,
        note=note,
        actor=actor,
        kind=StockEntry.Kind.RETURN,
        quarantined=list(quarantined),
    )


def quarantine_stock(
    *, warehouse_id: int, lines: list[tuple[int, int]], reference: str = "", note: str = "", actor=None
) -> list[StockEntry]:
    """Units received into quarantine: each (sku_id, qty) line adds qty to the quarantined units of
    the SKU in the warehouse (never available; not on hand), kind "quarantine".
    :raises FieldErrors: bad lines, unknown SKU or warehouse."""
    return _receive(warehouse_id, lines, reference=reference, note=note, actor=actor, kind=StockEntry.Kind.QUARANTINE)


def _leave_quarantine(*, warehouse_id, sku_id, quantity, note, actor, kind: str, note_required: bool) -> StockEntry:
    """Take `quantity` units out of quarantine: to on hand (release) or written off (scrap)."""
    errors = FieldErrors()
    units = parse_quantity(quantity, minimum=1)
    note = note.strip() if isinstance(note, str) else ""
    if note_required and not note:
        errors.add("note", _("Say why the units are scrapped."))
    elif len(note) > 300:
        errors.add("note", _("At most %(max)s characters.") % {"max": 300})
    else:
        check_text(errors, "note", note)
    sku_pk = parse_quantity(sku_id, minimum=1)
    if sku_pk is None or not Sku.objects.filter(pk=sku_pk).exists():
        errors.add("sku", _("Unknown SKU."))
    warehouse = Warehouse.objects.filter(pk=parse_quantity(warehouse_id, minimum=1) or 0).first()
    if warehouse is None:
        errors.add("warehouse", _("Unknown warehouse."))
    elif not warehouse.active:
        errors.add("warehouse", _("This warehouse is inactive."))
    if "sku" in errors.errors or "warehouse" in errors.errors:
        raise errors
    with transaction.atomic():
        level = _lock([sku_pk], [warehouse.pk]).get((sku_pk, warehouse.pk))
        held = level.quarantined if level is not None else 0
        if not held:
            errors.add("quantity", _("No units are in quarantine here."))
        elif units is None or units > held:
            errors.add(
                "quantity", _("Enter a whole number from 1 to %(max)s (the units in quarantine).") % {"max": held}
            )
        if errors.errors:
            raise errors
        on_hand = units if kind == StockEntry.Kind.UNQUARANTINE else 0
        (entry,) = _apply(
            [_Movement(level, kind, on_hand_delta=on_hand, quarantined_delta=-units, note=note)], actor=actor
        )
        return entry


def release_quarantine(*, warehouse_id: int, sku_id: int, quantity, note: str = "", actor=None) -> StockEntry:
    """Release `quantity` quarantined units to on hand (checked, sellable again): available grows
    by as much; kind "unquarantine".

    :raises FieldErrors: "quantity" not a whole number from 1 to the units in quarantine; "note"
        too long; unknown SKU or warehouse (nothing changed).
    """
    return _leave_quarantine(
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        quantity=quantity,
        note=note,
        actor=actor,
        kind=StockEntry.Kind.UNQUARANTINE,
        note_required=False,
    )


def scrap_quarantine(*, warehouse_id: int, sku_id: int, quantity, note: str, actor=None) -> StockEntry:
    """Write off `quantity` quarantined units (damaged beyond sale), with the reason; on hand and
    available do not change; kind "scrap".

    :raises FieldErrors: "quantity" not a whole number from 1 to the units in quarantine; "note"
        missing or too long; unknown SKU or warehouse (nothing changed).
    """
    return _leave_quarantine(
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        quantity=quantity,
        note=note,
        actor=actor,
        kind=StockEntry.Kind.SCRAP,
        note_required=True,
    )


def adjust_stock(*, warehouse_id: int, sku_id: int, delta: int, reason: str, actor=None) -> StockEntry:
    """Correct on hand by `delta` (a count found more or less), with the reason.

    :raises FieldErrors: "delta" zero, not whole, or taking on hand below what is reserved;
        "reason" missing; unknown SKU or warehouse.
    """
    errors = FieldErrors()
    change = None
    if isinstance(delta, int | str) and not isinstance(delta, bool):
        text = str(delta).strip()
        change = int(text) if _WHOLE_NUMBER.match(text) and abs(int(text)) <= MAX_QUANTITY else None
    if not change:
        errors.add("delta", _("Enter a whole number other than 0 (negative to take stock off)."))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        errors.add("reason", _("Give the reason for the adjustment."))
    else:
        check_text(errors, "reason", reason)
    sku_pk = parse_quantity(sku_id, minimum=1)
    if sku_pk is None or not Sku.objects.filter(pk=sku_pk).exists():
        errors.add("sku", _("Unknown SKU."))
    if errors.errors:
        raise errors
    warehouse = _active_warehouse(warehouse_id)
    with transaction.atomic():
        _ensure_levels([(sku_pk, warehouse.pk)])
        level = _lock([sku_pk], [warehouse.pk])[(sku_pk, warehouse.pk)]
        if level.on_hand + change < level.reserved:
            raise FieldErrors.single(
                "delta",
                _("On hand would be %(on_hand)s, below the %(reserved)s units reserved.")
                % {"on_hand": level.on_hand + change, "reserved": level.reserved},
            )
        (entry,) = _apply(
            [_Movement(level, StockEntry.Kind.ADJUSTMENT, on_hand_delta=change, note=reason)], actor=actor
        )
        return entry


def set_safety_stock(*, warehouse_id: int, sku_id: int, safety_stock, actor=None) -> StockLevel:
    """Set the safety stock of a SKU in a warehouse (the level is created if it has no stock yet).
    :raises FieldErrors: "safety_stock" not a whole number >= 0; unknown SKU or warehouse."""
    value = parse_quantity(safety_stock)
    if value is None:
        raise FieldErrors.single("safety_stock", _("Enter a whole number of 0 or more."))
    sku_pk = parse_quantity(sku_id, minimum=1)
    if sku_pk is None or not Sku.objects.filter(pk=sku_pk).exists():
        raise FieldErrors.single("sku", _("Unknown SKU."))
    warehouse = _active_warehouse(warehouse_id)
    with transaction.atomic():
        _ensure_levels([(sku_pk, warehouse.pk)])
        StockLevel.objects.filter(sku_id=sku_pk, warehouse_id=warehouse.pk).update(
            safety_stock=value, updated_at=timezone.now()
        )
    return StockLevel.objects.get(sku_id=sku_pk, warehouse_id=warehouse.pk)


# --- counts from outside: the ERP and the stock import ---------------------------------------------


@dataclass
class CountRow:
    """One counted quantity from outside: set on hand of `sku` in `warehouse` (codes)."""

    key: str  # how errors name the row: "rows.3" (API) or the file's row number (import)
    warehouse: str
    sku: str
    on_hand: object
    erp_version: object = None
    safety_stock: object = None
    # resolved
    warehouse_id: int | None = None
    sku_id: int | None = None
    quantity: int | None = None
    version: int | None = None
    safety: int | None = None


def check_count_rows(rows: list[CountRow], *, versioned: bool, errors: FieldErrors) -> None:
    """Resolve codes (two queries) and check every row that needs no lock; errors keyed
    "<row key>.<field>"."""
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in={str(row.warehouse).strip() for row in rows})}
    skus = dict(Sku.objects.filter(code__in={str(row.sku).strip() for row in rows}).values_list("code", "pk"))
    seen: dict[tuple[int, int], str] = {}
    for row in rows:
        warehouse = warehouses.get(str(row.warehouse or "").strip())
        if warehouse is None:
            errors.add(f"{row.key}.warehouse", _("Unknown warehouse code."))
        elif not warehouse.active:
            errors.add(f"{row.key}.warehouse", _("This warehouse is inactive."))
        else:
            row.warehouse_id = warehouse.pk
        row.sku_id = skus.get(str(row.sku or "").strip())
        if row.sku_id is None:
            errors.add(f"{row.key}.sku", _("Unknown SKU code."))
        row.quantity = parse_quantity(row.on_hand)
        if row.quantity is None:
            errors.add(f"{row.key}.on_hand", _("Enter a whole number of 0 or more."))
        if versioned:
            row.version = parse_erp_version(row.erp_version)
            if row.version is None:
                errors.add(
                    f"{row.key}.erp_version",
                    _("Give the ERP's version: a whole number or an ISO 8601 time stamp with its time zone."),
                )
        if row.safety_stock not in (None, ""):
            row.safety = parse_quantity(row.safety_stock)
            if row.safety is None:
                errors.add(f"{row.key}.safety_stock", _("Enter a whole number of 0 or more."))
        if row.warehouse_id and row.sku_id:
            pair = (row.sku_id, row.warehouse_id)
            if pair in seen:
                errors.add(
                    f"{row.key}.sku",
                    _("This SKU and warehouse are also in row %(row)s.") % {"row": seen[pair].rsplit(".", 1)[-1]},
                )
            seen.setdefault(pair, row.key)


def set_counts(
    rows: list[CountRow], *, kind: str, reference: str, note: str, versioned: bool, actor=None
) -> list[dict]:
    """Set on hand (and safety stock, where given) of many levels at once, all or nothing.

    Versioned (ERP): a row is applied only if its version is newer than the stored one; the same
    version with the same quantity is a replay ("unchanged"); anything else is stale. Every row is
    checked, then either every row is written or none.

    :raises FieldErrors: keyed "<row key>.<field>" - nothing written.
    """
    errors = FieldErrors(detail=_("Nothing was changed: correct the rows and send them again."))
    check_count_rows(rows, versioned=versioned, errors=errors)
    if errors.errors:
        raise errors
    stale = False
    with transaction.atomic():
        _ensure_levels((row.sku_id, row.warehouse_id) for row in rows)
        levels = _lock([row.sku_id for row in rows], [row.warehouse_id for row in rows])
        movements, versioned_levels, results = [], [], []
        for row in rows:
            level = levels[(row.sku_id, row.warehouse_id)]
            status = "updated"
            if versioned and level.erp_version is not None and row.version <= level.erp_version:
                if row.version == level.erp_version and row.quantity == level.erp_on_hand:
                    status = "unchanged"
                else:
                    stale = True
                    errors.add(
                        f"{row.key}.erp_version",
                        _("Stale: version %(version)s is not newer than the stored version %(stored)s.")
                        % {
                            "version": row.erp_version,
                            "stored": _version_text(level.erp_version, like=row.erp_version),
                        },
                    )
                    continue
            if status == "updated" and row.quantity < level.reserved:
                errors.add(
                    f"{row.key}.on_hand",
                    _("%(reserved)s units are reserved here; on hand cannot be less.") % {"reserved": level.reserved},
                )
                continue
            delta = row.quantity - level.on_hand if status == "updated" else 0
            if delta:
                movements.append(_Movement(level, kind, on_hand_delta=delta, reference=reference, note=note))
            if versioned and status == "updated":
                level.erp_version, level.erp_on_hand = row.version, row.quantity
            safety_changed = row.safety is not None and row.safety != level.safety_stock
            if safety_changed:
                level.safety_stock = row.safety
            if status == "updated" and not (delta or versioned or safety_changed):
                status = "unchanged"
            versioned_levels.append(level)
            results.append(
                {
                    "key": row.key,
                    "warehouse": str(row.warehouse).strip(),
                    "sku": str(row.sku).strip(),
                    "status": status,
                    "on_hand": row.quantity,
                    "delta": delta,
                }
            )
        if errors.errors:
            if stale:
                errors.code = "stale"
            raise errors
        _apply(
            movements,
            actor=actor,
            also_save=versioned_levels,
            fields=("erp_version", "erp_on_hand", "safety_stock"),
        )
    return results


def sync_stock(*, rows: list[dict], reference: str = "", actor=None) -> list[dict]:
    """The ERP's bulk stock update: each row {"warehouse": code, "sku": code, "on_hand": n,
    "erp_version": v} sets on hand, writing an "erp_sync" entry with the difference. All or
    nothing (see `set_counts`); replaying a batch changes nothing.

    :raises FieldErrors: "rows" empty or too many; per row "rows.<i>.<field>" (code "stale" when a
        row is stale) - nothing changed.
    """
    if not isinstance(rows, list) or not rows:
        raise FieldErrors.single("rows", _("Give at least one row."))
    if len(rows) > MAX_BULK_ROWS:
        raise FieldErrors.single("rows", _("At most %(max)s rows in one request.") % {"max": MAX_BULK_ROWS})
    reference = _clean_reference(reference, required=False) or "ERP"
    count_rows = [
        CountRow(
            key=f"rows.{index}",
            warehouse=row.get("warehouse", ""),
            sku=row.get("sku", ""),
            on_hand=row.get("on_hand"),
            erp_version=row.get("erp_version"),
        )
        for index, row in enumerate(rows)
    ]
    results = set_counts(
        count_rows, kind=StockEntry.Kind.ERP_SYNC, reference=reference, note="", versioned=True, actor=actor
    )
    for result in results:
        result["row"] = int(result.pop("key").split(".")[1])
    return results


# --- warehouses ----------------------------------------------------------------------------------


WAREHOUSE_FIELDS = ("code", "name", "kind", "region", "serves", "partner", "active", "ships_to_partners")
MAX_SERVED_REGIONS = 100


def _clean_served_regions(value, errors: FieldErrors) -> list[Region]:
    """The regions a warehouse serves: region codes (cities or provinces), as a list or as one text
    separated by commas, spaces or 、; none is allowed (the warehouse's own region then)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        codes = [code for code in re.split(r"[\s,，、;；]+", value.strip()) if code]
    elif isinstance(value, list | tuple) and all(isinstance(code, str) for code in value):
        codes = [code.strip() for code in value if code.strip()]
    else:
        errors.add("serves", _("Give region codes, e.g. 440100 440600."))
        return []
    codes = list(dict.fromkeys(codes))
    if len(codes) > MAX_SERVED_REGIONS:
        errors.add("serves", _("At most %(max)s regions.") % {"max": MAX_SERVED_REGIONS})
        return []
    found = {
        region.code: region
        for region in Region.objects.filter(code__in=codes, level__in=(Region.Level.PROVINCE, Region.Level.CITY))
    }
    unknown = [code for code in codes if code not in found]
    if unknown:
        errors.add(
            "serves",
            _("Unknown province or city codes: %(codes)s.") % {"codes": ", ".join(code[:16] for code in unknown[:5])},
        )
        return []
    return [found[code] for code in codes]


def clean_warehouse(data: dict, *, instance: Warehouse | None = None) -> dict:
    """Cleaned warehouse values (region and partner as objects) or FieldErrors with every wrong field."""
    errors = FieldErrors()
    cleaned = {}
    unknown = set(data) - set(WAREHOUSE_FIELDS)
    for name in sorted(unknown):
        errors.add(name, _("This field is not accepted here."))

    def current(name):
        return data[name] if name in data else (getattr(instance, name) if instance else None)

    if "code" in data or instance is None:
        code = str(data.get("code") or "").strip().upper()
        if not code:
            errors.add("code", _("This field is required."))
        elif len(code) > 20 or not all(ch.isalnum() or ch in "-_" for ch in code):
            errors.add("code", _("Use at most 20 letters, digits, - or _."))
        elif Warehouse.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors.add("code", _("Another warehouse has this code."))
        cleaned["code"] = code
    if "name" in data or instance is None:
        name = str(data.get("name") or "").strip()
        if not name:
            errors.add("name", _("This field is required."))
        elif len(name) > 80:
            errors.add("name", _("At most %(max)s characters.") % {"max": 80})
        cleaned["name"] = name
    kind = current("kind") if ("kind" in data or instance is not None) else Warehouse.Kind.REGIONAL
    if kind not in Warehouse.Kind.values:
        errors.add("kind", _("Choose one of: hq, regional, partner."))
    cleaned["kind"] = kind
    if "region" in data:
        region_value = data.get("region")
        region = None
        if isinstance(region_value, Region):
            region = region_value
        elif region_value not in (None, ""):
            region = Region.objects.filter(code=str(region_value).strip()).first()
            if region is None:
                errors.add("region", _("Unknown region code."))
        cleaned["region"] = region
    if "serves" in data:
        cleaned["serves"] = _clean_served_regions(data.get("serves"), errors)
    partner = current("partner")
    if "partner" in data:
        partner_value = data.get("partner")
        partner = None
        if isinstance(partner_value, Partner):
            partner = partner_value
        elif partner_value not in (None, ""):
            partner = Partner.objects.filter(
                Q(code=str(partner_value).strip()) | Q(pk=parse_quantity(partner_value, minimum=1) or 0)
            ).first()
            if partner is None:
                errors.add("partner", _("Unknown partner."))
        cleaned["partner"] = partner
    if kind == Warehouse.Kind.PARTNER and partner is None and "partner" not in errors.errors:
        errors.add("partner", _("A partner warehouse names its partner."))
    if kind != Warehouse.Kind.PARTNER and partner is not None:
        errors.add("partner", _("Only a partner warehouse names a partner."))
    for flag in ("active", "ships_to_partners"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors.add(flag, _("Must be true or false."))
            cleaned[flag] = data[flag]
    if errors.errors:
        raise errors
    return cleaned


def create_warehouse(*, data: dict, actor=None) -> Warehouse:
    cleaned = clean_warehouse(data)
    serves = cleaned.pop("serves", None)
    with transaction.atomic():
        warehouse = Warehouse.objects.create(**cleaned)
        if serves:
            warehouse.serves.set(serves)
        return warehouse


def update_warehouse(*, warehouse: Warehouse, data: dict, actor=None) -> Warehouse:
    """Change a warehouse (only the fields given). Its code may change; its stock stays."""
    cleaned = clean_warehouse(data, instance=warehouse)
    serves = cleaned.pop("serves", None)
    with transaction.atomic():
        locked = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.save()
        if serves is not None:
            locked.serves.set(serves)
    return locked


def get_warehouse(warehouse_id) -> Warehouse:
    warehouse = Warehouse.objects.select_related("region", "partner").filter(pk=warehouse_id).first()
    if warehouse is None:
        raise NotFound()
    return warehouse
