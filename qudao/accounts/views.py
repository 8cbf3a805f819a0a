"""Log-in, log-out, password set-up, the user's own account (language, API tokens) and, for
administrators, the HQ users (Settings > Users)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from qudao.core.errors import FieldErrors, NotFound
from qudao.core.pages import PORTAL_URL, apply_field_errors, hq_page, paginate, safe_next
from qudao.core.proxies import client_address

from . import services
from .forms import AccountForm, HQUserForm, LoginForm, TokenForm
from .models import ApiToken, RoleAssignment, User

LOGIN_BACKEND = "qudao.accounts.backends.LoginIdentifierBackend"
NEW_TOKEN_SESSION_KEY = "qudao_new_api_token"


def home(request):
    """The start page: the log-in for visitors, the workbench for HQ, the portal for partners."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.is_hq:
        return redirect("analytics:workbench")  # by name: accounts never imports analytics
    if user.is_partner_user:
        return redirect(PORTAL_URL)
    return render(request, "accounts/no_access.html", status=403)


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    next_url = safe_next(request, default="")
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url or "home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"].strip()
        ip_address = client_address(request)
        locked_message = _("Too many failed log-ins. Wait %(minutes)d minutes and try again.") % {
            "minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
        }
        try:
            user = services.authenticate_identifier(identifier, form.cleaned_data["password"], ip_address)
        except services.LoginLocked:
            form.add_error(None, locked_message)
        else:
            if user is not None:
                auth_login(request, user, backend=LOGIN_BACKEND)
                return redirect(next_url or "home")
            if services.is_locked_out(identifier, ip_address):
                form.add_error(None, locked_message)
            else:
                form.add_error(None, _("The user name or password is wrong."))
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    auth_logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("accounts:login")


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def set_password_view(request, uidb64, token):
    """Choose a password from a one-time link (invitations, approved applicants). The API's
    POST /api/v1/auth/invitations/accept does the same (services.accept_invitation)."""
    try:
        user = services.user_of_setup_link(uidb64, token)
    except services.InvalidSetupLink:
        return render(request, "accounts/set_password.html", {"valid_link": False}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()  # a new password invalidates the link: the token is bound to the old hash
        if request.user.is_authenticated:
            auth_logout(request)
        messages.success(request, _("Your password is set. Log in with it now."))
        return redirect("accounts:login")
    return render(request, "accounts/set_password.html", {"valid_link": True, "form": form, "set_user": user})


def _remember_language(response, language: str) -> None:
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )


@login_required
def account_view(request):
    user = request.user
    initial = {"display_name": user.display_name, "email": user.email, "mobile": user.mobile, "language": user.language}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(user=user, data=form.cleaned_data)
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            if user.language:
                translation.activate(user.language)  # the message below is already in the new language
                request.LANGUAGE_CODE = user.language
            messages.success(request, _("Your account is saved."))
            response = redirect("accounts:account")
            _remember_language(response, user.language)
            return response
    context = {
        "form": form,
        "roles": sorted(user.role_codes()),
        "regions": user.regions.all(),
        "membership": user.partner_membership,
    }
    return render(request, "accounts/account.html", context)


@require_POST
def language_view(request):
    """The language switch of a logged-in user: saved on the user (so it follows it to every
    device, the API and its e-mails) and applied at once; then Django's own switch sets the
    cookie and sends the user back to where it was."""
    if request.user.is_authenticated:
        try:
            services.set_language(user=request.user, language=request.POST.get("language", ""))
        except FieldErrors as error:
            messages.error(request, "; ".join(str(m) for m in error.errors.get("language", [])))
            return redirect(safe_next(request, default="/"))
        translation.activate(request.user.language)
    return django_set_language(request)


@login_required
def tokens_view(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            token, raw = services.issue_token(
                user=request.user, name=form.cleaned_data["name"], expires_in_days=int(days) if days else None
            )
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            # Shown once: kept in the session only until the next page has displayed it.
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "secret": raw}
            return redirect("accounts:tokens")
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None) if request.method == "GET" else None
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def token_revoke_view(request, token_id):
    try:
        token = services.revoke_token(user=request.user, token_id=token_id)
    except NotFound:
        raise Http404() from None
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


# --- Settings > Users (administrators) ----------------------------------------------------------


def _hq_users():
    return (
        User.objects.filter(pk__in=RoleAssignment.objects.values("user_id"))
        .prefetch_related(Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role")), "regions")
        .order_by("username")
    )


@hq_page("users.manage")
def users_view(request):
    page = paginate(request, _hq_users())
    return render(request, "accounts/users.html", {"page": page, "users": page.object_list})


@hq_page("users.manage")
def user_create_view(request):
    form = HQUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["roles"]:
            form.add_error("roles", _("Give the user at least one role."))
        else:
            try:
                user = services.create_user(
                    username=data["username"],
                    password=data["password"] or None,
                    email=data["email"],
                    mobile=data["mobile"],
                    display_name=data["display_name"],
                    roles=data["roles"],
                    regions=list(data["regions"]),
                )
            except FieldErrors as error:
                apply_field_errors(form, error)
            else:
                messages.success(request, _("User %(user)s is created.") % {"user": user.username})
                if not data["password"]:
                    messages.info(
                        request,
                        _("Send %(user)s this link to choose a password: %(link)s")
                        % {"user": user.username, "link": services.password_setup_link(user)},
                    )
                return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "editing": None})


@hq_page("users.manage")
def user_edit_view(request, user_id):
    edited = get_object_or_404(_hq_users(), pk=user_id)
    initial = {"roles": [a.role for a in edited.role_assignments.all()], "regions": list(edited.regions.all())}
    form = HQUserForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["roles"]:
            form.add_error("roles", _("Give the user at least one role."))
        else:
            services.set_roles(edited, form.cleaned_data["roles"])
            services.set_regions(edited, form.cleaned_data["regions"])
            messages.success(request, _("User %(user)s is saved.") % {"user": edited.username})
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "editing": edited})


@hq_page("users.manage")
@require_POST
def user_active_view(request, user_id):
    edited = get_object_or_404(_hq_users(), pk=user_id)
    active = request.POST.get("active") == "1"
    try:
        services.set_user_active(user=edited, active=active, actor=request.user)
    except FieldErrors as error:
        for message_list in error.errors.values():
            for message in message_list:
                messages.error(request, str(message))
    else:
        if active:
            messages.success(request, _("User %(user)s is active again.") % {"user": edited.username})
        else:
            messages.success(request, _("User %(user)s is deactivated.") % {"user": edited.username})
    return redirect("accounts:users")
