"""HQ pages of rebates: policies (list, new, edit, detail with submit and next version), runs (list,
new -> preview with its lines, approve, post) and a line's explanation with what it counted; the
partner portal's rebates. Views parse, authorise, call one service or selector and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.catalog.models import ProductLine
from qudao.core import display, jobs
from qudao.core import exports as list_exports
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.numbers import parse_id
from qudao.core.pages import hq_page, paginate
from qudao.partners.models import PartnerType
from qudao.partners.services import partner_name, tier_name
from qudao.partners.views_portal import partner_portal

from . import engine, exports, selectors, services
from . import runs as run_services
from .models import BasisKind, RebatePolicy, RebateRun
from .ratios import is_ratio


def _run_result(job) -> jobs.JobResult:
    number = (job.result or {})["run"]
    return jobs.JobResult(reverse("rebates:run", args=[number]), _("Open run %(number)s") % {"number": number})


# a computed run, and a posted one, end on the run's page
jobs.register_result("rebate_run", _run_result, title=gettext_lazy("Compute a rebate run"))
jobs.register_result("rebate_post", _run_result, title=gettext_lazy("Post a rebate run"))

TIER_ROWS = 6


def _get(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None


def _require(request, permission: str) -> None:
    if not request.user.can(permission):
        raise PermissionDenied


# --- policies ------------------------------------------------------------------------------------


@require_GET
@hq_page("rebates.view")
def policy_list_view(request):
    status = request.GET.get("status") or ""
    page = paginate(request, selectors.policies(request.user, status=status))
    return render(
        request,
        "rebates/policy_list.html",
        {"page": page, "rows": page.object_list, "status": status, "statuses": RebatePolicy.Status.choices},
    )


def _errors(error: FieldErrors) -> dict:
    return {key: [str(message) for message in messages_] for key, messages_ in error.errors.items()}


@require_http_methods(["GET", "POST"])
@hq_page("rebates.manage")
def policy_new_view(request):
    from . import policy_form as form

    if request.method == "POST":
        data = form.form_data(request.POST, request.user)
        try:
            form.check_pickers(data)
            policy = services.create_policy(data=form.service_data(data), actor=request.user)
        except FieldErrors as error:
            context = form.form_context(data, _errors(error), blank_rows=TIER_ROWS, user=request.user)
            return render(request, "rebates/policy_form.html", context, status=422)
        messages.success(request, _("Policy %(code)s saved as a draft.") % {"code": policy.code})
        return redirect("rebates:policy", policy.pk)
    initial = {"period_kind": "quarter", "tier_style": "retrospective", "returns_count_in": "shipment_period"}
    context = form.form_context(initial, blank_rows=TIER_ROWS, user=request.user)
    return render(request, "rebates/policy_form.html", context)


@require_http_methods(["GET", "POST"])
@hq_page("rebates.manage", partner_users="404")
def policy_edit_view(request, policy_id):
    from . import policy_form as form

    policy = _get(selectors.get_policy, request.user, policy_id)
    if request.method == "POST":
        data = form.form_data(request.POST, request.user)
        data.pop("code", None)
        try:
            form.check_pickers(data, instance=policy)
            services.update_policy(policy=policy, data=form.service_data(data), actor=request.user)
        except FieldErrors as error:
            context = form.form_context(data, _errors(error), policy, blank_rows=TIER_ROWS, user=request.user)
            return render(request, "rebates/policy_form.html", context, status=422)
        except Conflict as error:
            messages.error(request, str(error.detail))
        return redirect("rebates:policy", policy.pk)
    if not policy.is_editable:
        messages.error(request, _("Only a draft can be changed. Write the policy's next version instead."))
        return redirect("rebates:policy", policy.pk)
    context = form.form_context(form.policy_data(policy), policy=policy, blank_rows=TIER_ROWS, user=request.user)
    return render(request, "rebates/policy_form.html", context)


@require_POST
@hq_page("rebates.manage", partner_users="404")
def policy_preview_view(request):
    """The policy form's live preview (htmx posts the whole form here as it changes): what the
    partners it targets, among those the user may see, would have earned in the last complete
    period. Writes nothing (qudao.rebates.preview); the fields it still needs are listed."""
    from . import policy_form as form
    from . import preview

    data = form.form_data(request.POST, request.user, typed=False)
    context = {"errors": {}, "preview": None}
    try:
        context["preview"] = preview.preview_policy(user=request.user, data=form.service_data(data))
    except FieldErrors as error:
        context["error_summary"] = form.summary(form.on_rows(_errors(error), data["tier_rows"]))
    return render(request, "rebates/_policy_preview.html", context)


@require_GET
@hq_page("rebates.view", partner_users="404")
def policy_detail_view(request, policy_id):
    policy = _get(selectors.get_policy, request.user, policy_id)
    tiers = list(policy.tiers.all())
    on_ratio = is_ratio(policy)
    units = policy.basis == BasisKind.QUANTITY and not on_ratio  # a ratio's bounds are percentages
    rows = [(tier, engine.upper_bound(tiers, index, counts_units=units)) for index, tier in enumerate(tiers)]
    target_partners, hidden_targets = selectors.visible_targets(request.user, policy.target_partners)
    return render(
        request,
        "rebates/policy_detail.html",
        {
            "policy": policy,
            "target_partners": partner_name(target_partners),
            "hidden_targets": hidden_targets,
            "target_tiers": tier_name(policy.target_tiers or []),
            "target_regions": display.region_name(policy.target_regions or []),
            "target_types": display.labels(PartnerType)(policy.target_partner_types or []),
            "product_lines": display.join(
                ProductLine.objects.filter(code__in=policy.product_lines or []).values_list("name", flat=True)
            ),
            **_named_products(request.user, policy),
            "tiers": rows,
            "counts_units": units,
            "on_ratio": on_ratio,
            "versions": RebatePolicy.objects.filter(code=policy.code).order_by("-version"),
            "runs": RebateRun.objects.filter(policy=policy).order_by("-created_at")[:20],
            "can_manage": request.user.can("rebates.manage"),
        },
    )


def _named_products(user, policy) -> dict:
    """The SKUs, promotions and focus line a policy names, by their names (it keeps their codes); a
    promotion the user may not see (another region's partner's) is counted, not named."""
    from qudao.catalog.models import Sku
    from qudao.pricing.visibility import visible_promotions

    def sku_names(codes) -> str:
        names = dict(Sku.objects.filter(code__in=codes or []).values_list("code", "name"))
        return display.join(names.get(code, code) for code in codes or [])

    codes = list(policy.excluded_promotions or [])
    names = dict(visible_promotions(user).filter(code__in=codes).values_list("code", "name"))
    promotions = display.join(names[code] for code in codes if code in names)
    hidden = len(codes) - len(names)
    if hidden:
        promotions = f"{promotions} +{hidden}" if promotions else f"+{hidden}"
    focus = ProductLine.objects.filter(code=policy.focus_product_line).values_list("name", flat=True).first()
    return {
        "skus": sku_names(policy.skus),
        "excluded_skus": sku_names(policy.excluded_skus),
        "excluded_promotions": promotions,
        "focus_product_line": focus or policy.focus_product_line,
    }


@require_POST
@hq_page("rebates.manage", partner_users="404")
def policy_submit_view(request, policy_id):
    policy = _get(selectors.get_policy, request.user, policy_id)
    try:
        policy = services.submit_policy(policy=policy, actor=request.user)
        messages.success(request, _("Submitted for approval.") if policy.status == "pending_approval" else _("Active."))
    except (FieldErrors, Conflict) as error:
        text = "; ".join(str(m) for ms in error.errors.values() for m in ms) if isinstance(error, FieldErrors) else ""
        messages.error(request, text or str(error.detail))
    return redirect("rebates:policy", policy.pk)


@require_POST
@hq_page("rebates.manage", partner_users="404")
def policy_version_view(request, policy_id):
    policy = _get(selectors.get_policy, request.user, policy_id)
    try:
        draft = services.new_version(policy=policy, actor=request.user)
    except Conflict as error:
        messages.error(request, str(error.detail))
        return redirect("rebates:policy", policy.pk)
    return redirect("rebates:policy_edit", draft.pk)


# --- runs ----------------------------------------------------------------------------------------


@require_GET
@hq_page("rebates.view")
def run_list_view(request):
    status = request.GET.get("status") or ""
    page = paginate(request, selectors.runs(request.user, status=status))
    return render(
        request,
        "rebates/run_list.html",
        {
            "page": page,
            "rows": page.object_list,
            "status": status,
            "statuses": RebateRun.Status.choices,
            "can_compute": request.user.can("rebates.manage") or request.user.can("rebates.settle"),
        },
    )


@require_http_methods(["GET", "POST"])
@hq_page("rebates.view")
def run_new_view(request):
    if not (request.user.can("rebates.manage") or request.user.can("rebates.settle")):
        raise PermissionDenied
    policies = RebatePolicy.objects.filter(status=RebatePolicy.Status.ACTIVE).order_by("code")
    data = request.POST if request.method == "POST" else {}
    context = {"policies": policies, "data": data, "errors": {}, "kinds": RebateRun.Kind.choices}
    if request.method == "POST":
        policy_id = parse_id(str(data.get("policy", "")))
        policy = policies.filter(pk=policy_id).first() if policy_id is not None else None
        if policy is None:
            context["errors"] = {"policy": [_("Choose an active policy.")]}
            return render(request, "rebates/run_new.html", context, status=422)
        try:
            job = run_services.start_compute(
                policy=policy,
                period=data.get("period") or None,
                kind=data.get("kind", ""),
                as_of=data.get("as_of") or None,
                user=request.user,
            )
        except FieldErrors as error:
            context["errors"] = _errors(error)
            return render(request, "rebates/run_new.html", context, status=422)
        except Conflict as error:
            context["errors"] = {"__all__": [str(error.detail)]}
            return render(request, "rebates/run_new.html", context, status=409)
        number = (job.result or {}).get("run")
        if number:
            return redirect("rebates:run", number)
        # computed by a worker: its page shows the progress and ends with a link to the run
        return redirect("core:job", job_id=job.pk)
    return render(request, "rebates/run_new.html", context)


@require_GET
@hq_page("rebates.view", partner_users="404")
def run_detail_view(request, number):
    run = _get(selectors.get_run, request.user, number)
    if (download := list_exports.respond(request, exports.RUN_LINES, params={"run": run.number})) is not None:
        return download  # ?format=xlsx|csv: the run's lines the page shows
    page = paginate(request, selectors.lines(request.user, run=run))
    return render(
        request,
        "rebates/run_detail.html",
        {
            "run": run,
            "page": page,
            "rows": page.object_list,
            "can_settle": request.user.can("rebates.settle"),
            # a posting still running: its live progress instead of the buttons
            "posting": _posting_job(run),
        },
    )


def _posting_job(run) -> dict | None:
    from qudao.core.views_jobs import job_context

    job = run.job
    if job is None or job.is_finished:
        return None
    return job_context(job, reload_when_done=True)


@require_POST
@hq_page("rebates.settle", partner_users="404")
def run_approve_view(request, number):
    run = _get(selectors.get_run, request.user, number)
    try:
        run_services.approve_run(run=run, actor=request.user)
        messages.success(request, _("Run approved."))
    except Conflict as error:
        messages.error(request, str(error.detail))
    return redirect("rebates:run", run.number)


@require_POST
@hq_page("rebates.settle", partner_users="404")
def run_post_view(request, number):
    run = _get(selectors.get_run, request.user, number)
    try:
        run_services.start_post(run=run, user=request.user)
        messages.success(request, _("Posting to the rebate funds."))
    except Conflict as error:
        messages.error(request, str(error.detail))
    return redirect("rebates:run", run.number)


def _line_context(request, line) -> dict:
    kinds = selectors.source_kinds(line.policy)
    kind = request.GET.get("kind") or kinds[0]
    if kind not in kinds:
        kind = kinds[0]
    page = paginate(request, selectors.sources(line, kind), 25)
    return {
        "line": line,
        "run": line.run,
        "x": line.explanation,
        "kind": kind,
        "kinds": [(value, selectors.SOURCE_KINDS[value]) for value in kinds],
        "page": page,
        "sources": [selectors.source_out(row, kind) for row in page.object_list],
    }


@require_GET
@hq_page("rebates.view", partner_users="404")
def line_view(request, number, line_id):
    run = _get(selectors.get_run, request.user, number)
    line = _get(selectors.get_line, request.user, line_id, run=run)
    return render(request, "rebates/line.html", _line_context(request, line))


# --- the partner portal --------------------------------------------------------------------------


@require_GET
@partner_portal
def portal_list_view(request):
    if (download := list_exports.respond(request, exports.PORTAL_LINES)) is not None:
        return download  # ?format=xlsx|csv: the partner's posted rebate lines
    page = paginate(request, selectors.lines(request.user, partner_id=request.partner.pk), 20)
    return render(
        request,
        "rebates/portal_list.html",
        {
            "partner": request.partner,
            "is_partner_admin": request.partner_admin,
            "is_distributor": request.partner.is_distributor,
            "section": "rebates",
            "fund": selectors.fund_balance(request.partner),
            "page": page,
            "rows": page.object_list,
        },
    )


@require_GET
@partner_portal
def portal_line_view(request, line_id):
    line = _get(selectors.get_line, request.user, line_id)
    return render(
        request,
        "rebates/portal_line.html",
        {
            "partner": request.partner,
            "is_partner_admin": request.partner_admin,
            "is_distributor": request.partner.is_distributor,
            "section": "rebates",
            **_line_context(request, line),
        },
    )


def _progress_context(request, partner) -> tuple[dict, int]:
    """The progress of `partner` in the periods containing ?on= (default today), for a page; a bad
    day is a 422 with the field's error and nothing computed."""
    from django.utils import timezone

    from . import progress

    today = timezone.localdate()
    context = {"today": today, "on": request.GET.get("on", ""), "errors": {}}
    try:
        day = progress.clean_progress_day(request.GET.get("on"))
    except FieldErrors as error:
        return context | {"errors": _errors(error), "items": []}, 422
    return context | {"day": day, "past": day < today, "items": progress.progress_for(partner, day)}, 200


