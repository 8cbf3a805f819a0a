"""The .xlsx (and .csv) exports of the dashboards' charts and tables (core.exports): one
`ListExport` per table, whose rows are the table's own rows computed again for the user and the
filters of the query string, so the file holds exactly what the page shows, in the user's scope.

Declared when analytics is ready (`register_dashboards`, apps.py), so that an export job in the
worker finds them too."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors
from qudao.core.exports import ExportColumn, ListExport

from . import dashboards, roi

KINDS = {"money": "money", "percent": "percent", "count": "quantity", "days": "number", "month": "text"}
PERMISSIONS = {"roi": "analytics.roi"}


def _today():
    return timezone.localdate()


def _filters(params) -> dashboards.DashboardFilters:
    try:
        return dashboards.parse_filters(params, _today())
    except FieldErrors:  # a bad filter in a saved link: the default period, as the page shows it
        return dashboards.default_filters(_today())


def _text(value):
    return "" if value is None else value


def _rows(key: str):
    def rows(user, params) -> list[dict]:
        filters = _filters(params)
        if key == "sales_by_month":
            return dashboards.sales_by_month(user, filters).rows
        if key == "regions":
            return dashboards.regions(user, filters).rows
        if key == "regions_drill":  # the drill page: the cities of a province, the partners of a city
            return dashboards.regions(user, filters, params.get("province") or "", params.get("city") or "").rows
        if key == "line_mix":
            return dashboards.line_mix(user, filters).rows
        if key == "tiers":
            return dashboards.tier_contribution(user, filters).rows
        if key == "partners":
            return dashboards.partner_ranking(user, filters).rows
        if key == "dormant":
            return dashboards.dormant(user, filters, _today()).rows
        if key == "pivot":
            return dashboards.pivot(user, filters).table.rows
        if key == "pivot_cell":
            return dashboards.pivot_cell(
                user, filters, params.get("province") or "", params.get("line") or "", params.get("month") or ""
            ).rows
        if key == "roi":
            return roi.roi(user, _today()).rows
        return []

    return rows


def _column(column: dashboards.Column) -> ExportColumn:
    code = column.code
    return ExportColumn(column.label, lambda row: _text(row.get(code)), KINDS.get(column.kind, "text"))


# the columns of each export (the tables' own columns; the region drill's name column is generic)
COLUMNS = {
    "sales_by_month": [
        dashboards.Column("month", _("Month"), "month"),
        dashboards.Column("net_sales", _("Net sales"), "money"),
        dashboards.Column("last_year", _("Last year"), "money"),
        dashboards.Column("growth", _("Change"), "percent"),
    ],
    "regions": [
        dashboards.Column("code", _("Code")),
        dashboards.Column("name", _("Name")),
        dashboards.Column("net_sales", _("Net sales"), "money"),
        dashboards.Column("share", _("Share"), "percent"),
    ],
    "regions_drill": [
        dashboards.Column("code", _("Code")),
        dashboards.Column("name", _("Name")),
        dashboards.Column("net_sales", _("Net sales"), "money"),
        dashboards.Column("share", _("Share"), "percent"),
    ],
    "line_mix": [
        dashboards.Column("name", _("Product line")),
        dashboards.Column("net_sales", _("Net sales"), "money"),
        dashboards.Column("share", _("Share"), "percent"),
    ],
    "tiers": [
        dashboards.Column("name", _("Tier")),
        dashboards.Column("net_sales", _("Net sales"), "money"),
        dashboards.Column("share", _("Share"), "percent"),
    ],
    "partners": [
        dashboards.Column("code", _("Partner code")),
        dashboards.Column("name", _("Partner")),
        dashboards.Column("net_sales", _("Net sales"), "money"),
        dashboards.Column("last_year", _("Last year"), "money"),
        dashboards.Column("growth", _("Growth"), "percent"),
    ],
    "dormant": [
        dashboards.Column("code", _("Partner code")),
        dashboards.Column("name", _("Partner")),
        dashboards.Column("province", _("Province")),
    ],
    "pivot": [
        dashboards.Column("province", _("Province")),
        dashboards.Column("line", _("Product line")),
        dashboards.Column("month", _("Month"), "month"),
        dashboards.Column("net_sales", _("Net sales"), "money"),
    ],
    "pivot_cell": [
        dashboards.Column("code", _("Partner code")),
        dashboards.Column("name", _("Partner")),
        dashboards.Column("net_sales", _("Net sales"), "money"),
    ],
    "roi": [
        dashboards.Column("month", _("Month"), "month"),
        dashboards.Column("orders", _("Orders"), "count"),
        dashboards.Column("self_service_share", _("Placed by partners themselves"), "percent"),
        dashboards.Column("cycle_days", _("Order cycle time (days)"), "days"),
        dashboards.Column("statement_days", _("Days to confirm a statement"), "days"),
        dashboards.Column("dso", _("DSO (days)"), "days"),
    ],
}

EXPORTS: dict[str, ListExport] = {
    key: ListExport(
        name=f"analytics.dashboard_{key}",
        title=_("Dashboard"),
        file_stem=f"dashboard-{key.replace('_', '-')}",
        columns=tuple(_column(column) for column in columns),
        rows=_rows(key),
        permission=PERMISSIONS.get(key, "analytics.dashboards"),
    )
    for key, columns in COLUMNS.items()
}
