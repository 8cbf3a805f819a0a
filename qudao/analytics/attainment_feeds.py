"""Attainment (目标达成率) where other parts of analytics show it, read from the approved targets
(qudao.analytics.targets) with the targets module's own figures (actual, attainment, time elapsed),
so every screen gives the number the targets page gives:

- the channel dashboard's "attainment ranking" of regions and partners
  (`dashboards.register_attainment`);
- the alerts' attainment rule kind (`alerts.register_attainment`): partners whose attainment of
  this month's target is behind the time elapsed.

Both read the approved net-sales (shipped) targets of the whole range (no product line): the
metric the dashboards call net sales. `register()` is called once by AnalyticsConfig.ready().
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.regions import macro_regions

from . import actuals, alerts, dashboards
from . import targets as svc
from .dashboards import Column, DashboardFilters, Table
from .models import Target, TargetLevel, TargetMetric, TargetPeriod, TargetPlan

METRIC = TargetMetric.NET_SALES_SHIPPED
RANKED_LEVELS = (TargetLevel.REGION, TargetLevel.PARTNER)
LEVEL_LABELS = {TargetLevel.REGION: _("Region"), TargetLevel.PARTNER: _("Partner")}
HUNDRED = Decimal(100)


def _approved(start: date, end: date):
    """The approved whole-range net-sales targets inside [start, end] (plans approved now)."""
    return Target.objects.filter(
        approved=True,
        plan__status=TargetPlan.Status.APPROVED,
        metric=METRIC,
        line_key=0,
        period_start__gte=start,
        period_end__lte=end,
    )


def _fraction(percent: Decimal | None) -> Decimal | None:
    """A percent of the targets module (104.0) as the fraction the pages and alerts take (1.04)."""
    return None if percent is None else percent / HUNDRED


# --- the dashboard's ranking -----------------------------------------------------------------------


def _partner_condition(filters: DashboardFilters) -> Q | None:
    """The dashboard's partner filters (tier, type, owner) as a Q on the target's partner; None
    when none is set. The owner is the partner's regional owner, else its channel manager (as the
    store's owner dimension)."""
    condition = Q()
    if filters.tier:
        condition &= Q(partner__tier__code=filters.tier)
    if filters.type:
        condition &= Q(partner__partner_type=filters.type)
    if filters.owner:
        owner = int(filters.owner) if filters.owner.isdigit() else 0
        condition &= Q(partner__regional_owner_id=owner) | Q(
            partner__regional_owner__isnull=True, partner__channel_manager_id=owner
        )
    return condition if (filters.tier or filters.type or filters.owner) else None


