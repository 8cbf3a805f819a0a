"""The scoping rule: the one place that decides which partners (and so which partner-owned
records) a user may see. Every list, detail, export, search and report of partner-owned data
goes through `scope()`; a record outside the scope answers 404, never 403.

- admin, channel manager, finance, operations: every partner.
- regional manager: partners whose region lies inside one of the manager's regions.
- sales: partners it owns (channel manager or regional owner), and those of its regions if any.
- partner users: their own partner and everything below it (a distributor's sub-dealers, to any
  depth). A dealer has nothing below it, so it sees itself only.
A user holding several HQ roles sees the union. Anyone else sees nothing.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet

from qudao.accounts.roles import HQRole
from qudao.core.errors import NotFound

from .models import Partner

_SEE_ALL = {HQRole.ADMIN, HQRole.CHANNEL_MANAGER, HQRole.FINANCE, HQRole.OPERATIONS}
_NOTHING = Q(pk__in=[])


def partner_q(user, prefix: str = "") -> Q | None:
    """The partners `user` may see, as a Q on the partner reached through `prefix` (e.g.
    "partner__"). None means no restriction."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NOTHING
    roles = user.role_codes()
    if roles & _SEE_ALL:
        return None
    allowed = Q(pk__in=[])
    if HQRole.REGIONAL_MANAGER in roles or HQRole.SALES in roles:
        for path in user.region_paths():
            allowed |= Q(**{f"{prefix}region__path__startswith": path})
    if HQRole.SALES in roles:
        allowed |= Q(**{f"{prefix}channel_manager": user}) | Q(**{f"{prefix}regional_owner": user})
    partner = user.partner
    if partner is not None:
        allowed |= path_prefix_q(f"{prefix}path", partner.path)
    return allowed


def path_prefix_q(field: str, path: str) -> Q:
    """`field` starts with the materialised `path` (which ends with "/"), in a form the index
    serves. SQLite's LIKE ignores case, so it cannot use the index and a partner user's list
    scanned every partner; there the same set is the range [path, path with its final "/"
    replaced by "0") ("/" and "0" are adjacent; SQLite compares bytes). PostgreSQL's LIKE uses
    the pattern index Django creates (a range could misorder under a non-C collation)."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + "0"})
    return Q(**{f"{field}__startswith": path})


def scope(queryset: QuerySet, user, partner_field: str = "partner") -> QuerySet:
    """Narrow any queryset of partner-owned records to what `user` may see.
    `partner_field` is the lookup from the model to its partner ("" for Partner itself)."""
    prefix = f"{partner_field}__" if partner_field else ""
    condition = partner_q(user, prefix)
    if condition is None:
        return queryset
    return queryset.filter(condition)


def visible_partners(user) -> QuerySet:
    return scope(Partner.objects.all(), user, partner_field="")


def get_visible_partner(user, pk) -> Partner:
    """The partner with this pk if the user may see it.

    :raises NotFound: no such partner, or not visible to this user (the same answer on purpose).
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    partner = visible_partners(user).select_related("tier", "region", "parent").filter(pk=pk).first()
    if partner is None:
        raise NotFound()
    return partner


def can_manage_partner(user, partner: Partner) -> bool:
    """HQ editing of a partner record (regional managers only inside their regions)."""
    return user.can("partners.change") and visible_partners(user).filter(pk=partner.pk).exists()


def is_own_partner_admin(user, partner: Partner) -> bool:
    membership = user.partner_membership if user.is_authenticated else None
    return bool(
        membership
        and membership.is_active
        and membership.partner_id == partner.pk
        and membership.role == "partner_admin"
    )
