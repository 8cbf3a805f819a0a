"""Targets (目标) and attainment (达成率): every rule of writing, breaking down, approving and
reading a target plan (docs/targets.md; the model and the rounding: ADR 0019).

Writing. A plan starts as a draft with the brand's target for the year. It is broken down
(分解) one step at a time, in either dimension:
- periods: a year into its four quarters, a quarter into its three months (or a year into
  quarters and each quarter into months at once);
- subjects: the brand into regions or owners, a region into partners or owners, an owner into
  partners;
evenly, by last year's share (each child's actual in the same period last year; even when last
year is all zero) or by hand. Splits are exact: the children always sum to the parent (the
largest remainder method, `split`). A new breakdown of a target replaces the one below it. The
other way, `roll_up` sets every parent to the sum of its children. `check_plan` refuses a plan
whose children do not sum to their parent, row by row; a plan is submitted only when it sums.

Approval. A draft is submitted to the approval engine (subject "target_plan"; without a flow it is
approved at once). Approved plans are immutable; `new_version` copies one into a draft (version +
1) which supersedes it when approved. One approved target per (metric, product line, subject,
period): a second approved plan over the same cell is refused.

Attainment. actual / target in percent (1 place, ROUND_HALF_UP) beside the time elapsed in the
period (local days, today counted: on 9 December 9/31 of the month = 29.0%); ahead when attainment
is at least STATUS_BAND points above the time elapsed, behind when more than STATUS_BAND points
below, on track otherwise. A finished period compares with 100%, one not started yet has no status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from qudao.accounts.roles import HQRole
from qudao.catalog.models import ProductLine
from qudao.core import approvals, display
from qudao.core.errors import Conflict, FieldErrors, NotFound
from qudao.core.events import publish
from qudao.core.models import Region
from qudao.core.money import SUPPORTED_CURRENCIES, parse_amount
from qudao.core.validators import check_text
from qudao.partners.models import Partner, PartnerStatus
from qudao.partners.scoping import partner_q

from . import actuals
from .models import (
    COUNT_METRICS,
    LINE_METRICS,
    Target,
    TargetLevel,
    TargetMetric,
    TargetPeriod,
    TargetPlan,
    period_end,
)

PLAN_SUBJECT = "target_plan"
CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
ZERO = Decimal("0")
CENT = Decimal("0.01")
WHOLE = Decimal("1")
HUNDRED = Decimal("100")
PERCENT_STEP = Decimal("0.1")
# Ahead / behind: attainment this many percentage points above / below the time elapsed.
STATUS_BAND = Decimal("5")
MAX_TARGET = Decimal("1000000000000")  # 10^12: above any channel's year, inside every money column
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_CHILDREN = 2000  # children of one breakdown (a region's partners)


class Method:
    EVEN = "even"
    LAST_YEAR = "last_year"
    BY_HAND = "by_hand"
    ALL = (EVEN, LAST_YEAR, BY_HAND)


METHOD_LABELS = {
    Method.EVEN: _("Evenly"),
    Method.LAST_YEAR: _("By last year's share"),
    Method.BY_HAND: _("By hand"),
}

# what a target breaks down into, and from which level or period
INTO_PERIODS = {"quarters": TargetPeriod.QUARTER, "months": TargetPeriod.MONTH}
INTO_LEVELS = {"regions": TargetLevel.REGION, "owners": TargetLevel.OWNER, "partners": TargetLevel.PARTNER}
CHILD_LEVELS = {
    TargetLevel.BRAND: (TargetLevel.REGION, TargetLevel.OWNER),
    TargetLevel.REGION: (TargetLevel.PARTNER, TargetLevel.OWNER),
    TargetLevel.OWNER: (TargetLevel.PARTNER,),
}
INTO_LABELS = {
    "quarters": _("Quarters"),
    "months": _("Months"),
    "quarters_and_months": _("Quarters and their months"),
    "regions": _("Regions"),
    "owners": _("Owners"),
    "partners": _("Partners"),
}
OWNER_ROLES = (HQRole.CHANNEL_MANAGER, HQRole.REGIONAL_MANAGER, HQRole.SALES)
PARTNERS_COUNTED = (PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED)


KIND_ORDER = {TargetPeriod.YEAR: 0, TargetPeriod.QUARTER: 1, TargetPeriod.MONTH: 2}
LEVEL_ORDER = {TargetLevel.BRAND: 0, TargetLevel.REGION: 1, TargetLevel.OWNER: 2, TargetLevel.PARTNER: 3}


class Status:
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NOT_STARTED = "not_started"


STATUS_LABELS = {
    Status.AHEAD: pgettext_lazy("attainment", "Ahead"),
    Status.ON_TRACK: pgettext_lazy("attainment", "On track"),
    Status.BEHIND: pgettext_lazy("attainment", "Behind"),
    Status.NOT_STARTED: pgettext_lazy("attainment", "Not started"),
}


# --- periods and subjects ----------------------------------------------------------------------------


def quarter_starts(year: int) -> list[date]:
    return [date(year, month, 1) for month in (1, 4, 7, 10)]


def month_starts(quarter_start: date) -> list[date]:
    return [date(quarter_start.year, quarter_start.month + i, 1) for i in range(3)]


def period_label(kind: str, start: date) -> str:
    if kind == TargetPeriod.YEAR:
        return gettext("%(year)s") % {"year": start.year}
    if kind == TargetPeriod.QUARTER:
        return gettext("Q%(quarter)s %(year)s") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}
    return gettext("%(month)s/%(year)s") % {"month": start.month, "year": start.year}


def subject_key(level: str, subject_id: int | None = None) -> str:
    return "brand" if level == TargetLevel.BRAND else f"{level}:{subject_id}"


def _subject_fields(level: str, subject_id: int | None) -> dict:
    return {
        "level": level,
        "region_id": subject_id if level == TargetLevel.REGION else None,
        "owner_id": subject_id if level == TargetLevel.OWNER else None,
        "partner_id": subject_id if level == TargetLevel.PARTNER else None,
        "subject_key": subject_key(level, subject_id),
    }


def subject_id_of(target: Target) -> int | None:
    return {
        TargetLevel.BRAND: None,
        TargetLevel.REGION: target.region_id,
        TargetLevel.OWNER: target.owner_id,
        TargetLevel.PARTNER: target.partner_id,
    }[target.level]


def _partners_counted():
    return Partner.objects.filter(status__in=PARTNERS_COUNTED)


def partners_of(level: str, subject_id: int | None, region_path: str | None = None):
    """The partners whose actuals make a subject's (current assignment)."""
    partners = _partners_counted()
    if level == TargetLevel.BRAND:
        return partners
    if level == TargetLevel.REGION:
        return partners.filter(region__path__startswith=region_path)
    if level == TargetLevel.OWNER:
        return partners.filter(Q(channel_manager_id=subject_id) | Q(regional_owner_id=subject_id))
    return partners.filter(pk=subject_id)


