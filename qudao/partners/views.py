"""HQ console pages of the partner network: the partner list, the partner 360 page and its
forms, tiers (Settings > Tiers) and the review of partner applications.

Every read goes through partners.scoping / partners.selectors; every write through
partners.services. A partner outside the user's scope answers 404.
"""

from __future__ import annotations

from functools import wraps
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qudao.core.errors import DomainError, FieldErrors, NotFound
from qudao.core.pages import PORTAL_URL, apply_field_errors, hq_page, paginate
from qudao.core.panels import panels_for
from qudao.core.uploads import upload_response
from qudao.core.views import approval_context, handle_decision, readable_requests, register_request_scope

from . import selectors, services
from .forms import (
    ApplicationFilterForm,
    ContactForm,
    CreditForm,
    ParentForm,
    PartnerFilterForm,
    PartnerForm,
    StatusForm,
    TierForm,
    TierSettingsForm,
)
from .models import CreditTermsChange, Partner, PartnerApplication, PartnerContact, Tier
from .scoping import get_visible_partner, partner_q, visible_partners


def scope_approval_requests(user, requests):
    """Approval requests about a partner (credit changes, applications under a distributor) are
    readable only by users who may see that partner; the API applies the same rule."""
    if partner_q(user) is None:
        return requests
    return requests.filter(Q(partner_id__isnull=True) | Q(partner_id__in=visible_partners(user).values("pk")))


register_request_scope(scope_approval_requests)

# --- access ------------------------------------------------------------------------------------


def partner_page(permission: str | None = None):
    """A page about one partner. The partner is looked up through the scoping rule first, so a
    partner the user may not see answers 404 to everyone (HQ outside its regions, another
    partner's user). A partner user looking at its own (or a sub-dealer's) record is sent to its
    portal; an HQ user lacking `permission` gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, partner_id, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                partner = get_visible_partner(user, partner_id)
            except NotFound:
                raise Http404() from None
            if not user.is_hq:
                if user.is_partner_user:
                    return redirect(PORTAL_URL)
                raise PermissionDenied()
            if permission and not user.can(permission):
                raise PermissionDenied()
            return view(request, partner, *args, **kwargs)

        return wrapper

    return decorator


def partner_actions(user) -> dict[str, bool]:
    """Which buttons the 360 page shows (the partner is already known to be in scope)."""
    change = user.can("partners.change")
    return {
        "edit": change,
        "status": user.can("partners.change_status"),
        "tier": user.can("partners.change_tier"),
        "credit": user.can("partners.change_credit"),
        "contacts": change,
        "parent": change,
    }


def _show_domain_error(request, form, error: DomainError) -> None:
    if isinstance(error, FieldErrors):
        apply_field_errors(form, error)
    else:
        form.add_error(None, str(error.detail))


# --- the list ----------------------------------------------------------------------------------


def _sort_links(request, current: str) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (toggling the direction when it is the
    current sort) and the current direction, keeping every filter."""
    links = {}
    for key in ("code", "name", "tier", "region", "status", "created"):
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = f"-{key}" if current == key else key
        direction = "asc" if current == key else "desc" if current == f"-{key}" else ""
        links[key] = {"url": f"?{params.urlencode()}", "direction": direction}
    return links


@hq_page("partners.view")
def partner_list_view(request):
    form = PartnerFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    sort = request.GET.get("sort") or "code"
    if sort not in selectors.SORTABLE:
        sort = "code"
    filters["sort"] = sort
    page = paginate(request, selectors.partner_list(request.user, filters).values_list("pk", flat=True))
    # Deferred join: the page's ids come from the narrow, indexed query (one COUNT, one
    # LIMIT/OFFSET); only those 50 rows are then read with their related rows. A deep page of a
    # 50,000-partner list does not drag five joins through every skipped row.
    ids = list(page.object_list)
    rows = Partner.objects.select_related(
        "tier", "region__parent", "parent", "channel_manager", "regional_owner"
    ).in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    export_params = request.GET.copy()
    for key in ("page", "per_page"):
        export_params.pop(key, None)
    context = {
        "form": form,
        "page": page,
        "partners": page.object_list,
        "sort": sort,
        "sort_links": _sort_links(request, sort),
        "export_query": export_params.urlencode(),
        "can_create": request.user.can("partners.create"),
        "can_export": request.user.can("partners.export"),
        "can_import": request.user.can("partners.import"),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "partners/_partner_table.html", context)
    return render(request, "partners/partner_list.html", context)


