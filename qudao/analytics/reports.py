"""The report builder (拖拽报表): every rule of saved reports.

A report's definition names metrics and dimensions of the semantic layer (qudao.analytics.semantic)
laid out in rows, columns and filters, a period and a chart type. It holds no figures: a report is
always run *as the user looking at it* (`run(viewer, ...)`): the viewer's scope (a regional manager
sees its regions) and the viewer's metric permissions (no gross margin without the right to see
cost prices), never the owner's. A metric of a shared or scheduled report the viewer may not see is
left out with a note; a definition built or sent through the API with such a metric is refused.

- `clean_definition(user, data)` validates a definition (field errors in the user's language);
- `save_report`, `delete_report`, `pin`, `unpin`: changes, owner only;
- `visible_reports(user)`, `get_report(user, pk)`: the reports a user may open (own or shared with
  one of its HQ roles; any other answers 404);
- `run(viewer, definition, today)`: a `ReportResult` (the semantic result, its pivot, its chart
  option, omitted metrics); `workbook(...)`: its .xlsx;
- `send_scheduled_reports(today)`: the weekly/monthly e-mails, one run per recipient, as that
  recipient (the Huey task in tasks.py calls it every morning).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qudao.accounts.roles import HQRole
from qudao.core.errors import DomainError, FieldErrors, Forbidden, NotFound

from . import semantic
from .models_reports import ReportPin, ReportSchedule, SavedReport

PERMISSION = "analytics.reports"
CHART_TYPES = ("table", "pivot", "bar", "line", "pie", "map")
CHART_LABELS = {
    "table": gettext_lazy("Table"),
    "pivot": gettext_lazy("Pivot table"),
    "bar": gettext_lazy("Bar chart"),
    "line": gettext_lazy("Line chart"),
    "pie": gettext_lazy("Pie chart"),
    "map": gettext_lazy("Map"),
}
# dimensions a map can place (a region ranking until a China map is bundled, see docs/reports.md)
MAP_DIMENSIONS = ("macro_region", "province", "city")
RELATIVE_PERIODS = {
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "this_quarter": gettext_lazy("This quarter"),
    "last_quarter": gettext_lazy("Last quarter"),
    "ytd": gettext_lazy("Year to date"),
    "last_year": gettext_lazy("Last year"),
    "last_12_months": gettext_lazy("Last 12 months"),
    "last_30_days": gettext_lazy("Last 30 days"),
}
MAX_NAME = 100
MAX_DIMENSIONS = 4  # rows + columns (the semantic layer's limit)
MAX_PIVOT_COLUMNS = 60  # distinct column keys a pivot may spread out
MAX_RECIPIENTS = 50
MAX_PINS = 6  # pinned reports shown on a workbench
MAX_REPORTS = 200  # saved reports per owner


# --- periods -----------------------------------------------------------------------------------------


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def resolve_period(period: dict, today: date) -> tuple[date, date]:
    """The first and last local day of a (validated) period, relative ones counted from `today`."""
    code = period.get("relative")
    if not code:
        return date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    first_of_month = today.replace(day=1)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if code == "this_month":
        return first_of_month, today
    if code == "last_month":
        start = _months_back(today, 1)
        return start, _month_end(start)
    if code == "this_quarter":
        return quarter_start, today
    if code == "last_quarter":
        start = _months_back(quarter_start, 3)
        return start, _month_end(_months_back(quarter_start, 1))
    if code == "ytd":
        return date(today.year, 1, 1), today
    if code == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if code == "last_12_months":
        return _months_back(today, 11), today
    return today - timedelta(days=29), today  # last_30_days


def period_label(period: dict, today: date) -> str:
    start, end = resolve_period(period, today)
    span = f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
    code = period.get("relative")
    return f"{RELATIVE_PERIODS[code]} ({span})" if code else span


# --- definitions -------------------------------------------------------------------------------------


def _codes(errors: FieldErrors, data: dict, key: str, limit: int) -> list[str]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit or any(not isinstance(v, str) or len(v) > 40 for v in value):
        errors.add(key, _("Give a list of at most %(n)s codes.") % {"n": limit})
        return []
    if len(set(value)) != len(value):
        errors.add(key, _("Each may appear once."))
    return list(value)


def clean_definition(user, data) -> dict:
    """A definition as stored: validated and normalised. Raises FieldErrors (fields metrics, rows,
    columns, filters, period, chart), or Forbidden for a metric `user` may not see."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        raise FieldErrors.single("definition", _("The report definition is not valid."))
    metrics = _codes(errors, data, "metrics", 20)
    rows = _codes(errors, data, "rows", MAX_DIMENSIONS)
    columns = _codes(errors, data, "columns", MAX_DIMENSIONS)
    if not metrics and "metrics" not in errors.errors:
        errors.add("metrics", _("Drag at least one metric into the report."))
    unknown = [code for code in metrics if code not in semantic.METRICS or not semantic.METRICS[code].public]
    if unknown:
        errors.add("metrics", _("Unknown metric: %(codes)s.") % {"codes": ", ".join(unknown[:5])})
    bad = [code for code in rows + columns if code not in semantic.DIMENSIONS]
    if bad:
        errors.add("rows", _("Unknown dimension: %(codes)s.") % {"codes": ", ".join(bad[:5])})
    if len(rows) + len(columns) > MAX_DIMENSIONS:
        errors.add("columns", _("Use at most %(n)s dimensions in rows and columns together.") % {"n": MAX_DIMENSIONS})
    if set(rows) & set(columns):
        errors.add("columns", _("A dimension is either in the rows or in the columns."))
    grains = [code for code in rows + columns if code in semantic.DIMENSIONS and semantic.DIMENSIONS[code].grain]
    if len(grains) > 1:
        errors.add("rows", _("Choose one time grain."))

    filters = data.get("filters") or {}
    if not isinstance(filters, dict) or len(filters) > 10:
        errors.add("filters", _("Filter by at most 10 dimensions."))
        filters = {}
    clean_filters = {}
    for code, values in filters.items():
        if code not in semantic.DIMENSIONS or semantic.DIMENSIONS[code].grain:
            errors.add("filters", _("Unknown dimension: %(codes)s.") % {"codes": str(code)[:40]})
        elif (
            not isinstance(values, list)
            or not values
            or len(values) > semantic.MAX_FILTER_VALUES
            or any(not isinstance(v, str) or not v or len(v) > 64 for v in values)
        ):
            errors.add(
                "filters",
                _("Pick 1 to %(n)s values to filter “%(dimension)s” by.")
                % {"n": semantic.MAX_FILTER_VALUES, "dimension": semantic.DIMENSIONS[code].label},
            )
        else:
            clean_filters[code] = list(dict.fromkeys(values))

    period = data.get("period") or {}
    clean_period: dict = {}
    if not isinstance(period, dict):
        period = {}
    if period.get("relative"):
        if period["relative"] not in RELATIVE_PERIODS:
            errors.add("period", _("Choose a period from the list."))
        else:
            clean_period = {"relative": period["relative"]}
    else:
        try:
            start, end = date.fromisoformat(str(period.get("start"))), date.fromisoformat(str(period.get("end")))
        except ValueError:
            errors.add("period", _("Choose a period, or give the first and the last day."))
        else:
            if end < start:
                errors.add("period", _("The last day is before the first."))
            elif (end - start).days + 1 > semantic.MAX_RANGE_DAYS or start.year < 2000 or end.year > 2100:
                errors.add("period", _("The range is too long: at most ten years."))
            else:
                clean_period = {"start": start.isoformat(), "end": end.isoformat()}

    chart = data.get("chart") or "table"
    if chart not in CHART_TYPES:
        errors.add("chart", _("Choose a table, a pivot table, a bar, line, pie chart or a map."))
    elif chart == "pivot" and not columns:
        errors.add("columns", _("A pivot table needs a dimension in the columns."))
    elif chart in ("bar", "line", "pie") and not rows:
        errors.add("rows", _("A chart needs a dimension in the rows."))
    elif chart == "map" and (not rows or rows[0] not in MAP_DIMENSIONS):
        errors.add("rows", _("A map needs a macro region, a province or a city as its first row."))
    if errors.errors:
        raise errors
    for code in metrics:
        if not user.can(semantic.METRICS[code].permission):
            raise Forbidden(_("You may not see the metric “%(label)s”.") % {"label": semantic.METRICS[code].label})
    return {
        "metrics": metrics,
        "rows": rows,
        "columns": columns,
        "filters": clean_filters,
        "period": clean_period,
        "chart": chart,
    }


