"""HQ pages of rebates: policies (list, new, edit, detail with submit and next version), runs (list,
new -> preview with its lines, approve, post) and a line's explanation with what it counted; the
partner portal's rebates. Views parse, authorise, call one service or selector and render."""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.numbers import parse_id
from qudao.core.pages import hq_page, paginate
from qudao.partners.views_portal import partner_portal

from . import engine, selectors, services
from . import runs as run_services
from .models import BasisKind, PeriodKind, RebatePolicy, RebateRun, RebateTier, ReturnsPeriod, TierStyle


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


# --- the policy form ----------------------------------------------------------------------------
#
# The form is the service's dict, with the tiers typed as rows of a table. Every error is shown at
# the field it names: a tier's error at its row (the row the user typed it in, blank rows above it
# or not) and its cell, the targets' at the targeting section; and all of them in a summary on top
# linking to their fields. Rows used to be numbered among the non-blank rows only and every error
# of a row printed under its "From" cell, so a value's error stood under the bound of another row.

TIER_ROWS = 6  # blank rows without JS (qudao/static/qudao/rebates_policy.js adds and removes rows)
MAX_TIER_ROWS = 50
CHOSEN_LISTS = ("product_lines", "target_tiers", "target_regions", "target_partner_types")
TIER_CELLS = ("lower_bound", "upper_bound", "reward", "value")
FIELD_LABELS = {
    "code": gettext_lazy("Code"),
    "name": gettext_lazy("Name"),
    "description": gettext_lazy("Description"),
    "currency": gettext_lazy("Currency"),
    "effective_from": gettext_lazy("Effective from"),
    "basis": gettext_lazy("Basis"),
    "returns_count_in": gettext_lazy("Returns reduce"),
    "product_lines": gettext_lazy("Product lines"),
    "skus": gettext_lazy("SKUs (codes)"),
    "excluded_skus": gettext_lazy("SKUs excluded"),
    "excluded_promotions": gettext_lazy("Promotions excluded"),
    "period_kind": gettext_lazy("Period"),
    "custom_start": gettext_lazy("Custom period from"),
    "custom_end": gettext_lazy("Custom period to"),
    "targets": gettext_lazy("Who it targets"),
    "target_tiers": pgettext_lazy("partner tier", "Partner tiers"),
    "target_regions": gettext_lazy("Regions"),
    "target_partner_types": gettext_lazy("Partner types"),
    "target_partners": gettext_lazy("Partners (codes)"),
    "tier_style": gettext_lazy("Tier style"),
    "tiers": gettext_lazy("Tier table"),
    "cap": gettext_lazy("Cap per partner and period"),
    "focus_product_line": gettext_lazy("Focus product line"),
    "focus_min_share": gettext_lazy("Minimum share of the focus line (%)"),
    "min_payment_ratio": gettext_lazy("Minimum payment ratio (%)"),
    "max_overdue_days": gettext_lazy("No receivables overdue more than (days)"),
}
TIER_CELL_LABELS = {
    "lower_bound": gettext_lazy("From"),
    "upper_bound": gettext_lazy("To"),
    "reward": gettext_lazy("Reward"),
    "value": gettext_lazy("Value"),
}


def _tier_rows_posted(post) -> list[tuple[int, dict]]:
    """(row index, row) of every tier row typed in, in the form's own numbering."""
    indexes = set()
    for key in post:
        match = re.fullmatch(r"tier_(?:lower|upper|value|reward)_(\d{1,3})", key)
        if match and int(match.group(1)) < MAX_TIER_ROWS:
            indexes.add(int(match.group(1)))
    rows = []
    for index in sorted(indexes):
        row = {
            "lower_bound": post.get(f"tier_lower_{index}", "").strip(),
            "upper_bound": post.get(f"tier_upper_{index}", "").strip(),
            "value": post.get(f"tier_value_{index}", "").strip(),
            "reward": post.get(f"tier_reward_{index}", "rate") or "rate",
        }
        if row["lower_bound"] or row["upper_bound"] or row["value"]:
            rows.append((index, row))
    return rows


def _form_data(post) -> dict:
    """The policy form as the service reads it: chosen lists, codes as text, tiers from rows (with
    `tier_rows`: the form row of each tier, to show a tier's errors on its row)."""
    data = {key: post.get(key, "") for key in services.POLICY_FIELDS if key not in ("growth", "allow_interim")}
    for key in CHOSEN_LISTS:
        data[key] = [value for value in post.getlist(key) if value.strip()]
    data["growth"] = post.get("growth") == "on"
    data["allow_interim"] = post.get("allow_interim") == "on"
    if "code" in post:
        data["code"] = post.get("code", "")
    rows = _tier_rows_posted(post)
    data["tiers"] = [row for _index, row in rows]
    data["tier_rows"] = [index for index, _row in rows]
    return data


