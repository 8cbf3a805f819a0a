"""Users, HQ role assignments, personal API tokens and the log-in failure record."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from qudao.core.audit import AuditedModel

from .roles import PERMISSIONS, HQRole


class QudaoUserManager(UserManager):
    def approvers_for(self, role: str, region=None):
        """Active users holding `role` (or admin); with `region`, only those whose regions
        contain it (users with no region restriction count for every region)."""
        holders = self.filter(is_active=True).filter(
            Q(role_assignments__role=role) | Q(role_assignments__role=HQRole.ADMIN)
        )
        if region is not None:
            ancestors = [region.path[: i + 1] for i, char in enumerate(region.path) if char == "/"]
            holders = holders.filter(Q(regions__path__in=ancestors) | Q(role_assignments__role=HQRole.ADMIN))
        return holders.distinct()


class User(AuditedModel, AbstractUser):
    """Anyone who logs in: HQ staff (with one or more HQ roles) or a partner's user (member of
    exactly one partner, see partners.PartnerMember)."""

    email = models.EmailField(_("e-mail"), blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    regions = models.ManyToManyField(
        "core.Region",
        blank=True,
        related_name="managers",
        verbose_name=_("regions"),
        help_text=_("For regional managers and sales: the regions whose partners they see."),
    )

    objects = QudaoUserManager()
    audit_exclude = ("password", "last_login")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="accounts_user_unique_email"),
            models.UniqueConstraint(fields=["mobile"], condition=~Q(mobile=""), name="accounts_user_unique_mobile"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        """The name people read (王芳), not the login name (regional_east): the display name, else
        first and last name."""
        return self.display_name or super().get_full_name()

    # --- roles --------------------------------------------------------------------------
    @cached_property
    def _role_codes(self) -> frozenset[str]:
        codes = set(self.role_assignments.values_list("role", flat=True))
        membership = self.partner_membership
        if membership is not None and membership.is_active:
            codes.add(membership.role)
        return frozenset(codes)

    def role_codes(self) -> frozenset[str]:
        if not self.is_authenticated or not self.is_active:
            return frozenset()
        return self._role_codes

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes() & set(roles))

    @property
    def hq_roles(self) -> list[str]:
        return sorted(self.role_codes() & set(HQRole.values))

    @property
    def is_hq(self) -> bool:
        return bool(self.hq_roles)

    @cached_property
    def partner_membership(self):
        try:
            return self.partner_member  # reverse one-to-one from partners.PartnerMember
        except Exception:  # RelatedObjectDoesNotExist, or the partners app absent
            return None

    @property
    def partner(self):
        membership = self.partner_membership
        return membership.partner if membership and membership.is_active else None

    @property
    def is_partner_user(self) -> bool:
        return self.partner is not None

    def can(self, permission: str) -> bool:
        return bool(self.role_codes() & PERMISSIONS.get(permission, frozenset()))

    @cached_property
    def _region_paths(self) -> tuple[str, ...]:
        return tuple(self.regions.values_list("path", flat=True))

    def region_paths(self) -> tuple[str, ...]:
        return self._region_paths

    def forget_cached_roles(self) -> None:
        for name in ("_role_codes", "_region_paths", "partner_membership"):
            self.__dict__.pop(name, None)


class RoleAssignment(AuditedModel):
    """One HQ role held by one user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=HQRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="accounts_roleassignment_unique")]

    def __str__(self):
        return f"{self.user}: {self.get_role_display()}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(AuditedModel):
    """A personal API token. The secret is shown once at creation; only its SHA-256 is stored."""

    PREFIX = "qd_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = ("key_hash", "last_used_at")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def issue(cls, *, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_prefix=raw[:10], key_hash=hash_token(raw), expires_at=expires_at
        )
        return token, raw

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class LoginFailure(models.Model):
    """A failed log-in (qudao.accounts.services): counted against the account it named (`user`,
    however it was spelled), or against the name typed (`identifier`, trimmed and case-folded)
    when that is no account; and against the client's address."""

    identifier = models.CharField(max_length=150, db_index=True)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="login_failures"
    )
    ip_address = models.CharField(max_length=64, db_index=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.identifier} {self.at:%Y-%m-%d %H:%M}"