def _default_children(target: Target, level: str) -> list[int]:
    """The subjects a target breaks down into when none are named: the provinces of the partners
    counted (brand into regions), the partners of a region or an owner, the owners of the partners
    below."""
    below = partners_of(target.level, subject_id_of(target), target.region.path if target.region_id else None)
    if level == TargetLevel.PARTNER:
        return list(below.order_by("code").values_list("pk", flat=True))
    if level == TargetLevel.OWNER:
        owners = set(below.exclude(channel_manager=None).values_list("channel_manager_id", flat=True))
        owners |= set(below.exclude(regional_owner=None).values_list("regional_owner_id", flat=True))
        return sorted(owners)
    # regions: the provinces of the partners (a partner's region path is CN/<province>/<city>/)
    paths = {"/".join(path.split("/")[:2]) + "/" for path in below.values_list("region__path", flat=True).distinct()}
    return list(Region.objects.filter(path__in=paths).order_by("path").values_list("pk", flat=True))


def _check_children(target: Target, level: str, ids: list[int], errors: FieldErrors) -> None:
    """Named children must exist and lie under the parent."""
    if len(ids) != len(set(ids)):
        errors.add("subjects", _("A subject is named twice."))
        return
    if not ids:
        errors.add("subjects", _("Name at least one subject."))
        return
    if len(ids) > MAX_CHILDREN:
        errors.add("subjects", _("At most %(count)s subjects at once.") % {"count": MAX_CHILDREN})
        return
    region_path = target.region.path if target.region_id else None
    if level == TargetLevel.PARTNER:
        found = set(
            partners_of(target.level, subject_id_of(target), region_path)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
    elif level == TargetLevel.REGION:
        found = set(Region.objects.filter(pk__in=ids).values_list("pk", flat=True))
    else:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(pk__in=ids, is_active=True, role_assignments__role__in=OWNER_ROLES)
        if target.level == TargetLevel.REGION:
            below = partners_of(TargetLevel.REGION, None, region_path)
            users = users.filter(Q(managed_partners__in=below) | Q(owned_partners__in=below))
        found = set(users.values_list("pk", flat=True).distinct())
    missing = [i for i in ids if i not in found]
    if missing:
        errors.add(
            "subjects",
            _("These subjects do not exist or do not belong under this target: %(ids)s")
            % {"ids": ", ".join(str(i) for i in missing)},
        )


# --- amounts ------------------------------------------------------------------------------------------


def unit_of(plan: TargetPlan) -> Decimal:
    """A target's smallest step: a cent for money, one for units and partners."""
    return WHOLE if plan.metric in COUNT_METRICS else CENT


def parse_target_amount(value, unit: Decimal):
    """A target amount: not negative, below MAX_TARGET, in whole cents (money) or whole numbers
    (counts). Returns the Decimal or an error message."""
    if isinstance(value, bool) or value is None or value == "":
        return _("Enter an amount.")
    try:
        amount = parse_amount(value if not isinstance(value, int | Decimal) else str(value))
    except (ValueError, TypeError):
        return _("Enter a number.")
    if amount < 0:
        return _("A target cannot be negative.")
    if amount >= MAX_TARGET:
        return _("A target must be below %(max)s.") % {"max": f"{MAX_TARGET:,}"}
    if amount != amount.quantize(unit, rounding=ROUND_DOWN):
        return _("Enter a whole number.") if unit == WHOLE else _("Enter at most two decimal places.")
    return amount.quantize(unit)


def split(total: Decimal, weights: list[Decimal], unit: Decimal = CENT) -> list[Decimal]:
    """`total` split in proportion to `weights`, in steps of `unit`, summing exactly to `total`
    (the largest remainder method): every share is first rounded down to the unit, then the units
    left over go one each to the shares with the largest remainders (ties: the earlier child).
    It gives the same result as rounding every share ROUND_HALF_UP and then moving the cents the
    rounding gained or lost, and it never leaves a cent out. All-zero weights split evenly."""
    if not weights:
        return []
    if not any(weights):
        weights = [WHOLE] * len(weights)
    whole = sum(weights)
    units_total = int((total / unit).to_integral_value(rounding=ROUND_HALF_UP))
    exact = [Decimal(units_total) * w / whole for w in weights]
    floors = [int(x.to_integral_value(rounding=ROUND_DOWN)) for x in exact]
    left = units_total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(n) * unit for n in floors]


# --- plans ----------------------------------------------------------------------------------------------


def _draft(plan: TargetPlan) -> TargetPlan:
    plan = TargetPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != TargetPlan.Status.DRAFT:
        raise Conflict(gettext("Only a draft plan can be changed; start a new version of an approved one."))
    return plan