# --- who may open what -------------------------------------------------------------------------------


def may_build(user) -> bool:
    return user.is_authenticated and user.is_hq and user.can(PERMISSION) and user.can("analytics.view")


def visible_reports(user):
    """The reports `user` may open: its own and those shared with one of its HQ roles."""
    if not may_build(user):
        return SavedReport.objects.none()
    shared = Q()
    for role in user.hq_roles:
        shared |= Q(shared_roles__contains=[role]) if _json_contains() else Q(shared_roles__icontains=f'"{role}"')
    return SavedReport.objects.filter(Q(owner=user) | shared).select_related("owner")


def _json_contains() -> bool:
    from django.db import connection

    return connection.features.supports_json_field_contains


def may_open(user, report: SavedReport) -> bool:
    return may_build(user) and (report.owner_id == user.pk or bool(set(report.shared_roles) & set(user.hq_roles)))


def get_report(user, pk) -> SavedReport:
    """The report, if `user` may open it; NotFound otherwise (another user's unshared report is none
    of its business)."""
    try:
        report = SavedReport.objects.select_related("owner").get(pk=int(pk))
    except (SavedReport.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not may_open(user, report):
        raise NotFound()
    return report


def get_own_report(user, pk) -> SavedReport:
    """The report, to change it: its owner only (a viewer it is shared with gets Forbidden)."""
    report = get_report(user, pk)
    if report.owner_id != user.pk:
        raise Forbidden(_("Only the owner of a report may change it."))
    return report


# --- saving ------------------------------------------------------------------------------------------


def _clean_settings(owner, data: dict, errors: FieldErrors) -> dict:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.add("name", _("Give the report a name."))
    elif len(name.strip()) > MAX_NAME:
        errors.add("name", _("At most %(n)s characters.") % {"n": MAX_NAME})
    roles = data.get("shared_roles") or []
    if not isinstance(roles, list) or any(role not in HQRole.values for role in roles):
        errors.add("shared_roles", _("Share with HQ roles from the list."))
        roles = []
    schedule = data.get("schedule") or ReportSchedule.NONE
    weekday = data.get("schedule_weekday")
    day = data.get("schedule_day")
    if schedule not in ReportSchedule.values:
        errors.add("schedule", _("Choose weekly, monthly or not scheduled."))
    elif schedule == ReportSchedule.WEEKLY and (not isinstance(weekday, int) or not 0 <= weekday <= 6):
        errors.add("schedule_weekday", _("Choose the day of the week."))
    elif schedule == ReportSchedule.MONTHLY and (not isinstance(day, int) or not 1 <= day <= 28):
        errors.add("schedule_day", _("Choose a day of the month from 1 to 28."))
    recipient_ids = data.get("recipients") or []
    if not isinstance(recipient_ids, list) or len(recipient_ids) > MAX_RECIPIENTS:
        errors.add("recipients", _("At most %(n)s recipients.") % {"n": MAX_RECIPIENTS})
        recipient_ids = []
    from django.contrib.auth import get_user_model

    ids = [value for value in recipient_ids if isinstance(value, int) and 0 < value < 2**63]
    recipients = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    shared = set(roles)
    cannot = [
        user
        for user in recipients
        if user.pk != owner.pk and not (set(user.hq_roles) & shared and user.can(PERMISSION))
    ]
    if len(recipients) != len(set(recipient_ids)) or cannot:
        errors.add("recipients", _("Recipients must be users the report is shared with."))
    elif any(not user.email for user in recipients):
        errors.add("recipients", _("Every recipient needs an e-mail address."))
    if schedule != ReportSchedule.NONE and not recipients and "recipients" not in errors.errors:
        errors.add("recipients", _("A scheduled report needs at least one recipient."))
    return {
        "name": (name or "").strip(),
        "shared_roles": sorted(shared),
        "schedule": schedule,
        "schedule_weekday": weekday if schedule == ReportSchedule.WEEKLY else None,
        "schedule_day": day if schedule == ReportSchedule.MONTHLY else None,
        "recipients": recipients,
    }


@transaction.atomic
def save_report(user, data: dict, report: SavedReport | None = None) -> SavedReport:
    """Create (report None) or update `user`'s report from {name, definition, shared_roles,
    schedule, schedule_weekday, schedule_day, recipients: [user ids]}. Nothing changes on error."""
    if not may_build(user):
        raise Forbidden()
    if report is not None and report.owner_id != user.pk:
        raise Forbidden(_("Only the owner of a report may change it."))
    errors = FieldErrors()
    settings_ = _clean_settings(user, data, errors)
    try:
        definition = clean_definition(user, data.get("definition"))
    except FieldErrors as error:
        for key, messages in error.errors.items():
            for message in messages:
                errors.add(key, message)
        definition = None
    if report is None and SavedReport.objects.filter(owner=user).count() >= MAX_REPORTS:
        errors.add(
            "name", _("You have %(n)s saved reports, the most one may keep. Delete one first.") % {"n": MAX_REPORTS}
        )
    if errors.errors:
        raise errors
    recipients = settings_.pop("recipients")
    if report is None:
        report = SavedReport(owner=user)
    for key, value in settings_.items():
        setattr(report, key, value)
    report.definition = definition
    report.save()
    report.recipients.set(recipients)
    return report


def delete_report(user, report: SavedReport) -> None:
    if report.owner_id != user.pk:
        raise Forbidden(_("Only the owner of a report may change it."))
    report.delete()


def pin(user, report: SavedReport) -> None:
    if not may_open(user, report):
        raise NotFound()
    if ReportPin.objects.filter(user=user).count() >= MAX_PINS:
        raise FieldErrors.single("pin", _("Pin at most %(n)s reports to your workbench.") % {"n": MAX_PINS})
    ReportPin.objects.get_or_create(user=user, report=report)


def unpin(user, report: SavedReport) -> None:
    ReportPin.objects.filter(user=user, report=report).delete()


def pinned_reports(user) -> list[SavedReport]:
    """The reports `user` pinned and may still open, oldest pin first."""
    reports = [pin.report for pin in ReportPin.objects.filter(user=user).select_related("report")[:MAX_PINS]]
    return [report for report in reports if may_open(user, report)]


# --- running -----------------------------------------------------------------------------------------


@dataclass
class ReportResult:
    definition: dict
    start: date
    end: date
    result: semantic.Result | None  # None: no metric left the viewer may see
    omitted: list[str] = field(default_factory=list)  # labels of metrics the viewer may not see
    pivot: dict | None = None  # {"header": [...], "rows": [[...]]} for pivot tables

    @property
    def metric_columns(self) -> list[dict]:
        return [c for c in self.result.columns if c["kind"] == "metric"] if self.result else []

    @property
    def dimension_columns(self) -> list[dict]:
        return [c for c in self.result.columns if c["kind"] == "dimension"] if self.result else []

    def note(self) -> str:
        if not self.omitted:
            return ""
        return _("Left out, as your role may not see them: %(metrics)s.") % {"metrics": "、".join(self.omitted)}


def run(viewer, definition: dict, today: date, *, omit_forbidden: bool = True) -> ReportResult:
    """Run a (validated) definition as `viewer`: the viewer's scope and metric permissions.
    `omit_forbidden`: metrics the viewer may not see are left out (shared and scheduled reports);
    otherwise they are refused (Forbidden)."""
    if not may_build(viewer):
        raise Forbidden()
    start, end = resolve_period(definition["period"], today)
    metrics, omitted = [], []
    for code in definition["metrics"]:
        metric = semantic.METRICS.get(code)
        if metric is None or not metric.public:
            continue
        if viewer.can(metric.permission):
            metrics.append(code)
        elif omit_forbidden:
            omitted.append(str(metric.label))
        else:
            raise Forbidden(_("You may not see the metric “%(label)s”.") % {"label": metric.label})
    report = ReportResult(definition, start, end, None, omitted)
    if not metrics:
        return report
    dimensions = list(definition["rows"]) + list(definition["columns"])
    report.result = semantic.query(viewer, metrics, dimensions, definition["filters"], start, end)
    if definition["chart"] == "pivot":
        report.pivot = pivot(report.result, definition["rows"], definition["columns"])
    return report


def pivot(result: semantic.Result, rows: list[str], columns: list[str]) -> dict:
    """The result spread out: one line per combination of the row dimensions, one column per
    combination of the column dimensions × metric. Raises FieldErrors when too wide."""
    metrics = [c for c in result.columns if c["kind"] == "metric"]
    column_keys: dict[tuple, str] = {}
    lines: dict[tuple, dict] = {}
    for row in result.rows:
        column_key = tuple(row[code]["key"] for code in columns)
        column_keys.setdefault(column_key, " / ".join(row[code]["label"] or "—" for code in columns))
        line_key = tuple(row[code]["key"] for code in rows)
        line = lines.setdefault(line_key, {"labels": [row[code]["label"] or "—" for code in rows], "cells": {}})
        for metric in metrics:
            line["cells"][(column_key, metric["code"])] = row[metric["code"]]
    if len(column_keys) > MAX_PIVOT_COLUMNS:
        raise FieldErrors.single(
            "columns",
            _("Too many columns: at most %(n)s. Move a dimension to the rows or filter it.") % {"n": MAX_PIVOT_COLUMNS},
            code="too_large",
        )
    ordered = sorted(column_keys, key=lambda key: tuple("" if k is None else str(k) for k in key))
    header = [
        {
            "label": f"{column_keys[key]} · {metric['label']}" if len(metrics) > 1 else column_keys[key],
            "format": metric["format"],
        }
        for key in ordered
        for metric in metrics
    ]
    body = [
        {"labels": line["labels"], "cells": [line["cells"].get((key, m["code"])) for key in ordered for m in metrics]}
        for _key, line in sorted(lines.items(), key=lambda item: tuple("" if k is None else str(k) for k in item[0]))
    ]
    dimension_labels = [str(semantic.DIMENSIONS[code].label) for code in rows]
    return {"dimensions": dimension_labels, "header": header, "rows": body}


# --- charts ------------------------------------------------------------------------------------------


def _number(value):
    return value if value is not None else 0


def chart_option(report: ReportResult, title: str = "") -> dict | None:
    """An ECharts option of the report (drawn by charts.js through the {% chart %} tag); tables and
    pivots are drawn as bars of their first row dimension on the workbench."""
    if report.result is None or not report.result.rows:
        return None
    definition = report.definition
    rows = definition["rows"] or [c["code"] for c in report.dimension_columns][:1]
    if not rows:
        return None
    metrics = report.metric_columns
    categories, seen = [], {}
    for row in report.result.rows:
        label = " / ".join(row[code]["label"] or "—" for code in rows)
        if label not in seen:
            seen[label] = len(categories)
            categories.append(label)
    chart = definition["chart"]
    option: dict = {"tooltip": {"trigger": "item" if chart == "pie" else "axis"}}
    if title:
        option["title"] = {"text": title, "left": "center", "textStyle": {"fontSize": 13}}
    first = metrics[0]["code"]
    if chart == "pie":
        totals = [0] * len(categories)
        for row in report.result.rows:
            totals[seen[" / ".join(row[code]["label"] or "—" for code in rows)]] += _number(row[first])
        option["series"] = [
            {
                "type": "pie",
                "name": metrics[0]["label"],
                "radius": ["35%", "65%"],
                "data": [{"name": name, "value": value} for name, value in zip(categories, totals, strict=True)],
            }
        ]
        return option
    columns = definition["columns"]
    series = []
    if columns:  # one series per column combination, of the first metric
        names: dict[str, list] = {}
        for row in report.result.rows:
            name = " / ".join(row[code]["label"] or "—" for code in columns)
            values = names.setdefault(name, [0] * len(categories))
            values[seen[" / ".join(row[code]["label"] or "—" for code in rows)]] += _number(row[first])
        series = [{"name": name, "data": values} for name, values in names.items()]
    else:
        for metric in metrics:
            values = [0] * len(categories)
            for row in report.result.rows:
                values[seen[" / ".join(row[code]["label"] or "—" for code in rows)]] += _number(row[metric["code"]])
            series.append({"name": metric["label"], "data": values})
    kind = "line" if chart == "line" else "bar"
    for entry in series:
        entry["type"] = kind
    option["legend"] = {"bottom": 0, "type": "scroll"}
    option["grid"] = {"left": 8, "right": 16, "top": 36 if title else 16, "bottom": 40, "containLabel": True}
    if chart == "map":  # regions ranked, largest first (see MAP_DIMENSIONS)
        order = sorted(range(len(categories)), key=lambda i: series[0]["data"][i])
        option["yAxis"] = {"type": "category", "data": [categories[i] for i in order]}
        option["xAxis"] = {"type": "value"}
        for entry in series:
            entry["data"] = [entry["data"][i] for i in order]
    else:
        option["xAxis"] = {"type": "category", "data": categories}
        option["yAxis"] = {"type": "value"}
    option["series"] = series
    return option


# --- spreadsheets ------------------------------------------------------------------------------------

FORMATS = {"money": "#,##0.00", "ratio": "0.00%", "count": "#,##0", "days": "0.0"}


def workbook(report: ReportResult, name: str) -> bytes:
    """The report as an .xlsx (core.spreadsheets): a title, the period, a note on metrics left
    out, then the table (or the pivot)."""
    from qudao.core.spreadsheets import Spreadsheet

    book = Spreadsheet()
    sheet = book.sheet(name or _("Report"))
    sheet.append([name], bold=True, size=13)
    sheet.append([_("Period"), f"{report.start:%Y-%m-%d} – {report.end:%Y-%m-%d}"])
    if report.omitted:
        sheet.append([report.note()])
    sheet.append([])
    if report.result is None:
        sheet.append([_("No metric of this report is one your role may see.")])
        return book.to_bytes()
    if report.pivot is not None:
        dims = report.pivot["dimensions"]
        sheet.append([*dims, *(column["label"] for column in report.pivot["header"])], bold=True)
        offset = len(dims)
        formats = {offset + i: FORMATS.get(c["format"]) for i, c in enumerate(report.pivot["header"])}
        for line in report.pivot["rows"]:
            sheet.append([*line["labels"], *line["cells"]], formats=formats)
    else:
        dims, metrics = report.dimension_columns, report.metric_columns
        sheet.append([c["label"] for c in dims + metrics], bold=True)
        formats = {len(dims) + i: FORMATS.get(c["format"]) for i, c in enumerate(metrics)}
        for row in report.result.rows:
            sheet.append([row[c["code"]]["label"] for c in dims] + [row[c["code"]] for c in metrics], formats=formats)
    sheet.widths([18] * 12)
    return book.to_bytes()


# --- schedules ---------------------------------------------------------------------------------------


def due_reports(today: date):
    """The scheduled reports due `today` and not yet sent today."""
    due = Q(schedule=ReportSchedule.WEEKLY, schedule_weekday=today.weekday()) | Q(
        schedule=ReportSchedule.MONTHLY, schedule_day=today.day
    )
    return (
        SavedReport.objects.filter(due)
        .exclude(last_sent_on=today)
        .select_related("owner")
        .prefetch_related("recipients")
    )


def send_scheduled_reports(today: date) -> int:
    """E-mail every report due today to each recipient, run as that recipient (its scope, its
    metric permissions: a metric it may no longer see is replaced by a note). A recipient who may
    no longer open the report gets nothing. Returns the number of e-mails sent."""
    from django.core.mail import EmailMessage
    from django.utils import translation

    from qudao.core import branding

    sent = 0
    for report in due_reports(today):
        for recipient in report.recipients.all():
            if not recipient.email or not may_open(recipient, report):
                continue
            with translation.override(getattr(recipient, "language", None) or translation.get_language()):
                try:
                    result = run(recipient, report.definition, today)
                    attachment = workbook(result, report.name)
                except DomainError as error:  # too large, no longer fits the layer, a filter out of scope
                    messages = getattr(error, "errors", {}).values()
                    body = _("The report “%(name)s” could not be run: %(error)s") % {
                        "name": report.name,
                        "error": "; ".join(str(m) for group in messages for m in group) or str(error.detail),
                    }
                    attachment = None
                else:
                    body = _("The report “%(name)s” for %(period)s is attached.") % {
                        "name": report.name,
                        "period": period_label(report.definition["period"], today),
                    }
                    if result.omitted:
                        body += "\n\n" + result.note()
                subject = _("Report: %(name)s") % {"name": report.name}
            message = EmailMessage(subject, body, branding.sender(), [recipient.email])
            if attachment is not None:
                message.attach(
                    f"report-{report.pk}-{today:%Y%m%d}.xlsx",
                    attachment,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
            message.send()
            sent += 1
        SavedReport.objects.filter(pk=report.pk).update(last_sent_on=today)
    return sent
