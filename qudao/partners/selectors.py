"""Reads of the partner network (the writes are in services). Every function takes the user and
goes through the scoping rule."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from qudao.core.audit import describe
from qudao.core.models import ApprovalRequest, ObjectChange, Region

from .models import CreditTermsChange, Partner, PartnerApplication
from .scoping import partner_q, scope, visible_partners

SORTABLE = {
    "code": "code",
    "-code": "-code",
    "name": "legal_name",
    "-name": "-legal_name",
    "created": "created_at",
    "-created": "-created_at",
    "tier": "tier__rank",
    "-tier": "-tier__rank",
    "region": "region__path",
    "-region": "-region__path",
    "status": "status",
    "-status": "-status",
}


def partner_list(user, filters: dict) -> QuerySet:
    """The partner list with search, filters and sort, as pages, API and export all use it."""
    partners = visible_partners(user).select_related("tier", "region", "parent", "channel_manager")
    q = (filters.get("q") or "").strip()
    if q:
        partners = partners.filter(
            Q(code__icontains=q)
            | Q(legal_name__icontains=q)
            | Q(short_name__icontains=q)
            | Q(credit_code__icontains=q.upper())
        )
    if filters.get("partner_type"):
        partners = partners.filter(partner_type=filters["partner_type"])
    if filters.get("tier"):
        partners = partners.filter(tier__code=filters["tier"])
    if filters.get("status"):
        partners = partners.filter(status=filters["status"])
    if filters.get("region"):
        region = Region.objects.filter(code=filters["region"]).first()
        partners = partners.filter(region__path__startswith=region.path) if region else partners.none()
    if filters.get("owner"):
        owner = str(filters["owner"])
        partners = partners.filter(Q(channel_manager__username=owner) | Q(regional_owner__username=owner))
    if filters.get("tag"):
        partners = partners.filter(tags__name=filters["tag"])
    if filters.get("parent"):
        try:
            partners = partners.filter(parent_id=int(filters["parent"]))
        except (TypeError, ValueError):
            partners = partners.none()
    order = SORTABLE.get(filters.get("sort") or "", "code")
    return partners.order_by(order, "pk")


def audit_trail(user, *, model, object_id=None, partner_id=None) -> QuerySet:
    changes = ObjectChange.objects.select_related("content_type")
    if model is not None:
        changes = changes.filter(content_type=ContentType.objects.get_for_model(model))
    if object_id is not None:
        changes = changes.filter(object_id=str(object_id))
    if partner_id is not None:
        changes = changes.filter(partner_id=partner_id)
    if partner_q(user) is not None:  # restricted: only changes of records of visible partners
        changes = changes.filter(partner_id__in=visible_partners(user).values("pk"))
    return changes


def partner_audit_trail(user, partner: Partner) -> QuerySet:
    return audit_trail(user, model=None, partner_id=partner.pk)


def partner_approvals(user, partner: Partner) -> QuerySet:
    application_ids = [str(pk) for pk in partner.applications.values_list("pk", flat=True)]
    return ApprovalRequest.objects.filter(
        Q(partner_id=partner.pk) | Q(subject_kind="partner_application", subject_id__in=application_ids)
    ).select_related("current_step", "flow")


def visible_applications(user) -> QuerySet:
    """HQ reviewers see applications in their scope (regional managers: their regions); a
    distributor sees applications made under it; everyone else none."""
    applications = PartnerApplication.objects.select_related("region", "parent", "partner")
    if not user.is_authenticated:
        return applications.none()
    if user.can("applications.review") or user.has_role("admin", "channel_manager"):
        if user.has_role("admin", "channel_manager"):
            return applications
        condition = Q(pk__in=[])
        for path in user.region_paths():
            condition |= Q(region__path__startswith=path)
        return applications.filter(condition)
    if user.is_partner_user:
        return applications.filter(Q(parent__path__startswith=user.partner.path) | Q(partner=user.partner))
    return applications.none()


# --- 360 panels ------------------------------------------------------------------------------


def profile_panel(request, partner):
    return {"contacts": partner.contacts.all(), "tags": partner.tags.all(), "territories": partner.territories.all()}


def hierarchy_panel(request, partner):
    ancestors = Partner.objects.filter(pk__in=partner.ancestor_ids()).order_by("depth")
    descendants = (
        scope(Partner.objects.filter(path__startswith=partner.path).exclude(pk=partner.pk), request.user, "")
        .select_related("tier", "region")
        .order_by("path")[:500]
    )
    return {"ancestors": ancestors, "descendants": descendants}


def contacts_panel(request, partner):
    return {"contacts": partner.contacts.all()}


def credit_panel(request, partner):
    return {"credit_changes": CreditTermsChange.objects.filter(partner=partner).select_related("requested_by")[:50]}


def approvals_panel(request, partner):
    return {"approval_requests": partner_approvals(request.user, partner)[:50]}


AUDIT_PANEL_ENTRIES = 10  # the 360 page shows the latest few; "show more" pages through the rest
AUDIT_PAGE_ENTRIES = 30


def audit_panel(request, partner):
    changes = list(partner_audit_trail(request.user, partner).order_by("-at", "-pk")[: AUDIT_PANEL_ENTRIES + 1])
    return {
        "entries": describe(changes[:AUDIT_PANEL_ENTRIES]),
        "next_page": 1 if len(changes) > AUDIT_PANEL_ENTRIES else None,
    }


def audit_page(request, partner):
    """One page of the partner's audit trail as readable entries (page 1 continues the panel)."""
    number = _page_number(request.GET.get("page"))
    start = AUDIT_PANEL_ENTRIES + (number - 1) * AUDIT_PAGE_ENTRIES
    changes = list(
        partner_audit_trail(request.user, partner).order_by("-at", "-pk")[start : start + AUDIT_PAGE_ENTRIES + 1]
    )
    return {
        "entries": describe(changes[:AUDIT_PAGE_ENTRIES]),
        "page_number": number,
        "next_page": number + 1 if len(changes) > AUDIT_PAGE_ENTRIES else None,
    }


def _page_number(raw) -> int:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1
