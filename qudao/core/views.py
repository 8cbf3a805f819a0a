"""Pages of the core context: the approval inbox and request pages, notifications, brand
settings and approval flows.

Core does not import the contexts above it: a request's subject is shown through its registered
SubjectHandler (label, subject_url); pages of those contexts (e.g. the application review page)
reuse `approval_context` and `handle_decision` from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import approvals, condition_builder, display, flows
from .errors import DomainError, FieldErrors, NotFound
from .forms import BrandSettingsForm, DecisionForm, FlowForm, FlowStepFormSet, subject_kind_choices
from .models import ApprovalFlow, ApprovalRequest, ApprovalStep, BrandSettings, Notification, Region
from .pages import apply_field_errors, hq_page, paginate, safe_next
from .uploads import upload_response

# --- approvals ---------------------------------------------------------------------------------

# Contexts above core narrow which requests about their records a user may read (partners: the
# scoping rule, so a request about a partner outside the user's scope answers 404). Each registers
# a function (user, queryset) -> queryset here; core never imports them.
_request_scopes: list[Callable] = []


def register_request_scope(scope: Callable) -> None:
    if scope not in _request_scopes:
        _request_scopes.append(scope)


def readable_requests(user):
    """The approval requests `user` may read on the pages: the engine's rule, narrowed by every
    registered scope."""
    requests = approvals.visible_requests(user)
    for scope in _request_scopes:
        requests = scope(user, requests)
    return requests


def inbox_requests(user):
    """The requests waiting for `user`'s decision that the approval pages show in its inbox (the
    inbox tab, its badge and the workbench's to-do count the same rows)."""
    return readable_requests(user).filter(pk__in=approvals.inbox_for(user).values("pk"))


def approval_context(user, approval: ApprovalRequest, form: DecisionForm | None = None) -> dict:
    """Everything the approval panel shows: the flow's steps with the current one marked, the
    decision history, and the decision form for those who may decide the current step."""
    steps = list(approval.flow.steps.order_by("sequence"))
    current = approval.current_step
    for step in steps:
        if approval.status == ApprovalRequest.Status.APPROVED:
            step.state = "done"
        elif current is not None and step.pk == current.pk:
            step.state = "current"
        elif current is not None and step.sequence < current.sequence:
            step.state = "done"
        else:
            step.state = "todo"
    decisions = list(approval.decisions.select_related("actor", "step").order_by("at", "pk"))
    may_decide = approvals.can_decide(user, approval)
    handler = approvals.registered_kinds().get(approval.subject_kind)
    if may_decide and form is None:
        form = DecisionForm(initial={"expected_step_id": approval.current_step_id})
    return {
        "approval": approval,
        "steps": steps,
        "decisions": decisions,
        "can_decide": may_decide,
        "decision_form": form if may_decide else None,
        "subject_label": handler.label if handler else approval.subject_kind,
        "subject_url": handler.subject_url(approval) if handler else "",
        "facts": approvals.describe_context(approval.subject_kind, approval.context),
    }


def handle_decision(request, approval: ApprovalRequest, success_url: str):
    """Carry out a decision posted from a page. Returns (form, response): a response to send
    (redirect) when done or refused, else the bound form with its errors to show again."""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return form, None
    try:
        decided = approvals.decide(
            request_id=approval.pk,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
            expected_step_id=form.cleaned_data["expected_step_id"],
        )
    except NotFound:
        raise Http404() from None
    except FieldErrors as error:
        apply_field_errors(form, error)
        return form, None
    except DomainError as error:  # Conflict (decided by someone else first), Forbidden
        messages.error(request, str(error.detail))
        return None, redirect(success_url)
    messages.success(
        request,
        _("%(number)s: %(status)s.") % {"number": decided.number, "status": decided.get_status_display()}
        if decided.status != ApprovalRequest.Status.PENDING
        else _("%(number)s: approved at this step; now at “%(step)s”.")
        % {"number": decided.number, "step": decided.current_step.name},
    )
    return None, redirect(success_url)


def _requests_base(queryset):
    return queryset.select_related("current_step", "flow", "region", "submitted_by").order_by("-created_at", "-pk")


