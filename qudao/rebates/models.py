"""Rebates (返利): policies, their tiers and targets, runs and the lines they post to each
partner's rebate fund (返利池).

- RebatePolicy: what earns a rebate (the basis: net sales shipped or invoiced, payments collected,
  optionally on time only, quantity or amount of given SKUs or product lines, or the growth of one
  of those over the same period of the previous year), which period a return reduces (that of the
  sale it reverses, by default, or that of its credit note), over which period (month, quarter,
  half, year, custom dates), with which tiers (retrospective 全额累进 or marginal 超额累进), cap and
  conditions, for which partners. Versioned: a policy needs approval (the approval engine) before
  it takes effect; an active one is never edited, only superseded by its next version.
- RebateTier: from `lower_bound` (inclusive) up to the next tier's lower bound: a rate (percent of
  the basis), a fixed amount, or an amount per unit. A policy whose `tier_measure` is a ratio
  (attainment of the partner's target, growth rate) has bounds in percent, and the tier its ratio
  reaches pays on the whole basis (qudao.rebates.ratios). For a quantity basis bounds count whole units
  (from 201 = the 201st unit on), the same in both tier styles (qudao.rebates.engine).
- RebateRun: a policy computed for one period for all its partners: a preview (simulation), then
  approved, then posted to each partner's rebate fund. `as_of` is the last day counted (before the
  period's end for an interim settlement).
- RebateLine: one partner's result in a run, with its explanation; what earlier runs of the same
  policy and period already posted, the delta this run posts, and what it did post.

The rules are in qudao.rebates.engine (tiers), basis (the set-based SQL) and services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.audit import AuditedModel

ZERO = Decimal("0")
MONEY = {"max_digits": 20, "decimal_places": 4}


class BasisKind(models.TextChoices):
    NET_SALES_SHIPPED = "net_sales_shipped", _("Net sales shipped")
    NET_SALES_INVOICED = "net_sales_invoiced", _("Net sales invoiced")
    PAYMENTS = "payments", _("Payments collected")
    PAYMENTS_ON_TIME = "payments_on_time", _("Payments collected on time")
    QUANTITY = "quantity", _("Quantity of given products")
    AMOUNT = "amount", _("Amount of given products")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF = "half", _("Half year")
    YEAR = "year", _("Year")
    CUSTOM = "custom", _("Custom dates")


class ReturnsPeriod(models.TextChoices):
    """Which period a credit note (a return) reduces."""

    SHIPMENT_PERIOD = "shipment_period", _("The period of the sale it reverses (shipment, or invoice)")
    CREDIT_NOTE_PERIOD = "credit_note_period", _("The period of the credit note")


class TierMeasure(models.TextChoices):
    """What the tiers' bounds are measured on (qudao.rebates.ratios): the basis itself, or a ratio
    in percent - the attainment of the partner's own target, or the growth rate over the same
    period last year. A ratio tier pays its reward on the whole basis."""

    BASIS = "basis", _("The basis (amount or units)")
    ATTAINMENT = "attainment", _("Attainment of the partner's target (%)")
    GROWTH_RATE = "growth_rate", _("Growth rate over the same period last year (%)")


class TierStyle(models.TextChoices):
    RETROSPECTIVE = "retrospective", _("Retrospective (whole basis at the rate reached)")
    MARGINAL = "marginal", _("Marginal (each slice at its own rate)")


class RebatePolicy(AuditedModel):
    """A rebate policy (返利政策), one version of it. `code` names the policy across versions."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("policy status", "Draft")
        PENDING_APPROVAL = "pending_approval", pgettext_lazy("policy status", "Pending approval")
        ACTIVE = "active", pgettext_lazy("policy status", "Active")
        SUPERSEDED = "superseded", pgettext_lazy("policy status", "Superseded")
        RETIRED = "retired", pgettext_lazy("policy status", "Retired")

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # what counts
    basis = models.CharField(_("basis"), max_length=20, choices=BasisKind.choices)
    product_lines = models.JSONField(_("product lines"), default=list, blank=True)  # product line codes
    skus = models.JSONField(_("SKUs"), default=list, blank=True)  # SKU codes included
    excluded_skus = models.JSONField(_("SKUs excluded"), default=list, blank=True)
    excluded_promotions = models.JSONField(_("promotions excluded"), default=list, blank=True)  # promotion codes
    growth = models.BooleanField(_("growth over the same period last year"), default=False)
    # a credit note reduces the period of the sale it reverses (a re-run of a settled period posts
    # the negative delta), or the period it was issued in
    returns_count_in = models.CharField(
        _("returns count in"), max_length=20, choices=ReturnsPeriod.choices, default=ReturnsPeriod.SHIPMENT_PERIOD
    )
    # when
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    custom_start = models.DateField(_("custom period from"), null=True, blank=True)
    custom_end = models.DateField(_("custom period to"), null=True, blank=True)
    allow_interim = models.BooleanField(_("interim settlements allowed"), default=False)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    # how much
    tier_style = models.CharField(_("tier style"), max_length=14, choices=TierStyle.choices)
    # a ratio measure: tier bounds are percentages and the tier reached pays on the whole basis
    tier_measure = models.CharField(
        _("tiers measured on"), max_length=12, choices=TierMeasure.choices, default=TierMeasure.BASIS
    )
    cap = models.DecimalField(_("cap per partner and period"), null=True, blank=True, **MONEY)
    # conditions
    focus_product_line = models.CharField(_("focus product line"), max_length=40, blank=True)
    focus_min_share = models.DecimalField(
        _("minimum share of the focus line (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    min_payment_ratio = models.DecimalField(
        _("minimum payment ratio (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    max_overdue_days = models.PositiveIntegerField(_("no receivables overdue more than (days)"), null=True, blank=True)
    # who
    target_tiers = models.JSONField(_("partner tiers"), default=list, blank=True)  # tier codes
    target_regions = models.JSONField(_("regions"), default=list, blank=True)  # region codes (and below)
    target_partner_types = models.JSONField(_("partner types"), default=list, blank=True)
    target_partners = models.JSONField(_("partners"), default=list, blank=True)  # partner codes
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("rebate policy")
        verbose_name_plural = _("rebate policies")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rebates_policy_unique_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="active"), name="rebates_policy_one_active_version"
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=0), name="rebates_policy_cap_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.code} v{self.version} {self.name}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class RebateTier(models.Model):
    """One tier of a policy (返利档位): from `lower_bound` (inclusive) to the next tier's lower bound;
    for a quantity basis, from its `lower_bound`-th unit (see qudao.rebates.engine)."""

    class Reward(models.TextChoices):
        RATE = "rate", _("Rate (percent of the basis)")
        FIXED = "fixed", _("Fixed amount")
        PER_UNIT = "per_unit", _("Amount per unit")

    policy = models.ForeignKey(RebatePolicy, on_delete=models.CASCADE, related_name="tiers")
    lower_bound = models.DecimalField(_("from (inclusive)"), **MONEY)
    reward = models.CharField(_("reward"), max_length=10, choices=Reward.choices, default=Reward.RATE)
    value = models.DecimalField(_("value"), **MONEY)

    class Meta:
        ordering = ["policy", "lower_bound"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "lower_bound"], name="rebates_tier_unique_bound"),
            models.CheckConstraint(condition=Q(lower_bound__gte=0), name="rebates_tier_bound_not_negative"),
            models.CheckConstraint(condition=Q(value__gte=0), name="rebates_tier_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.policy_id} >= {self.lower_bound}: {self.reward} {self.value}"


class RebateRun(AuditedModel):
    """A policy computed for one period for every partner it targets."""

    class Kind(models.TextChoices):
        INTERIM = "interim", pgettext_lazy("rebate run", "Interim")
        FINAL = "final", pgettext_lazy("rebate run", "Final")

    class Status(models.TextChoices):
        PREVIEW = "preview", pgettext_lazy("rebate run", "Preview")
        APPROVED = "approved", pgettext_lazy("rebate run", "Approved")
        POSTED = "posted", pgettext_lazy("rebate run", "Posted")
        SUPERSEDED = "superseded", pgettext_lazy("rebate run", "Superseded")

    number = models.CharField(_("number"), max_length=20, unique=True)
    policy = models.ForeignKey(RebatePolicy, on_delete=models.PROTECT, related_name="runs", verbose_name=_("policy"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    as_of = models.DateField(_("counted until"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREVIEW)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    partner_count = models.PositiveIntegerField(_("partners"), default=0)
    posted_count = models.PositiveIntegerField(_("partners posted"), default=0)
    basis_total = models.DecimalField(_("basis"), default=ZERO, **MONEY)
    amount_total = models.DecimalField(_("rebate"), default=ZERO, **MONEY)
    delta_total = models.DecimalField(_("to post"), default=ZERO, **MONEY)
    posted_total = models.DecimalField(_("posted"), default=ZERO, **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    audit_exclude = ("posted_count", "posted_total")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("rebate run")
        verbose_name_plural = _("rebate runs")
        indexes = [models.Index(fields=["policy", "period_start", "status"], name="rebates_run_policy_period")]

    def __str__(self):
        return self.number


class RebateLine(models.Model):
    """One partner's rebate in a run, explained. `already_posted` is what earlier runs of the same
    policy and period had posted when this run was computed; `delta` = `amount` - that;
    `posted_amount` is what this run did post (set once, with `posted_at`, in the same transaction
    as the fund deposit or adjustment)."""

    run = models.ForeignKey(RebateRun, on_delete=models.CASCADE, related_name="lines")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="rebate_lines")
    # denormalised from the run: "what did this policy post for this period" is one indexed query
    policy = models.ForeignKey(RebatePolicy, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("period from"))
    basis = models.DecimalField(_("basis"), default=ZERO, **MONEY)
    units = models.DecimalField(_("units"), default=ZERO, **MONEY)
    tier_index = models.PositiveSmallIntegerField(_("tier reached"), null=True, blank=True)  # 1-based
    tier_reward = models.CharField(_("reward"), max_length=10, blank=True)
    tier_value = models.DecimalField(_("rate or value"), null=True, blank=True, **MONEY)
    # a ratio measure (attainment, growth rate): the ratio in percent the tier was chosen on (None:
    # no ratio - no target, or nothing last year) and, for attainment, the partner's target
    ratio = models.DecimalField(_("ratio (%)"), null=True, blank=True, **MONEY)
    target = models.DecimalField(_("target"), null=True, blank=True, **MONEY)
    computed_amount = models.DecimalField(_("computed"), default=ZERO, **MONEY)
    capped_amount = models.DecimalField(_("after the cap"), default=ZERO, **MONEY)
    conditions_met = models.BooleanField(_("conditions met"), default=True)
    amount = models.DecimalField(_("rebate"), default=ZERO, **MONEY)
    explanation = models.JSONField(_("explanation"), default=dict)
    already_posted = models.DecimalField(_("posted before"), default=ZERO, **MONEY)
    delta = models.DecimalField(_("to post"), default=ZERO, **MONEY)
    posted_amount = models.DecimalField(_("posted"), null=True, blank=True, **MONEY)
    fund_reference = models.CharField(_("fund reference"), max_length=64, blank=True)
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)

    class Meta:
        ordering = ["run", "partner__code"]
        constraints = [
            # a (policy, period, partner) delta is posted once per run
            models.UniqueConstraint(fields=["run", "partner"], name="rebates_line_once_per_run"),
        ]
        indexes = [
            models.Index(fields=["policy", "period_start", "partner"], name="rebates_line_policy_period"),
            models.Index(fields=["partner", "posted_at"], name="rebates_line_partner_posted"),
        ]

    def __str__(self):
        return f"{self.run_id} {self.partner_id} {self.amount}"


class RebateProgress(models.Model):
    """A partner's live progress on a policy in one period (返利进度): the basis counted so far,
    maintained incrementally as orders ship, returns are credited, invoices are raised and payments
    arrive (qudao.rebates.progress), and rebuilt from the set-based basis nightly. `basis` is what
    the policy counts (units for a quantity basis); `units` the net units behind it. A growth
    policy's `baseline` (the same period last year, the whole period) is computed once, when the
    row is created or rebuilt; the tiers then apply to basis - baseline."""

    policy = models.ForeignKey(RebatePolicy, on_delete=models.CASCADE, related_name="progress")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="rebate_progress")
    basis = models.DecimalField(_("basis so far"), default=ZERO, **MONEY)
    units = models.DecimalField(_("units"), default=ZERO, **MONEY)
    baseline = models.DecimalField(_("same period last year"), null=True, blank=True, **MONEY)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rebate progress")
        verbose_name_plural = _("rebate progress")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "period_start", "partner"], name="rebates_progress_unique_period_partner"
            ),
        ]
        indexes = [models.Index(fields=["partner", "period_start"], name="rebates_progress_partner")]

    def __str__(self):
        return f"{self.policy_id} {self.period_start} {self.partner_id}: {self.basis}"


