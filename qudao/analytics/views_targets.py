"""Pages of targets: HQ under /analytics/targets/..., the partner portal at /portal/targets/.
They parse, authorise and call qudao.analytics.targets; no rule lives here."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.catalog.models import ProductLine
from qudao.core.errors import Conflict, FieldErrors, NotFound
from qudao.core.money import SUPPORTED_CURRENCIES
from qudao.core.pages import hq_page, paginate
from qudao.partners.views_portal import partner_portal

from . import targets as services
from .models import COUNT_METRICS, Target, TargetLevel, TargetMetric, TargetPeriod, TargetPlan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEVEL_ORDER = {TargetLevel.BRAND: 0, TargetLevel.REGION: 1, TargetLevel.OWNER: 2, TargetLevel.PARTNER: 3}


def _plan(pk) -> TargetPlan:
    try:
        return services.get_plan(pk)
    except NotFound:
        raise Http404 from None


def _messages_of(error: FieldErrors) -> list[str]:
    return [str(message) for messages_ in error.errors.values() for message in messages_]


@require_GET
@hq_page("targets.view")
def plan_list_view(request):
    status = request.GET.get("status") or ""
    rows = TargetPlan.objects.select_related("product_line").order_by("-year", "code", "-version")
    if status in TargetPlan.Status.values:
        rows = rows.filter(status=status)
    page = paginate(request, rows)
    return render(
        request,
        "analytics/targets/plan_list.html",
        {"page": page, "rows": page.object_list, "status": status, "statuses": TargetPlan.Status.choices},
    )


@require_http_methods(["GET", "POST"])
@hq_page("targets.manage")
def plan_new_view(request):
    data = {"year": timezone.localdate().year, "metric": TargetMetric.NET_SALES_SHIPPED, "currency": "CNY"}
    errors: dict = {}
    if request.method == "POST":
        data = {
            key: request.POST.get(key, "").strip()
            for key in ("code", "name", "year", "metric", "product_line", "currency", "amount")
        }
        try:
            plan = services.create_plan(data={**data, "product_line": data["product_line"] or None}, actor=request.user)
        except FieldErrors as error:
            errors = {key: [str(m) for m in ms] for key, ms in error.errors.items()}
        else:
            messages.success(request, _("Plan created: break the brand's target down."))
            return redirect("analytics:target_plan", plan.pk)
    return render(
        request,
        "analytics/targets/plan_form.html",
        {
            "data": data,
            "errors": errors,
            "metrics": TargetMetric.choices,
            "product_lines": ProductLine.objects.order_by("path"),
            "currencies": SUPPORTED_CURRENCIES,
        },
        status=422 if errors else 200,
    )


def _period_choices(plan: TargetPlan) -> list[tuple[str, str]]:
    cells = Target.objects.filter(plan=plan).values_list("period_kind", "period_start").distinct()
    order = {TargetPeriod.YEAR: 0, TargetPeriod.QUARTER: 1, TargetPeriod.MONTH: 2}
    ordered = sorted(set(cells), key=lambda cell: (order[cell[0]], cell[1]))
    return [(f"{kind}:{start.isoformat()}", services.period_label(kind, start)) for kind, start in ordered]


def _chosen_period(request, plan: TargetPlan, choices) -> tuple[str, date]:
    value = request.GET.get("period") or ""
    if value in {key for key, _label in choices}:
        kind, start = value.split(":")
        return kind, parse_date(start)
    return TargetPeriod.YEAR, date(plan.year, 1, 1)


def tree_rows(plan: TargetPlan, user, kind: str, start: date, today: date) -> list[dict]:
    """The rows of one period the user may see, in tree order (brand, each region with its owners
    and partners below it), with their depth."""
    targets = services.visible_targets(user, plan).filter(period_kind=kind, period_start=start)
    rows = services.attainment_rows(plan, targets, today)
    by_parent: dict = {}
    pks = {row.target.pk for row in rows}
    for row in rows:
        parent = row.target.parent_id if row.target.parent_id in pks else None
        by_parent.setdefault(parent, []).append(row)
    out: list[dict] = []

    def walk(parent, depth):
        children = sorted(by_parent.get(parent, []), key=lambda r: (LEVEL_ORDER[r.target.level], r.target.subject_name))
        for row in children:
            out.append({"row": row, "depth": min(depth, 3)})
            walk(row.target.pk, depth + 1)

    walk(None, 0)
    return out


@require_GET
@hq_page("targets.view", partner_users="404")
def plan_detail_view(request, plan_id):
    plan = _plan(plan_id)
    choices = _period_choices(plan)
    kind, start = _chosen_period(request, plan, choices)
    today = timezone.localdate()
    return render(
        request,
        "analytics/targets/plan_detail.html",
        {
            "plan": plan,
            "counts": plan.metric in COUNT_METRICS,
            "periods": choices,
            "period": f"{kind}:{start.isoformat()}",
            "period_label": services.period_label(kind, start),
            "rows": tree_rows(plan, request.user, kind, start, today),
            "today": today,
            "band": services.STATUS_BAND,
            "can_manage": request.user.can("targets.manage"),
            "versions": TargetPlan.objects.filter(code=plan.code).order_by("-version"),
            # the rows that do not sum name every subject: shown to those who write plans (who
            # see every target), never to a regional manager reading a draft
            "problems": _messages_of(services.check_plan(plan))
            if plan.editable and request.user.can("targets.manage")
            else [],
        },
    )


def _into_choices(target: Target) -> list[tuple[str, str]]:
    choices = []
    if target.period_kind == TargetPeriod.YEAR:
        choices += [
            ("quarters", services.INTO_LABELS["quarters"]),
            ("quarters_and_months", services.INTO_LABELS["quarters_and_months"]),
        ]
    if target.period_kind == TargetPeriod.QUARTER:
        choices.append(("months", services.INTO_LABELS["months"]))
    for level in services.CHILD_LEVELS.get(target.level, ()):
        into = {TargetLevel.REGION: "regions", TargetLevel.OWNER: "owners", TargetLevel.PARTNER: "partners"}[level]
        choices.append((into, services.INTO_LABELS[into]))
    return choices


def _children(target: Target, into: str) -> list[tuple[str, str]]:
    """(key, name) of the children a breakdown would make by default: periods or subjects."""
    if into == "quarters":
        return [
            (s.isoformat(), services.period_label(TargetPeriod.QUARTER, s))
            for s in services.quarter_starts(target.period_start.year)
        ]
    if into == "months":
        return [
            (s.isoformat(), services.period_label(TargetPeriod.MONTH, s))
            for s in services.month_starts(target.period_start)
        ]
    if into not in services.INTO_LEVELS:
        return []
    level = services.INTO_LEVELS[into]
    if level not in services.CHILD_LEVELS.get(target.level, ()):
        return []
    ids = services._default_children(target, level)
    names = {}
    if level == TargetLevel.PARTNER:
        from qudao.partners.models import Partner

        names = {p.pk: p.short_name or p.legal_name for p in Partner.objects.filter(pk__in=ids)}
    elif level == TargetLevel.REGION:
        from qudao.core.models import Region

        names = {r.pk: r.display_name for r in Region.objects.filter(pk__in=ids)}
    else:
        from django.contrib.auth import get_user_model

        names = {u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=ids)}
    return [(str(i), names.get(i, "")) for i in ids]


@require_http_methods(["GET", "POST"])
@hq_page("targets.manage", partner_users="404")
def breakdown_view(request, plan_id, target_id):
    plan = _plan(plan_id)
    target = Target.objects.select_related("region", "owner", "partner").filter(plan=plan, pk=target_id).first()
    if target is None:
        raise Http404
    choices = _into_choices(target)
    source = request.POST if request.method == "POST" else request.GET
    into = source.get("into") or (choices[0][0] if choices else "")
    method = source.get("method") or services.Method.EVEN
    children = _children(target, into)
    errors: dict = {}
    values = {key: source.get(f"amount_{key}", "") for key, _name in children}
    if request.method == "GET" and method == services.Method.BY_HAND and children:
        # start the grid from the even split, which sums: the user moves amounts between rows
        even = services.split(target.amount, [services.WHOLE] * len(children), services.unit_of(plan))
        values = {key: str(amount) for (key, _name), amount in zip(children, even, strict=True)}
    if request.method == "POST":
        chosen = [key for key, _name in children if source.get(f"use_{key}")] if into in services.INTO_LEVELS else None
        amounts = (
            {key: values[key] for key in (chosen or [k for k, _n in children])}
            if method == services.Method.BY_HAND
            else None
        )
        try:
            services.break_down(
                target=target, into=into, method=method, subjects=chosen, amounts=amounts, actor=request.user
            )
        except FieldErrors as error:
            errors = {key: [str(m) for m in ms] for key, ms in error.errors.items()}
        except Conflict as error:
            messages.error(request, str(error.detail))
            return redirect("analytics:target_plan", plan.pk)
        else:
            messages.success(request, _("Broken down."))
            return redirect("analytics:target_plan", plan.pk)
    rows = [
        {"key": key, "name": name, "value": values.get(key, ""), "errors": errors.get(f"amounts.{key}", [])}
        for key, name in children
    ]
    return render(
        request,
        "analytics/targets/breakdown.html",
        {
            "plan": plan,
            "target": target,
            "target_period": services.period_label(target.period_kind, target.period_start),
            "target_text": services._amount_text(plan, target.amount),
            "into": into,
            "into_choices": choices,
            "method": method,
            "methods": [(key, services.METHOD_LABELS[key]) for key in services.Method.ALL],
            "children": rows,
            "by_subject": into in services.INTO_LEVELS,
            "errors": errors,
            "other_errors": [m for key, ms in errors.items() if not key.startswith("amounts.") for m in ms],
        },
        status=422 if errors else 200,
    )


def _action(request, plan_id, call, done: str):
    plan = _plan(plan_id)
    try:
        result = call(plan)
    except FieldErrors as error:
        for text in _messages_of(error):
            messages.error(request, text)
        return redirect("analytics:target_plan", plan.pk)
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("analytics:target_plan", plan.pk)
    messages.success(request, done)
    return redirect("analytics:target_plan", result.pk)


@require_POST
@hq_page("targets.manage", partner_users="404")
def submit_view(request, plan_id):
    return _action(request, plan_id, lambda plan: services.submit_plan(plan=plan, actor=request.user), _("Submitted."))


@require_POST
@hq_page("targets.manage", partner_users="404")
def spread_view(request, plan_id):
    method = request.POST.get("method") or services.Method.LAST_YEAR
    return _action(
        request,
        plan_id,
        lambda plan: (services.break_down_every_year(plan=plan, method=method, actor=request.user), plan)[1],
        _("Every year is broken down into quarters and months."),
    )


@require_POST
@hq_page("targets.manage", partner_users="404")
def roll_up_view(request, plan_id):
    return _action(request, plan_id, lambda plan: services.roll_up(plan=plan, actor=request.user), _("Rolled up."))


@require_POST
@hq_page("targets.manage", partner_users="404")
def version_view(request, plan_id):
    return _action(
        request, plan_id, lambda plan: services.new_version(plan=plan, actor=request.user), _("New version created.")
    )


@require_GET
@hq_page("targets.view", partner_users="404")
def export_view(request, plan_id):
    """The plan's targets the user may see, with actuals and attainment today, as .xlsx."""
    plan = _plan(plan_id)
    body = export_xlsx(plan, request.user, timezone.localdate())
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="targets-{plan.code}-v{plan.version}.xlsx"'
    return response