@hq_page("approvals.view")
def approvals_view(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in ("inbox", "all") else "inbox"
    status = request.GET.get("status") or ""
    if tab == "inbox":
        requests = _requests_base(inbox_requests(request.user))
    else:
        requests = _requests_base(readable_requests(request.user))
        if status in ApprovalRequest.Status.values:
            requests = requests.filter(status=status)
    page = paginate(request, requests)
    labels = {kind: handler.label for kind, handler in approvals.registered_kinds().items()}
    for item in page.object_list:
        item.subject_label = labels.get(item.subject_kind, item.subject_kind)
    context = {
        "tab": tab,
        "status": status,
        "statuses": ApprovalRequest.Status.choices,
        "page": page,
        "requests": page.object_list,
        "inbox_count": (inbox_requests(request.user).count() if tab == "all" else page.paginator.count),
    }
    return render(request, "core/approvals.html", context)


@hq_page("approvals.view", partner_users="404")
def approval_detail_view(request, request_id):
    approval = _requests_base(readable_requests(request.user)).select_related("flow").filter(pk=request_id).first()
    if approval is None:
        raise Http404()
    form = None
    if request.method == "POST":
        form, response = handle_decision(request, approval, request.path)
        if response is not None:
            return response
    context = approval_context(request.user, approval, form)
    return render(request, "core/approval_detail.html", context)


# --- notifications -----------------------------------------------------------------------------


@login_required
def notifications_view(request):
    notifications = Notification.objects.filter(user=request.user)
    if request.GET.get("unread") == "1":
        notifications = notifications.filter(read_at__isnull=True)
    page = paginate(request, notifications)
    return render(
        request,
        "core/notifications.html",
        {"page": page, "notifications": page.object_list, "unread_only": request.GET.get("unread") == "1"},
    )


@login_required
@require_POST
def notification_read_view(request, notification_id):
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    if request.POST.get("open") == "1" and notification.url.startswith("/") and not notification.url.startswith("//"):
        return redirect(notification.url)
    return redirect(safe_next(request, default="/notifications/"))


@login_required
@require_POST
def notifications_read_all_view(request):
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("core:notifications")


# --- settings ----------------------------------------------------------------------------------


@hq_page()
def settings_view(request):
    """Brand settings (administrators). Other settings pages are tabs beside it; a user who may
    only see those is taken to the first of them."""
    user = request.user
    if not user.can("settings.manage"):
        if user.can("tiers.manage"):
            return redirect("partners:tiers")
        return redirect("core:flows")
    current = BrandSettings.current()
    initial = {
        "brand_name": current.brand_name,
        "short_name": current.short_name,
        "primary_colour": current.primary_colour,
        "default_currency": current.default_currency,
        "parent_must_cover_child_region": current.parent_must_cover_child_region,
        "credit_change_approval_threshold": f"{current.credit_change_approval_threshold.normalize():f}",
        "approval_reminder_hours": current.approval_reminder_hours,
    }
    form = BrandSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            flows.update_brand_settings(data=form.cleaned_data)
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("The settings are saved."))
            return redirect("core:settings")
    return render(request, "core/settings.html", {"form": form, "tab": "brand", "current": current})


def brand_logo_view(request):
    """/brand/logo/: the brand's logo, for everyone (the log-in page shows it), served as the kind
    its bytes are (core.uploads.upload_response)."""
    current = BrandSettings.objects.filter(pk=1).first()
    if current is None:
        raise Http404
    response = upload_response(current.logo, "logo")
    # public and versioned by the page's ?v= (branding.brand): a browser may keep it
    response["Cache-Control"] = "public, max-age=86400"
    return response


@hq_page("approvals.view")
def flows_view(request):
    flow_list = ApprovalFlow.objects.prefetch_related(
        Prefetch("steps", queryset=ApprovalStep.objects.order_by("sequence"))
    ).order_by("subject_kind", "-is_active", "-priority", "pk")
    if request.GET.get("inactive") != "1":
        flow_list = flow_list.filter(is_active=True)
    labels = {kind: handler.label for kind, handler in approvals.registered_kinds().items()}
    roles = flows.approver_roles()
    groups: dict[str, dict] = {}
    for flow in flow_list:
        flow.condition_sentences = approvals.describe_conditions(flow.subject_kind, flow.conditions)
        for step in flow.steps.all():
            step.role_label = roles.get(step.approver_role, step.approver_role)
        group = groups.setdefault(
            flow.subject_kind, {"label": labels.get(flow.subject_kind, flow.subject_kind), "flows": []}
        )
        group["flows"].append(flow)
    context = {
        "groups": list(groups.values()),
        "tab": "flows",
        "can_configure": request.user.can("approvals.configure"),
        "show_inactive": request.GET.get("inactive") == "1",
    }
    return render(request, "core/flows.html", context)


def _steps_from_formset(formset) -> tuple[list[dict], list]:
    """The filled-in step rows, in order, and the forms they came from (to place errors)."""
    steps, forms_used = [], []
    for form in formset.forms:
        if form.is_blank() or (formset.can_delete and form.cleaned_data.get("DELETE")):
            continue
        steps.append(
            {
                "name": form.cleaned_data["name"],
                "approver_role": form.cleaned_data["approver_role"],
                "match_region": form.cleaned_data["match_region"],
            }
        )
        forms_used.append(form)
    return steps, forms_used


def _apply_flow_errors(form, formset, forms_used, error: FieldErrors) -> None:
    step_errors = {key: value for key, value in error.errors.items() if key.startswith("steps.")}
    other = FieldErrors({key: value for key, value in error.errors.items() if key not in step_errors})
    for key, step_messages in step_errors.items():
        _prefix, index, field = (key.split(".") + ["", ""])[:3]
        try:
            target = forms_used[int(index)]
        except (ValueError, IndexError):
            target = None
        for message in step_messages:
            if target is not None and field in target.fields:
                target.add_error(field, str(message))
            else:
                form.add_error(None, str(message))
    if other.errors.get("steps"):
        for message in other.errors.pop("steps"):
            form.add_error(None, str(message))
    apply_field_errors(form, other)


