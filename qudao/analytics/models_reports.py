"""Saved reports of the report builder (拖拽报表): a definition over the semantic layer (metrics,
rows, columns, filters, period, chart type), shared with HQ roles, pinned by users to their
workbench, and optionally e-mailed as .xlsx on a schedule. A report never stores figures: it is
run for whoever looks at it (or receives it), as that user (qudao.analytics.reports)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = ["ReportPin", "ReportSchedule", "SavedReport"]


class ReportSchedule(models.TextChoices):
    NONE = "none", pgettext_lazy("report schedule", "Not scheduled")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class SavedReport(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    # {"metrics": [...], "rows": [...], "columns": [...], "filters": {dimension: [keys]},
    #  "period": {"relative": "this_month"} | {"start": "2025-01-01", "end": "2025-03-31"},
    #  "chart": "table" | "pivot" | "bar" | "line" | "pie" | "map"}; validated by reports.clean_definition
    definition = models.JSONField(_("definition"), default=dict)
    # HQ role codes (accounts.roles.HQRole) whose holders may open and run the report
    shared_roles = models.JSONField(_("shared with roles"), default=list, blank=True)
    schedule = models.CharField(
        _("schedule"), max_length=10, choices=ReportSchedule.choices, default=ReportSchedule.NONE
    )
    schedule_weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)  # 0 = Monday
    schedule_day = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)  # 1-28
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="scheduled_reports", verbose_name=_("recipients")
    )
    last_sent_on = models.DateField(_("last sent on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["schedule", "last_sent_on"], name="analytics_report_schedule")]

    def __str__(self):
        return self.name

    @property
    def shared_role_labels(self) -> list[str]:
        from qudao.accounts.roles import HQRole

        labels = dict(HQRole.choices)
        return [str(labels[code]) for code in self.shared_roles if code in labels]


class ReportPin(models.Model):
    """A saved report a user pinned to its workbench."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_pins")
    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="pins")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "report"], name="analytics_report_pin_once")]
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.user} · {self.report}"
