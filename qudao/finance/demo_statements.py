"""Demo statements for `manage.py seed` (it runs last, after invoices, payments and rebates): the
last full month's statements for every demo partner with ledger entries by then, one of them
confirmed by its partner's administrator and one disputed (a line, with a comment). With no
entries before this month there is nothing to state, and nothing is done."""

from __future__ import annotations

import random
from collections.abc import Callable

from qudao.core.audit import acting_as

from . import statements


def seed_statements(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    start = statements.last_full_month()
    if not statements.partners_to_generate(start):
        log("statements: no ledger entries before this month; none generated")
        return {}
    result = statements.generate_month(start)
    issued = list(
        statements.Statement.objects.filter(period_start=start, status=statements.Statement.Status.ISSUED)
        .select_related("partner")
        .order_by("partner__code")
    )
    with_admins = [
        (statement, admins) for statement in issued if (admins := statements.partner_admins(statement.partner_id))
    ]
    confirmed = disputed = None
    if with_admins:
        statement, admins = with_admins[0]
        with acting_as(admins[0]):
            confirmed = statements.confirm_statement(statement=statement, actor=admins[0])
    if len(with_admins) > 1:
        statement, admins = with_admins[rng.randrange(1, len(with_admins))]
        line = statement.lines.order_by("position").first()
        if line is not None:
            with acting_as(admins[0]):
                disputed = statements.dispute_statement(
                    statement=statement,
                    line_ids=[line.pk],
                    comment="此笔金额与我方账面不符，请核对。",
                    actor=admins[0],
                )
    log(
        f"statements: {result['generated']} for {statements.month_label(start)}"
        f"{', 1 confirmed' if confirmed else ''}{', 1 disputed' if disputed else ''}"
    )
    return {
        "generated": result["generated"],
        "confirmed": confirmed.number if confirmed else None,
        "disputed": disputed.statement.number if disputed else None,
    }
