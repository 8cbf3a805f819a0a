"""Alerts (预警): the rules' service (clean, create, update, disable), their evaluation after each
refresh of the analytics store, acknowledgement, and the reads (docs/alerts.md, ADR 0017 for the
store).

Evaluation is set-based: one semantic query per rule and window (`semantic.query` as the rule's
owner, so the owner's scope is the rule's reach), never a query per partner; days since the last
order is one grouped query on orders, stock cover one grouped query on the store's shipments and
one on stock levels. For each rule the subjects whose condition holds are compared with the rule's
open alerts: new ones open (and are notified once, in-app and by e-mail, in each recipient's
language), gone ones close, and a subject that comes back opens a new alert.

Rule kinds (`AlertRule.Kind`):
- threshold: a metric above/below a value, per subject, over the window;
- change: the metric against the same window a year earlier, up/down by at least X%;
- ratio: metric / denominator above/below X% (overdue / receivables above 10%);
- silence: days since the partner's last order (cancelled, rejected and drafts aside) above N;
- stock_cover: on-hand / average daily shipped units of the last 30 days, per SKU and warehouse,
  below N days;
- attainment: a slot; targets are another branch's. `register_attainment(fn)` fills it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.core.regions import macro_region_name, macro_regions
from qudao.core.validators import check_text

from . import semantic
from .models_alerts import Alert, AlertEvaluation, AlertRule

logger = logging.getLogger(__name__)

Kind, Subject, Comparison, Window = AlertRule.Kind, AlertRule.Subject, AlertRule.Comparison, AlertRule.Window

MAX_PERCENT = Decimal(1000)
MAX_DAYS = 3650
MAX_WINDOW_DAYS = 366
MAX_AMOUNT = Decimal("1000000000000")  # 1e12: money thresholds
MAX_COUNT = Decimal("1000000000")
COVER_BASE_DAYS = 30  # stock cover: average daily shipped units of the last 30 days
FIGURE_SUBJECTS = (Subject.PARTNER, Subject.PROVINCE, Subject.MACRO_REGION, Subject.SKU)
DIMENSION_OF = {
    Subject.PARTNER: "partner",
    Subject.PROVINCE: "province",
    Subject.MACRO_REGION: "macro_region",
    Subject.SKU: "sku",
}
STORE_KINDS = (Kind.THRESHOLD, Kind.CHANGE, Kind.RATIO, Kind.STOCK_COVER)  # the kinds that read the store
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

# --- the attainment slot ---------------------------------------------------------------------------
# Targets and attainment live on another branch ("targets"). When they arrive, that module calls
# `register_attainment(fn)` with fn(owner, filters, as_of) -> {partner code: (attainment, elapsed)}
# (fractions), and rules of kind "attainment" become valid: the alert opens when elapsed -
# attainment is at least `threshold` percentage points.
_ATTAINMENT: list[Callable] = []


def register_attainment(source: Callable) -> None:
    _ATTAINMENT[:] = [source]


# --- clean, create, update, disable ----------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().rstrip("%").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _whole(value) -> int | None:
    number = _decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _visible_metric(owner, code) -> semantic.Metric | None:
    if not isinstance(code, str):
        return None
    return next((metric for metric in semantic.metrics_for(owner) if metric.code == code), None)


def _base_needs(code: str) -> set[str]:
    """The fact columns every base metric behind `code` has (what it can be broken down by)."""
    metric = semantic.METRICS[code]
    if metric.derive is None:
        return set(metric.needs)
    needs = None
    for name in metric.inputs:
        needs = _base_needs(name) if needs is None else needs & _base_needs(name)
    return needs or set()


def _restricted(owner) -> bool:
    from qudao.partners.scoping import partner_q

    return partner_q(owner) is not None


def clean_rule(data: dict, owner) -> dict:
    """The rule's values, checked; FieldErrors with every wrong field (in the caller's language)."""
    from qudao.core.models import Region

    errors = FieldErrors()
    name = str(data.get("name") or "").strip()
    if not name:
        errors.add("name", _("Give the rule a name."))
    elif len(name) > 120:
        errors.add("name", _("At most 120 characters."))
    else:
        check_text(errors, "name", name, multiline=False)
    kind = data.get("kind")
    if kind not in Kind.values:
        errors.add("kind", _("Choose a kind of rule."))
        raise errors
    if kind == Kind.ATTAINMENT and not _ATTAINMENT:
        errors.add("kind", _("Attainment alerts need targets, which are not set up yet."))
    subject = data.get("subject") or {Kind.SILENCE: "partner", Kind.STOCK_COVER: "sku_warehouse"}.get(kind, "")
    comparison = data.get("comparison") or Comparison.ABOVE
    metric_code = data.get("metric") or ""
    denominator = data.get("denominator") or ""
    window = data.get("window") or Window.MONTH
    window_days = data.get("window_days")
    cleaned = {"name": name, "kind": kind, "metric": "", "denominator": "", "subject": subject}
    cleaned |= {"comparison": Comparison.ABOVE, "window": Window.MONTH, "window_days": None}

    figure_kind = kind in (Kind.THRESHOLD, Kind.CHANGE, Kind.RATIO)
    metric = None
    if figure_kind:
        metric = _visible_metric(owner, metric_code)
        if metric is None:
            errors.add("metric", _("Choose a metric you may see."))
        else:
            cleaned["metric"] = metric.code
        if kind == Kind.RATIO:
            bottom = _visible_metric(owner, denominator)
            if bottom is None:
                errors.add("denominator", _("Choose a metric you may see."))
            elif metric is not None and bottom.code == metric.code:
                errors.add("denominator", _("Divide by another metric."))
            else:
                cleaned["denominator"] = bottom.code
        if subject not in FIGURE_SUBJECTS:
            errors.add("subject", _("Choose partner, province, macro region or SKU."))
        elif subject == Subject.SKU:
            for field_name in ("metric", "denominator"):
                code = cleaned[field_name]
                if code and "sku" not in _base_needs(code):
                    errors.add(field_name, _("This metric cannot be broken down by SKU."))
        if comparison not in Comparison.values:
            errors.add("comparison", _("Choose above or below."))
        cleaned["comparison"] = comparison
        if window not in Window.values:
            errors.add("window", _("Choose this month or the last N days."))
        elif window == Window.DAYS:
            days = _whole(window_days)
            if days is None or not 1 <= days <= MAX_WINDOW_DAYS:
                errors.add("window_days", _("Give a whole number of days from 1 to 366."))
            cleaned["window"], cleaned["window_days"] = window, days
    elif kind == Kind.SILENCE and subject != Subject.PARTNER:
        errors.add("subject", _("Days since the last order are counted per partner."))
    elif kind == Kind.STOCK_COVER and subject != Subject.SKU_WAREHOUSE:
        errors.add("subject", _("Stock cover is counted per SKU and warehouse."))
    elif kind == Kind.ATTAINMENT and subject != Subject.PARTNER:
        errors.add("subject", _("Attainment is compared per partner."))
    if kind == Kind.STOCK_COVER and not owner.can("inventory.view"):
        errors.add("kind", _("You may not see stock."))

    threshold = _decimal(data.get("threshold"))
    percent = kind in (Kind.CHANGE, Kind.RATIO, Kind.ATTAINMENT) or (
        kind == Kind.THRESHOLD and metric is not None and metric.format == "ratio"
    )
    if threshold is None:
        errors.add("threshold", _("Give a number."))
    elif kind in (Kind.SILENCE, Kind.STOCK_COVER):
        if threshold != threshold.to_integral_value() or not 1 <= threshold <= MAX_DAYS:
            errors.add("threshold", _("Give a whole number of days from 1 to 3650."))
    elif percent:
        if threshold.as_tuple().exponent < -2 or not 0 < threshold <= MAX_PERCENT:
            errors.add("threshold", _("Give a percentage above 0 and at most 1000, with at most 2 decimals."))
    elif metric is not None and metric.format == "count":
        if threshold != threshold.to_integral_value() or not 0 <= threshold <= MAX_COUNT:
            errors.add("threshold", _("Give a whole number from 0 to 1,000,000,000."))
    elif threshold.as_tuple().exponent < -2 or not 0 <= threshold <= MAX_AMOUNT:
        errors.add("threshold", _("Give an amount from 0 to 1,000,000,000,000.00, in whole cents."))
    cleaned["threshold"] = threshold

    # scope: a province or city, or a macro region, inside what the owner may see
    region_code = str(data.get("region") or "").strip()
    macro = str(data.get("macro_region") or "").strip()
    cleaned["region"], cleaned["macro_region"] = None, ""
    if region_code and macro:
        errors.add("region", _("Choose a region or a macro region, not both."))
    elif region_code:
        region = Region.objects.filter(code=region_code[:16], level__in=["province", "city"]).first()
        if region is None:
            errors.add("region", _("Unknown region."))
        elif _restricted(owner) and not any(region.path.startswith(path) for path in owner.region_paths()):
            errors.add("region", _("Choose a region inside your own regions."))
        else:
            cleaned["region"] = region
    elif macro:
        if macro not in macro_regions():
            errors.add("macro_region", _("Unknown macro region."))
        elif _restricted(owner):
            provinces = set(macro_regions()[macro][1])
            own = {path.split("/")[1] for path in owner.region_paths() if len(path.split("/")) > 2}
            if not provinces & own:
                errors.add("macro_region", _("Choose a macro region with one of your regions."))
            else:
                cleaned["macro_region"] = macro
        else:
            cleaned["macro_region"] = macro
    if errors.errors:
        raise errors
    return cleaned


def _require_manager(actor) -> None:
    if actor is None or not actor.is_hq or not actor.can("alerts.manage"):
        raise Forbidden()


def create_rule(*, data: dict, actor) -> AlertRule:
    """A new active rule owned by `actor` (alerts.manage)."""
    _require_manager(actor)
    cleaned = clean_rule(data, actor)
    return AlertRule.objects.create(owner=actor, **cleaned)


def update_rule(*, rule: AlertRule, data: dict, actor) -> AlertRule:
    """Change a rule (its owner's scope still decides what it covers). Open alerts of the old
    condition close at the next evaluation if they no longer hold."""
    _require_manager(actor)
    cleaned = clean_rule(data, rule.owner)
    with transaction.atomic():
        for key, value in cleaned.items():
            setattr(rule, key, value)
        rule.last_error = ""
        rule.save()
    return rule


def set_rule_active(*, rule: AlertRule, active: bool, actor) -> AlertRule:
    """Disable (its open alerts close now) or enable a rule."""
    _require_manager(actor)
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
        rule.active = active
        rule.save(update_fields=["active", "updated_at"])  # through save(): the audit trail records it
        if not active:
            rule.alerts.filter(closed_at__isnull=True).update(closed_at=timezone.now())
    return rule


def acknowledge(*, alert: Alert, actor) -> Alert:
    """`actor` has seen the alert (once: the first acknowledgement stays)."""
    Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=actor, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert


# --- reads ---------------------------------------------------------------------------------------


def visible_rules(user):
    """The rules `user` may manage: its own; every rule for those who see every partner."""
    if not user.is_hq or not user.can("alerts.manage"):
        return AlertRule.objects.none()
    rules = AlertRule.objects.select_related("owner", "region")
    return rules if not _restricted(user) else rules.filter(owner=user)


def get_rule(user, rule_id) -> AlertRule:
    try:
        return visible_rules(user).get(pk=int(rule_id))
    except (AlertRule.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def visible_alerts(user, *, state: str = "open", rule_id: int | None = None):
    """Alerts of the rules `user` may manage, and those it was sent, within its scope (an alert
    about a partner it cannot see is not shown)."""
    from qudao.partners.scoping import partner_q

    if not user.is_hq or not user.can("alerts.view"):
        return Alert.objects.none()
    alerts = Alert.objects.select_related("rule", "partner", "acknowledged_by")
    mine = Q(recipients=user)
    if user.can("alerts.manage"):
        mine |= Q(rule__in=visible_rules(user))
    alerts = alerts.filter(pk__in=Alert.objects.filter(mine).values("pk"))
    restriction = partner_q(user, "partner__")
    if restriction is not None:
        alerts = alerts.filter(Q(partner__isnull=True) | restriction)
    if state == "open":
        alerts = alerts.filter(closed_at__isnull=True)
    elif state == "pending":  # open and not acknowledged yet (the workbench's to-do)
        alerts = alerts.filter(closed_at__isnull=True, acknowledged_at__isnull=True)
    elif state == "closed":
        alerts = alerts.filter(closed_at__isnull=False)
    if rule_id:
        alerts = alerts.filter(rule_id=rule_id)
    return alerts


def get_alert(user, alert_id) -> Alert:
    try:
        return visible_alerts(user, state="all").get(pk=int(alert_id))
    except (Alert.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


# Where an alert leads (the drill-down). The dashboards ("dash") may register a URL builder per
# subject kind: fn(alert) -> url. Without one, a partner's alert opens its 360 page and the others
# the alerts page of their rule.
DRILLDOWN_URLS: dict[str, Callable] = {}


def drilldown_url(alert: Alert) -> str:
    builder = DRILLDOWN_URLS.get(alert.rule.subject)
    if builder is not None:
        return builder(alert)
    if alert.partner_id:
        return reverse("partners:detail", args=[alert.partner_id])
    return reverse("analytics:alerts") + f"?rule={alert.rule_id}"


# --- evaluation ----------------------------------------------------------------------------------


@dataclass
class Holding:
    """A subject for which a rule's condition holds, with its figures."""

    key: str
    label: str
    value: Decimal | None
    baseline: Decimal | None = None
    partner_id: int | None = None
    figures: dict = field(default_factory=dict)


def window_of(rule: AlertRule, as_of: date) -> tuple[date, date]:
    if rule.window == Window.DAYS and rule.window_days:
        return as_of - timedelta(days=rule.window_days - 1), as_of
    return as_of.replace(day=1), as_of


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _filters(rule: AlertRule) -> dict:
    if rule.region_id:
        return {"province" if rule.region.level == "province" else "city": [rule.region.code]}
    if rule.macro_region:
        return {"macro_region": [rule.macro_region]}
    return {}


def _compare(value: Decimal, comparison: str, threshold: Decimal) -> bool:
    return value > threshold if comparison == Comparison.ABOVE else value < threshold


def _series(rule, metrics, start, end, connection) -> dict[str, dict]:
    """{subject key: {"label", metric: value}} from one semantic query, as the rule's owner."""
    dimension = DIMENSION_OF[rule.subject]
    result = semantic.query(rule.owner, metrics, [dimension], _filters(rule), start, end, connection=connection)
    return {
        row[dimension]["key"]: {"label": row[dimension]["label"], **{m: row[m] for m in metrics}}
        for row in result.rows
        if row[dimension]["key"] is not None
    }


def _percent(value: Decimal) -> Decimal:
    return (value * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _figures_holding(rule: AlertRule, as_of: date, connection) -> list[Holding]:
    start, end = window_of(rule, as_of)
    metric = semantic.METRICS[rule.metric]
    out = []
    if rule.kind == Kind.THRESHOLD:
        threshold = rule.threshold / HUNDRED if metric.format == "ratio" else rule.threshold
        for key, row in _series(rule, [rule.metric], start, end, connection).items():
            value = row[rule.metric]
            if value is not None and _compare(Decimal(value), rule.comparison, threshold):
                out.append(Holding(key, row["label"], Decimal(value), figures={"value": str(value)}))
    elif rule.kind == Kind.CHANGE:
        now = _series(rule, [rule.metric], start, end, connection)
        before = _series(rule, [rule.metric], year_before(start), year_before(end), connection)
        for key, row in now.items():
            old = (before.get(key) or {}).get(rule.metric)
            if not old or Decimal(old) <= 0:  # no base to compare with
                continue
            value = Decimal(row[rule.metric] or 0)
            change = _percent((value - Decimal(old)) / Decimal(old))
            if (rule.comparison == Comparison.BELOW and change <= -rule.threshold) or (
                rule.comparison == Comparison.ABOVE and change >= rule.threshold
            ):
                figures = {"value": str(value), "last_year": str(old), "change_percent": str(change)}
                out.append(Holding(key, row["label"], value, Decimal(old), figures=figures))
        # a subject with sales last year and none at all this year has no row now: down 100%
        if rule.comparison == Comparison.BELOW:
            for key, row in before.items():
                old = row.get(rule.metric)
                if key not in now and old and Decimal(old) > 0:
                    figures = {"value": "0", "last_year": str(old), "change_percent": "-100.00"}
                    out.append(Holding(key, row["label"], Decimal(0), Decimal(old), figures=figures))
    else:  # ratio
        for key, row in _series(rule, [rule.metric, rule.denominator], start, end, connection).items():
            top, bottom = row[rule.metric], row[rule.denominator]
            if top is None or not bottom or Decimal(bottom) <= 0:
                continue
            ratio = _percent(Decimal(top) / Decimal(bottom))
            if _compare(ratio, rule.comparison, rule.threshold):
                figures = {"value": str(top), "denominator": str(bottom), "percent": str(ratio)}
                out.append(Holding(key, row["label"], ratio, figures=figures))
    return out


def _partners_in_rule_scope(rule: AlertRule):
    from qudao.partners.scoping import visible_partners

    partners = visible_partners(rule.owner)
    if rule.region_id:
        partners = partners.filter(region__path__startswith=rule.region.path)
    elif rule.macro_region:
        provinces = macro_regions()[rule.macro_region][1]
        condition = Q(pk__in=[])
        for code in provinces:
            condition |= Q(region__path__contains=f"/{code}/")
        partners = partners.filter(condition)
    return partners


def _silence_holding(rule: AlertRule, as_of: date) -> list[Holding]:
    """Active partners in the owner's scope whose last order (submitted; drafts, cancelled and
    rejected ones aside) is more than N days before `as_of`: one grouped query. A partner that
    never ordered is not counted (it has no last order; "dormant partners" watches buyers)."""
    from datetime import datetime, time

    day_after = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    live = ~Q(orders__status__in=["draft", "cancelled", "rejected"]) & Q(orders__submitted_at__lt=day_after)
    rows = (
        _partners_in_rule_scope(rule)
        .filter(status="active")
        .annotate(last=Max("orders__submitted_at", filter=live))
        .filter(last__isnull=False)
        .values_list("pk", "code", "short_name", "legal_name", "last")
    )
    out = []
    for pk, code, short_name, legal_name, last in rows:
        days = (as_of - timezone.localdate(last)).days
        if days > rule.threshold:
            figures = {"days": str(days), "last_order_on": timezone.localdate(last).isoformat()}
            out.append(Holding(code, short_name or legal_name, Decimal(days), partner_id=pk, figures=figures))
    return out


def _stock_cover_holding(rule: AlertRule, as_of: date, connection) -> list[Holding]:
    """Per SKU and warehouse with units shipped in the last 30 days (gifts included: they leave
    the shelf too): cover = on hand / (shipped units / 30) days, below N. One grouped query on the
    store, one on stock levels."""
    from qudao.inventory.models import StockLevel

    start = as_of - timedelta(days=COVER_BASE_DAYS - 1)
    shipped = connection.execute(
        "SELECT sku_id, warehouse_id, SUM(sign * units) AS units FROM shipments "
        "WHERE day BETWEEN ? AND ? AND warehouse_id IS NOT NULL GROUP BY ALL HAVING SUM(sign * units) > 0",
        [start, as_of],
    ).fetchall()
    if not shipped:
        return []
    units = {(sku, warehouse): Decimal(total) for sku, warehouse, total in shipped}
    levels = StockLevel.objects.filter(
        sku_id__in={sku for sku, _w in units}, warehouse_id__in={w for _s, w in units}
    ).select_related("sku", "warehouse")
    if rule.region_id:
        levels = levels.filter(warehouse__region__path__startswith=rule.region.path)
    elif rule.macro_region:
        condition = Q(pk__in=[])
        for code in macro_regions()[rule.macro_region][1]:
            condition |= Q(warehouse__region__path__contains=f"/{code}/")
        levels = levels.filter(condition)
    out = []
    on_hand_by_pair = {(level.sku_id, level.warehouse_id): level for level in levels}
    for pair, total in units.items():
        level = on_hand_by_pair.get(pair)
        if level is None:
            continue
        daily = total / COVER_BASE_DAYS
        cover = (Decimal(max(level.on_hand, 0)) / daily).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if cover < rule.threshold:
            key = f"{level.sku.code}@{level.warehouse.code}"[:64]
            label = f"{level.sku.code} {level.sku.name} · {level.warehouse.name}"
            figures = {"on_hand": str(level.on_hand), "shipped_30_days": str(total), "cover_days": str(cover)}
            out.append(Holding(key, label, cover, figures=figures))
    return out


def _attainment_holding(rule: AlertRule, as_of: date) -> list[Holding]:
    if not _ATTAINMENT:
        return []
    out = []
    for code, (attained, elapsed) in _ATTAINMENT[0](rule.owner, _filters(rule), as_of).items():
        behind = _percent(Decimal(elapsed) - Decimal(attained))
        if behind >= rule.threshold:
            figures = {"attainment": str(attained), "elapsed": str(elapsed), "behind_points": str(behind)}
            out.append(Holding(code, code, behind, figures=figures))
    return out


def holding(rule: AlertRule, as_of: date, connection=None) -> list[Holding]:
    """The subjects for which `rule` holds on the day `as_of`, as its owner sees them."""
    from . import store

    # silence and attainment read the database only: no store connection for them
    own = connection is None and rule.kind in STORE_KINDS
    con = store.reader() if own else connection
    try:
        if rule.kind in (Kind.THRESHOLD, Kind.CHANGE, Kind.RATIO):
            found = _figures_holding(rule, as_of, con)
        elif rule.kind == Kind.SILENCE:
            found = _silence_holding(rule, as_of)
        elif rule.kind == Kind.STOCK_COVER:
            found = _stock_cover_holding(rule, as_of, con)
        else:
            found = _attainment_holding(rule, as_of)
    finally:
        if own:
            con.close()
    if rule.subject == Subject.PARTNER:
        from qudao.partners.models import Partner

        missing = [item for item in found if item.partner_id is None]
        ids = dict(Partner.objects.filter(code__in=[item.key for item in missing]).values_list("code", "pk"))
        for item in missing:
            item.partner_id = ids.get(item.key)
    elif rule.subject == Subject.MACRO_REGION:
        for item in found:
            item.label = str(macro_region_name(item.key) or item.key)
    return found


@dataclass
class Outcome:
    rules: int = 0
    opened: int = 0
    closed: int = 0
    failed: int = 0


def _recipients(rule: AlertRule, alerts: list[Alert]) -> dict[int, list]:
    """{alert pk: users to tell}: the rule's owner, and the regional owner of the alert's partner
    (who sees alerts)."""
    from qudao.partners.models import Partner

    owners = {
        partner.pk: partner.regional_owner
        for partner in Partner.objects.filter(pk__in=[a.partner_id for a in alerts if a.partner_id]).select_related(
            "regional_owner"
        )
    }
    out = {}
    for alert in alerts:
        users = [rule.owner]
        owner = owners.get(alert.partner_id)
        if owner is not None and owner.is_active and owner.pk != rule.owner_id and owner.can("alerts.view"):
            users.append(owner)
        out[alert.pk] = users
    return out


def _notify(rule: AlertRule, alerts: list[Alert], recipients: dict[int, list]) -> None:
    from qudao.core.notifications import notify

    by_user: dict[int, tuple] = {}
    for alert in alerts:
        for user in recipients[alert.pk]:
            by_user.setdefault(user.pk, (user, []))[1].append(alert)
    url = reverse("analytics:alerts") + f"?rule={rule.pk}"
    for user, theirs in by_user.values():
        subjects = "; ".join(f"{a.subject_label} ({_figure_text(a)})" for a in theirs[:20])
        notify(
            [user],
            kind="analytics.alert",
            title=_("Alert “%(rule)s”: %(count)s new"),
            body=_("The rule “%(rule)s” holds for: %(subjects)s. Open the alerts to acknowledge them."),
            params={"rule": rule.name, "count": len(theirs), "subjects": subjects},
            url=url,
            email=True,
        )


def _figure_text(alert: Alert) -> str:
    figures = alert.figures or {}
    for key, suffix in (("change_percent", "%"), ("percent", "%"), ("days", ""), ("cover_days", "")):
        if key in figures:
            return f"{figures[key]}{suffix}"
    return value_text(alert)


def _number_text(value, number_format: str) -> str:
    """A figure as people read it: money with thousands separators and cents, counts whole,
    ratios as percentages."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if number_format == "count":
        return f"{number.to_integral_value(rounding=ROUND_HALF_UP):,}"
    if number_format == "ratio":
        return f"{_percent(number)}%"
    if number_format == "days":
        return f"{number.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"
    return f"{number.quantize(CENT, rounding=ROUND_HALF_UP):,}"


def value_text(alert: Alert) -> str:
    """The value of a threshold alert in its metric's format."""
    value = (alert.figures or {}).get("value")
    if value is None:
        return ""
    metric = semantic.METRICS.get(alert.rule.metric)
    return _number_text(value, metric.format if metric else "money")


def threshold_text(rule: AlertRule) -> str:
    """The rule's threshold in its unit: a percentage, days, money or a count."""
    threshold = rule.threshold
    if rule.kind in (Kind.SILENCE, Kind.STOCK_COVER):
        return _("%(days)s days") % {"days": int(threshold)}
    metric = semantic.METRICS.get(rule.metric)
    if rule.kind in (Kind.CHANGE, Kind.RATIO, Kind.ATTAINMENT) or (metric and metric.format == "ratio"):
        return f"{threshold.normalize():f}%"
    if metric and metric.format == "count":
        return f"{int(threshold):,}"
    return f"{threshold:,.2f}"


def evaluate_rule(rule: AlertRule, as_of: date, now=None, connection=None) -> tuple[int, int]:
    """Open the alerts that start to hold, close those that stopped; (opened, closed)."""
    now = now or timezone.now()
    found = {item.key: item for item in holding(rule, as_of, connection)}
    with transaction.atomic():
        AlertRule.objects.select_for_update().filter(pk=rule.pk).first()  # one evaluation of a rule at a time
        open_alerts = {alert.subject_key: alert for alert in rule.alerts.filter(closed_at__isnull=True)}
        gone = [alert.pk for key, alert in open_alerts.items() if key not in found]
        closed = Alert.objects.filter(pk__in=gone).update(closed_at=now) if gone else 0
        new = [
            Alert(
                rule=rule,
                subject_key=item.key[:64],
                subject_label=(item.label or item.key)[:200],
                partner_id=item.partner_id,
                value=item.value,
                baseline=item.baseline,
                figures=item.figures,
                opened_at=now,
            )
            for key, item in found.items()
            if key not in open_alerts
        ]
        created = Alert.objects.bulk_create(new)
        if created and created[0].pk is None:  # backends that do not return keys
            created = list(rule.alerts.filter(closed_at__isnull=True, opened_at=now))
        if created:
            recipients = _recipients(rule, created)
            Through = Alert.recipients.through
            Through.objects.bulk_create(
                [Through(alert_id=pk, user_id=user.pk) for pk, users in recipients.items() for user in users]
            )
            _notify(rule, created, recipients)
        AlertRule.objects.filter(pk=rule.pk).update(last_error="")
    return len(created), closed


def evaluate_alerts(as_of: date | None = None, *, now=None) -> Outcome:
    """Evaluate every active rule (after a refresh of the store). A rule whose owner may no longer
    see its metric, or that fails, is skipped with its error kept on the rule; the others go on."""
    from . import store

    as_of = as_of or timezone.localdate()
    outcome = Outcome()
    con = None  # one store connection for every rule that reads the store, opened when first needed
    try:
        for rule in AlertRule.objects.filter(active=True, owner__is_active=True).select_related("owner", "region"):
            outcome.rules += 1
            if con is None and rule.kind in STORE_KINDS:
                con = store.reader()
            try:
                opened, closed = evaluate_rule(rule, as_of, now, con)
            except (FieldErrors, Forbidden) as error:
                outcome.failed += 1
                message = "; ".join(str(m) for ms in getattr(error, "errors", {}).values() for m in ms) or str(
                    error.detail if hasattr(error, "detail") else error
                )
                AlertRule.objects.filter(pk=rule.pk).update(last_error=message[:300])
                continue
            outcome.opened += opened
            outcome.closed += closed
    finally:
        if con is not None:
            con.close()
    return outcome


def evaluate_after_refresh() -> Outcome | None:
    """Evaluate when the store changed since the last evaluation (its manifest's version)."""
    from .store import storage

    version = int(storage.read_manifest().get("version", 0))
    last = AlertEvaluation.objects.order_by("-pk").first()
    if version == 0 or (last is not None and last.store_version == version):
        return None
    outcome = evaluate_alerts()
    AlertEvaluation.objects.create(
        store_version=version, rules=outcome.rules, opened=outcome.opened, closed=outcome.closed
    )
    return outcome