@hq_page("partners.create")
def partner_create_view(request):
    form = PartnerForm(request.POST or None, initial={"tier": services.default_tier().code}, user=request.user)
    if request.method == "POST" and form.is_valid():
        contact = form.contact_data()
        data = form.partner_data()
        try:
            # The service checks the partner before its contact; check both here first so that one
            # round shows every wrong field.
            contact_error = None
            if contact is not None:
                try:
                    services.clean_contact(contact)
                except FieldErrors as error:
                    contact_error = error
            if contact_error is not None:
                try:
                    services.clean_partner_data(data)
                except FieldErrors as error:
                    contact_error.errors.update(error.errors)
                raise contact_error
            partner = services.create_partner(data=data, actor=request.user, contacts=[contact] if contact else [])
        except FieldErrors as error:
            apply_field_errors(form, error, {"parent": "parent_code", **PartnerForm.CONTACT_ERROR_MAP})
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            messages.success(
                request, _("Partner %(code)s %(name)s is created.") % {"code": partner.code, "name": partner.legal_name}
            )
            return redirect("partners:detail", partner.pk)
    return render(request, "partners/partner_form.html", {"form": form, "partner": None})


@partner_page("partners.view")
def partner_detail_view(request, partner):
    """The partner 360 page: every panel registered for "partner" that the user may see."""
    actions = partner_actions(request.user)
    # Links to approval requests only where the user may open them (the engine decides who reads).
    readable_approvals = set(
        readable_requests(request.user)
        .filter(pk__in=selectors.partner_approvals(request.user, partner).values("pk"))
        .values_list("pk", flat=True)
    )
    panels = []
    for panel in panels_for("partner"):
        if not panel.visible(request, partner):
            continue
        context = dict(panel.context(request, partner) or {})
        context.update(
            {"partner": partner, "panel": panel, "actions": actions, "readable_approvals": readable_approvals}
        )
        panels.append(
            {"key": panel.key, "title": panel.title, "html": render_to_string(panel.template, context, request)}
        )
    pending_credit = CreditTermsChange.objects.filter(partner=partner, status=CreditTermsChange.Status.PENDING).first()
    return render(
        request,
        "partners/partner_detail.html",
        {"partner": partner, "panels": panels, "actions": actions, "pending_credit": pending_credit},
    )


@partner_page("audit.view")
def partner_audit_view(request, partner):
    """The partner's audit trail after the 360 panel's latest entries, a page at a time: the
    entries alone for the panel's "show more" (htmx), else a page of its own."""
    context = {"partner": partner, **selectors.audit_page(request, partner)}
    if request.htmx and not request.htmx.boosted:
        return render(request, "partners/panels/_audit_entries.html", context)
    return render(request, "partners/audit.html", context)


