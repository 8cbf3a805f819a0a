"""Helpers shared by the server-rendered pages (HQ console, account pages).

Pages only parse, authorise, call a service and render. These helpers keep that short:
- `hq_page`: log-in required, an HQ role required (partner users go to their portal), an optional
  permission from accounts.roles.PERMISSIONS.
- `apply_field_errors`: a service's FieldErrors shown at the form's fields.
- `paginate`: one COUNT and one LIMIT/OFFSET query, whatever the table's size.
- `safe_next`: a redirect target from the request that cannot leave the site.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import FieldErrors

PORTAL_URL = "/portal/"
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 50


def hq_page(permission: str | None = None, *, partner_users: str = "redirect"):
    """Decorate a page of the HQ console.

    Anonymous visitors are sent to the log-in page. A partner user (no HQ role) is sent to its
    portal (`partner_users="redirect"`, list pages) or answered 404 (`"404"`, record pages: the
    record is none of its business). An HQ user without `permission` gets 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_hq:
                if user.is_partner_user:
                    if partner_users == "404":
                        raise Http404()
                    return redirect(PORTAL_URL)
                raise PermissionDenied()
            if permission and not user.can(permission):
                raise PermissionDenied()
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def apply_field_errors(form, error: FieldErrors, field_map: dict[str, str] | None = None) -> None:
    """Show a service's FieldErrors on a bound form: each message at its field (renamed through
    `field_map` when the form names it differently); "__all__" and keys the form does not have
    become non-field errors, so no message is ever lost."""
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}
    for key, messages in error.errors.items():
        name = (field_map or {}).get(key, key)
        if name in form.fields:
            for message in messages:
                form.add_error(name, str(message))
        else:
            for message in messages:
                # "__all__", or a field this form does not show: keep the name so the message
                # still says what it is about.
                text = str(message) if key in ("__all__", None, "") else f"{key}: {message}"
                form.add_error(None, text)


def page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page") or DEFAULT_PAGE_SIZE)
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def paginate(request, queryset, per_page: int | None = None):
    """The requested page of `queryset` (?page=N). Out-of-range pages give the last page."""
    paginator = Paginator(queryset, per_page or page_size(request))
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def safe_next(request, default: str = "/") -> str:
    """`next` from POST or GET if it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
