"""Pages of the report builder (拖拽报表, docs/reports.md): parse, authorise, call reports.py, render.

/analytics/reports/                 the reports the user may open (own, shared with its roles)
/analytics/reports/new/             the builder; POST saves a new report
/analytics/reports/<id>/            the builder on a saved report (its owner saves changes; a viewer
                                    it is shared with sees it run as itself and may save a copy)
/analytics/reports/preview/         POST: the result fragment the builder's script asks for
/analytics/reports/values/          GET: the values a filter may pick (JSON), in the user's scope
/analytics/reports/<id>/export.xlsx the report, run as the user, as .xlsx
/analytics/reports/<id>/pin/        POST: pin to / unpin from the user's workbench
/analytics/reports/<id>/delete/     POST: its owner deletes it
"""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.accounts.roles import HQRole
from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.core.exports import XLSX_CONTENT_TYPE
from qudao.core.pages import hq_page

from . import reports, semantic
from .models_reports import ReportPin, ReportSchedule

PERMISSION = reports.PERMISSION
WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]
FIELD_LABELS = {
    "metrics": gettext_lazy("Metrics"),
    "rows": gettext_lazy("Rows"),
    "columns": gettext_lazy("Columns"),
    "filters": gettext_lazy("Filters"),
    "period": gettext_lazy("Period"),
    "chart": gettext_lazy("Chart"),
    "end": gettext_lazy("Period"),
    "start": gettext_lazy("Period"),
    "dimensions": gettext_lazy("Rows"),
    "definition": gettext_lazy("Report"),
    "pin": gettext_lazy("Workbench"),
    "name": gettext_lazy("Name"),
    "shared_roles": gettext_lazy("Share with roles"),
    "schedule": gettext_lazy("Schedule"),
    "schedule_weekday": gettext_lazy("On (weekly)"),
    "schedule_day": gettext_lazy("On day (monthly)"),
    "recipients": gettext_lazy("Recipients"),
}


def _report_or_404(user, pk):
    try:
        return reports.get_report(user, pk)
    except NotFound:
        raise Http404() from None


def _small_int(value):
    """A form's whole number, or the text as given (the service then says what is wrong)."""
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else (value or None)


def _definition_from(text: str):
    if not text or len(text) > 20_000:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _form_data(request) -> dict:
    post = request.POST
    return {
        "name": post.get("name", "")[:200],
        "definition": _definition_from(post.get("definition", "")),
        "shared_roles": post.getlist("shared_roles")[:10],
        "schedule": post.get("schedule") or ReportSchedule.NONE,
        "schedule_weekday": _small_int(post.get("schedule_weekday")),
        "schedule_day": _small_int(post.get("schedule_day")),
        "recipients": [_small_int(value) for value in post.getlist("recipients")[:60]],
    }


def _errors(error: FieldErrors) -> list[str]:
    return [
        f"{FIELD_LABELS.get(key.split('.')[0], key)}: {message}"
        for key, messages_ in error.errors.items()
        for message in messages_
    ]


def _for_viewer(user, definition: dict) -> dict:
    """The definition as the builder shows it to `user`: metrics it may not see taken out."""
    visible = {metric.code for metric in semantic.metrics_for(user)}
    return definition | {"metrics": [code for code in definition.get("metrics", []) if code in visible]}


