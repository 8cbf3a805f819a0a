"""Alerts (预警): rules on the figures of the semantic layer, and their occurrences.

An `AlertRule` belongs to its owner and is evaluated as that owner (the owner's scope is the
rule's reach: a regional manager's rule covers its regions only). An `Alert` is one occurrence of
a rule's condition for one subject (a partner, a province, a macro region, a SKU, or a SKU in a
warehouse): opened when the condition starts to hold, closed when it stops; it comes back as a new
Alert. At most one open Alert per rule and subject (a partial unique constraint), so a condition
that keeps holding is never notified twice. Imported at the end of analytics/models.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qudao.core.audit import AuditedModel

__all__ = ["AlertEvaluation", "AlertRule", "Alert"]


class AlertRule(AuditedModel):
    """A rule: a condition on figures, per subject, over a window, owned by a user. Its changes are
    in the audit trail (who changed a threshold, who disabled it)."""

    audit_exclude = ("last_error", "updated_at")

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("A metric above or below a value")
        CHANGE = "change", _("Change against the same window last year")
        RATIO = "ratio", _("A ratio of two metrics")
        SILENCE = "silence", _("Days since the partner's last order")
        STOCK_COVER = "stock_cover", _("Stock cover in days")
        ATTAINMENT = "attainment", _("Attainment behind time elapsed")

    class Subject(models.TextChoices):
        PARTNER = "partner", _("Partner")
        PROVINCE = "province", _("Province")
        MACRO_REGION = "macro_region", _("Macro region")
        SKU = "sku", _("SKU")
        SKU_WAREHOUSE = "sku_warehouse", _("SKU in a warehouse")

    class Comparison(models.TextChoices):
        ABOVE = "above", _("above")
        BELOW = "below", _("below")

    class Window(models.TextChoices):
        MONTH = "month", _("This month so far")
        DAYS = "days", _("The last N days")

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alert_rules", verbose_name=_("owner")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    metric = models.CharField(_("metric"), max_length=40, blank=True)
    denominator = models.CharField(_("divided by"), max_length=40, blank=True)
    subject = models.CharField(_("for each"), max_length=16, choices=Subject.choices)
    comparison = models.CharField(_("comparison"), max_length=8, choices=Comparison.choices, default="above")
    # money or a count (threshold), a percentage (change, ratio, a ratio metric), days (silence, cover)
    threshold = models.DecimalField(_("threshold"), max_digits=16, decimal_places=2)
    window = models.CharField(_("window"), max_length=8, choices=Window.choices, default="month")
    window_days = models.PositiveSmallIntegerField(_("days in the window"), null=True, blank=True)
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region")
    )
    macro_region = models.CharField(_("macro region"), max_length=16, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self):
        return self.name


class Alert(models.Model):
    """One occurrence of a rule's condition for one subject, with the figures that opened it."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("rule"))
    subject_key = models.CharField(max_length=64)  # the subject's code (SKU@warehouse for stock cover)
    subject_label = models.CharField(_("subject"), max_length=200)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("partner")
    )
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=4, null=True)
    baseline = models.DecimalField(_("compared with"), max_digits=24, decimal_places=4, null=True)
    figures = models.JSONField(default=dict)  # what the evaluation saw, as text
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key"], condition=Q(closed_at__isnull=True), name="analytics_alert_one_open"
            )
        ]
        indexes = [models.Index(fields=["closed_at", "opened_at"], name="analytics_alert_open_idx")]

    def __str__(self):
        return f"{self.rule} · {self.subject_label}"


class AlertEvaluation(models.Model):
    """One evaluation of every active rule, after a refresh of the store (the store's manifest
    version it saw, so a minute without a refresh evaluates nothing)."""

    store_version = models.BigIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    rules = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} v{self.store_version}"
