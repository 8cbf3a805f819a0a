"""The order lifecycle in one place: which status may follow which, and who may make the move.

    draft -> submitted -> confirmed -> allocated -> partially shipped -> shipped -> delivered -> completed
                \\-> pending approval -> submitted (approved) | rejected
    submitted, pending approval, confirmed -> cancelled (with a reason)
    submitted, pending approval -> rejected (with a reason)

An order that stops waiting for approval other than by the approvers' decision (cancelled,
rejected by operations, changed) withdraws its approval request (qudao.orders.services.move).

Actors: "partner" (a user of the buying partner, or of the distributor that placed the order for
it, holding orders.place), "operations" (orders.manage), "system" (the approval engine, timers).
Every move is time-stamped in OrderStatusChange by qudao.orders.services.move.
"""

from __future__ import annotations

from .models import OrderStatus as S

PARTNER, OPERATIONS, SYSTEM = "partner", "operations", "system"

TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.DRAFT, S.SUBMITTED): frozenset({PARTNER}),
    (S.SUBMITTED, S.PENDING_APPROVAL): frozenset({SYSTEM}),
    (S.PENDING_APPROVAL, S.SUBMITTED): frozenset({SYSTEM}),
    (S.PENDING_APPROVAL, S.REJECTED): frozenset({OPERATIONS, SYSTEM}),
    (S.SUBMITTED, S.CONFIRMED): frozenset({OPERATIONS}),
    (S.SUBMITTED, S.REJECTED): frozenset({OPERATIONS}),
    (S.SUBMITTED, S.CANCELLED): frozenset({PARTNER, OPERATIONS}),
    (S.PENDING_APPROVAL, S.CANCELLED): frozenset({PARTNER, OPERATIONS}),
    (S.CONFIRMED, S.CANCELLED): frozenset({OPERATIONS}),
    (S.CONFIRMED, S.ALLOCATED): frozenset({OPERATIONS}),
    (S.ALLOCATED, S.PARTIALLY_SHIPPED): frozenset({OPERATIONS, SYSTEM}),
    (S.ALLOCATED, S.SHIPPED): frozenset({OPERATIONS, SYSTEM}),
    (S.PARTIALLY_SHIPPED, S.SHIPPED): frozenset({OPERATIONS, SYSTEM}),
    (S.SHIPPED, S.DELIVERED): frozenset({PARTNER, OPERATIONS, SYSTEM}),
    (S.DELIVERED, S.COMPLETED): frozenset({OPERATIONS, SYSTEM}),
}

# Moves that give back what the order held (stock, promotion consumption, credit).
RELEASING = {S.CANCELLED, S.REJECTED}


def allowed(from_status: str, to_status: str, actor_kind: str) -> bool:
    return actor_kind in TRANSITIONS.get((from_status, to_status), frozenset())


def next_statuses(from_status: str, actor_kind: str) -> list[str]:
    return [to for (frm, to), actors in TRANSITIONS.items() if frm == from_status and actor_kind in actors]
