"""Rebate policies: drafts, approval, versions (every rule of writing a policy is here).

A policy is written as a draft (rebates.manage), submitted to the approval engine (subject
"rebate_policy"; the default flow 返利政策审批: channel manager, then finance) and takes effect
when approved. An active policy is never edited: a change is its next version (a copy, version + 1,
`supersedes` the active one) which, once approved, marks the old version superseded from the day
before its own `effective_from`. A version may not take over inside a period its predecessor
already posted (a settled period is never changed).

Runs and posting: qudao.rebates.runs.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from qudao.catalog.models import ProductLine, Sku
from qudao.core import approvals, display
from qudao.core.errors import Conflict, FieldErrors
from qudao.core.events import publish
from qudao.core.models import Region
from qudao.core.money import SUPPORTED_CURRENCIES, parse_amount
from qudao.core.validators import check_text
from qudao.partners.models import Partner, PartnerType, Tier
from qudao.pricing.models import Promotion

from . import engine, ratios
from .models import BasisKind, PeriodKind, RebatePolicy, RebateRun, RebateTier, ReturnsPeriod, TierMeasure, TierStyle

POLICY_SUBJECT = "rebate_policy"
MAX_OVERDUE_DAYS = 3650
CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
LIST_FIELDS = (
    "product_lines",
    "skus",
    "excluded_skus",
    "excluded_promotions",
    "target_tiers",
    "target_regions",
    "target_partner_types",
    "target_partners",
)
POLICY_FIELDS = (
    "name",
    "description",
    "currency",
    "basis",
    *LIST_FIELDS,
    "growth",
    "returns_count_in",
    "period_kind",
    "custom_start",
    "custom_end",
    "allow_interim",
    "effective_from",
    "tier_style",
    "tier_measure",
    "cap",
    "focus_product_line",
    "focus_min_share",
    "min_payment_ratio",
    "max_overdue_days",
)


# --- cleaning --------------------------------------------------------------------------------------


def _codes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[\s,，]+", value)
    return sorted({str(item).strip() for item in value if str(item).strip()})


def parse_day(value) -> date | None:
    """A YYYY-MM-DD day, or None (also for 2025-02-30)."""
    if isinstance(value, date):
        return value
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", str(value or "")):
        return None
    try:
        return parse_date(str(value))
    except ValueError:
        return None


def _date(value, field: str, errors: FieldErrors, required: bool = False):
    if value in (None, ""):
        if required:
            errors.add(field, _("Enter a date."))
        return None
    if isinstance(value, date):
        return value
    parsed = parse_day(value)
    if parsed is None:
        errors.add(field, _("Enter a date as YYYY-MM-DD."))
    return parsed


def _decimal(value, field: str, errors: FieldErrors, *, high: Decimal | None = None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = parse_amount(value)
    except (TypeError, ValueError):
        errors.add(field, _("Enter a number."))
        return None
    if number < 0:
        errors.add(field, _("Enter zero or more."))
        return None
    if high is not None and number > high:
        errors.add(field, _("Enter at most %(high)s.") % {"high": high})
        return None
    if number.as_tuple().exponent < -4:
        errors.add(field, _("Use at most 4 decimal places."))
        return None
    return number


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _unknown(codes: list[str], known, field: str, errors: FieldErrors) -> None:
    missing = sorted(set(codes) - set(known))
    if missing:
        errors.add(field, _("Unknown: %(codes)s.") % {"codes": ", ".join(missing)})


def clean_policy(
    data: dict, *, instance: RebatePolicy | None = None, for_preview: bool = False
) -> tuple[dict, list[engine.Tier]]:
    """The policy's fields and tiers, checked; `data` may hold only the fields to change when
    `instance` is given. Every wrong field at once. `for_preview`: only what decides what the policy
    pays (the live preview of a policy being typed): its code, name and effective date may still
    be missing.

    :raises FieldErrors:
    """
    errors = FieldErrors()
    current = {field: getattr(instance, field) for field in POLICY_FIELDS} if instance else {}
    merged = {**current, **{key: value for key, value in data.items() if key in POLICY_FIELDS}}
    values: dict = {}
    if instance is None and not for_preview:
        code = str(data.get("code") or "").strip()
        if not CODE.match(code):
            errors.add("code", _("Enter a code of letters, digits, - or _ (at most 40)."))
        elif RebatePolicy.objects.filter(code=code).exists():
            errors.add("code", _("A policy with this code exists. Write its next version instead."))
        values["code"] = code
    name = str(merged.get("name") or "").strip()
    if not name and not for_preview:
        errors.add("name", _("Enter a name."))
    # the text rule: the page's form reached the database without it (the API's schema has it)
    check_text(errors, "name", name, multiline=False)
    values["name"] = name[:120]
    values["description"] = str(merged.get("description") or "")[:2000]
    check_text(errors, "description", values["description"])
    currency = str(merged.get("currency") or "CNY").upper()
    if currency not in SUPPORTED_CURRENCIES:
        errors.add("currency", _("Choose one of %(codes)s.") % {"codes": ", ".join(SUPPORTED_CURRENCIES)})
    values["currency"] = currency
    if not merged.get("returns_count_in"):
        merged["returns_count_in"] = ReturnsPeriod.SHIPMENT_PERIOD
    if not merged.get("tier_measure"):
        merged["tier_measure"] = TierMeasure.BASIS
    for field, choices in (
        ("basis", BasisKind),
        ("period_kind", PeriodKind),
        ("tier_style", TierStyle),
        ("returns_count_in", ReturnsPeriod),
        ("tier_measure", TierMeasure),
    ):
        value = merged.get(field) or ""
        if value not in choices.values:
            errors.add(field, _("Choose one of %(values)s.") % {"values": ", ".join(choices.values)})
        values[field] = value
    for field in LIST_FIELDS:
        values[field] = _codes(merged.get(field))
    values["growth"] = _bool(merged.get("growth"))
    values["allow_interim"] = _bool(merged.get("allow_interim"))
    values["effective_from"] = _date(merged.get("effective_from"), "effective_from", errors, required=not for_preview)
    values["custom_start"] = _date(merged.get("custom_start"), "custom_start", errors)
    values["custom_end"] = _date(merged.get("custom_end"), "custom_end", errors)
    if values["period_kind"] == PeriodKind.CUSTOM:
        if values["custom_start"] is None and "custom_start" not in errors.errors:
            errors.add("custom_start", _("Enter the first day of the custom period."))
        if values["custom_end"] is None and "custom_end" not in errors.errors:
            errors.add("custom_end", _("Enter the last day of the custom period."))
        if values["custom_start"] and values["custom_end"] and values["custom_end"] < values["custom_start"]:
            errors.add("custom_end", _("The period ends before it starts."))
    else:
        values["custom_start"] = values["custom_end"] = None
    values["cap"] = _decimal(merged.get("cap"), "cap", errors)
    values["focus_min_share"] = _decimal(merged.get("focus_min_share"), "focus_min_share", errors, high=Decimal(100))
    values["min_payment_ratio"] = _decimal(merged.get("min_payment_ratio"), "min_payment_ratio", errors)
    overdue = merged.get("max_overdue_days")
    values["max_overdue_days"] = None
    if overdue not in (None, ""):
        try:
            values["max_overdue_days"] = int(overdue)
            if values["max_overdue_days"] < 0:
                raise ValueError
        except (TypeError, ValueError):
            values["max_overdue_days"] = None
            errors.add("max_overdue_days", _("Enter a whole number of days, 0 or more."))
        else:
            # 20 digits of days overflowed the overdue date (a server error) and the column
            if values["max_overdue_days"] > MAX_OVERDUE_DAYS:
                errors.add("max_overdue_days", _("Enter at most %(high)s.") % {"high": MAX_OVERDUE_DAYS})
    focus = str(merged.get("focus_product_line") or "").strip()
    values["focus_product_line"] = focus
    # the message goes to the one left empty (the share was blamed for a missing line too)
    if focus and values["focus_min_share"] is None and "focus_min_share" not in errors.errors:
        errors.add("focus_min_share", _("Give both the focus product line and its minimum share, or neither."))
    elif not focus and values["focus_min_share"] is not None:
        errors.add("focus_product_line", _("Give both the focus product line and its minimum share, or neither."))
    if focus and not ProductLine.objects.filter(code=focus).exists():
        errors.add("focus_product_line", _("Unknown: %(codes)s.") % {"codes": focus})
    # what the codes name must exist
    _unknown(
        values["product_lines"],
        ProductLine.objects.filter(code__in=values["product_lines"]).values_list("code", flat=True),
        "product_lines",
        errors,
    )
    for field in ("skus", "excluded_skus"):
        _unknown(
            values[field], Sku.objects.filter(code__in=values[field]).values_list("code", flat=True), field, errors
        )
    _unknown(
        values["excluded_promotions"],
        Promotion.objects.filter(code__in=values["excluded_promotions"]).values_list("code", flat=True),
        "excluded_promotions",
        errors,
    )
    _unknown(
        values["target_tiers"],
        Tier.objects.filter(code__in=values["target_tiers"]).values_list("code", flat=True),
        "target_tiers",
        errors,
    )
    _unknown(
        values["target_regions"],
        Region.objects.filter(code__in=values["target_regions"]).values_list("code", flat=True),
        "target_regions",
        errors,
    )
    _unknown(values["target_partner_types"], PartnerType.values, "target_partner_types", errors)
    _unknown(
        values["target_partners"],
        Partner.objects.filter(code__in=values["target_partners"]).values_list("code", flat=True),
        "target_partners",
        errors,
    )
    if not any(
        values[field] for field in ("target_tiers", "target_regions", "target_partner_types", "target_partners")
    ):
        errors.add("targets", _("Choose the partners: by tier, region, type or a list."))
    if values["basis"] in (BasisKind.QUANTITY, BasisKind.AMOUNT) and not (values["product_lines"] or values["skus"]):
        errors.add("product_lines", _("A quantity or amount basis needs product lines or SKUs."))
    on_ratio = values["tier_measure"] in ratios.RATIO_MEASURES
    _check_measure(values, errors)
    tiers: list[engine.Tier] = []
    tier_rows = (data.get("tiers") or []) if "tiers" in data or instance is None else None
    if tier_rows is None and instance is not None and on_ratio:
        # the measure changed to a ratio: the stored bounds must be percentages
        tier_rows = [{"lower_bound": t.lower_bound, "reward": t.reward, "value": t.value} for t in instance.tiers.all()]
    if tier_rows is not None:
        try:
            tiers = engine.clean_tiers(
                tier_rows or [], basis_counts_units=values["basis"] == BasisKind.QUANTITY, ratio=on_ratio
            )
        except FieldErrors as tier_errors:
            for key, messages in tier_errors.errors.items():
                for message in messages:
                    errors.add(key, message)
    elif instance is not None:
        tiers = [engine.Tier(t.lower_bound, t.reward, t.value) for t in instance.tiers.all()]
        if values["basis"] != BasisKind.QUANTITY and any(t.reward == engine.PER_UNIT for t in tiers):
            errors.add("tiers", _("An amount per unit needs a quantity basis."))
    if errors.errors:
        raise errors
    return values, tiers


def _check_measure(values: dict, errors: FieldErrors) -> None:
    """What a ratio measure needs (qudao.rebates.ratios): retrospective tiers (a marginal slice of a
    ratio means nothing: the tier reached pays on the whole basis), no `growth` flag (the growth rate
    already compares with last year; a target is set on the basis, not on its growth), and for
    attainment a basis targets are set on."""
    measure = values.get("tier_measure")
    if measure not in ratios.RATIO_MEASURES:
        return
    if values.get("tier_style") == TierStyle.MARGINAL:
        errors.add(
            "tier_style",
            _("Tiers on a ratio pay their reward on the whole basis: choose retrospective, not marginal."),
        )
    if values.get("growth"):
        errors.add(
            "growth",
            _("Tiers on a growth rate already compare with last year: leave “growth” off.")
            if measure == TierMeasure.GROWTH_RATE
            else _("A target is set on the whole basis, not on its growth: leave “growth” off."),
        )
    if measure == TierMeasure.ATTAINMENT and values.get("basis") not in ratios.ATTAINMENT_BASES:
        errors.add(
            "tier_measure",
            _("Attainment needs a basis targets are set on: net sales shipped, net sales invoiced or payments."),
        )


def _write_tiers(policy: RebatePolicy, tiers: list[engine.Tier]) -> None:
    policy.tiers.all().delete()
    RebateTier.objects.bulk_create(
        [RebateTier(policy=policy, lower_bound=t.lower_bound, reward=t.reward, value=t.value) for t in tiers]
    )


# --- drafts ----------------------------------------------------------------------------------------


def create_policy(*, data: dict, actor=None) -> RebatePolicy:
    """A new policy (version 1), as a draft.

    :raises FieldErrors: every wrong field; nothing is written."""
    values, tiers = clean_policy(data)
    with transaction.atomic():
        policy = RebatePolicy.objects.create(
            **values, created_by=actor if getattr(actor, "is_authenticated", False) else None
        )
        _write_tiers(policy, tiers)
    return policy


def update_policy(*, policy: RebatePolicy, data: dict, actor=None) -> RebatePolicy:
    """Change a draft (fields sent only; `tiers`, when sent, replace the tiers).

    :raises Conflict: the policy is not a draft (an active one changes by its next version).
    :raises FieldErrors: every wrong field; nothing is written."""
    with transaction.atomic():
        policy = RebatePolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != RebatePolicy.Status.DRAFT:
            raise Conflict(gettext("Only a draft can be changed. Write the policy's next version instead."))
        values, tiers = clean_policy(data, instance=policy)
        for field, value in values.items():
            setattr(policy, field, value)
        policy.save()
        if "tiers" in data:
            _write_tiers(policy, tiers)
    return policy


def last_posted_end(policy: RebatePolicy) -> date | None:
    """The end of the last period this policy posted a run for."""
    return RebateRun.objects.filter(policy=policy, status=RebateRun.Status.POSTED).aggregate(end=Max("period_end"))[
        "end"
    ]


def new_version(*, policy: RebatePolicy, actor=None) -> RebatePolicy:
    """The next version of an active policy, as a draft copy (tiers too) that supersedes it once
    approved. It takes effect the day after the last period posted, or today.

    :raises Conflict: the policy is not active, or a next version is already being written."""
    with transaction.atomic():
        policy = RebatePolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != RebatePolicy.Status.ACTIVE:
            raise Conflict(gettext("Only the active version of a policy can get a next version."))
        if RebatePolicy.objects.filter(
            code=policy.code, status__in=[RebatePolicy.Status.DRAFT, RebatePolicy.Status.PENDING_APPROVAL]
        ).exists():
            raise Conflict(gettext("A next version of this policy is already being written."))
        version = RebatePolicy.objects.filter(code=policy.code).aggregate(v=Max("version"))["v"] + 1
        posted = last_posted_end(policy)
        effective = max(timezone.localdate(), posted + timedelta(days=1) if posted else policy.effective_from)
        copy = RebatePolicy.objects.create(
            code=policy.code,
            version=version,
            supersedes=policy,
            **{field: getattr(policy, field) for field in POLICY_FIELDS if field != "effective_from"},
            effective_from=effective,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _write_tiers(copy, [engine.Tier(t.lower_bound, t.reward, t.value) for t in policy.tiers.all()])
    return copy


def _check_takes_over(policy: RebatePolicy) -> None:
    if policy.supersedes_id is None:
        return
    posted = last_posted_end(policy.supersedes)
    if posted is not None and policy.effective_from <= posted:
        raise FieldErrors.single(
            "effective_from",
            _("Version %(version)s posted rebates until %(day)s: this version can take effect from %(next)s.")
            % {"version": policy.supersedes.version, "day": posted, "next": posted + timedelta(days=1)},
        )


# --- approval --------------------------------------------------------------------------------------


def submit_policy(*, policy: RebatePolicy, actor=None) -> RebatePolicy:
    """Send a draft for approval; without an approval flow it takes effect at once.

    :raises Conflict: the policy is not a draft.
    :raises FieldErrors: a version taking over inside a period already posted."""
    with transaction.atomic():
        policy = RebatePolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != RebatePolicy.Status.DRAFT:
            raise Conflict(gettext("Only a draft can be submitted."))
        _check_takes_over(policy)
        request = approvals.start_approval(
            kind=POLICY_SUBJECT,
            subject_id=policy.pk,
            title=f"{policy.code} v{policy.version} {policy.name}",
            context=policy_approval_context(policy),
            submitted_by=actor,
        )
        policy.submitted_at = timezone.now()
        if request is None:
            policy.save(update_fields=["submitted_at", "updated_at"])
            return activate_policy(policy=policy, actor=actor)
        policy.status = RebatePolicy.Status.PENDING_APPROVAL
        policy.approval = request
        policy.save(update_fields=["status", "approval", "submitted_at", "updated_at"])
        publish("rebate_policy.submitted", "rebate_policy", policy.pk, {"code": policy.code, "version": policy.version})
    return policy


def activate_policy(*, policy: RebatePolicy, actor=None) -> RebatePolicy:
    """The policy takes effect; the version it supersedes ends the day before."""
    with transaction.atomic():
        policy = RebatePolicy.objects.select_for_update().get(pk=policy.pk)
        _check_takes_over(policy)
        if policy.supersedes_id:
            old = RebatePolicy.objects.select_for_update().get(pk=policy.supersedes_id)
            if old.status == RebatePolicy.Status.ACTIVE:
                old.status = RebatePolicy.Status.SUPERSEDED
                old.effective_to = policy.effective_from - timedelta(days=1)
                old.save(update_fields=["status", "effective_to", "updated_at"])
        policy.status = RebatePolicy.Status.ACTIVE
        policy.activated_at = timezone.now()
        policy.save(update_fields=["status", "activated_at", "updated_at"])
        publish("rebate_policy.activated", "rebate_policy", policy.pk, {"code": policy.code, "version": policy.version})
    return policy


def _subject(request) -> RebatePolicy | None:
    return RebatePolicy.objects.filter(pk=int(request.subject_id)).first()


def on_policy_approved(request, actor) -> None:
    policy = _subject(request)
    if policy is not None and policy.status == RebatePolicy.Status.PENDING_APPROVAL:
        activate_policy(policy=policy, actor=actor)


def on_policy_not_approved(request, actor) -> None:
    policy = _subject(request)
    if policy is not None and policy.status == RebatePolicy.Status.PENDING_APPROVAL:
        RebatePolicy.objects.filter(pk=policy.pk, status=RebatePolicy.Status.PENDING_APPROVAL).update(
            status=RebatePolicy.Status.DRAFT, updated_at=timezone.now()
        )


def policy_approval_context(policy: RebatePolicy) -> dict:
    """What a policy's approval flows may test (POLICY_CONDITION_FIELDS) and its approvers read
    (POLICY_FIELDS_FOR_PEOPLE): scalars only, as conditions compare one value. `partner_type` and
    `tier` are set when the policy targets exactly one (a policy for every type has none)."""
    rates = [tier.value for tier in policy.tiers.all() if tier.reward == RebateTier.Reward.RATE]
    types, tiers = list(policy.target_partner_types or []), list(policy.target_tiers or [])
    return {
        "code": policy.code,
        "basis": policy.basis,
        "version": policy.version,
        "period_kind": policy.period_kind,
        "tier_style": policy.tier_style,
        "tier_measure": policy.tier_measure,
        "max_rate_percent": str(max(rates)) if rates else None,
        "cap": str(policy.cap) if policy.cap is not None else None,
        "growth": bool(policy.growth),
        "for_every_partner": not any(getattr(policy, name) for name in TARGET_NAMES),
        "partner_type": types[0] if len(types) == 1 else "",
        "tier": tiers[0] if len(tiers) == 1 else "",
    }


TARGET_NAMES = ("target_tiers", "target_regions", "target_partner_types", "target_partners")


def _tier_choices() -> list[tuple[str, str]]:
    return [(tier.code, tier.name) for tier in Tier.objects.order_by("rank")]


def _tier_name(code) -> str:
    from qudao.partners.services import tier_name

    return tier_name(code)


POLICY_FIELDS_FOR_PEOPLE = {
    "code": approvals.ContextField(_("Code")),
    "basis": approvals.ContextField(_("Basis"), display.labels(BasisKind)),
    "version": approvals.ContextField(_("Version")),
    "period_kind": approvals.ContextField(_("Period"), display.labels(PeriodKind)),
    "tier_style": approvals.ContextField(_("Tier style"), display.labels(TierStyle)),
    "tier_measure": approvals.ContextField(_("Tiers measured on"), display.labels(TierMeasure)),
    "max_rate_percent": approvals.ContextField(_("Highest rate"), display.percent_of_hundred_text),
    "cap": approvals.ContextField(_("Cap per partner and period"), display.money_text),
    "growth": approvals.ContextField(_("Growth over the same period last year"), display.yes_no),
    "for_every_partner": approvals.ContextField(_("For every partner"), display.yes_no),
    "partner_type": approvals.ContextField(_("Partner type"), display.labels(PartnerType)),
    "tier": approvals.ContextField(pgettext_lazy("partner tier", "Tier"), _tier_name),
}
POLICY_CONDITION_FIELDS = (
    approvals.ConditionField("basis", _("Basis"), "choice", BasisKind.choices),
    approvals.ConditionField("max_rate_percent", _("Highest rate (%)"), "number"),
    approvals.ConditionField("cap", _("Cap per partner and period"), "amount"),
    approvals.ConditionField("period_kind", _("Period"), "choice", PeriodKind.choices),
    approvals.ConditionField("tier_style", _("Tier style"), "choice", TierStyle.choices),
    approvals.ConditionField("tier_measure", _("Tiers measured on"), "choice", TierMeasure.choices),
    approvals.ConditionField("for_every_partner", _("For every partner"), "boolean"),
    approvals.ConditionField("partner_type", _("Partner type (when it targets one)"), "choice", PartnerType.choices),
    approvals.ConditionField(
        "tier", pgettext_lazy("partner tier", "Tier (when it targets one)"), "choice", _tier_choices
    ),
    approvals.ConditionField("growth", _("Growth over the same period last year"), "boolean"),
)


def register_subjects() -> None:
    approvals.register_subject(
        approvals.SubjectHandler(
            kind=POLICY_SUBJECT,
            label=_("Rebate policy"),
            on_approved=on_policy_approved,
            on_rejected=on_policy_not_approved,
            on_returned=on_policy_not_approved,
            subject_url=lambda request: f"/rebates/policies/{request.subject_id}/",
            fields=POLICY_FIELDS_FOR_PEOPLE,
            condition_fields=POLICY_CONDITION_FIELDS,
        )
    )
