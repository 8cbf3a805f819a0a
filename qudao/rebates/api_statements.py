"""The rebate statement in the API: GET /partners/{id}/rebate-statement (JSON, or the .xlsx / PDF
with ?format=)."""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router, Schema

from qudao.core.api import require
from qudao.core.schemas import IdParam, amount_out
from qudao.partners.scoping import get_visible_partner

from . import statements
from .views_statements import CONTENT_TYPES, download

router = Router(tags=["rebates"])


class MovementOut(Schema):
    date: str
    kind: str
    label: str
    reference: str
    note: str
    amount: str


class PostedLineOut(Schema):
    line: int
    run: str
    policy: str
    period_start: str
    period_end: str
    basis: str
    amount: str
    posted: str
    posted_on: str
    earned: str


class RebateStatementOut(Schema):
    partner: int
    currency: str
    start: str
    end: str
    opening: str
    closing: str
    held: str
    totals: dict[str, str]
    movements: list[MovementOut]
    lines: list[PostedLineOut]


@router.get("/partners/{partner_id}/rebate-statement", response=RebateStatementOut)
def rebate_statement(
    request,
    partner_id: IdParam,
    from_: str | None = Query(None, alias="from"),
    to: str | None = None,
    format: str | None = None,
):
    """The partner's rebate fund from `from` to `to` (YYYY-MM-DD; default this year to today):
    opening and closing balance, every movement of the balance, the rebates posted and how each was
    earned. `format=xlsx` or `pdf` answers the file instead."""
    require(request.auth, "rebates.view")
    partner = get_visible_partner(request.auth, partner_id)
    start, end = statements.clean_span(from_, to)
    statement = statements.rebate_statement(partner, start, end)
    if format in CONTENT_TYPES:
        return download(statement, format)
    return {
        "partner": partner.pk,
        "currency": statement.currency,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "opening": amount_out(statement.opening),
        "closing": amount_out(statement.closing),
        "held": amount_out(statement.held),
        "totals": {kind: amount_out(total) for kind, total in statement.totals.items()},
        "movements": [
            {
                "date": timezone.localtime(entry.created_at).date().isoformat(),
                "kind": entry.kind,
                "label": statements.movement_label(entry.kind),
                "reference": entry.reference,
                "note": entry.note,
                "amount": amount_out(entry.balance_delta),
            }
            for entry in statement.movements
        ],
        "lines": [
            {
                "line": line.pk,
                "run": line.run.number,
                "policy": line.policy.code,
                "period_start": line.run.period_start.isoformat(),
                "period_end": line.run.period_end.isoformat(),
                "basis": amount_out(line.basis),
                "amount": amount_out(line.amount),
                "posted": amount_out(line.posted_amount),
                "posted_on": timezone.localtime(line.posted_at).date().isoformat(),
                "earned": statements.line_description(line),
            }
            for line in statement.lines
        ],
    }