def _plain(value) -> str:
    """A stored number as typed: 3.0000 -> "3", 100000.0000 -> "100000"."""
    if value in (None, ""):
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _errors(error: FieldErrors) -> dict:
    return {key: [str(message) for message in messages_] for key, messages_ in error.errors.items()}


def _on_rows(errors: dict, tier_rows: list[int]) -> dict:
    """The service numbers the tiers it was given; the form shows them on the rows they were typed
    in: tiers.<i>.<cell> -> tiers.<row>.<cell>."""
    out = {}
    for key, messages_ in errors.items():
        match = re.fullmatch(r"tiers\.(\d+)\.(\w+)", key)
        if match and int(match.group(1)) < len(tier_rows):
            key = f"tiers.{tier_rows[int(match.group(1))]}.{match.group(2)}"
        out.setdefault(key, []).extend(messages_)
    return out


def _summary(errors: dict) -> list[tuple[str, str, str]]:
    """(anchor, what, message) of every error, in the form's order, for the list on top."""
    order = list(FIELD_LABELS)
    items = []
    for key, messages_ in errors.items():
        match = re.fullmatch(r"tiers\.(\d+)\.(\w+)", key)
        if match:
            row, cell = int(match.group(1)), match.group(2)
            anchor = f"tier-{row}-{cell}"
            what = _("Tier row %(row)s: %(cell)s") % {"row": row + 1, "cell": TIER_CELL_LABELS.get(cell, cell)}
            rank = (order.index("tiers"), row, TIER_CELLS.index(cell) if cell in TIER_CELLS else 9)
        else:
            anchor = f"f-{key}" if key in FIELD_LABELS else "policy-form"
            what = str(FIELD_LABELS.get(key, ""))
            rank = (order.index(key) if key in FIELD_LABELS else -1, 0, 0)
        items.extend((rank, anchor, what, str(message)) for message in messages_)
    return [(anchor, what, message) for _rank, anchor, what, message in sorted(items, key=lambda item: item[0])]


def _tier_table(data: dict, errors: dict) -> list[dict]:
    """The rows of the tier table as shown: the typed rows where they were typed, blank ones after,
    each with its cells' errors."""
    tiers = data.get("tiers") or []
    typed = dict(zip(data.get("tier_rows") or range(len(tiers)), tiers, strict=True))
    count = max([TIER_ROWS, *[index + 2 for index in typed]]) if typed else TIER_ROWS
    count = min(count, MAX_TIER_ROWS)
    rows = []
    for index in range(count):
        tier = typed.get(index, {})
        rows.append(
            {
                "index": index,
                "number": index + 1,
                "lower_bound": _plain(tier.get("lower_bound")),
                "upper_bound": _plain(tier.get("upper_bound")),
                "reward": tier.get("reward") or "rate",
                "value": _plain(tier.get("value")),
                "errors": {cell: errors.get(f"tiers.{index}.{cell}", []) for cell in TIER_CELLS},
            }
        )
    return rows


def _choices(data: dict) -> dict:
    """The labelled lists the targets and products are chosen from (what a policy already names is
    kept in the list even when it is no longer offered, so that saving does not drop it)."""
    from qudao.catalog.models import ProductLine
    from qudao.core.models import Region
    from qudao.partners.models import PartnerType
    from qudao.partners.models import Tier as PartnerTier

    chosen_regions = list(data.get("target_regions") or [])
    regions = Region.objects.filter(Q(level=Region.Level.PROVINCE) | Q(code__in=chosen_regions)).order_by("code")
    lines = ProductLine.objects.filter(Q(is_active=True) | Q(code__in=list(data.get("product_lines") or [])))
    tiers = PartnerTier.objects.filter(Q(is_active=True) | Q(code__in=list(data.get("target_tiers") or [])))
    return {
        "region_choices": [(region.code, region.full_name or region.display_name) for region in regions],
        "line_choices": [(line.code, line.name, line.depth) for line in lines.order_by("path")],
        "partner_tier_choices": [(tier.code, tier.name) for tier in tiers.order_by("rank", "pk")],
        "partner_type_choices": PartnerType.choices,
    }


def _form_context(data: dict, errors: dict | None = None, policy=None) -> dict:
    errors = _on_rows(errors or {}, list(data.get("tier_rows") or range(len(data.get("tiers") or []))))
    shown = dict(data)
    for key in services.LIST_FIELDS:
        value = shown.get(key)
        if key not in CHOSEN_LISTS and isinstance(value, list):
            shown[key] = ", ".join(value)
        elif key in CHOSEN_LISTS:
            shown[key] = list(value or []) if not isinstance(value, str) else [v for v in value.split(",") if v]
    for key in ("cap", "focus_min_share", "min_payment_ratio"):
        shown[key] = _plain(shown.get(key))
    return {
        "data": shown,
        "tier_rows": _tier_table(data, errors),
        "errors": errors,
        "error_summary": _summary(errors),
        "policy": policy,
        "bases": BasisKind.choices,
        "periods": PeriodKind.choices,
        "styles": TierStyle.choices,
        "returns_periods": ReturnsPeriod.choices,
        "rewards": RebateTier.Reward.choices,
        **_choices(shown),
    }