def export_xlsx(plan: TargetPlan, user, today: date) -> bytes:
    """The header on the first row (the file goes back in through targets_import: level, code,
    period and target are its columns), the plan's facts on a second sheet."""
    from qudao.core.spreadsheets import Spreadsheet

    from .targets_import import COLUMNS, period_code, subject_code

    rows = services.attainment_rows(plan, services.visible_targets(user, plan), today)
    workbook = Spreadsheet()
    sheet = workbook.sheet(_("Targets"))
    labels = {column.key: column.label() for column in COLUMNS}
    sheet.append(
        [
            labels["level"],
            labels["code"],
            pgettext("analytics", "Subject"),
            labels["period"],
            labels["target"],
            _("Actual"),
            _("Attainment (%)"),
            _("Time elapsed (%)"),
            _("Status"),
        ],
        bold=True,
    )
    number = "#,##0" if plan.metric in COUNT_METRICS else "#,##0.00"
    for row in rows:
        t = row.target
        sheet.append(
            [
                str(t.get_level_display()),
                subject_code(t),
                t.subject_name,
                period_code(t.period_kind, t.period_start),
                t.amount,
                row.actual,
                row.attainment if row.attainment is not None else "",
                row.elapsed,
                row.status_label,
            ],
            formats={4: number, 5: number, 6: "0.0", 7: "0.0"},
        )
    sheet.widths((10, 14, 28, 10, 16, 16, 14, 14, 10))
    facts = workbook.sheet(_("Plan"))
    for label, value in (
        (_("Code"), plan.code),
        (_("Version"), plan.version),
        (_("Name"), plan.name),
        (_("Metric"), str(plan.get_metric_display())),
        (_("Currency"), plan.currency),
        (_("As of"), today.isoformat()),
    ):
        facts.append([label, value])
    return workbook.to_bytes()


# --- the portal -------------------------------------------------------------------------------------


@require_GET
@partner_portal
def portal_targets_view(request):
    """The partner's own approved targets and attainment (its users: targets.view_own)."""
    if not request.user.can("targets.view_own"):
        raise Http404
    today = timezone.localdate()
    plans = services.partner_rows(request.partner, today)
    return render(
        request,
        "analytics/targets/portal.html",
        {
            "partner": request.partner,
            "is_partner_admin": request.partner_admin,
            "is_distributor": request.partner.is_distributor,
            "section": "me",
            "plans": [{"plan": plan, "rows": rows, "counts": plan.metric in COUNT_METRICS} for plan, rows in plans],
            "today": today,
        },
    )
