"""A plan's targets from an .xlsx or .csv file (the plan page's export is such a file): preview,
then commit, all or nothing.

Columns (headers in Chinese, Traditional Chinese, English or these keys): `level` (brand, region,
owner, partner - or their labels), `code` (the region's or partner's code, the owner's user name,
empty for the brand), `period` ("2026", "2026-Q1", "2026-01"), `target`. Each row sets the amount
of a target the draft plan already has (a breakdown makes the cells; the file fills them by hand).
The preview checks every row (unknown cell, wrong amount) and then the plan as the file would
leave it (every row that would not sum, `check_plan`); the commit (`targets.set_amounts`) checks
again and writes everything or nothing.

The preview and commit jobs (core.imports.FileImport, with their tasks in the app's tasks.py) and
the upload page are to be wired when analytics' tasks module lands; these are the rules they call.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from qudao.core.tabular import Column, Table, check_file

from . import targets
from .models import Target, TargetLevel, TargetPeriod, TargetPlan

MAX_ROWS = 20000
COLUMNS = (
    Column("level", "层级", "層級", "Level", required=True),
    Column("code", "编码", "編碼", "Code"),
    Column("period", "期间", "期間", "Period", required=True),
    Column("target", "目标", "目標", "Target", required=True),
)
TABLE = Table(COLUMNS, max_rows=MAX_ROWS)
PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{2})))?$", re.IGNORECASE)


def period_code(kind: str, start: date) -> str:
    """How a period is written in the file: 2026, 2026-Q1, 2026-01."""
    if kind == TargetPeriod.YEAR:
        return str(start.year)
    if kind == TargetPeriod.QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _period(text: str):
    match = PERIOD.match(text.strip())
    if not match:
        return None
    year, quarter, month = int(match.group(1)), match.group(2), match.group(3)
    if quarter:
        return TargetPeriod.QUARTER, date(year, 3 * (int(quarter) - 1) + 1, 1)
    if month:
        if not 1 <= int(month) <= 12:
            return None
        return TargetPeriod.MONTH, date(year, int(month), 1)
    return TargetPeriod.YEAR, date(year, 1, 1)


def _level(text: str) -> str | None:
    """A level by its key or its label in any of the three languages (a file travels)."""
    text = text.strip().lower()
    for language in ("zh-hans", "zh-hant", "en"):
        with translation.override(language):
            for value, label in TargetLevel.choices:
                if text in (value, str(label).lower()):
                    return value
    return None


def subject_code(target: Target) -> str:
    if target.level == TargetLevel.REGION:
        return target.region.code
    if target.level == TargetLevel.PARTNER:
        return target.partner.code
    if target.level == TargetLevel.OWNER:
        return target.owner.username
    return ""


def preview(plan: TargetPlan, name: str, content: bytes) -> dict:
    """{"total_rows", "rows": [{"row", "errors": {column: [messages]}}], "amounts": {target id:
    amount text}, "plan_errors": [messages]}: nothing is written.

    :raises FieldErrors: on "file" (unreadable, a required column missing, too many rows)."""
    check_file(name, content)
    parsed = TABLE.parse(name, content)
    cells = {
        (t.level, subject_code(t), t.period_kind, t.period_start): t
        for t in Target.objects.filter(plan=plan).select_related("region", "owner", "partner")
    }
    unit = targets.unit_of(plan)
    rows, amounts, seen = [], {}, {}
    for number, values in parsed.rows:
        errors: dict[str, list[str]] = {k: list(v) for k, v in parsed.cell_errors.get(number, {}).items()}
        level = _level(values.get("level", ""))
        if level is None:
            errors.setdefault("level", []).append(_("Use brand, region, owner or partner."))
        period = _period(values.get("period", ""))
        if period is None:
            errors.setdefault("period", []).append(_("Write the period as 2026, 2026-Q1 or 2026-01."))
        parsed_amount = targets.parse_target_amount(values.get("target", ""), unit)
        if not isinstance(parsed_amount, Decimal):
            errors.setdefault("target", []).append(str(parsed_amount))
        target = None
        if level and period:
            code = "" if level == TargetLevel.BRAND else values.get("code", "").strip()
            target = cells.get((level, code, *period))
            if target is None:
                errors.setdefault("code", []).append(_("This plan has no such target; break the plan down first."))
            elif target.pk in seen:
                errors.setdefault("code", []).append(_("The same target as row %(row)s.") % {"row": seen[target.pk]})
        if target is not None and target.pk not in seen:
            seen[target.pk] = number
            if isinstance(parsed_amount, Decimal) and not errors:
                amounts[target.pk] = parsed_amount
        rows.append({"row": number, "errors": errors})
    plan_errors: list[str] = []
    if not any(row["errors"] for row in rows):
        as_left = list(Target.objects.filter(plan=plan).select_related("region", "owner", "partner"))
        for t in as_left:
            t.amount = amounts.get(t.pk, t.amount)
        problems = targets.check_plan(plan, as_left)
        plan_errors = [str(message) for messages in problems.errors.values() for message in messages]
    return {
        "total_rows": len(rows),
        "rows": rows,
        "amounts": {str(pk): str(amount) for pk, amount in amounts.items()},
        "plan_errors": plan_errors,
    }


def commit(plan: TargetPlan, payload: dict, actor=None) -> int:
    """Write a preview without errors (all or nothing: `set_amounts` checks the plan again)."""
    return targets.set_amounts(plan=plan, amounts=payload["amounts"], actor=actor)
