"""API: who am I, personal API tokens, accepting an invitation (choosing the password)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from qudao.core.errors import DomainError
from qudao.core.proxies import client_address
from qudao.core.schemas import IdParam, InputSchema, PositiveSmallInt, SecretText, TextSchema

from . import services
from .models import ApiToken
from .roles import ALL_ROLE_LABELS

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    mobile: str
    language: str
    roles: list[str]
    partner_id: int | None
    partner_role: str | None
    region_codes: list[str]


class TokenCreateIn(TextSchema):
    name: str
    expires_in_days: PositiveSmallInt | None = 90
    # Bootstrap without a session or token: give the log-in identifier and password.
    username: str | None = None
    password: SecretText | None = None


class TokenOut(Schema):
    id: int
    name: str
    key_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str


class InvitationAcceptIn(InputSchema):
    uid: str = Field(description="The link's first part after /set-password/ (the user, encoded).", max_length=64)
    token: str = Field(description="The link's second part: the one-time token.", max_length=128)
    password: str = Field(description="The password chosen: the rules of the link's form apply.", max_length=128)


class InvitationAcceptedOut(Schema):
    id: int
    username: str = Field(description="The user name to log in with (also the e-mail address or mobile number).")
    display_name: str
    partner_id: int | None


class TooManyAttempts(DomainError):
    status = 429
    code = "locked_out"


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


def me_payload(user) -> dict:
    membership = user.partner_membership
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "email": user.email,
        "mobile": user.mobile,
        "language": user.language,
        "roles": sorted(user.role_codes()),
        "partner_id": membership.partner_id if membership and membership.is_active else None,
        "partner_role": membership.role if membership and membership.is_active else None,
        "region_codes": list(user.regions.values_list("code", flat=True)),
    }


@router.get("/me", response=MeOut)
def me_detail(request):
    return me_payload(request.auth)


@router.get("/roles", response=dict[str, str])
def role_list(request):
    return {code: str(label) for code, label in ALL_ROLE_LABELS.items()}


@router.get("/auth/tokens", response=list[TokenOut])
def token_list(request):
    return list(ApiToken.objects.filter(user=request.auth))


def _optional_auth(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@router.post("/auth/tokens", response={201: TokenCreatedOut}, auth=None)
def token_create(request, payload: TokenCreateIn):
    """Create a personal API token. With a session (or a token) it is for the caller; otherwise
    give `username` (or e-mail, or mobile) and `password`. The secret is returned only here."""
    from qudao.api import TokenAuth

    user = _optional_auth(request)
    header = request.headers.get("Authorization", "")
    if user is None and header.lower().startswith("bearer "):
        user = TokenAuth().authenticate(request, header.split(" ", 1)[1].strip())
    if user is None:
        ip_address = client_address(request)
        try:
            user = services.authenticate_identifier(payload.username or "", payload.password or "", ip_address)
        except services.LoginLocked:
            raise TooManyAttempts(_("Too many failed log-ins. Try again later.")) from None
        if user is None:
            raise BadCredentials(_("The user name or password is wrong."))
    token, raw = services.issue_token(user=user, name=payload.name, expires_in_days=payload.expires_in_days)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": raw})


@router.post("/auth/invitations/accept", response=InvitationAcceptedOut, auth=None)
def invitation_accept(request, payload: InvitationAcceptIn):
    """Accept an invitation: choose the password with the link the invitation gave
    (`.../set-password/<uid>/<token>/`: an invited partner user, an approved applicant's first user,
    an HQ user created without a password), as its HTML form does and under the same rules. The link
    works once and expires (Django's PASSWORD_RESET_TIMEOUT: 3 days); a used, expired or forged link,
    or a disabled user, answers 400 `invalid_link`, the form's message; a password the rules refuse,
    422 on `password`, and the link stays valid. Then log in (POST /auth/tokens)."""
    user = services.accept_invitation(uidb64=payload.uid, token=payload.token, password=payload.password)
    membership = user.partner_membership
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "partner_id": membership.partner_id if membership and membership.is_active else None,
    }


@router.delete("/auth/tokens/{token_id}", response={204: None})
def token_revoke(request, token_id: IdParam):
    services.revoke_token(user=request.auth, token_id=token_id)
    return Status(204, None)
