"""Account services: log-in with lock-out, users, roles and API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import DomainError, FieldErrors, NotFound
from qudao.core.validators import normalise_mobile

from .models import ApiToken, LoginFailure, RoleAssignment, User, hash_token
from .roles import HQRole


class LoginLocked(Exception):
    pass


def find_user_by_identifier(identifier: str) -> User | None:
    """Username, e-mail or mobile number: whichever the person typed."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    query = Q(username__iexact=identifier)
    if "@" in identifier:
        query |= Q(email__iexact=identifier)
    mobile = normalise_mobile(identifier)
    if mobile:
        query |= Q(mobile=mobile)
    matches = list(User.objects.filter(query)[:2])
    return matches[0] if len(matches) == 1 else None


def login_name(identifier: str) -> str:
    """The name a failure is counted under when it names no account: trimmed, case-folded, and a
    mobile number in its one written form ("+86 139-1234-5678" -> "13912345678")."""
    identifier = (identifier or "").strip()
    return (normalise_mobile(identifier) or identifier.casefold())[:150]


def _recent_failures():
    window_start = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return LoginFailure.objects.filter(at__gte=window_start)


def is_locked_out(identifier: str, ip_address: str = "", *, user: User | None = None) -> bool:
    """Whether a log-in naming `identifier` from `ip_address` is refused for now.

    - An account is locked by LOGIN_FAILURE_LIMIT failures within the window, whichever of its user
      name, e-mail or mobile each one named (resolved as the log-in resolves it).
    - A name that is no account is locked the same way by the failures on that name, so that the
      answers never tell which names are accounts; such failures lock no account.
    - An address is stopped (for every name, right password or not) by four times the limit of
      failed passwords on real accounts: one client trying passwords across many accounts. Guessing
      names that are no account never stops an address: it cannot break into anything, and the
      address may be a whole office, or the reverse proxy when QUDAO_TRUSTED_PROXIES is not set.
    """
    if user is None:
        user = find_user_by_identifier(identifier)
    limit = settings.LOGIN_FAILURE_LIMIT
    recent = _recent_failures()
    if user is not None:
        if recent.filter(user=user).count() >= limit:
            return True
    elif recent.filter(user__isnull=True, identifier=login_name(identifier)).count() >= limit:
        return True
    return bool(ip_address) and recent.filter(ip_address=ip_address, user__isnull=False).count() >= limit * 4


def record_login_failure(identifier: str, ip_address: str = "", *, user: User | None = None) -> None:
    LoginFailure.objects.create(identifier=login_name(identifier), user=user, ip_address=ip_address[:64])


def clear_login_failures(user: User) -> None:
    """A successful log-in: the account starts counting afresh."""
    LoginFailure.objects.filter(user=user).delete()


def authenticate_identifier(identifier: str, password: str, ip_address: str = "") -> User | None:
    """Check a password for a username, e-mail or mobile (`ip_address`: the client's, see
    qudao.core.proxies.client_address).

    :raises LoginLocked: the account (or the unknown name) or the address is locked out for now.
    """
    user = find_user_by_identifier(identifier)
    if is_locked_out(identifier, ip_address, user=user):
        raise LoginLocked()
    if user is None:
        User().set_password(password)  # same work as a real check: no timing oracle for usernames
    elif user.check_password(password) and user.is_active:
        clear_login_failures(user)
        return user
    record_login_failure(identifier, ip_address, user=user)
    return None


def validate_user_fields(*, username: str, email: str, mobile: str, password: str | None, instance=None) -> dict:
    errors = FieldErrors()
    cleaned = {"username": (username or "").strip(), "email": (email or "").strip().lower(), "mobile": ""}
    if not cleaned["username"]:
        errors.add("username", _("This field is required."))
    elif User.objects.filter(username__iexact=cleaned["username"]).exclude(pk=getattr(instance, "pk", None)).exists():
        errors.add("username", _("This username is taken."))
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors.add("email", _("Enter a valid e-mail address."))
        else:
            if User.objects.filter(email__iexact=cleaned["email"]).exclude(pk=getattr(instance, "pk", None)).exists():
                errors.add("email", _("Another user has this e-mail address."))
    if mobile:
        cleaned["mobile"] = normalise_mobile(mobile) or ""
        if not cleaned["mobile"]:
            errors.add("mobile", _("Enter a valid mainland China mobile number (11 digits, starting with 1)."))
        elif User.objects.filter(mobile=cleaned["mobile"]).exclude(pk=getattr(instance, "pk", None)).exists():
            errors.add("mobile", _("Another user has this mobile number."))
    if password is not None:
        try:
            password_validation.validate_password(password, instance or User(username=cleaned["username"]))
        except ValidationError as error:
            for message in error.messages:
                errors.add("password", message)
    if errors.errors:
        raise errors
    return cleaned


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    email: str = "",
    mobile: str = "",
    display_name: str = "",
    roles: list[str] = (),
    regions=(),
    language: str = "",
    is_superuser: bool = False,
) -> User:
    cleaned = validate_user_fields(username=username, email=email, mobile=mobile, password=password)
    unknown = set(roles) - set(HQRole.values)
    if unknown:
        raise FieldErrors.single("roles", _("Unknown role: %(roles)s") % {"roles": ", ".join(sorted(unknown))})
    user = User(
        username=cleaned["username"],
        email=cleaned["email"],
        mobile=cleaned["mobile"],
        display_name=display_name,
        language=language,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role)
    if regions:
        user.regions.set(regions)
    return user