def _flow_subject(request, flow: ApprovalFlow | None) -> str:
    """The subject the flow is for: the flow's own, else the one chosen (?subject= above the form,
    then the posted subject_kind), else the first registered."""
    if flow is not None:
        return flow.subject_kind
    kinds = [kind for kind, _label in subject_kind_choices()]
    wanted = request.POST.get("subject_kind") or request.GET.get("subject") or ""
    return wanted if wanted in kinds else (kinds[0] if kinds else "")


def _flow_form_page(request, flow: ApprovalFlow | None):
    editing = flow is not None
    kind = _flow_subject(request, flow)
    if editing:
        rows, leftover = condition_builder.rows_from_conditions(flow.conditions, kind)
        initial = {
            "name": flow.name,
            "conditions": json.dumps(leftover, ensure_ascii=False) if leftover else "",
            "priority": flow.priority,
            "is_active": flow.is_active,
        }
        step_initial = [
            {"name": step.name, "approver_role": step.approver_role, "match_region": step.match_region}
            for step in flow.steps.order_by("sequence")
        ]
    else:
        rows = []
        initial, step_initial = {"priority": 0, "is_active": True, "subject_kind": kind}, []
    form = FlowForm(request.POST or None, initial=initial, editing=editing)
    # A posted formset carries its rows itself: with `initial` too, Django would drop a row left
    # as it was ("unchanged extra form").
    if request.method == "POST":
        formset = FlowStepFormSet(request.POST, prefix="steps")
        rows = condition_builder.rows_from_post(request.POST)
    else:
        formset = FlowStepFormSet(initial=step_initial, prefix="steps")
    valid = False
    if request.method == "POST":
        valid = all([form.is_valid(), formset.is_valid()])  # both, so that both show their errors
        built = condition_builder.conditions_from_rows(rows, kind)
        if built is None:
            form.add_error(None, _("Please correct the condition rows."))
            valid = False
    if valid:
        other = form.cleaned_data["conditions"]
        overlap = sorted(set(other) & set(built))
        if overlap:
            form.add_error(
                "conditions",
                _("Already in the condition rows: %(fields)s.")
                % {"fields": display.join(condition_builder.fields_of(kind)[name].label for name in overlap)},
            )
            return _render_flow_form(request, form, formset, flow, kind, rows)
        steps, forms_used = _steps_from_formset(formset)
        data = {
            "name": form.cleaned_data["name"],
            "conditions": built | other,
            "priority": form.cleaned_data["priority"],
            "is_active": form.cleaned_data["is_active"],
            "steps": steps,
        }
        try:
            if editing:
                saved = flows.update_flow(flow=flow, data=data)
            else:
                saved = flows.create_flow(data=data | {"subject_kind": form.cleaned_data["subject_kind"]})
        except FieldErrors as error:
            _apply_flow_errors(form, formset, forms_used, error)
        except DomainError as error:
            form.add_error(None, str(error.detail))
        else:
            if editing and saved.pk != flow.pk:
                messages.success(
                    request,
                    _("Requests went through this flow, so it is kept as history and a new version is in force."),
                )
            else:
                messages.success(request, _("Flow “%(name)s” is saved.") % {"name": saved.name})
            return redirect("core:flows")
    return _render_flow_form(request, form, formset, flow, kind, rows)


def _render_flow_form(request, form, formset, flow, kind, rows):
    fields = condition_builder.field_options(kind)
    by_name = {item["name"]: item for item in fields}
    for row in rows:
        row.spec = by_name.get(row.name)
        row.text = ""
        if row.spec and row.spec["kind"] == "region":
            region = Region.objects.select_related("parent").filter(code=row.value).first()
            row.text = region.full_name if region else row.value
        if row.spec and row.spec["kind"] == "choice":
            labels = dict(row.spec["choices"])
            row.text = "、".join(labels.get(value, value) for value in row.values)
    context = {
        "form": form,
        "formset": formset,
        "flow": flow,
        "tab": "flows",
        "subject_kind": kind,
        "subject_choices": subject_kind_choices(),
        "condition_fields": fields,
        "condition_rows": rows,
        "blank_row": condition_builder.Row(index=0),
    }
    return render(request, "core/flow_form.html", context)


@hq_page("approvals.configure")
def flow_create_view(request):
    return _flow_form_page(request, None)


@hq_page("approvals.configure")
def flow_edit_view(request, flow_id):
    return _flow_form_page(request, get_object_or_404(ApprovalFlow, pk=flow_id))


@hq_page("approvals.configure")
@require_POST
def flow_deactivate_view(request, flow_id):
    flow = get_object_or_404(ApprovalFlow, pk=flow_id)
    flows.deactivate_flow(flow=flow)
    messages.success(request, _("Flow “%(name)s” is deactivated.") % {"name": flow.name})
    return redirect("core:flows")