def _candidates():
    """HQ users who may receive scheduled reports (the service checks the report is shared with them)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role_assignments__isnull=False)
        .exclude(email="")
        .distinct()
        .order_by("display_name", "username")[:300]
    )


def _run_context(user, definition: dict, today, *, saved: bool = False) -> dict:
    """The result part of the page: the report run as `user`, or the errors why not. `saved`: a
    definition validated when it was saved, run as a viewer (metrics it may not see left out)."""
    try:
        clean = definition if saved else reports.clean_definition(user, definition)
        result = reports.run(user, clean, today)
        option = reports.chart_option(result) if clean["chart"] not in ("table", "pivot") else None
    except FieldErrors as error:
        return {"errors": _errors(error)}
    except Forbidden as error:
        return {"errors": [str(error.detail)]}
    except NotFound:  # a partner filter outside the user's scope (the semantic layer's 404)
        return {"errors": [_("A filter names a partner outside your scope.")]}
    return {"result": result, "option": option, "chart": clean["chart"]}


def _builder(request, report=None, *, data=None, errors=None, status=200):
    user = request.user
    today = timezone.localdate()
    is_owner = report is None or report.owner_id == user.pk
    default = {"metrics": [], "rows": [], "columns": [], "filters": {}, "period": {"relative": "this_month"}}
    definition = (data or {}).get("definition") if data else None
    if not isinstance(definition, dict):
        definition = report.definition if report else default | {"chart": "table"}
    context = {
        "report": report,
        "is_owner": is_owner,
        "pinned": report is not None and ReportPin.objects.filter(user=user, report=report).exists(),
        "metrics": semantic.metrics_for(user),
        "dimensions": semantic.DIMENSIONS_LIST,
        "definition": _for_viewer(user, definition),
        "charts": list(reports.CHART_LABELS.items()),
        "periods": list(reports.RELATIVE_PERIODS.items()),
        "roles": HQRole.choices,
        "schedules": ReportSchedule.choices,
        "weekdays": WEEKDAYS,
        "days": range(1, 29),
        "candidates": _candidates() if is_owner else [],
        "form": data
        or (
            {
                "name": report.name,
                "shared_roles": report.shared_roles,
                "schedule": report.schedule,
                "schedule_weekday": report.schedule_weekday,
                "schedule_day": report.schedule_day,
                "recipients": [u.pk for u in report.recipients.all()],
            }
            if report
            else {"name": "", "shared_roles": [], "schedule": "none", "recipients": []}
        ),
        "save_errors": errors or [],
        "today": today,
    }
    if report is not None or data:
        if is_owner:
            context |= _run_context(user, definition, today)
        else:
            context |= _run_context(user, report.definition, today, saved=True)
        if report is not None and not is_owner and context.get("result") is not None:
            context["period_label"] = reports.period_label(report.definition["period"], today)
    return render(request, "analytics/reports/builder.html", context, status=status)


@require_GET
@hq_page(PERMISSION)
def report_list(request):
    user = request.user
    rows = list(reports.visible_reports(user).order_by("name", "pk"))
    pinned = set(ReportPin.objects.filter(user=user).values_list("report_id", flat=True))
    context = {"rows": rows, "pinned": pinned, "new_url": reverse("analytics:report_new")}
    return render(request, "analytics/reports/list.html", context)


@require_http_methods(["GET", "POST"])
@hq_page(PERMISSION)
def report_new(request):
    if request.method == "GET":
        return _builder(request)
    data = _form_data(request)
    try:
        report = reports.save_report(request.user, data)
    except FieldErrors as error:
        return _builder(request, data=data, errors=_errors(error), status=422)
    except Forbidden as error:
        return _builder(request, data=data, errors=[str(error.detail)], status=403)
    messages.success(request, _("Report “%(name)s” saved.") % {"name": report.name})
    return redirect("analytics:report", pk=report.pk)


@require_http_methods(["GET", "POST"])
@hq_page(PERMISSION, partner_users="404")
def report_detail(request, pk):
    report = _report_or_404(request.user, pk)
    if request.method == "GET":
        return _builder(request, report)
    if report.owner_id != request.user.pk:
        raise Http404()  # a viewer saves a copy through report_new
    data = _form_data(request)
    try:
        reports.save_report(request.user, data, report)
    except FieldErrors as error:
        return _builder(request, report, data=data, errors=_errors(error), status=422)
    except Forbidden as error:
        return _builder(request, report, data=data, errors=[str(error.detail)], status=403)
    messages.success(request, _("Report “%(name)s” saved.") % {"name": report.name})
    return redirect("analytics:report", pk=report.pk)


@require_POST
@hq_page(PERMISSION)
def report_preview(request):
    definition = _definition_from(request.POST.get("definition", ""))
    context = _run_context(request.user, definition if isinstance(definition, dict) else None, timezone.localdate())
    return render(request, "analytics/reports/_result.html", context)


@require_GET
@hq_page(PERMISSION)
def report_values(request):
    """The values a filter on `dimension` may pick: those with sales in the period, in the user's
    scope (so a regional manager never sees another region's partners here)."""
    code = request.GET.get("dimension", "")
    dimension = semantic.DIMENSIONS.get(code)
    if dimension is None or dimension.grain:
        return JsonResponse({"detail": _("Unknown dimension: %(codes)s.") % {"codes": code[:40]}}, status=422)
    today = timezone.localdate()
    if request.GET.get("start") or request.GET.get("end"):
        period = {"start": request.GET.get("start", "")[:10], "end": request.GET.get("end", "")[:10]}
    else:
        period = {"relative": request.GET.get("relative") or "last_12_months"}
    try:  # the builder's own period rules (bounded range, real dates)
        period = reports.clean_definition(request.user, {"metrics": ["orders"], "period": period})["period"]
    except FieldErrors as error:
        return JsonResponse({"detail": " ".join(_errors(error))}, status=422)
    start, end = reports.resolve_period(period, today)
    metric = "orders" if dimension.needs in ("", "sku", "promotion") else "gross_sales"
    try:
        result = semantic.query(request.user, [metric], [code], {}, start, end)
    except (FieldErrors, Forbidden) as error:
        return JsonResponse({"detail": str(error.detail)}, status=422)
    values = [
        {"key": row[code]["key"], "label": row[code]["label"] or row[code]["key"]}
        for row in result.rows
        if row[code]["key"] not in (None, "")
    ]
    return JsonResponse({"values": values})


@require_GET
@hq_page(PERMISSION, partner_users="404")
def report_export(request, pk):
    report = _report_or_404(request.user, pk)
    try:
        result = reports.run(request.user, report.definition, timezone.localdate())
    except FieldErrors as error:
        messages.error(request, " ".join(_errors(error)))
        return redirect("analytics:report", pk=report.pk)
    except NotFound:
        messages.error(request, _("A filter names a partner outside your scope."))
        return redirect("analytics:report", pk=report.pk)
    response = HttpResponse(reports.workbook(result, report.name), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.xlsx"'
    return response


@require_POST
@hq_page(PERMISSION, partner_users="404")
def report_pin(request, pk):
    report = _report_or_404(request.user, pk)
    if ReportPin.objects.filter(user=request.user, report=report).exists():
        reports.unpin(request.user, report)
        messages.success(request, _("Unpinned from your workbench."))
    else:
        try:
            reports.pin(request.user, report)
        except FieldErrors as error:
            messages.error(request, " ".join(_errors(error)))
        else:
            messages.success(request, _("Pinned to your workbench."))
    return redirect("analytics:report", pk=report.pk)


@require_POST
@hq_page(PERMISSION, partner_users="404")
def report_delete(request, pk):
    report = _report_or_404(request.user, pk)
    try:
        reports.delete_report(request.user, report)
    except Forbidden:
        raise Http404() from None
    messages.success(request, _("Report deleted."))
    return redirect("analytics:reports")