@require_GET
@partner_portal
def portal_progress_view(request):
    """/portal/rebates/progress/: a card per policy that applies to the partner - its basis so far
    this period, tier, what it has earned and what the next tier needs (qudao.rebates.progress);
    ?on=<a past day>: the periods containing it, as they closed, with what was posted."""
    context, status = _progress_context(request, request.partner)
    return render(
        request,
        "rebates/portal/progress.html",
        {
            "partner": request.partner,
            "is_partner_admin": request.partner_admin,
            "is_distributor": request.partner.is_distributor,
            "section": "rebates",
            **context,
        },
        status=status,
    )


@require_GET
@hq_page("rebates.view", partner_users="404")
def partner_progress_view(request, partner_id):
    """/rebates/partners/<id>/progress/: HQ reads a partner's progress (one it may see; else 404),
    this period or (?on=) a past one."""
    from qudao.partners.scoping import get_visible_partner

    partner = _get(get_visible_partner, request.user, partner_id)
    context, status = _progress_context(request, partner)
    return render(request, "rebates/partner_progress.html", {"partner": partner, **context}, status=status)


# --- a partner's rebate fund and manual deposits (HQ) ------------------------------------------------


@require_http_methods(["GET", "POST"])
@hq_page("rebates.view", partner_users="404")
def partner_fund_view(request, partner_id):
    """/rebates/partners/<id>/fund/: the partner's rebate fund (balance, held, available, its latest
    entries) and its manual deposits; finance enters one here (a goodwill credit or a correction,
    with a reason), posted once approved (qudao.rebates.deposits)."""
    from qudao.partners.models import FundEntry
    from qudao.partners.scoping import get_visible_partner

    from . import deposits
    from .models import RebateFundDeposit

    partner = _get(get_visible_partner, request.user, partner_id)
    can_settle = request.user.can("rebates.settle")
    data, errors, status = {"kind": RebateFundDeposit.Kind.GOODWILL}, {}, 200
    if request.method == "POST":
        if not can_settle:
            raise PermissionDenied
        data = {key: request.POST.get(key, "") for key in ("kind", "amount", "reason")}
        try:
            deposit = deposits.request_deposit(partner=partner, data=data, actor=request.user)
        except FieldErrors as error:
            errors, status = _errors(error), 422
        except Conflict as error:
            errors, status = {"__all__": [str(error.detail)]}, 409
        else:
            messages.success(request, _("Deposit %(number)s waits for approval.") % {"number": deposit.number})
            return redirect("rebates:partner_fund", partner.pk)
    fund = selectors.fund_balance(partner)
    context = {
        "partner": partner,
        "fund": fund,
        "entries": list(FundEntry.objects.filter(account=fund).order_by("-created_at", "-pk")[:20]) if fund else [],
        "deposits": list(selectors.fund_deposits(request.user, partner_id=partner.pk)[:50]),
        "can_settle": can_settle,
        "kinds": RebateFundDeposit.Kind.choices,
        "data": data,
        "errors": errors,
    }
    return render(request, "rebates/partner_fund.html", context, status=status)