def clean_plan(data: dict) -> dict:
    """The plan's fields from `data` (code, name, year, metric, product_line, currency, amount:
    the brand's year target), or FieldErrors with every wrong field."""
    errors = FieldErrors()
    code = str(data.get("code") or "").strip()
    if not CODE.match(code):
        errors.add("code", _("Use 1 to 40 letters, digits, - or _."))
    elif TargetPlan.objects.filter(code=code).exists():
        errors.add("code", _("A plan with this code exists; start a new version of it instead."))
    name = str(data.get("name") or "").strip()
    if not name:
        errors.add("name", _("Enter a name."))
    elif len(name) > 120:
        errors.add("name", _("At most 120 characters."))
    else:
        check_text(errors, "name", name, multiline=False)
    try:
        year = int(str(data.get("year")))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError
    except (TypeError, ValueError):
        year = None
        errors.add("year", _("Enter a year from %(low)s to %(high)s.") % {"low": MIN_YEAR, "high": MAX_YEAR})
    metric = data.get("metric")
    if metric not in TargetMetric.values:
        errors.add("metric", _("Choose a metric."))
    line = None
    line_value = data.get("product_line")
    if metric in LINE_METRICS:
        if not line_value:
            errors.add("product_line", _("Choose the product line this metric counts."))
        else:
            line = ProductLine.objects.filter(Q(code=str(line_value)) | Q(pk=_int_or_none(line_value))).first()
            if line is None:
                errors.add("product_line", _("No such product line."))
    elif line_value:
        errors.add("product_line", _("Only a product line's units or amount name a product line."))
    currency = str(data.get("currency") or "CNY")
    if currency not in SUPPORTED_CURRENCIES:
        errors.add("currency", _("Choose a supported currency."))
    amount = None
    if metric in TargetMetric.values:
        parsed = parse_target_amount(data.get("amount"), WHOLE if metric in COUNT_METRICS else CENT)
        if isinstance(parsed, Decimal):
            amount = parsed
        else:
            errors.add("amount", parsed)
    if errors.errors:
        raise errors
    return {
        "code": code,
        "name": name,
        "year": year,
        "metric": metric,
        "product_line": line,
        "currency": currency,
        "amount": amount,
    }


def _int_or_none(value):
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def create_plan(*, data: dict, actor=None) -> TargetPlan:
    """A draft plan with the brand's target for the year."""
    values = clean_plan(data)
    amount = values.pop("amount")
    with transaction.atomic():
        plan = TargetPlan.objects.create(
            **values, created_by=actor if getattr(actor, "is_authenticated", False) else None
        )
        _add(plan, TargetLevel.BRAND, None, TargetPeriod.YEAR, date(plan.year, 1, 1), amount)
        publish("target_plan.created", "target_plan", plan.pk, {"code": plan.code, "version": plan.version})
    return plan


def _add(plan, level, subject_id, kind, start, amount, parent=None) -> Target:
    return Target.objects.create(**_row(plan, level, subject_id, kind, start, amount, parent))


def _row(plan, level, subject_id, kind, start, amount, parent=None) -> dict:
    return {
        "plan": plan,
        **_subject_fields(level, subject_id),
        "period_kind": kind,
        "period_start": start,
        "period_end": period_end(kind, start),
        "amount": amount,
        "parent": parent,
        "metric": plan.metric,
        "line_key": plan.product_line_id or 0,
    }


def get_plan(pk) -> TargetPlan:
    plan = TargetPlan.objects.select_related("product_line", "supersedes").filter(pk=_int_or_none(pk)).first()
    if plan is None:
        raise NotFound()
    return plan


# --- breaking down ----------------------------------------------------------------------------------------


