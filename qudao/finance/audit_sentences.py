"""Finance's sentences for the audit trail (core.audit.register_sentence): a statement confirmed or
disputed by the partner reads "何丽 确认了 2026年11月对账单", not a change of its status field."""

from __future__ import annotations

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext

from qudao.core.audit import register_sentence


def _month(entry) -> str:
    values = entry.change.after or entry.change.before or {}
    try:
        start = datetime.date.fromisoformat(str(values.get("period_start")))
    except ValueError:
        return entry.change.object_repr
    return date_format(start, "YEAR_MONTH_FORMAT")


def statement_sentence(entry) -> str | None:
    status = entry.field("status")
    if entry.action != "update" or status is None:
        return None
    values = {"actor": entry.actor, "month": _month(entry)}
    if status.after == "confirmed":
        return gettext("%(actor)s confirmed the statement of %(month)s") % values
    if status.after == "disputed":
        return gettext("%(actor)s disputed the statement of %(month)s") % values
    if status.after == "resolved":
        return gettext("%(actor)s resolved the dispute about the statement of %(month)s") % values
    return None


def register() -> None:
    register_sentence("finance.statement", statement_sentence)
