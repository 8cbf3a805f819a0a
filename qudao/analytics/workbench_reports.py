"""Pinned reports on the workbench (工作台): one chart slot per pin (at most reports.MAX_PINS),
registered in core.workbench's chart registry. Each slot draws the user's n-th pinned report, run
as that user (its scope and metrics), titled with the report's name inside the chart. Imported by
AnalyticsConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qudao.core import workbench
from qudao.core.errors import DomainError

from . import reports


def _pins(user, today):
    """The user's pinned reports, read once per request (the slots share them)."""
    cached = getattr(user, "_qudao_pinned_reports", None)
    if cached is None or cached[0] != today:
        cached = (today, reports.pinned_reports(user))
        user._qudao_pinned_reports = cached
    return cached[1]


def _slot(index: int):
    def option(user, today):
        pins = _pins(user, today)
        if index >= len(pins):
            return None
        report = pins[index]
        try:
            return reports.chart_option(reports.run(user, report.definition, today), title=report.name)
        except DomainError:  # too large, or no longer valid: the report page says why
            return None

    return option


def register() -> None:
    for index in range(reports.MAX_PINS):
        workbench.register_chart(
            workbench.Chart(
                key=f"pinned_report_{index + 1}",
                title=_("Pinned report"),
                option=_slot(index),
                visible=reports.may_build,
                order=900 + index,
            )
        )


register()
