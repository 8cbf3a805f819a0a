"""What the dashboards give the workbench (工作台, core.workbench registries): the KPI cards of
this month's net sales and payments collected (回款), each against last month and last year to the
same day, and the chart of sales by month against last year. Figures come from the semantic layer,
so each user sees its own scope. Registered by `register()`, called from AnalyticsConfig.ready()."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qudao.core import workbench
from qudao.core.errors import DomainError

from . import dashboards, semantic


def _can_see_figures(user) -> bool:
    return user.is_hq and user.can("analytics.view")


def month_to_date(user, metric: str, today: date) -> workbench.KpiValue | None:
    """`metric` over this month to date, with its changes against the same days of last month
    and of last year (one semantic query per period)."""
    values = {}
    try:
        for name, (first, last) in workbench.month_to_date_periods(today).items():
            rows = semantic.query(user, [metric], [], {}, first, last).rows
            values[name] = rows[0][metric] if rows else None
    except DomainError:  # a role that may not see the metric: no card
        return None
    current = values["this"] if values["this"] is not None else 0
    return workbench.KpiValue(
        value=current,
        format=workbench.KpiFormat.MONEY,
        change_month=workbench.change(current, values["month"]),
        change_year=workbench.change(current, values["year"]),
        currency="CNY",
        url=reverse("analytics:dashboard") if user.can("analytics.dashboards") else "",
    )


def net_sales_kpi(user, today: date):
    return month_to_date(user, "net_sales", today)


def payments_kpi(user, today: date):
    return month_to_date(user, "payments_collected", today)


def sales_chart(user, today: date) -> dict | None:
    try:
        return dashboards.sales_by_month(user, dashboards.default_filters(today)).option
    except DomainError:
        return None


def register() -> None:
    workbench.register_kpi(
        workbench.Kpi("analytics.net_sales", _("Net sales"), net_sales_kpi, visible=_can_see_figures, order=5)
    )
    workbench.register_kpi(
        workbench.Kpi(
            "analytics.payments_collected", _("Payments collected"), payments_kpi, visible=_can_see_figures, order=6
        )
    )
    workbench.register_chart(
        workbench.Chart(
            "analytics.sales_by_month",
            _("Sales by month against last year"),
            sales_chart,
            visible=_can_see_figures,
            order=5,
        )
    )
    from . import dashboard_exports  # noqa: F401  (declares the dashboards' exports)