def set_roles(user: User, roles: list[str]) -> None:
    with transaction.atomic():
        RoleAssignment.objects.filter(user=user).exclude(role__in=roles).delete()
        for role in roles:
            RoleAssignment.objects.get_or_create(user=user, role=role)
    user.forget_cached_roles()


def issue_token(*, user: User, name: str, expires_in_days: int | None = 90) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name:
        raise FieldErrors.single("name", _("Give the token a name."), code="required")
    if expires_in_days is not None and not (1 <= expires_in_days <= 3650):
        raise FieldErrors.single("expires_in_days", _("Choose between 1 and 3650 days."))
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    return ApiToken.issue(user=user, name=name, expires_at=expires_at)


def revoke_token(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_token(raw: str) -> User | None:
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # not audited: bookkeeping
    return token.user


def password_setup_link(user: User) -> str:
    """A one-time link where the user chooses its password (invitations, approved applicants)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse("accounts:set_password", args=[uid, token])


class InvalidSetupLink(DomainError):
    """A password set-up link (an invitation) that was used already, has expired
    (settings.PASSWORD_RESET_TIMEOUT), was forged, or whose user is disabled."""

    status = 400
    code = "invalid_link"
    title = _("This link is not valid any more: it was used already, or it has expired. Ask for a new one.")


def user_of_setup_link(uidb64: str, token: str) -> User:
    """The user a one-time password set-up link (password_setup_link) is for, while it is valid: the
    token is bound to the user's password hash and last log-in, so choosing a password uses it up;
    it expires after settings.PASSWORD_RESET_TIMEOUT seconds.

    :raises InvalidSetupLink: used, expired, forged, or the user is disabled."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_str
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(force_str(urlsafe_base64_decode(str(uidb64 or ""))))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        raise InvalidSetupLink() from None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, str(token or "")):
        raise InvalidSetupLink()
    return user


@transaction.atomic
def accept_invitation(*, uidb64: str, token: str, password: str) -> User:
    """Choose the password from a one-time link (an invitation, an approved applicant, an HQ user
    created without a password), with the rules of the link's HTML form (AUTH_PASSWORD_VALIDATORS).
    The link is used up once the password is set.

    :raises InvalidSetupLink: the link (checked first). :raises FieldErrors: password."""
    user = user_of_setup_link(uidb64, token)
    if not password:
        raise FieldErrors.single("password", _("This field is required."))
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise FieldErrors({"password": list(error.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def validate_language(language: str) -> str:
    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise FieldErrors.single(
            "language", _("Choose one of: %(choices)s.") % {"choices": ", ".join(dict(settings.LANGUAGES))}
        )
    return language


def set_language(*, user: User, language: str) -> User:
    """The user's own language ("" follows the browser)."""
    user.language = validate_language(language)
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def update_profile(*, user: User, data: dict) -> User:
    """A user changes its own name, e-mail, mobile and language. :raises FieldErrors:"""
    errors = FieldErrors()
    display_name = (data.get("display_name") or "").strip()
    if len(display_name) > 100:
        errors.add("display_name", _("At most %(max)d characters.") % {"max": 100})
    try:
        cleaned = validate_user_fields(
            username=user.username,
            email=data.get("email", user.email),
            mobile=data.get("mobile", user.mobile),
            password=None,
            instance=user,
        )
    except FieldErrors as error:
        errors.errors.update(error.errors)
        cleaned = {}
    try:
        language = validate_language(data.get("language", user.language))
    except FieldErrors as error:
        errors.errors.update(error.errors)
    if errors.errors:
        raise errors
    user.display_name = display_name
    user.email = cleaned["email"]
    user.mobile = cleaned["mobile"]
    user.language = language
    user.save()
    return user


def set_regions(user: User, regions) -> None:
    """The regions whose partners a regional manager or sales user sees."""
    user.regions.set(list(regions))
    user.forget_cached_roles()


def set_user_active(*, user: User, active: bool, actor: User) -> User:
    """Deactivate (or reactivate) an HQ user: it can no longer log in or use its tokens."""
    if not active and user.pk == actor.pk:
        raise FieldErrors.single("user", _("You cannot deactivate yourself."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user
