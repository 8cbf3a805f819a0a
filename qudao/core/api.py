"""API of the core context: regions, approval flows, notifications and brand settings.

The approval inbox, approval decisions and the audit trail are served by partners.api: reading
them applies the partner scoping rule, which lives in the partners context (core never imports
the contexts above it).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Status

from .errors import Forbidden, NotFound
from .flows import create_flow, deactivate_flow, update_brand_settings, update_flow
from .models import ApprovalFlow, ApprovalStep, BrandSettings, Notification, Region
from .schemas import (
    CountOut,
    FlowFilters,
    FlowIn,
    FlowOut,
    FlowPatch,
    IdParam,
    LongPageParams,
    NotificationFilters,
    NotificationOut,
    PageParams,
    RegionDetailOut,
    RegionFilters,
    RegionOut,
    SettingsOut,
    SettingsPatch,
    amount_out,
    page_of,
    paginate,
)

router = Router(tags=["core"])


def require(user, permission: str) -> None:
    """:raises Forbidden: the user's roles do not include `permission` (see accounts.roles)."""
    if not user.can(permission):
        raise Forbidden()


# --- regions ---------------------------------------------------------------------------------


def region_out(region: Region) -> dict:
    return {
        "code": region.code,
        "name": region.display_name,
        "name_hant": region.name_hant,
        "name_en": region.name_en,
        "full_name": region.full_name,
        "level": region.level,
        "parent": region.parent.code if region.parent_id else None,
    }


@router.get("/regions", response=page_of(RegionOut), auth=None, tags=["regions"])
def region_list(request, filters: Query[RegionFilters], page: Query[LongPageParams]):
    """The geography (country > province > city). Public: the application form uses it too."""
    regions = Region.objects.select_related("parent__parent")
    if filters.parent:
        regions = regions.filter(parent__code=filters.parent)
    if filters.level:
        regions = regions.filter(level=filters.level)
    if filters.q:
        q = filters.q.strip()
        regions = regions.filter(
            Q(code__startswith=q) | Q(name__icontains=q) | Q(name_hant__icontains=q) | Q(name_en__icontains=q)
        )
    return paginate(regions.order_by("path"), page, region_out)


@router.get("/regions/{code}", response=RegionDetailOut, auth=None, tags=["regions"])
def region_detail(request, code: str):
    region = Region.objects.select_related("parent__parent").filter(code=code).first()
    if region is None:
        raise NotFound()
    children = [{"code": child.code, "name": child.display_name} for child in region.children.order_by("path")]
    return region_out(region) | {"children": children}


# --- approval flows --------------------------------------------------------------------------


def _flows():
    return ApprovalFlow.objects.prefetch_related(Prefetch("steps", queryset=ApprovalStep.objects.order_by("sequence")))


def flow_out(flow: ApprovalFlow) -> dict:
    return {
        "id": flow.pk,
        "subject_kind": flow.subject_kind,
        "name": flow.name,
        "conditions": flow.conditions or {},
        "priority": flow.priority,
        "is_active": flow.is_active,
        "steps": [
            {
                "id": step.pk,
                "sequence": step.sequence,
                "name": step.name,
                "approver_role": step.approver_role,
                "match_region": step.match_region,
            }
            for step in flow.steps.all()
        ],
    }


def _get_flow(flow_id: int) -> ApprovalFlow:
    flow = _flows().filter(pk=flow_id).first()
    if flow is None:
        raise NotFound()
    return flow


@router.get("/approval-flows", response=page_of(FlowOut), tags=["approvals"])
def flow_list(request, filters: Query[FlowFilters], page: Query[PageParams]):
    require(request.auth, "approvals.configure")
    flows = _flows()
    if filters.subject_kind:
        flows = flows.filter(subject_kind=filters.subject_kind)
    if filters.active is not None:
        flows = flows.filter(is_active=filters.active)
    return paginate(flows.order_by("subject_kind", "-priority", "pk"), page, flow_out)


@router.post("/approval-flows", response={201: FlowOut}, tags=["approvals"])
def flow_create(request, payload: FlowIn):
    require(request.auth, "approvals.configure")
    flow = create_flow(data=payload.model_dump())
    return Status(201, flow_out(_get_flow(flow.pk)))


@router.get("/approval-flows/{flow_id}", response=FlowOut, tags=["approvals"])
def flow_detail(request, flow_id: IdParam):
    require(request.auth, "approvals.configure")
    return flow_out(_get_flow(flow_id))


@router.patch("/approval-flows/{flow_id}", response=FlowOut, tags=["approvals"])
def flow_update(request, flow_id: IdParam, payload: FlowPatch):
    """Change a flow. Replacing the steps of a flow that requests already went through puts a new
    flow (a new id) in force and deactivates this one, so past decisions keep their steps."""
    require(request.auth, "approvals.configure")
    flow = update_flow(flow=_get_flow(flow_id), data=payload.model_dump(exclude_unset=True))
    return flow_out(_get_flow(flow.pk))


@router.delete("/approval-flows/{flow_id}", response={204: None}, tags=["approvals"])
def flow_delete(request, flow_id: IdParam):
    """Deactivate a flow (requests refer to it, so it is never deleted)."""
    require(request.auth, "approvals.configure")
    deactivate_flow(flow=_get_flow(flow_id))
    return Status(204, None)


# --- notifications ---------------------------------------------------------------------------


@router.get("/notifications", response=page_of(NotificationOut), tags=["notifications"])
def notification_list(request, filters: Query[NotificationFilters], page: Query[PageParams]):
    notifications = Notification.objects.filter(user=request.auth)
    if filters.unread:
        notifications = notifications.filter(read_at__isnull=True)
    return paginate(notifications.order_by("-created_at", "-pk"), page)


@router.post("/notifications/{notification_id}/read", response=NotificationOut, tags=["notifications"])
def notification_read(request, notification_id: IdParam):
    notification = Notification.objects.filter(pk=notification_id, user=request.auth).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@router.post("/notifications/read-all", response=CountOut, tags=["notifications"])
def notification_read_all(request):
    updated = Notification.objects.filter(user=request.auth, read_at__isnull=True).update(read_at=timezone.now())
    return {"updated": updated}


# --- brand settings --------------------------------------------------------------------------


def settings_out(settings_row: BrandSettings) -> dict:
    return {
        "brand_name": settings_row.brand_name,
        "short_name": settings_row.short_name,
        "primary_colour": settings_row.primary_colour,
        # the logo is uploaded on the settings page; served at this address (empty: none)
        "logo_url": reverse("core:brand_logo") if settings_row.logo else "",
        "default_currency": settings_row.default_currency,
        "parent_must_cover_child_region": settings_row.parent_must_cover_child_region,
        "credit_change_approval_threshold": amount_out(settings_row.credit_change_approval_threshold),
        "approval_reminder_hours": settings_row.approval_reminder_hours,
        "updated_at": settings_row.updated_at,
    }


@router.get("/settings", response=SettingsOut, tags=["settings"])
def settings_detail(request):
    if not request.auth.is_hq:
        raise Forbidden()
    return settings_out(BrandSettings.current())


@router.patch("/settings", response=SettingsOut, tags=["settings"])
def settings_update(request, payload: SettingsPatch):
    require(request.auth, "settings.manage")
    return settings_out(update_brand_settings(data=payload.model_dump(exclude_unset=True)))
