"""Analytics' own records in the transactional database (targets and their versions, alert
rules, saved reports). The analytics store itself is not here: it is a DuckDB database beside it
(qudao.analytics.store).

Targets (目标, docs/targets.md, ADR 0019):

- TargetPlan: one version of a named plan of targets for one year and one metric (net sales
  shipped or invoiced, payments collected, a product line's units or amount, new or active
  partners). `code` names the plan across its versions. A plan is written as a draft, submitted to
  the approval engine (subject "target_plan") and approved; an approved plan is never edited: a
  change is its next version (a draft copy, version + 1, `supersedes` the approved one) which, once
  approved, marks the old one superseded.
- Target: one cell of a plan: a subject (the brand, a region, an owner - a channel or regional
  manager or a sales rep - or a partner) and a period (the year, a quarter or a month) with an
  amount. `parent` is the target one level up in the subject dimension for the same period (a
  partner's Q1 under its region's Q1); the period dimension is read from the dates (a quarter lies
  in its year). Each (metric, product line, subject, period) has at most one approved target: a
  unique constraint on the rows of approved plans (`approved` is kept by the approval service).
"""

from __future__ import annotations

import calendar
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.audit import AuditedModel

MONEY = {"max_digits": 20, "decimal_places": 4}


class TargetMetric(models.TextChoices):
    # the first three codes are those of rebates' bases (qudao.rebates.ratios reads them)
    NET_SALES_SHIPPED = "net_sales_shipped", _("Net sales shipped")
    NET_SALES_INVOICED = "net_sales_invoiced", _("Net sales invoiced")
    PAYMENTS = "payments", _("Payments collected")
    LINE_UNITS = "line_units", _("Units of a product line")
    LINE_AMOUNT = "line_amount", _("Net sales of a product line")
    NEW_PARTNERS = "new_partners", _("New partners")
    ACTIVE_PARTNERS = "active_partners", _("Active partners")


# metrics counted in whole numbers (the others are money, in the plan's currency)
COUNT_METRICS = frozenset({TargetMetric.LINE_UNITS, TargetMetric.NEW_PARTNERS, TargetMetric.ACTIVE_PARTNERS})
LINE_METRICS = frozenset({TargetMetric.LINE_UNITS, TargetMetric.LINE_AMOUNT})


class TargetLevel(models.TextChoices):
    BRAND = "brand", pgettext_lazy("target level", "Brand")
    REGION = "region", pgettext_lazy("target level", "Region")
    OWNER = "owner", pgettext_lazy("target level", "Owner")
    PARTNER = "partner", pgettext_lazy("target level", "Partner")


class TargetPeriod(models.TextChoices):
    YEAR = "year", pgettext_lazy("target period", "Year")
    QUARTER = "quarter", pgettext_lazy("target period", "Quarter")
    MONTH = "month", pgettext_lazy("target period", "Month")


def period_end(kind: str, start: date) -> date:
    """The last day of the period of `kind` starting on `start`."""
    months = {TargetPeriod.YEAR: 12, TargetPeriod.QUARTER: 3, TargetPeriod.MONTH: 1}[kind]
    last_month = start.month + months - 1
    return date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])


class TargetPlan(AuditedModel):
    """A plan of targets (目标计划), one version of it."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("target plan status", "Draft")
        PENDING_APPROVAL = "pending_approval", pgettext_lazy("target plan status", "Pending approval")
        APPROVED = "approved", pgettext_lazy("target plan status", "Approved")
        SUPERSEDED = "superseded", pgettext_lazy("target plan status", "Superseded")

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    year = models.PositiveSmallIntegerField(_("year"))
    metric = models.CharField(_("metric"), max_length=24, choices=TargetMetric.choices)
    product_line = models.ForeignKey(
        "catalog.ProductLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product line"),
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        ordering = ["-year", "code", "-version"]
        verbose_name = _("target plan")
        verbose_name_plural = _("target plans")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="analytics_targetplan_unique_code_version"),
        ]

    def __str__(self):
        return f"{self.code} v{self.version} {self.name}"

    @property
    def counts(self) -> bool:
        """Whether the metric is a whole number (units, partners) rather than money."""
        return self.metric in COUNT_METRICS

    @property
    def editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Target(AuditedModel):
    """One target (目标): a subject's amount for one period of a plan."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="targets")
    level = models.CharField(_("level"), max_length=10, choices=TargetLevel.choices)
    region = models.ForeignKey(
        "core.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
        verbose_name=_("partner"),
    )
    # "brand", "region:<id>", "owner:<id>", "partner:<id>": one column for the uniqueness rules
    subject_key = models.CharField(max_length=40, editable=False)
    period_kind = models.CharField(_("period"), max_length=8, choices=TargetPeriod.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(_("target"), **MONEY)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("parent")
    )
    # copies of the plan's, for the constraint "one approved target per metric, line, subject, period"
    metric = models.CharField(max_length=24, editable=False)
    line_key = models.PositiveIntegerField(default=0, editable=False)  # the product line's id, 0 for none
    approved = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["plan", "period_start", "period_kind", "level", "subject_key"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "subject_key", "period_kind", "period_start"],
                name="analytics_target_unique_plan_subject_period",
            ),
            models.UniqueConstraint(
                fields=["metric", "line_key", "subject_key", "period_kind", "period_start"],
                condition=Q(approved=True),
                name="analytics_target_one_approved",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="analytics_target_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["metric", "level", "approved", "period_start"], name="analytics_target_lookup"),
            models.Index(fields=["partner", "approved"], name="analytics_target_partner"),
        ]

    def __str__(self):
        return f"{self.subject_key} {self.period_kind} {self.period_start}"

    def audit_partner_id(self) -> int | None:
        # HQ planning data: a partner's users see its approved targets in the portal, never the
        # drafts' history through the audit trail
        return None

    @property
    def subject_name(self) -> str:
        if self.level == TargetLevel.BRAND:
            return str(_("Whole brand"))
        if self.level == TargetLevel.REGION:
            return self.region.display_name if self.region else ""
        if self.level == TargetLevel.OWNER:
            return (self.owner.get_full_name() or self.owner.username) if self.owner else ""
        return (self.partner.short_name or self.partner.legal_name) if self.partner else ""


from .models_alerts import *  # noqa: E402,F403  (alerts: qudao/analytics/models_alerts.py)
from .models_reports import *  # noqa: E402,F403  (saved reports: qudao/analytics/models_reports.py)