class RebateFundDeposit(AuditedModel):
    """Money finance puts into a partner's rebate fund by hand (返利资金手工入账): a goodwill credit or
    a correction, with a reason, posted only once approved (subject "rebate_fund_deposit", default
    flow 返利资金手工入账审批). A goodwill credit is positive; a correction may be negative (it then
    never takes money held by open orders). Posting writes the fund's entry (reference = number) and,
    through the fund events, the rebate book of the partner ledger: both append-only."""

    class Kind(models.TextChoices):
        GOODWILL = "goodwill", pgettext_lazy("rebate fund deposit", "Goodwill credit")
        CORRECTION = "correction", pgettext_lazy("rebate fund deposit", "Correction")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", pgettext_lazy("rebate fund deposit", "Pending approval")
        POSTED = "posted", pgettext_lazy("rebate fund deposit", "Posted")
        REJECTED = "rejected", pgettext_lazy("rebate fund deposit", "Not approved")

    number = models.CharField(_("number"), max_length=20, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="rebate_fund_deposits", verbose_name=_("partner")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING_APPROVAL)
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    fund_entry = models.OneToOneField(
        "partners.FundEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("rebate fund deposit")
        verbose_name_plural = _("rebate fund deposits")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="rebates_fund_deposit_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind="goodwill") | Q(amount__gt=0), name="rebates_fund_deposit_goodwill_positive"
            ),
        ]
        indexes = [models.Index(fields=["partner", "status"], name="rebates_fund_deposit_partner")]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return self.partner_id