def _policy_data(policy: RebatePolicy) -> dict:
    data = {field: getattr(policy, field) for field in services.POLICY_FIELDS}
    for key in ("custom_start", "custom_end", "effective_from"):
        data[key] = data[key].isoformat() if data[key] else ""
    for key in ("cap", "focus_min_share", "min_payment_ratio", "max_overdue_days"):
        data[key] = "" if data[key] is None else data[key]
    data["code"] = policy.code
    tiers = list(policy.tiers.all())
    units = policy.basis == BasisKind.QUANTITY
    data["tiers"] = [
        {
            "lower_bound": tier.lower_bound,
            "upper_bound": engine.upper_bound(tiers, index, counts_units=units),
            "value": tier.value,
            "reward": tier.reward,
        }
        for index, tier in enumerate(tiers)
    ]
    data["tier_rows"] = list(range(len(tiers)))
    return data


def _service_data(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "tier_rows"}


@require_http_methods(["GET", "POST"])
@hq_page("rebates.manage")
def policy_new_view(request):
    if request.method == "POST":
        data = _form_data(request.POST)
        try:
            policy = services.create_policy(data=_service_data(data), actor=request.user)
        except FieldErrors as error:
            return render(request, "rebates/policy_form.html", _form_context(data, _errors(error)), status=422)
        messages.success(request, _("Policy %(code)s saved as a draft.") % {"code": policy.code})
        return redirect("rebates:policy", policy.pk)
    return render(
        request,
        "rebates/policy_form.html",
        _form_context({"period_kind": "quarter", "tier_style": "retrospective", "returns_count_in": "shipment_period"}),
    )


@require_http_methods(["GET", "POST"])
@hq_page("rebates.manage", partner_users="404")
def policy_edit_view(request, policy_id):
    policy = _get(selectors.get_policy, request.user, policy_id)
    if request.method == "POST":
        data = _form_data(request.POST)
        data.pop("code", None)
        try:
            services.update_policy(policy=policy, data=_service_data(data), actor=request.user)
        except FieldErrors as error:
            return render(request, "rebates/policy_form.html", _form_context(data, _errors(error), policy), status=422)
        except Conflict as error:
            messages.error(request, str(error.detail))
        return redirect("rebates:policy", policy.pk)
    if not policy.is_editable:
        messages.error(request, _("Only a draft can be changed. Write the policy's next version instead."))
        return redirect("rebates:policy", policy.pk)
    return render(request, "rebates/policy_form.html", _form_context(_policy_data(policy), policy=policy))


@require_POST
@hq_page("rebates.manage", partner_users="404")
def policy_preview_view(request):
    """The policy form's live preview (htmx posts the whole form here as it changes): what the
    partners it targets, among those the user may see, would have earned in the last complete
    period. Writes nothing (qudao.rebates.preview); the fields it still needs are listed."""
    from . import preview

    data = _service_data(_form_data(request.POST))
    context = {"errors": {}, "preview": None}
    try:
        context["preview"] = preview.preview_policy(user=request.user, data=data)
    except FieldErrors as error:
        context["error_summary"] = _summary(_on_rows(_errors(error), _form_data(request.POST)["tier_rows"]))
    return render(request, "rebates/_policy_preview.html", context)


@require_GET
@hq_page("rebates.view", partner_users="404")
def policy_detail_view(request, policy_id):
    policy = _get(selectors.get_policy, request.user, policy_id)
    tiers = list(policy.tiers.all())
    units = policy.basis == BasisKind.QUANTITY
    rows = [(tier, engine.upper_bound(tiers, index, counts_units=units)) for index, tier in enumerate(tiers)]
    target_partners, hidden_targets = selectors.visible_targets(request.user, policy.target_partners)
    return render(
        request,
        "rebates/policy_detail.html",
        {
            "policy": policy,
            "target_partners": target_partners,
            "hidden_targets": hidden_targets,
            "tiers": rows,
            "counts_units": units,
            "versions": RebatePolicy.objects.filter(code=policy.code).order_by("-version"),
            "runs": RebateRun.objects.filter(policy=policy).order_by("-created_at")[:20],
            "can_manage": request.user.can("rebates.manage"),
        },
    )


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
        messages.info(request, _("The run is being computed."))
        return redirect("rebates:runs")
    return render(request, "rebates/run_new.html", context)


@require_GET
@hq_page("rebates.view", partner_users="404")
def run_detail_view(request, number):
    run = _get(selectors.get_run, request.user, number)
    page = paginate(request, selectors.lines(request.user, run=run))
    return render(
        request,
        "rebates/run_detail.html",
        {
            "run": run,
            "page": page,
            "rows": page.object_list,
            "can_settle": request.user.can("rebates.settle"),
        },
    )


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
