"""The partner portal (mobile-first): a partner user's own profile, its users, its sub-dealers (a
distributor's, to any depth) and its applications. Everything is read through partners.scoping;
another partner's record answers 404. Partner staff may look; only the partner admin changes.
The views parse, authorise, call a service or selector and render."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound

from . import selectors, services
from .forms_portal import (
    ContactForm,
    InviteForm,
    PartnerProfileForm,
    SubDealerSearchForm,
    add_service_errors,
)
from .models import PartnerApplication, PartnerContact, PartnerMember, PartnerStatus
from .scoping import get_visible_partner, is_own_partner_admin, scope

PAGE_SIZE = 20
INVITE_LINK_SESSION_KEY = "portal_invite_link"


def partner_portal(view):
    """Partner users only: anonymous users go to the log-in page, HQ users to their home page.
    Sets request.partner (the user's own partner, read through the scoping rule) and
    request.partner_admin."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.partner is None:
            if user.is_hq:
                return redirect("home")
            raise PermissionDenied
        try:
            request.partner = get_visible_partner(user, user.partner.pk)
            request.partner_admin = is_own_partner_admin(user, request.partner)
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except Forbidden:
            raise PermissionDenied from None

    return wrapper


def _require_admin(request) -> None:
    if not request.partner_admin:
        raise PermissionDenied


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _context(request, section: str, **extra) -> dict:
    partner = request.partner
    recruit_url = _recruit_url(partner) if partner.is_distributor and partner.status == PartnerStatus.ACTIVE else ""
    return {
        "partner": partner,
        "is_partner_admin": request.partner_admin,
        "is_distributor": partner.is_distributor,
        "section": section,
        "recruit_url": recruit_url,
        "recruit_full_url": settings.SITE_URL.rstrip("/") + recruit_url if recruit_url else "",
        **extra,
    }


def _recruit_url(partner) -> str:
    return f"{reverse('apply:form')}?parent={partner.pk}"


# --- profile --------------------------------------------------------------------------------------


@require_GET
@partner_portal
def home_view(request):
    """/portal/: the partner's home page (首页), the cards the contexts registered
    (qudao.partners.portal_home): this month's orders, attainment, rebate progress, credit, orders
    on their way, open promotions, reordering."""
    from .portal_home import cards_for

    return render(request, "portal/home.html", _context(request, "home", cards=cards_for(request)))


@require_GET
@partner_portal
def profile_view(request):
    """/portal/profile/: the partner's own profile (reached from "me")."""
    partner = request.partner
    sub_dealers = selectors.partner_list(request.user, {}).exclude(pk=partner.pk)
    return render(
        request,
        "portal/profile.html",
        _context(
            request,
            "profile",
            contacts=partner.contacts.all(),
            territories=partner.territories.all(),
            sub_dealer_count=sub_dealers.count() if partner.is_distributor else 0,
            user_count=PartnerMember.objects.filter(partner=partner, is_active=True).count(),
        ),
    )


@require_GET
@partner_portal
def me_view(request):
    """/portal/me/: the "me" tab of the phone portal: who is logged in, for which partner, and the
    pages that do not fit in the tab bar (profile, users, sub-dealers, applications, rebates,
    notifications, the account, the language, logging out)."""
    partner = request.partner
    # applications are a distributor's (its sub-dealers'), or the partner's own when it applied online
    shows_applications = partner.is_distributor or PartnerApplication.objects.filter(partner=partner).exists()
    return render(request, "portal/me.html", _context(request, "me", shows_applications=shows_applications))


@require_http_methods(["GET", "POST"])
@partner_portal
def profile_edit_view(request):
    """/portal/profile/edit/: the partner admin keeps address, invoice and bank details and the
    contacts up to date. Everything else on the record is HQ's."""
    _require_admin(request)
    partner = request.partner
    if request.method == "POST":
        form = PartnerProfileForm(request.POST)
        if form.is_valid():
            try:
                services.update_partner(partner=partner, data=form.service_data(), actor=request.user)
            except FieldErrors as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Your details were saved."))
                return redirect("portal:profile_edit")
    else:
        form = PartnerProfileForm(initial=PartnerProfileForm.initial_from(partner))
    return render(
        request,
        "portal/profile_edit.html",
        _context(request, "home", form=form, contacts=partner.contacts.all(), contact_form=ContactForm()),
    )


def _own_contact(request, contact_id) -> PartnerContact:
    contact = scope(PartnerContact.objects.all(), request.user).filter(partner=request.partner, pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


@require_http_methods(["GET", "POST"])
@partner_portal
def contact_add_view(request):
    _require_admin(request)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_contact(partner=request.partner, data=form.service_data())
        except FieldErrors as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The contact was added."))
            return redirect("portal:profile_edit")
    return render(request, "portal/contact_form.html", _context(request, "home", form=form, contact=None))


@require_http_methods(["GET", "POST"])
@partner_portal
def contact_edit_view(request, contact_id: int):
    _require_admin(request)
    contact = _own_contact(request, contact_id)
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                services.update_contact(contact=contact, data=form.service_data())
            except FieldErrors as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The contact was saved."))
                return redirect("portal:profile_edit")
    else:
        form = ContactForm(
            initial={
                "name": contact.name,
                "role": contact.role,
                "mobile": contact.mobile,
                "email": contact.email,
                "is_primary": contact.is_primary,
            }
        )
    return render(request, "portal/contact_form.html", _context(request, "home", form=form, contact=contact))


@require_POST
@partner_portal
def contact_delete_view(request, contact_id: int):
    _require_admin(request)
    contact = _own_contact(request, contact_id)
    services.delete_contact(contact=contact)
    messages.success(request, _("The contact was removed."))
    return redirect("portal:profile_edit")


# --- users ----------------------------------------------------------------------------------------


def _members(request):
    return (
        scope(PartnerMember.objects.all(), request.user)
        .filter(partner=request.partner)
        .select_related("user")
        .order_by("-is_active", "-role", "user__display_name", "user__username", "pk")
    )


def _users_page(request, invite_form, status=200):
    invite_link = request.session.pop(INVITE_LINK_SESSION_KEY, None) if request.method == "GET" else None
    return render(
        request,
        "portal/users.html",
        _context(
            request,
            "users",
            members=_members(request),
            invite_form=invite_form if request.partner_admin else None,
            invite_link=invite_link,
        ),
        status=status,
    )


@require_GET
@partner_portal
def users_view(request):
    """/portal/users/: the partner's users; its admin invites, disables and re-enables them."""
    return _users_page(request, InviteForm())


@require_POST
@partner_portal
def user_invite_view(request):
    _require_admin(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            member, link = services.invite_member(partner=request.partner, actor=request.user, data=form.service_data())
        except FieldErrors as error:
            add_service_errors(form, error)
        else:
            # Shown once, on the next page (kept in the server-side session, not in a cookie message).
            request.session[INVITE_LINK_SESSION_KEY] = {
                "user": str(member.user),
                "username": member.user.username,
                "link": link,
            }
            messages.success(request, _("%(name)s was invited.") % {"name": member.user})
            return redirect("portal:users")
    return _users_page(request, form)


@require_POST
@partner_portal
def user_active_view(request, user_id: int):
    """POST active=1 / active=0: enable or disable one of the partner's users."""
    _require_admin(request)
    active = request.POST.get("active") == "1"
    try:
        member = services.set_member_active(partner=request.partner, actor=request.user, user_id=user_id, active=active)
    except NotFound:
        raise Http404 from None
    except (FieldErrors, Conflict) as error:
        detail = error.errors if isinstance(error, FieldErrors) else {"": [error.detail]}
        for field_messages in detail.values():
            for message in field_messages:
                messages.error(request, str(message))
    else:
        if active:
            messages.success(request, _("%(name)s can log in again.") % {"name": member.user})
        else:
            messages.success(request, _("%(name)s can no longer log in.") % {"name": member.user})
    return redirect("portal:users")


# --- sub-dealers ----------------------------------------------------------------------------------


@require_GET
@partner_portal
def sub_dealers_view(request):
    """/portal/sub-dealers/: a distributor's sub-dealers, to any depth (the scoping rule's own
    answer, minus the partner itself), with search."""
    form = SubDealerSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    sub_dealers = (
        selectors.partner_list(request.user, {"q": query}).exclude(pk=request.partner.pk)
        if request.partner.is_distributor
        else selectors.partner_list(request.user, {}).none()
    )
    page = _page(request, sub_dealers)
    context = _context(request, "sub_dealers", form=form, page=page, query=query)
    if request.htmx and request.htmx.target == "sub-dealer-results":
        return render(request, "portal/_sub_dealer_results.html", context)
    return render(request, "portal/sub_dealers.html", context)


@require_GET
@partner_portal
def sub_dealer_view(request, partner_id: int):
    """/portal/sub-dealers/<id>/: read-only profile of one sub-dealer (404 outside the scope)."""
    if partner_id == request.partner.pk:
        return redirect("portal:profile")
    try:
        sub_dealer = get_visible_partner(request.user, partner_id)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "portal/sub_dealer.html",
        _context(request, "sub_dealers", sub_dealer=sub_dealer, contacts=sub_dealer.contacts.all()),
    )


# --- applications ---------------------------------------------------------------------------------


@require_GET
@partner_portal
def applications_view(request):
    """/portal/applications/: the partner's own application and those made under it."""
    applications = selectors.visible_applications(request.user).order_by("-submitted_at", "-pk")
    return render(
        request, "portal/applications.html", _context(request, "applications", page=_page(request, applications))
    )