def dashboard_ranking(user, filters: DashboardFilters) -> Table:
    """Regions and partners ranked by attainment of their approved net-sales targets for the
    filter's period: a subject's targets must tile the period exactly (a year; January to June as
    two quarters; January to May as a quarter and two months), else it is not ranked. The user's
    scope applies (a regional manager: its regions and their partners). A province narrows to the
    regions and partners inside it; tier, type and owner narrow to partners (a region's target is
    not theirs). Targets are for the whole range: with a product-line filter the ranking says so
    and shows nothing."""
    title = _("Attainment ranking")
    columns = [
        Column("name", _("Name")),
        Column("level", _("Level")),
        Column("target", _("Target"), "money"),
        Column("net_sales", _("Net sales"), "money"),
        Column("attainment", _("Attainment"), "percent"),
        Column("elapsed", _("Time elapsed"), "percent"),
        Column("status", _("Status")),
    ]
    if filters.line:
        return Table(
            "attainment", title, [], refused=str(_("Targets are set for all product lines: clear the product line."))
        )
    start, end = filters.start, filters.end
    chosen = svc.scoped_targets(user, _approved(start, end).filter(level__in=RANKED_LEVELS))
    if filters.province:
        chosen = chosen.filter(
            Q(level=TargetLevel.REGION, region__path__contains=f"/{filters.province}/")
            | Q(level=TargetLevel.PARTNER, partner__region__path__contains=f"/{filters.province}/")
        )
    narrowing = _partner_condition(filters)
    if narrowing is not None:
        chosen = chosen.filter(Q(level=TargetLevel.PARTNER) & narrowing)
    cells: dict[str, dict[date, list]] = {}
    subjects: dict[str, Target] = {}
    for target in chosen.select_related("region", "partner").order_by("period_start", "pk"):
        cells.setdefault(target.subject_key, {}).setdefault(target.period_start, []).append(
            (target.period_end, target.period_kind, target.amount)
        )
        subjects.setdefault(target.subject_key, target)
    amounts = {key: svc.tiled_total(by_start, start, end) for key, by_start in cells.items()}
    amounts = {key: amount for key, amount in amounts.items() if amount}
    if not amounts:
        return Table("attainment", title, columns)
    today = timezone.localdate()
    # one set of grouped queries for every subject: each partner's actual, summed up its regions
    sums = svc._subject_sums(actuals.partner_actuals(METRIC, None, start, end), svc._partner_facts())
    elapsed = svc.elapsed_percent(start, end, today)
    started = start <= today
    rows = []
    for key, amount in amounts.items():
        subject = subjects[key]
        actual = sums.get(key, svc.ZERO) if started else svc.ZERO
        attained = svc.attainment_percent(actual, amount)
        status = svc.status_of(attained, elapsed, started)
        url = reverse("partners:detail", args=[subject.partner_id]) if subject.level == TargetLevel.PARTNER else ""
        rows.append(
            {
                "name": subject.subject_name,
                "level": str(LEVEL_LABELS[subject.level]),
                "target": amount,
                "net_sales": actual,
                "attainment": _fraction(attained),
                "elapsed": _fraction(elapsed),
                "status": str(svc.STATUS_LABELS.get(status, "")),
                "url": url,
                "key": key,
            }
        )
    # highest attainment first; ties by level (regions first) and name
    rows.sort(key=lambda r: (-(r["attainment"] or 0), r["key"].split(":")[0] != "region", r["name"], r["key"]))
    return Table("attainment", title, columns, rows)


# --- the alerts' source ----------------------------------------------------------------------------


def _month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def alert_source(owner, filters: dict, as_of: date) -> dict[str, tuple[Decimal, Decimal]]:
    """{partner code: (attainment, time elapsed)} as fractions, for the partners in `owner`'s scope
    (narrowed by the rule's province, city or macro region: `filters`) that have an approved
    net-sales target for the month of `as_of`: the month's actual up to `as_of` against it, and
    how much of the month has passed (`as_of` counted). One query for the targets, one set of
    grouped queries for the actuals."""
    start, end = _month_of(as_of)
    chosen = svc.scoped_targets(
        owner,
        _approved(start, end).filter(
            level=TargetLevel.PARTNER, period_kind=TargetPeriod.MONTH, period_start=start, partner__isnull=False
        ),
    )
    codes = [code for values in (filters.get("province"), filters.get("city")) for code in values or []]
    for name in filters.get("macro_region") or []:
        codes += list(macro_regions().get(name, ("", []))[1])
    if codes or filters.get("macro_region"):
        inside = Q(pk__in=[])
        for code in codes:
            inside |= Q(partner__region__path__contains=f"/{code}/")
        chosen = chosen.filter(inside)
    found = list(chosen.values_list("partner_id", "partner__code", "amount"))
    if not found:
        return {}
    done = actuals.partner_actuals(METRIC, [pid for pid, _code, _amount in found], start, min(as_of, end))
    elapsed = svc.elapsed_percent(start, end, as_of)
    out = {}
    for pid, code, amount in found:
        attained = svc.attainment_percent(done.get(pid, svc.ZERO), amount)
        if attained is not None:
            out[code] = (_fraction(attained), _fraction(elapsed))
    return out


def register() -> None:
    dashboards.register_attainment(dashboard_ranking)
    alerts.register_attainment(alert_source)
