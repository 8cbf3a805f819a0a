"""The public application pages (准入): apply, follow the application with its private link, and
change and resubmit it when it is returned. No login. Every rule is in services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import ApprovalDecision

from . import services
from .forms_portal import (
    ApplicationForm,
    add_service_errors,
    chosen_region,
    cities_of,
    public_distributor,
)
from .models import PartnerApplication


def _add_findings(form: ApplicationForm, *, licence, licence_required: bool, instance=None) -> None:
    """The form itself is invalid: also show what the service finds in the other fields, so the
    applicant sees every problem at once. Validation only; nothing is written."""
    findings = FieldErrors()
    try:
        services.clean_application(form.service_data(), instance=instance)
    except FieldErrors as error:
        findings.errors.update(error.errors)
    if licence is not None or licence_required:
        try:
            services.validate_licence(licence)
        except FieldErrors as error:
            findings.errors.update(error.errors)
    aliases = form.service_aliases()
    already = set(form.errors)
    findings.errors = {
        field: messages_ for field, messages_ in findings.errors.items() if aliases.get(field, field) not in already
    }
    add_service_errors(form, findings, aliases)


def _no_index(response):
    # The status page is reached through a private link: keep it out of caches and search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def apply_view(request):
    """/apply/ (optionally ?parent=<distributor id>, the link a distributor sends a recruit)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    parent_param = request.GET.get("parent", "")
    fixed_parent = public_distributor(parent_param) if parent_param else None
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, fixed_parent=fixed_parent)
        licence = request.FILES.get("licence")
        if not form.is_valid():
            _add_findings(form, licence=licence, licence_required=True)
        else:
            try:
                application = services.submit_application(data=form.service_data(), licence=licence)
            except FieldErrors as error:
                add_service_errors(form, error, form.service_aliases())
            except Conflict as error:
                form.add_error(None, str(error.detail))
            else:
                messages.success(
                    request,
                    _(
                        "Thank you. Your application %(number)s was received. Keep this page's address: "
                        "it shows the progress of your application."
                    )
                    % {"number": application.number},
                )
                return redirect("apply:status", token=application.access_token)
    else:
        form = ApplicationForm(fixed_parent=fixed_parent)
    return render(
        request,
        "apply/apply.html",
        {"form": form, "fixed_parent": fixed_parent, "unknown_parent": bool(parent_param) and fixed_parent is None},
    )


def _last_comment(application: PartnerApplication, decision: str) -> str:
    if application.approval_id is None:
        return ""
    last = (
        ApprovalDecision.objects.filter(request_id=application.approval_id, decision=decision)
        .order_by("-at", "-pk")
        .first()
    )
    return last.comment if last else ""


@never_cache
def status_view(request, token: str):
    """/apply/status/<token>/: the application's progress; when returned, the form to resubmit."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    application = get_object_or_404(
        PartnerApplication.objects.select_related("region__parent", "parent", "admin_user", "approval__current_step"),
        access_token=token,
    )
    Status = PartnerApplication.Status
    form = None
    if application.status == Status.RETURNED:
        form_options = {"current_parent": application.parent, "licence_required": False}
        if request.method == "POST":
            form = ApplicationForm(request.POST, request.FILES, **form_options)
            licence = request.FILES.get("licence")
            if not form.is_valid():
                _add_findings(form, licence=licence, licence_required=False, instance=application)
            else:
                try:
                    services.resubmit_application(application=application, data=form.service_data(), licence=licence)
                except FieldErrors as error:
                    add_service_errors(form, error, form.service_aliases())
                except Conflict as error:
                    form.add_error(None, str(error.detail))
                else:
                    messages.success(
                        request,
                        _("Your application %(number)s was resubmitted for review.") % {"number": application.number},
                    )
                    return redirect("apply:status", token=application.access_token)
        else:
            form = ApplicationForm(initial=ApplicationForm.initial_from(application), **form_options)
    elif request.method == "POST":
        messages.error(request, _("Only an application returned for changes can be resubmitted."))
        return redirect("apply:status", token=application.access_token)
    context = {
        "application": application,
        "form": form,
        "return_comment": _last_comment(application, ApprovalDecision.Decision.RETURN)
        if application.status == Status.RETURNED
        else "",
        "reject_reason": _last_comment(application, ApprovalDecision.Decision.REJECT)
        if application.status == Status.REJECTED
        else "",
        "current_step": application.approval.current_step
        if application.status == Status.SUBMITTED and application.approval_id
        else None,
    }
    return _no_index(render(request, "apply/status.html", context))


@require_GET
def cities_view(request):
    """/apply/cities/?province=320000: the <option>s of the province's cities (htmx)."""
    cities = list(cities_of(request.GET.get("province", "").strip()))
    return render(request, "apply/_options.html", {"choices": ApplicationForm.city_choices(cities), "selected": ""})


@require_GET
def distributors_view(request):
    """/apply/distributors/?province=&city=&parent=: the <option>s of the distributors an applicant
    of that region may apply under (htmx)."""
    region = chosen_region(request.GET.get("province", "").strip(), request.GET.get("city", "").strip())
    choices = ApplicationForm.parent_choices(region)
    selected = request.GET.get("parent", "")
    if selected not in {value for value, _label in choices}:
        selected = ""
    return render(request, "apply/_options.html", {"choices": choices, "selected": selected})