@partner_page("partners.change")
def partner_edit_view(request, partner):
    form = PartnerForm(request.POST or None, initial=PartnerForm.initial_for(partner), editing=True, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_partner(partner=partner, data=form.partner_data(), actor=request.user)
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            messages.success(request, _("Partner %(code)s is saved.") % {"code": partner.code})
            return redirect("partners:detail", partner.pk)
    return render(request, "partners/partner_form.html", {"form": form, "partner": partner})


def _small_form(request, partner, form, *, title, intro="", submit=None, danger=False):
    return render(
        request,
        "partners/partner_small_form.html",
        {
            "partner": partner,
            "form": form,
            "title": title,
            "intro": intro,
            "submit": submit or _("Save"),
            "danger": danger,
        },
    )


@partner_page("partners.change_status")
def partner_status_view(request, partner):
    form = StatusForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_status(
                partner=partner,
                to_status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            partner.refresh_from_db()
            messages.success(
                request,
                _("%(partner)s is now %(status)s.") % {"partner": partner, "status": partner.get_status_display()},
            )
            return redirect("partners:detail", partner.pk)
    intro = _("Current status: %(status)s.") % {"status": partner.get_status_display()}
    return _small_form(request, partner, form, title=_("Change status"), intro=intro)


@partner_page("partners.change_tier")
def partner_tier_view(request, partner):
    form = TierForm(request.POST or None, initial={"tier": partner.tier.code})
    if request.method == "POST" and form.is_valid():
        try:
            services.change_tier(
                partner=partner, tier=form.cleaned_data["tier"], reason=form.cleaned_data["reason"], actor=request.user
            )
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            partner.refresh_from_db()
            messages.success(
                request, _("%(partner)s is now in tier %(tier)s.") % {"partner": partner, "tier": partner.tier}
            )
            return redirect("partners:detail", partner.pk)
    intro = _("Current tier: %(tier)s.") % {"tier": partner.tier}
    return _small_form(request, partner, form, title=_("Change tier"), intro=intro)


@partner_page("partners.change_credit")
def partner_credit_view(request, partner):
    initial = {
        "credit_limit": f"{partner.credit_limit:.2f}",
        "currency": partner.credit_currency,
        "payment_terms_days": partner.payment_terms_days,
    }
    form = CreditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.request_credit_change(
                partner=partner,
                credit_limit=form.cleaned_data["credit_limit"],
                payment_terms_days=form.cleaned_data["payment_terms_days"],
                currency=form.cleaned_data["currency"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            if change.status == CreditTermsChange.Status.PENDING:
                messages.info(
                    request,
                    _("The change waits for approval (%(number)s).") % {"number": change.approval.number},
                )
            else:
                messages.success(request, _("The new credit terms apply now."))
            return redirect("partners:detail", partner.pk)
    intro = _("Current terms: %(currency)s %(limit)s, %(days)d days.") % {
        "currency": partner.credit_currency,
        "limit": f"{partner.credit_limit:,.2f}",
        "days": partner.payment_terms_days,
    }
    return _small_form(request, partner, form, title=_("Change credit terms"), intro=intro)


@partner_page("partners.change")
def partner_parent_view(request, partner):
    form = ParentForm(request.POST or None, initial={"parent": partner.parent.code if partner.parent else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_partner(
                partner=partner, data={"parent_code": form.cleaned_data["parent"].strip()}, actor=request.user
            )
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            messages.success(request, _("The parent distributor of %(partner)s is saved.") % {"partner": partner})
            return redirect("partners:detail", partner.pk)
    return _small_form(request, partner, form, title=_("Parent distributor"))


def _contact_of(partner, contact_id) -> PartnerContact:
    return get_object_or_404(PartnerContact, pk=contact_id, partner=partner)


@partner_page("partners.change")
def contact_create_view(request, partner):
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_contact(partner=partner, data=form.cleaned_data)
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            messages.success(request, _("Contact %(name)s is added.") % {"name": form.cleaned_data["name"]})
            return redirect(reverse("partners:detail", args=[partner.pk]) + "#panel-contacts")
    return _small_form(request, partner, form, title=_("New contact"))


@partner_page("partners.change")
def contact_edit_view(request, partner, contact_id):
    contact = _contact_of(partner, contact_id)
    initial = {
        "name": contact.name,
        "role": contact.role,
        "mobile": contact.mobile,
        "email": contact.email,
        "is_primary": contact.is_primary,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(contact=contact, data=form.cleaned_data)
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            messages.success(request, _("Contact %(name)s is saved.") % {"name": contact.name})
            return redirect(reverse("partners:detail", args=[partner.pk]) + "#panel-contacts")
    return _small_form(request, partner, form, title=_("Edit contact"))


@partner_page("partners.change")
@require_POST
def contact_delete_view(request, partner, contact_id):
    contact = _contact_of(partner, contact_id)
    name = contact.name
    services.delete_contact(contact=contact)
    messages.success(request, _("Contact %(name)s is deleted.") % {"name": name})
    return redirect(reverse("partners:detail", args=[partner.pk]) + "#panel-contacts")


# --- Settings > Tiers ------------------------------------------------------------------------


@hq_page("tiers.manage")
def tiers_view(request):
    tiers = Tier.objects.order_by("rank", "pk")
    tiers = tiers.annotate(partner_count=Count("partners"))
    return render(request, "partners/tiers.html", {"tiers": tiers, "tab": "tiers"})


@hq_page("tiers.manage")
def tier_create_view(request):
    form = TierSettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tier = services.create_tier(data=form.tier_data())
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("Tier %(name)s is created.") % {"name": tier.name})
            return redirect("partners:tiers")
    return render(request, "partners/tier_form.html", {"form": form, "tier": None, "tab": "tiers"})


@hq_page("tiers.manage")
def tier_edit_view(request, tier_id):
    tier = get_object_or_404(Tier, pk=tier_id)
    initial = {
        "code": tier.code,
        "name": tier.name,
        "rank": tier.rank,
        "description": tier.description,
        "is_active": tier.is_active,
    }
    form = TierSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_tier(tier=tier, data=form.tier_data())
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("Tier %(name)s is saved.") % {"name": tier.name})
            return redirect("partners:tiers")
    return render(request, "partners/tier_form.html", {"form": form, "tier": tier, "tab": "tiers"})


# --- applications ------------------------------------------------------------------------------


@hq_page("applications.review")
def applications_view(request):
    form = ApplicationFilterForm(request.GET or None)
    applications = selectors.visible_applications(request.user).select_related("approval__current_step")
    status = request.GET.get("status") or ""
    if status in PartnerApplication.Status.values:
        applications = applications.filter(status=status)
    q = (request.GET.get("q") or "").strip()
    if q:
        applications = applications.filter(
            Q(number__icontains=q)
            | Q(legal_name__icontains=q)
            | Q(credit_code__icontains=q.upper())
            | Q(contact_mobile=q)
        )
    page = paginate(request, applications.order_by("-submitted_at", "-pk"))
    return render(request, "partners/applications.html", {"form": form, "page": page, "applications": page.object_list})


def _visible_application(request, application_id) -> PartnerApplication:
    application = (
        selectors.visible_applications(request.user)
        .select_related("approval__current_step", "approval__flow", "approval__region", "region__parent", "admin_user")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise Http404()
    return application


@hq_page("applications.review", partner_users="404")
def application_detail_view(request, application_id):
    application = _visible_application(request, application_id)
    approval = application.approval
    url = reverse("partners:application_detail", args=[application.pk])
    form = None
    if request.method == "POST":
        if approval is None:
            raise Http404()
        form, response = handle_decision(request, approval, url)
        if response is not None:
            return response
    duplicates = services.find_duplicates(application)
    labels = {
        "credit_code": _("Same credit code"),
        "legal_name": _("Same legal name"),
        "mobile": _("Same contact mobile"),
    }
    for duplicate in duplicates:
        duplicate["reasons"] = [labels.get(key, key) for key in duplicate["matched_on"]]
        if duplicate["kind"] == "partner":
            duplicate["url"] = reverse("partners:detail", args=[duplicate["id"]])
        else:
            duplicate["url"] = reverse("partners:application_detail", args=[duplicate["id"]])
    context = {
        "application": application,
        "duplicates": duplicates,
        "licence_name": PurePosixPath(application.licence.name).name if application.licence else "",
    }
    if approval is not None:
        context.update(approval_context(request.user, approval, form))
    return render(request, "partners/application_detail.html", context)


@hq_page("applications.review", partner_users="404")
def application_licence_view(request, application_id):
    """The licence scan, served to those who may review the application (never a public URL)."""
    application = _visible_application(request, application_id)
    return upload_response(application.licence, application.number)