def _child_amounts(
    *, plan, target, method, children: list, child_keys: list[str], amounts, weights_of, errors: FieldErrors
) -> list[Decimal] | None:
    """The children's amounts by `method` (children named by `child_keys` for errors and by hand)."""
    unit = unit_of(plan)
    if method == Method.BY_HAND:
        if not isinstance(amounts, dict):
            errors.add("amounts", _("Give an amount for every child."))
            return None
        values = []
        for key in child_keys:
            parsed = parse_target_amount(amounts.get(key), unit)
            if isinstance(parsed, Decimal):
                values.append(parsed)
            else:
                errors.add(f"amounts.{key}", parsed)
        unknown = set(map(str, amounts)) - set(child_keys)
        if unknown:
            errors.add("amounts", _("Unknown children: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
        if errors.errors:
            return None
        if sum(values) != target.amount:
            errors.add(
                "amounts",
                _("The amounts sum to %(sum)s; they must sum to the target, %(target)s.")
                % {"sum": _amount_text(plan, sum(values)), "target": _amount_text(plan, target.amount)},
            )
            return None
        return values
    weights = weights_of() if method == Method.LAST_YEAR else [WHOLE] * len(children)
    return split(target.amount, weights, unit)


def _amount_text(plan: TargetPlan, amount: Decimal) -> str:
    return f"{amount:,.0f}" if plan.metric in COUNT_METRICS else display.money_text(amount, plan.currency)


def break_down(*, target: Target, into: str, method: str, subjects=None, amounts=None, actor=None) -> list[Target]:
    """Split `target` into children (see the module docstring) and replace what was below it in
    that dimension. `subjects`: the ids of the regions, owners or partners (default: all under the
    target); `amounts` (by hand): {child key: amount} where a child's key is its period start
    ("2026-04-01") or its subject id ("12").

    :raises FieldErrors: a wrong method, child, or amounts that do not sum to the target.
    :raises Conflict: the plan is not a draft."""
    errors = FieldErrors()
    if method not in Method.ALL:
        errors.add("method", _("Choose how to break the target down."))
    if into not in INTO_PERIODS and into not in INTO_LEVELS and into != "quarters_and_months":
        errors.add("into", _("Choose what to break the target down into."))
    if errors.errors:
        raise errors
    with transaction.atomic():
        plan = _draft(target.plan)
        target = Target.objects.select_related("region").get(pk=target.pk, plan=plan)
        if into == "quarters_and_months":
            if method == Method.BY_HAND:
                raise FieldErrors.single("method", _("Break quarters and months down by hand one step at a time."))
            quarters = _break_down_periods(plan, target, "quarters", method, amounts, errors)
            created = list(quarters)
            for quarter in quarters:
                created += _break_down_periods(plan, quarter, "months", method, None, errors)
        elif into in INTO_PERIODS:
            created = _break_down_periods(plan, target, into, method, amounts, errors)
        else:
            created = _break_down_subjects(plan, target, INTO_LEVELS[into], method, subjects, amounts, errors)
        relink(plan)
        publish(
            "target_plan.broken_down",
            "target_plan",
            plan.pk,
            {"target": target.pk, "into": into, "method": method, "children": len(created)},
        )
    return created


def _break_down_periods(plan, target, into, method, amounts, errors) -> list[Target]:
    kind = INTO_PERIODS[into]
    expected = TargetPeriod.YEAR if kind == TargetPeriod.QUARTER else TargetPeriod.QUARTER
    if target.period_kind != expected:
        raise FieldErrors.single(
            "into",
            _("Only a year breaks down into quarters.")
            if kind == TargetPeriod.QUARTER
            else _("Only a quarter breaks down into months."),
        )
    starts = (
        quarter_starts(target.period_start.year) if kind == TargetPeriod.QUARTER else month_starts(target.period_start)
    )
    keys = [start.isoformat() for start in starts]

    def weights():
        last = [start.replace(year=start.year - 1) for start in starts]
        return [_subject_actual(plan, target, start, period_end(kind, start)) for start in last]

    values = _child_amounts(
        plan=plan, target=target, method=method, children=starts, child_keys=keys, amounts=amounts,
        weights_of=weights, errors=errors,
    )  # fmt: skip
    if values is None:
        raise errors
    # the periods below this one, for this subject, are replaced (months go with their quarters)
    Target.objects.filter(
        plan=plan,
        subject_key=target.subject_key,
        period_start__gte=target.period_start,
        period_end__lte=target.period_end,
    ).exclude(pk=target.pk).delete()
    sid = subject_id_of(target)
    return [_add(plan, target.level, sid, kind, start, value) for start, value in zip(starts, values, strict=True)]


def _break_down_subjects(plan, target, level, method, subjects, amounts, errors) -> list[Target]:
    if level not in CHILD_LEVELS.get(target.level, ()):
        raise FieldErrors.single(
            "into",
            _("A %(parent)s target does not break down into %(child)s.")
            % {"parent": TargetLevel(target.level).label, "child": TargetLevel(level).label},
        )
    if subjects is None:
        ids = _default_children(target, level)
        if not ids:
            raise FieldErrors.single("subjects", _("There is nothing under this target to break it down into."))
    else:
        ids = [_int_or_none(value) for value in subjects]
        if None in ids:
            raise FieldErrors.single("subjects", _("Subjects are named by their ids."))
        _check_children(target, level, ids, errors)
        if errors.errors:
            raise errors
    keys = [str(i) for i in ids]

    def weights():  # each child's actual in the same period last year
        start = target.period_start.replace(year=target.period_start.year - 1)
        return _children_actuals(plan, level, ids, start, period_end(target.period_kind, start))

    values = _child_amounts(
        plan=plan, target=target, method=method, children=ids, child_keys=keys, amounts=amounts,
        weights_of=weights, errors=errors,
    )  # fmt: skip
    if values is None:
        raise errors
    target.children.all().delete()
    # a subject already elsewhere in the plan at this period (under another parent) is refused
    taken = set(
        Target.objects.filter(
            plan=plan,
            period_kind=target.period_kind,
            period_start=target.period_start,
            subject_key__in=[subject_key(level, i) for i in ids],
        ).values_list("subject_key", flat=True)
    )
    if taken:
        raise FieldErrors.single("subjects", _("Some of these subjects already have a target in this period."))
    return [
        _add(plan, level, i, target.period_kind, target.period_start, value, parent=target)
        for i, value in zip(ids, values, strict=True)
    ]


def balanced_split(row_totals: list[Decimal], column_totals: list[Decimal], unit: Decimal = CENT) -> list[list]:
    """A table whose rows sum exactly to `row_totals` and whose columns sum exactly to
    `column_totals` (equal grand totals): each column split over the rows in proportion to the row
    totals (`split`), then single units moved inside a column from a row over its total to a row
    under it until every row sums (each move keeps the column's sum; a row over its total always
    has a non-zero cell to give from)."""
    columns = [split(total, row_totals, unit) for total in column_totals]
    table = [[columns[j][i] for j in range(len(column_totals))] for i in range(len(row_totals))]
    off = [sum(table[i], ZERO) - row_totals[i] for i in range(len(row_totals))]
    while any(off):
        over = next(i for i, value in enumerate(off) if value > 0)
        under = next(i for i, value in enumerate(off) if value < 0)
        j = max(range(len(column_totals)), key=lambda c: table[over][c])
        table[over][j] -= unit
        table[under][j] += unit
        off[over] -= unit
        off[under] += unit
    return table


def break_down_every_year(*, plan: TargetPlan, method: str, actor=None) -> int:
    """Break every subject's year of a draft into quarters and months at once, replacing the
    periods below the years, so that the whole plan sums both ways. The subjects at the top (the
    brand) are spread evenly or by their own last year (one grouped query per period of last year);
    every subject below takes its parent's seasonality: each of the parent's quarters and months is
    shared among the children in proportion to their years, to the cent, and rows and columns both
    sum exactly (`balanced_split`). Returns how many targets it wrote.

    :raises FieldErrors: the years do not sum yet (per row), or another method."""
    if method not in (Method.EVEN, Method.LAST_YEAR):
        raise FieldErrors.single("method", _("Choose evenly or by last year's share."))
    with transaction.atomic():
        plan = _draft(plan)
        years = list(
            Target.objects.filter(plan=plan, period_kind=TargetPeriod.YEAR).select_related("region", "owner", "partner")
        )
        problems = check_plan(plan, years)
        if problems.errors:
            raise problems
        Target.objects.filter(plan=plan).exclude(period_kind=TargetPeriod.YEAR).delete()
        quarters = quarter_starts(plan.year)
        months_of = {quarter: month_starts(quarter) for quarter in quarters}
        last_year: dict = {}
        roots = [t for t in years if t.parent_id is None]
        if method == Method.LAST_YEAR:
            facts = _partner_facts()
            cells = [(TargetPeriod.QUARTER, q) for q in quarters]
            cells += [(TargetPeriod.MONTH, m) for q in quarters for m in months_of[q]]
            for kind, start in cells:
                before = start.replace(year=start.year - 1)
                per_partner = actuals.partner_actuals(
                    plan.metric, None, before, period_end(kind, before), product_line_path=_line_path(plan)
                )
                last_year[(kind, start)] = _subject_sums(per_partner, facts)

        def weights(kind, starts, key):
            return [last_year.get((kind, start), {}).get(key, ZERO) for start in starts]

        unit = unit_of(plan)
        amounts: dict[tuple, Decimal] = {}
        for root in roots:
            key = root.subject_key
            for quarter, amount in zip(
                quarters, split(root.amount, weights(TargetPeriod.QUARTER, quarters, key), unit), strict=True
            ):
                amounts[(key, TargetPeriod.QUARTER, quarter)] = amount
                months = months_of[quarter]
                for month, month_amount in zip(
                    months, split(amount, weights(TargetPeriod.MONTH, months, key), unit), strict=True
                ):
                    amounts[(key, TargetPeriod.MONTH, month)] = month_amount
        children: dict[int, list[Target]] = {}
        for t in years:
            if t.parent_id:
                children.setdefault(t.parent_id, []).append(t)
        queue = list(roots)
        while queue:
            parent = queue.pop(0)
            kids = sorted(children.get(parent.pk, []), key=lambda t: t.subject_key)
            if not kids:
                continue
            queue.extend(kids)
            table = balanced_split(
                [kid.amount for kid in kids],
                [amounts[(parent.subject_key, TargetPeriod.QUARTER, q)] for q in quarters],
                unit,
            )
            for kid, row in zip(kids, table, strict=True):
                for quarter, amount in zip(quarters, row, strict=True):
                    amounts[(kid.subject_key, TargetPeriod.QUARTER, quarter)] = amount
            for quarter in quarters:
                months = months_of[quarter]
                table = balanced_split(
                    [amounts[(kid.subject_key, TargetPeriod.QUARTER, quarter)] for kid in kids],
                    [amounts[(parent.subject_key, TargetPeriod.MONTH, m)] for m in months],
                    unit,
                )
                for kid, row in zip(kids, table, strict=True):
                    for month, amount in zip(months, row, strict=True):
                        amounts[(kid.subject_key, TargetPeriod.MONTH, month)] = amount
        by_key = {t.subject_key: t for t in years}
        rows = [
            Target(**_row(plan, by_key[key].level, subject_id_of(by_key[key]), kind, start, amount))
            for (key, kind, start), amount in amounts.items()
        ]
        Target.objects.bulk_create(rows, batch_size=500)
        relink(plan)
        publish("target_plan.broken_down", "target_plan", plan.pk, {"into": "every_year", "method": method})
    return len(rows)


def relink(plan: TargetPlan) -> None:
    """Every target's parent is its parent subject's target at the same period: the subject tree
    is the one the breakdowns built at any period (a partner under the region it was broken down
    from), so a partner's Q1 hangs under its region's Q1 whichever was broken down first."""
    rows = list(Target.objects.filter(plan=plan).only("pk", "subject_key", "period_kind", "period_start", "parent"))
    by_cell = {(t.subject_key, t.period_kind, t.period_start): t for t in rows}
    by_pk = {t.pk: t for t in rows}
    parent_subject: dict[str, str] = {}
    for t in rows:
        if t.parent_id and t.parent_id in by_pk:
            parent_subject.setdefault(t.subject_key, by_pk[t.parent_id].subject_key)
    changed = []
    for t in rows:
        key = parent_subject.get(t.subject_key)
        parent = by_cell.get((key, t.period_kind, t.period_start)) if key else None
        parent_id = parent.pk if parent else None
        if t.parent_id != parent_id:
            t.parent_id = parent_id
            changed.append(t)
    if changed:
        Target.objects.bulk_update(changed, ["parent"])


# --- checking and rolling up --------------------------------------------------------------------------


def _row_name(plan, target: Target) -> str:
    return f"{target.subject_name} {period_label(target.period_kind, target.period_start)}"


def check_plan(plan: TargetPlan, targets: list[Target] | None = None) -> FieldErrors:
    """Every place the plan does not sum, as field errors keyed "targets.<id>": a target whose
    subject children (same period) do not sum to it, a year whose quarters or a quarter whose
    months are missing some or do not sum to it. Empty when the plan sums."""
    if targets is None:
        targets = list(Target.objects.filter(plan=plan).select_related("region", "owner", "partner"))
    errors = FieldErrors()
    by_pk = {t.pk: t for t in targets}
    children_sum: dict[int, Decimal] = {}
    for t in targets:
        if t.parent_id:
            children_sum[t.parent_id] = children_sum.get(t.parent_id, ZERO) + t.amount
    for pid, total in children_sum.items():
        parent = by_pk[pid]
        if total != parent.amount:
            errors.add(
                f"targets.{pid}",
                _("%(row)s: the targets below it sum to %(sum)s, not %(target)s.")
                % {
                    "row": _row_name(plan, parent),
                    "sum": _amount_text(plan, total),
                    "target": _amount_text(plan, parent.amount),
                },
            )
    cells = {(t.subject_key, t.period_kind, t.period_start): t for t in targets}
    for t in targets:
        if t.period_kind == TargetPeriod.MONTH:
            continue
        parts_kind, starts = (
            (TargetPeriod.QUARTER, quarter_starts(t.period_start.year))
            if t.period_kind == TargetPeriod.YEAR
            else (TargetPeriod.MONTH, month_starts(t.period_start))
        )
        parts = [cells.get((t.subject_key, parts_kind, start)) for start in starts]
        if not any(parts):
            continue
        if not all(parts) or sum(p.amount for p in parts) != t.amount:
            found = sum(p.amount for p in parts if p)
            errors.add(
                f"targets.{t.pk}",
                _("%(row)s: its periods sum to %(sum)s, not %(target)s.")
                % {
                    "row": _row_name(plan, t),
                    "sum": _amount_text(plan, found),
                    "target": _amount_text(plan, t.amount),
                },
            )
    # a quarter or a month without its year / quarter
    for t in targets:
        if t.period_kind == TargetPeriod.YEAR:
            continue
        up_kind = TargetPeriod.YEAR if t.period_kind == TargetPeriod.QUARTER else TargetPeriod.QUARTER
        up_start = (
            date(t.period_start.year, 1, 1)
            if up_kind == TargetPeriod.YEAR
            else date(t.period_start.year, 3 * ((t.period_start.month - 1) // 3) + 1, 1)
        )
        if (t.subject_key, up_kind, up_start) not in cells:
            errors.add(
                f"targets.{t.pk}", _("%(row)s: has no target for the period it lies in.") % {"row": _row_name(plan, t)}
            )
    return errors


def set_amounts(*, plan: TargetPlan, amounts: dict, actor=None) -> int:
    """Set targets' amounts by hand ({target id: amount}); the plan must sum afterwards, else
    nothing changes (FieldErrors per row). Returns how many changed."""
    with transaction.atomic():
        plan = _draft(plan)
        targets = list(Target.objects.filter(plan=plan).select_related("region", "owner", "partner"))
        by_pk = {t.pk: t for t in targets}
        errors = FieldErrors()
        unit = unit_of(plan)
        changed = []
        for key, value in amounts.items():
            target = by_pk.get(_int_or_none(key))
            if target is None:
                errors.add(f"targets.{key}", _("No such target in this plan."))
                continue
            parsed = parse_target_amount(value, unit)
            if not isinstance(parsed, Decimal):
                errors.add(f"targets.{key}", parsed)
            elif parsed != target.amount:
                target.amount = parsed
                changed.append(target)
        if errors.errors:
            raise errors
        problems = check_plan(plan, targets)
        if problems.errors:
            raise problems
        for target in changed:
            target.save(update_fields=["amount"])
    return len(changed)


def roll_up(*, plan: TargetPlan, actor=None) -> TargetPlan:
    """Every parent becomes the sum of its children: months into quarters into years (each
    subject), then partners and owners into regions into the brand (each period)."""
    with transaction.atomic():
        plan = _draft(plan)
        targets = list(Target.objects.filter(plan=plan))
        cells = {(t.subject_key, t.period_kind, t.period_start): t for t in targets}
        for t in sorted(targets, key=lambda x: x.period_kind != TargetPeriod.QUARTER):  # quarters first
            if t.period_kind == TargetPeriod.MONTH:
                continue
            kind, starts = (
                (TargetPeriod.MONTH, month_starts(t.period_start))
                if t.period_kind == TargetPeriod.QUARTER
                else (TargetPeriod.QUARTER, quarter_starts(t.period_start.year))
            )
            parts = [cells.get((t.subject_key, kind, s)) for s in starts]
            if all(parts):
                t.amount = sum(p.amount for p in parts)
        depth = {TargetLevel.PARTNER: 0, TargetLevel.OWNER: 1, TargetLevel.REGION: 2, TargetLevel.BRAND: 3}
        by_pk = {t.pk: t for t in targets}
        for level in (TargetLevel.OWNER, TargetLevel.REGION, TargetLevel.BRAND):
            sums: dict[int, Decimal] = {}
            for t in targets:
                if t.parent_id and depth[t.level] < depth[level] and by_pk[t.parent_id].level == level:
                    sums[t.parent_id] = sums.get(t.parent_id, ZERO) + t.amount
            for pid, total in sums.items():
                by_pk[pid].amount = total
        Target.objects.bulk_update(targets, ["amount"])
        problems = check_plan(plan)
        if problems.errors:  # an incomplete breakdown (a quarter without all its months)
            raise problems
    return plan


# --- approval and versions --------------------------------------------------------------------------------


def _approved_conflicts(plan: TargetPlan) -> list[str]:
    """Cells of this plan that another approved plan (not the one it supersedes) already has."""
    mine = Target.objects.filter(plan=plan)
    clash = (
        Target.objects.filter(approved=True, metric=plan.metric, line_key=plan.product_line_id or 0)
        .exclude(plan=plan)
        .exclude(plan_id=plan.supersedes_id)
        .filter(subject_key__in=mine.values("subject_key"))
        .select_related("plan")
    )
    cells = set(mine.values_list("subject_key", "period_kind", "period_start"))
    return sorted({t.plan.code for t in clash if (t.subject_key, t.period_kind, t.period_start) in cells})


def submit_plan(*, plan: TargetPlan, actor=None) -> TargetPlan:
    """Send a draft that sums for approval; without an approval flow it is approved at once.

    :raises FieldErrors: the plan does not sum (per row), or another approved plan holds its cells.
    :raises Conflict: the plan is not a draft."""
    with transaction.atomic():
        plan = _draft(plan)
        problems = check_plan(plan)
        if problems.errors:
            raise problems
        clashes = _approved_conflicts(plan)
        if clashes:
            raise FieldErrors.single(
                "plan",
                _("Approved plans %(codes)s already hold targets for the same metric, subjects and periods.")
                % {"codes": ", ".join(clashes)},
            )
        brand = plan.targets.filter(level=TargetLevel.BRAND, period_kind=TargetPeriod.YEAR).first()
        request = approvals.start_approval(
            kind=PLAN_SUBJECT,
            subject_id=plan.pk,
            title=f"{plan.code} v{plan.version} {plan.name}",
            context={
                "code": plan.code,
                "version": plan.version,
                "year": plan.year,
                "metric": plan.metric,
                "amount": str(brand.amount) if brand else None,
            },
            submitted_by=actor,
        )
        plan.submitted_at = timezone.now()
        if request is None:
            plan.save(update_fields=["submitted_at", "updated_at"])
            return approve_plan(plan=plan, actor=actor)
        plan.status = TargetPlan.Status.PENDING_APPROVAL
        plan.approval = request
        plan.save(update_fields=["status", "approval", "submitted_at", "updated_at"])
        publish("target_plan.submitted", "target_plan", plan.pk, {"code": plan.code, "version": plan.version})
    return plan


def approve_plan(*, plan: TargetPlan, actor=None) -> TargetPlan:
    """The plan's targets take effect; the version it supersedes stops counting."""
    with transaction.atomic():
        plan = TargetPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.supersedes_id:
            old = TargetPlan.objects.select_for_update().get(pk=plan.supersedes_id)
            if old.status == TargetPlan.Status.APPROVED:
                old.status = TargetPlan.Status.SUPERSEDED
                old.save(update_fields=["status", "updated_at"])
                Target.objects.filter(plan=old).update(approved=False)
        try:
            with transaction.atomic():
                Target.objects.filter(plan=plan).update(approved=True)
        except IntegrityError:
            raise Conflict(
                gettext("Another approved plan already holds targets for the same metric, subjects and periods.")
            ) from None
        plan.status = TargetPlan.Status.APPROVED
        plan.approved_at = timezone.now()
        plan.save(update_fields=["status", "approved_at", "updated_at"])
        publish("target_plan.approved", "target_plan", plan.pk, {"code": plan.code, "version": plan.version})
    return plan


def new_version(*, plan: TargetPlan, actor=None) -> TargetPlan:
    """A draft copy of an approved plan (version + 1) that supersedes it once approved.

    :raises Conflict: the plan is not approved, or a next version is already being written."""
    with transaction.atomic():
        plan = TargetPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != TargetPlan.Status.APPROVED:
            raise Conflict(gettext("Only an approved plan can get a new version."))
        if TargetPlan.objects.filter(
            code=plan.code, status__in=[TargetPlan.Status.DRAFT, TargetPlan.Status.PENDING_APPROVAL]
        ).exists():
            raise Conflict(gettext("A new version of this plan is already being written."))
        version = TargetPlan.objects.filter(code=plan.code).aggregate(v=Max("version"))["v"] + 1
        copy = TargetPlan.objects.create(
            code=plan.code,
            name=plan.name,
            year=plan.year,
            metric=plan.metric,
            product_line=plan.product_line,
            currency=plan.currency,
            version=version,
            supersedes=plan,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        old = list(Target.objects.filter(plan=plan).order_by("pk"))
        new_rows = Target.objects.bulk_create(
            [
                Target(
                    plan=copy,
                    level=t.level,
                    region_id=t.region_id,
                    owner_id=t.owner_id,
                    partner_id=t.partner_id,
                    subject_key=t.subject_key,
                    period_kind=t.period_kind,
                    period_start=t.period_start,
                    period_end=t.period_end,
                    amount=t.amount,
                    metric=t.metric,
                    line_key=t.line_key,
                )
                for t in old
            ]
        )
        # the same parents, by cell
        cell_of = {t.pk: (t.subject_key, t.period_kind, t.period_start) for t in old}
        new_by_cell = {(t.subject_key, t.period_kind, t.period_start): t for t in new_rows}
        for t in old:
            if t.parent_id:
                new_by_cell[cell_of[t.pk]].parent = new_by_cell[cell_of[t.parent_id]]
        Target.objects.bulk_update([t for t in new_rows if t.parent_id or t.parent], ["parent"])
        publish("target_plan.versioned", "target_plan", copy.pk, {"code": copy.code, "version": copy.version})
    return copy


def _subject_plan(request) -> TargetPlan | None:
    return TargetPlan.objects.filter(pk=_int_or_none(request.subject_id)).first()


def on_plan_approved(request, actor) -> None:
    plan = _subject_plan(request)
    if plan is not None and plan.status == TargetPlan.Status.PENDING_APPROVAL:
        approve_plan(plan=plan, actor=actor)


def on_plan_not_approved(request, actor) -> None:
    plan = _subject_plan(request)
    if plan is not None:
        TargetPlan.objects.filter(pk=plan.pk, status=TargetPlan.Status.PENDING_APPROVAL).update(
            status=TargetPlan.Status.DRAFT, updated_at=timezone.now()
        )


def register_subjects() -> None:
    approvals.register_subject(
        approvals.SubjectHandler(
            kind=PLAN_SUBJECT,
            label=_("Target plan"),
            on_approved=on_plan_approved,
            on_rejected=on_plan_not_approved,
            on_returned=on_plan_not_approved,
            subject_url=lambda request: f"/analytics/targets/{request.subject_id}/",
            fields={
                "code": approvals.ContextField(_("Code")),
                "version": approvals.ContextField(_("Version")),
                "year": approvals.ContextField(_("Year")),
                "metric": approvals.ContextField(_("Metric"), display.labels(TargetMetric)),
                "amount": approvals.ContextField(_("Brand target for the year"), display.money_text),
            },
            condition_fields=(
                approvals.ConditionField("metric", _("Metric"), "choice", TargetMetric.choices),
                approvals.ConditionField("amount", _("Brand target for the year"), "amount"),
            ),
        )
    )


# --- reading: scope, actuals, attainment -----------------------------------------------------------------


def visible_targets(user, plan: TargetPlan):
    """The plan's targets `user` may see: every one for the roles that see every partner; for a
    regional manager or a sales rep the regions inside theirs, the partners they see and their own
    owner targets (never the brand's)."""
    return scoped_targets(user, Target.objects.filter(plan=plan))


def scoped_targets(user, targets):
    """`targets` (a queryset) narrowed to those `user` may see (the rule of `visible_targets`)."""
    condition = partner_q(user, "partner__")
    if condition is None:
        return targets
    regions = Q(pk__in=[])
    for path in user.region_paths():
        regions |= Q(region__path__startswith=path)
    return targets.filter(
        Q(level=TargetLevel.PARTNER, partner__isnull=False) & condition
        | Q(level=TargetLevel.REGION) & regions
        | Q(level=TargetLevel.OWNER, owner=user)
    )


def elapsed_percent(start: date, end: date, today: date) -> Decimal:
    """How much of [start, end] has passed on `today`, today counted (9 December: 9/31 -> 29.0)."""
    if today < start:
        return ZERO.quantize(PERCENT_STEP)
    if today >= end:
        return HUNDRED.quantize(PERCENT_STEP)
    days = (end - start).days + 1
    return (Decimal((today - start).days + 1) * HUNDRED / days).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)


def attainment_percent(actual: Decimal, target: Decimal) -> Decimal | None:
    if not target:
        return None
    return (actual * HUNDRED / target).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)


def status_of(attainment: Decimal | None, elapsed: Decimal, started: bool) -> str:
    if not started:
        return Status.NOT_STARTED
    if attainment is None:
        return ""
    if attainment >= elapsed + STATUS_BAND:
        return Status.AHEAD
    if attainment < elapsed - STATUS_BAND:
        return Status.BEHIND
    return Status.ON_TRACK


@dataclass
class Row:
    target: Target
    actual: Decimal
    attainment: Decimal | None
    elapsed: Decimal
    status: str
    counts: bool = False  # whole numbers (units, partners), not money

    @property
    def target_text(self) -> str:
        return self._text(self.target.amount)

    @property
    def actual_text(self) -> str:
        return self._text(self.actual)

    def _text(self, value: Decimal) -> str:
        """As a page shows it: 1,234 for a count, 1,234.50 for money."""
        return f"{int(value):,}" if self.counts else display.money_text(value)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, ""))

    @property
    def period_label(self) -> str:
        return period_label(self.target.period_kind, self.target.period_start)


def _subject_actual(plan: TargetPlan, target: Target, start: date, end: date) -> Decimal:
    """One subject's actual over [start, end] (last year's share of a period breakdown)."""
    path = target.region.path if target.region_id else None
    partners = partners_of(target.level, subject_id_of(target), path)
    values = actuals.partner_actuals(
        plan.metric, partners.values_list("pk", flat=True), start, end, product_line_path=_line_path(plan)
    )
    return sum(values.values(), ZERO)


def _children_actuals(plan: TargetPlan, level: str, ids: list[int], start: date, end: date) -> list[Decimal]:
    per_partner = actuals.partner_actuals(plan.metric, None, start, end, product_line_path=_line_path(plan))
    sums = _subject_sums(per_partner, _partner_facts())
    return [sums.get(subject_key(level, i), ZERO) for i in ids]


def _line_path(plan: TargetPlan) -> str | None:
    return plan.product_line.path if plan.product_line_id else None


def _partner_facts() -> list[tuple]:
    """(id, region path, channel manager id, regional owner id) of every partner counted: one query."""
    return list(_partners_counted().values_list("pk", "region__path", "channel_manager_id", "regional_owner_id"))


def _subject_sums(per_partner: dict[int, Decimal], facts: list[tuple]) -> dict[str, Decimal]:
    """{subject key: Σ its partners' actuals}: brand, every region on each partner's region path
    (a province and its city), every owner, every partner."""
    regions = dict(Region.objects.values_list("path", "pk"))
    sums: dict[str, Decimal] = {}

    def add(key, value):
        sums[key] = sums.get(key, ZERO) + value

    for pid, path, manager_id, owner_id in facts:
        value = per_partner.get(pid)
        if not value:
            continue
        add("brand", value)
        add(subject_key(TargetLevel.PARTNER, pid), value)
        parts = path.split("/")
        for depth in range(1, len(parts)):
            region_id = regions.get("/".join(parts[:depth]) + "/")
            if region_id:
                add(subject_key(TargetLevel.REGION, region_id), value)
        for user_id in {manager_id, owner_id} - {None}:
            add(subject_key(TargetLevel.OWNER, user_id), value)
    return sums


def attainment_rows(plan: TargetPlan, targets, today: date | None = None) -> list[Row]:
    """Target, actual, attainment, time elapsed and status of each of `targets` (a queryset of the
    plan's): one set of grouped queries per period of the plan that has started (at most 17), never
    per subject."""
    today = today or timezone.localdate()
    targets = sorted(
        targets.select_related("region", "owner", "partner"),
        key=lambda t: (KIND_ORDER[t.period_kind], t.period_start, LEVEL_ORDER[t.level], t.subject_key),
    )
    windows = {(t.period_start, t.period_end) for t in targets if t.period_start <= today}
    facts = _partner_facts() if windows else []
    sums_by_window = {
        window: _subject_sums(
            actuals.partner_actuals(plan.metric, None, window[0], window[1], product_line_path=_line_path(plan)), facts
        )
        for window in windows
    }
    rows = []
    for t in targets:
        started = t.period_start <= today
        actual = sums_by_window.get((t.period_start, t.period_end), {}).get(t.subject_key, ZERO) if started else ZERO
        attained = attainment_percent(actual, t.amount)
        elapsed = elapsed_percent(t.period_start, t.period_end, today)
        rows.append(
            Row(t, actual, attained, elapsed, status_of(attained, elapsed, started), plan.metric in COUNT_METRICS)
        )
    return rows


# --- the rebate hook -----------------------------------------------------------------------------------


REBATE_METRICS = (TargetMetric.NET_SALES_SHIPPED, TargetMetric.NET_SALES_INVOICED, TargetMetric.PAYMENTS)


def approved_partner_targets(metric: str, partner_ids, start: date, end: date) -> dict[int, Decimal]:
    """Each partner's APPROVED target for exactly [start, end] (a rebate tier on a ratio to target,
    qudao.rebates.ratios): its one target of that period, else the sum of its approved targets that
    tile the window exactly (largest periods first: years, quarters, months, each starting where the
    previous ended); partners without one are absent. `metric`: net_sales_shipped,
    net_sales_invoiced or payments."""
    if metric not in REBATE_METRICS:
        return {}
    rows = Target.objects.filter(
        approved=True,
        metric=metric,
        line_key=0,
        level=TargetLevel.PARTNER,
        period_start__gte=start,
        period_end__lte=end,
    )
    if partner_ids is not None:
        rows = rows.filter(partner_id__in=list(partner_ids))
    cells: dict[int, dict[date, list]] = {}
    for pid, kind, first, last, amount in rows.values_list(
        "partner_id", "period_kind", "period_start", "period_end", "amount"
    ):
        cells.setdefault(pid, {}).setdefault(first, []).append((last, kind, amount))
    out: dict[int, Decimal] = {}
    for pid, by_start in cells.items():
        total = tiled_total(by_start, start, end)
        if total is not None:
            out[pid] = total
    return out


def tiled_total(by_start: dict[date, list], start: date, end: date) -> Decimal | None:
    """The sum of one subject's targets that tile [start, end] exactly, the longest period first at
    each step (`by_start`: {period start: [(period end, kind, amount)]}); None when they do not."""
    day, total = start, ZERO
    while day <= end:
        candidates = sorted(by_start.get(day, []), reverse=True)  # the longest period first
        if not candidates:
            return None
        last, _kind, amount = candidates[0]
        total += amount
        day = date.fromordinal(last.toordinal() + 1)
    return total  # the periods reached the window's last day exactly


def partner_rows(partner: Partner, today: date | None = None) -> list[tuple[TargetPlan, list[Row]]]:
    """A partner's own approved targets with attainment (the portal)."""
    plans = TargetPlan.objects.filter(status=TargetPlan.Status.APPROVED, targets__partner=partner).distinct()
    out = []
    for plan in plans.select_related("product_line").order_by("-year", "code"):
        rows = attainment_rows(plan, Target.objects.filter(plan=plan, partner=partner), today)
        out.append((plan, rows))
    return out


def brand_target(plan: TargetPlan) -> Target | None:
    """The plan's top: the brand's target for the year."""
    return plan.targets.filter(level=TargetLevel.BRAND, period_kind=TargetPeriod.YEAR).first()
