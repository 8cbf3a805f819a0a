"""API of the partner network: tiers, partners (profile, hierarchy, status, tier, contacts, credit
terms, users), onboarding applications, the approval inbox and the audit trail.

Handlers parse, authorise, call one service or selector, and shape the answer. Every read of
partner-owned data goes through partners.scoping (or a selector built on it): a record the caller
may not see answers 404; a visible record the caller's roles may not act on answers 403. The
approval inbox and the audit trail are served here rather than by core because reading them
applies that scoping rule.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router, Status, UploadedFile

from qudao.core import approvals
from qudao.core.api import require
from qudao.core.audit import AuditedModel
from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.core.models import ApprovalDecision, ApprovalRequest, ApprovalStep, ObjectChange
from qudao.core.schemas import (
    ChangeFilters,
    ChangeOut,
    IdParam,
    PageParams,
    amount_out,
    check_if_match,
    etag_for,
    page_of,
    paginate,
)
from qudao.core.uploads import upload_response

from . import selectors, services
from .models import (
    CreditTermsChange,
    Partner,
    PartnerApplication,
    PartnerContact,
    PartnerMember,
    PartnerStatusChange,
    Tier,
    TierChange,
)
from .schemas import (
    ApplicationCreatedOut,
    ApplicationFilters,
    ApplicationForm,
    ApplicationListOut,
    ApplicationOut,
    ApplicationResubmitForm,
    ApplicationStatusOut,
    ApprovalDecisionIn,
    ApprovalFilters,
    ApprovalListOut,
    ApprovalOut,
    ChildrenFilters,
    ContactIn,
    ContactOut,
    ContactPatch,
    CreditChangeIn,
    CreditChangeOut,
    MemberIn,
    MemberInvitedOut,
    MemberOut,
    PartnerFilters,
    PartnerIn,
    PartnerListOut,
    PartnerOut,
    PartnerPatch,
    PartnerStatusChangeOut,
    StatusChangeIn,
    TierChangeIn,
    TierChangeOut,
    TierFilters,
    TierIn,
    TierOut,
    TierPatch,
)
from .scoping import can_manage_partner, get_visible_partner, is_own_partner_admin, partner_q, visible_partners

router = Router(tags=["partners"])


# --- answer shapes ---------------------------------------------------------------------------


def _username(user) -> str | None:
    return user.username if user is not None else None


def region_ref(region) -> dict | None:
    return {"code": region.code, "name": region.display_name} if region is not None else None


def tier_ref(tier) -> dict | None:
    return {"id": tier.pk, "code": tier.code, "name": tier.name} if tier is not None else None


def partner_ref(partner) -> dict | None:
    return {"id": partner.pk, "code": partner.code, "name": str(partner)} if partner is not None else None


def partner_list_out(partner: Partner) -> dict:
    return {
        "id": partner.pk,
        "code": partner.code,
        "partner_type": partner.partner_type,
        "legal_name": partner.legal_name,
        "short_name": partner.short_name,
        "credit_code": partner.credit_code,
        "status": partner.status,
        "tier": tier_ref(partner.tier),
        "region": region_ref(partner.region),
        "parent": partner_ref(partner.parent),
        "depth": partner.depth,
        "channel_manager": _username(partner.channel_manager),
        "regional_owner": _username(partner.regional_owner),
        "created_at": partner.created_at,
    }


def _detailed(partner_id: int) -> Partner:
    """One partner with everything the detail shows (a fixed number of queries)."""
    return (
        Partner.objects.select_related("tier", "region", "parent", "channel_manager", "regional_owner")
        .prefetch_related("tags", "contacts", "territories")
        .get(pk=partner_id)
    )


def partner_out(partner: Partner) -> dict:
    return partner_list_out(partner) | {
        "address": partner.address,
        "invoice_title": partner.invoice_title,
        "invoice_address_phone": partner.invoice_address_phone,
        "bank_name": partner.bank_name,
        "bank_account": partner.bank_account,
        "product_lines": list(partner.product_lines or []),
        "territories": [region_ref(region) for region in partner.territories.all()],
        "tags": [tag.name for tag in partner.tags.all()],
        "contacts": [contact_out(contact) for contact in partner.contacts.all()],
        "credit": {
            "credit_limit": amount_out(partner.credit_limit),
            "currency": partner.credit_currency,
            "payment_terms_days": partner.payment_terms_days,
        },
        "path": partner.path,
        "updated_at": partner.updated_at,
    }


def _partner_answer(response: HttpResponse, partner_id: int) -> dict:
    partner = _detailed(partner_id)
    response["ETag"] = etag_for(partner.updated_at)
    return partner_out(partner)


def contact_out(contact: PartnerContact) -> dict:
    return {
        "id": contact.pk,
        "name": contact.name,
        "role": contact.role,
        "mobile": contact.mobile,
        "email": contact.email,
        "is_primary": contact.is_primary,
    }


def credit_change_out(change: CreditTermsChange) -> dict:
    approval = change.approval
    return {
        "id": change.pk,
        "status": change.status,
        "old_limit": amount_out(change.old_limit),
        "new_limit": amount_out(change.new_limit),
        "old_currency": change.old_currency,
        "new_currency": change.new_currency,
        "old_terms_days": change.old_terms_days,
        "new_terms_days": change.new_terms_days,
        "reason": change.reason,
        "requested_by": _username(change.requested_by),
        "requested_at": change.requested_at,
        "decided_at": change.decided_at,
        "approval": (
            {"id": approval.pk, "number": approval.number, "status": approval.status} if approval is not None else None
        ),
    }


def member_out(member: PartnerMember) -> dict:
    user = member.user
    return {
        "user_id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "email": user.email,
        "mobile": user.mobile,
        "role": member.role,
        "is_active": member.is_active,
        "created_at": member.created_at,
    }


def change_out(change: ObjectChange) -> dict:
    content_type = change.content_type
    return {
        "id": change.pk,
        "at": change.at,
        "actor": change.actor_name,
        "action": change.action,
        "model": f"{content_type.app_label}.{content_type.model}",
        "object_id": change.object_id,
        "object_repr": change.object_repr,
        "partner_id": change.partner_id,
        "request_id": change.request_id,
        "changes": change.changed_fields,
    }


# --- tiers -----------------------------------------------------------------------------------


@router.get("/tiers", response=page_of(TierOut), tags=["tiers"])
def tier_list(request, filters: Query[TierFilters], page: Query[PageParams]):
    tiers = Tier.objects.all()
    if filters.active is not None:
        tiers = tiers.filter(is_active=filters.active)
    return paginate(tiers.order_by("rank", "pk"), page)


@router.post("/tiers", response={201: TierOut}, tags=["tiers"])
def tier_create(request, payload: TierIn):
    require(request.auth, "tiers.manage")
    return Status(201, services.create_tier(data=payload.model_dump()))


@router.patch("/tiers/{tier_id}", response=TierOut, tags=["tiers"])
def tier_update(request, tier_id: IdParam, payload: TierPatch):
    require(request.auth, "tiers.manage")
    tier = Tier.objects.filter(pk=tier_id).first()
    if tier is None:
        raise NotFound()
    return services.update_tier(tier=tier, data=payload.model_dump(exclude_unset=True))


# --- partners --------------------------------------------------------------------------------


@router.get("/partners", response=page_of(PartnerListOut))
def partner_list(request, filters: Query[PartnerFilters], page: Query[PageParams]):
    require(request.auth, "partners.view")
    partners = selectors.partner_list(request.auth, filters.model_dump()).select_related("regional_owner")
    return paginate(partners, page, partner_list_out)


@router.post("/partners", response={201: PartnerOut})
def partner_create(request, response: HttpResponse, payload: PartnerIn):
    user = request.auth
    require(user, "partners.create")
    data = payload.model_dump(exclude={"contacts"})
    contacts = [contact.model_dump() for contact in payload.contacts]
    # Report the partner's and every contact's mistakes together, contacts as contacts.<i>.<field>.
    errors = FieldErrors()
    try:
        services.clean_partner_data(data)
    except FieldErrors as error:
        errors.errors.update(error.errors)
    for index, contact in enumerate(contacts):
        try:
            services.clean_contact(contact)
        except FieldErrors as error:
            for field, messages in error.errors.items():
                errors.errors[f"contacts.{index}.{field}"] = messages
    if errors.errors:
        raise errors
    partner = services.create_partner(data=data, actor=user, contacts=contacts)
    return Status(201, _partner_answer(response, partner.pk))


@router.get("/partners/{partner_id}", response=PartnerOut)
def partner_detail(request, response: HttpResponse, partner_id: IdParam):
    """The partner's full record. The ETag header names this version; send it back as If-Match
    when changing the partner to be told (412) when someone else changed it in between."""
    partner = get_visible_partner(request.auth, partner_id)
    return _partner_answer(response, partner.pk)


@router.patch("/partners/{partner_id}", response=PartnerOut)
def partner_update(request, response: HttpResponse, partner_id: IdParam, payload: PartnerPatch):
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    require(user, "partners.change")
    if not can_manage_partner(user, partner):
        raise Forbidden()
    with transaction.atomic():
        current = Partner.objects.select_for_update().filter(pk=partner.pk).values_list("updated_at", flat=True).get()
        check_if_match(request.headers.get("If-Match"), etag_for(current))
        services.update_partner(partner=partner, data=payload.model_dump(exclude_unset=True), actor=user)
    return _partner_answer(response, partner.pk)


@router.post("/partners/{partner_id}/status", response=PartnerOut)
def partner_change_status(request, response: HttpResponse, partner_id: IdParam, payload: StatusChangeIn):
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    require(user, "partners.change_status")
    services.change_status(partner=partner, to_status=payload.status, reason=payload.reason, actor=user)
    return _partner_answer(response, partner.pk)


@router.post("/partners/{partner_id}/tier", response=PartnerOut)
def partner_change_tier(request, response: HttpResponse, partner_id: IdParam, payload: TierChangeIn):
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    require(user, "partners.change_tier")
    services.change_tier(partner=partner, tier=payload.tier, reason=payload.reason, actor=user)
    return _partner_answer(response, partner.pk)


@router.get("/partners/{partner_id}/status-history", response=page_of(PartnerStatusChangeOut))
def partner_status_history(request, partner_id: IdParam, page: Query[PageParams]):
    partner = get_visible_partner(request.auth, partner_id)
    history = PartnerStatusChange.objects.filter(partner=partner).select_related("actor").order_by("-at", "-pk")
    return paginate(
        history,
        page,
        lambda row: {
            "id": row.pk,
            "from_status": row.from_status,
            "to_status": row.to_status,
            "reason": row.reason,
            "actor": _username(row.actor),
            "at": row.at,
        },
    )


@router.get("/partners/{partner_id}/tier-history", response=page_of(TierChangeOut))
def partner_tier_history(request, partner_id: IdParam, page: Query[PageParams]):
    partner = get_visible_partner(request.auth, partner_id)
    history = (
        TierChange.objects.filter(partner=partner)
        .select_related("actor", "from_tier", "to_tier")
        .order_by("-at", "-pk")
    )
    return paginate(
        history,
        page,
        lambda row: {
            "id": row.pk,
            "from_tier": tier_ref(row.from_tier),
            "to_tier": tier_ref(row.to_tier),
            "reason": row.reason,
            "actor": _username(row.actor),
            "at": row.at,
        },
    )


@router.get("/partners/{partner_id}/children", response=page_of(PartnerListOut))
def partner_children(request, partner_id: IdParam, filters: Query[ChildrenFilters], page: Query[PageParams]):
    """The sub-dealers below a distributor (direct ones with depth=1), as far as the caller sees."""
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    if filters.depth == "1":
        below = visible_partners(user).filter(parent_id=partner.pk)
    else:
        below = visible_partners(user).filter(path__startswith=partner.path).exclude(pk=partner.pk)
    below = below.select_related("tier", "region", "parent", "channel_manager", "regional_owner")
    return paginate(below.order_by("path"), page, partner_list_out)


@router.get("/partners/{partner_id}/changes", response=page_of(ChangeOut), tags=["audit"])
def partner_changes(request, partner_id: IdParam, page: Query[PageParams]):
    """The audit trail of the partner and of its records (contacts, users, applications...)."""
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    require(user, "audit.view")
    return paginate(selectors.partner_audit_trail(user, partner), page, change_out)


# --- contacts --------------------------------------------------------------------------------


def _require_contact_editor(user, partner: Partner) -> None:
    if not (can_manage_partner(user, partner) or is_own_partner_admin(user, partner)):
        raise Forbidden()


def _get_contact(partner: Partner, contact_id: int) -> PartnerContact:
    contact = PartnerContact.objects.filter(partner=partner, pk=contact_id).select_related("partner").first()
    if contact is None:
        raise NotFound()
    return contact


@router.get("/partners/{partner_id}/contacts", response=page_of(ContactOut), tags=["contacts"])
def contact_list(request, partner_id: IdParam, page: Query[PageParams]):
    partner = get_visible_partner(request.auth, partner_id)
    return paginate(PartnerContact.objects.filter(partner=partner).order_by("-is_primary", "pk"), page, contact_out)


@router.post("/partners/{partner_id}/contacts", response={201: ContactOut}, tags=["contacts"])
def contact_create(request, partner_id: IdParam, payload: ContactIn):
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    _require_contact_editor(user, partner)
    return Status(201, contact_out(services.add_contact(partner=partner, data=payload.model_dump())))


@router.patch("/partners/{partner_id}/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def contact_update(request, partner_id: IdParam, contact_id: IdParam, payload: ContactPatch):
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    contact = _get_contact(partner, contact_id)
    _require_contact_editor(user, partner)
    data = payload.model_dump(exclude_unset=True)
    return contact_out(services.update_contact(contact=contact, data=data))


@router.delete("/partners/{partner_id}/contacts/{contact_id}", response={204: None}, tags=["contacts"])
def contact_delete(request, partner_id: IdParam, contact_id: IdParam):
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    contact = _get_contact(partner, contact_id)
    _require_contact_editor(user, partner)
    services.delete_contact(contact=contact)
    return Status(204, None)


# --- credit terms ----------------------------------------------------------------------------


@router.get("/partners/{partner_id}/credit-changes", response=page_of(CreditChangeOut), tags=["credit"])
def credit_change_list(request, partner_id: IdParam, page: Query[PageParams]):
    partner = get_visible_partner(request.auth, partner_id)
    changes = (
        CreditTermsChange.objects.filter(partner=partner)
        .select_related("requested_by", "approval")
        .order_by("-requested_at", "-pk")
    )
    return paginate(changes, page, credit_change_out)


@router.post("/partners/{partner_id}/credit-changes", response={201: CreditChangeOut}, tags=["credit"])
def credit_change_create(request, partner_id: IdParam, payload: CreditChangeIn):
    """Finance changes the credit terms. Up to the brand's threshold the change applies at once
    (status "applied"); a larger increase waits for approval (status "pending", with the approval
    request's number)."""
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    change = services.request_credit_change(
        partner=partner,
        credit_limit=payload.credit_limit,
        payment_terms_days=payload.payment_terms_days,
        currency=payload.currency,
        reason=payload.reason,
        actor=user,
    )
    change = CreditTermsChange.objects.select_related("requested_by", "approval").get(pk=change.pk)
    return Status(201, credit_change_out(change))


# --- partner users ---------------------------------------------------------------------------


def _require_member_manager(user, partner: Partner) -> None:
    # The same rule services.invite_member / set_member_active enforce; checked here first so that
    # a visible partner answers 403 rather than the service's 404.
    if not services._can_manage_members(user, partner):
        raise Forbidden()


@router.get("/partners/{partner_id}/members", response=page_of(MemberOut), tags=["members"])
def member_list(request, partner_id: IdParam, page: Query[PageParams]):
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    if not user.is_hq:
        _require_member_manager(user, partner)
    members = PartnerMember.objects.filter(partner=partner).select_related("user").order_by("role", "pk")
    return paginate(members, page, member_out)


@router.post("/partners/{partner_id}/members", response={201: MemberInvitedOut}, tags=["members"])
def member_invite(request, partner_id: IdParam, payload: MemberIn):
    """Add a user to the partner. The answer carries the one-time link where the new user chooses
    its password (also e-mailed when an e-mail address is given)."""
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    _require_member_manager(user, partner)
    member, link = services.invite_member(partner=partner, actor=user, data=payload.model_dump())
    return Status(201, {"member": member_out(member), "set_password_link": link})


def _set_member_active(request, partner_id: int, user_id: int, active: bool) -> dict:
    user = request.auth
    partner = get_visible_partner(user, partner_id)
    _require_member_manager(user, partner)
    member = services.set_member_active(partner=partner, actor=user, user_id=user_id, active=active)
    return member_out(PartnerMember.objects.select_related("user").get(pk=member.pk))


@router.post("/partners/{partner_id}/members/{user_id}/disable", response=MemberOut, tags=["members"])
def member_disable(request, partner_id: IdParam, user_id: IdParam):
    return _set_member_active(request, partner_id, user_id, False)


@router.post("/partners/{partner_id}/members/{user_id}/enable", response=MemberOut, tags=["members"])
def member_enable(request, partner_id: IdParam, user_id: IdParam):
    return _set_member_active(request, partner_id, user_id, True)


# --- onboarding applications -----------------------------------------------------------------


def _product_lines(values) -> str:
    """Repeated form fields and comma-separated ones alike; the service splits the string."""
    return ",".join(value for value in (values or []) if value)


def _application_by_token(token: str) -> PartnerApplication:
    application = (
        PartnerApplication.objects.select_related("admin_user", "approval").filter(access_token=token).first()
        if token
        else None
    )
    if application is None:
        raise NotFound()
    return application


def application_status_out(application: PartnerApplication) -> dict:
    comment = None
    if application.status in (PartnerApplication.Status.RETURNED, PartnerApplication.Status.REJECTED):
        decision = (
            ApprovalDecision.objects.filter(
                request_id=application.approval_id,
                decision__in=[ApprovalDecision.Decision.RETURN, ApprovalDecision.Decision.REJECT],
            )
            .order_by("-at", "-pk")
            .first()
        )
        comment = decision.comment if decision else ""
    approved = application.status == PartnerApplication.Status.APPROVED
    return {
        "number": application.number,
        "status": application.status,
        "status_label": str(application.get_status_display()),
        "legal_name": application.legal_name,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
        "comment": comment,
        "login_username": _username(application.admin_user) if approved else None,
    }


@router.post("/applications", response={201: ApplicationCreatedOut}, auth=None, tags=["applications"])
def application_create(request, form: Form[ApplicationForm], licence: File[UploadedFile] = None):
    """Apply to become a partner (public; multipart form with the licence scan as "licence": PDF,
    JPG or PNG). Keep the access token: it is the only way to follow and correct the application."""
    data = form.model_dump() | {"product_lines": _product_lines(form.product_lines)}
    application = services.submit_application(data=data, licence=licence)
    return Status(
        201,
        {
            "number": application.number,
            "status": application.status,
            "access_token": application.access_token,
            "status_url": services.application_status_url(application),
        },
    )


@router.get("/applications/status/{token}", response=ApplicationStatusOut, auth=None, tags=["applications"])
def application_status(request, token: str):
    """Where an application stands (public, with the application's access token)."""
    return application_status_out(_application_by_token(token))


@router.post("/applications/status/{token}/resubmit", response=ApplicationStatusOut, auth=None, tags=["applications"])
def application_resubmit(request, token: str, form: Form[ApplicationResubmitForm], licence: File[UploadedFile] = None):
    """Correct and resubmit an application returned for changes (public, with its access token).
    Fields not sent keep their values; the licence scan is optional."""
    application = _application_by_token(token)
    data = {
        "partner_type": application.partner_type,
        "legal_name": application.legal_name,
        "short_name": application.short_name,
        "credit_code": application.credit_code,
        "region": application.region.code,
        "address": application.address,
        "product_lines": list(application.product_lines or []),
        "parent": application.parent_id,
        "contact_name": application.contact_name,
        "contact_mobile": application.contact_mobile,
        "contact_email": application.contact_email,
        "message": application.message,
    }
    changes = form.model_dump(exclude_none=True)
    if "product_lines" in changes:
        changes["product_lines"] = _product_lines(changes["product_lines"])
    application = services.resubmit_application(application=application, data=data | changes, licence=licence)
    return application_status_out(_application_by_token(application.access_token))


def application_list_out(application: PartnerApplication) -> dict:
    return {
        "id": application.pk,
        "number": application.number,
        "status": application.status,
        "partner_type": application.partner_type,
        "legal_name": application.legal_name,
        "credit_code": application.credit_code,
        "region": region_ref(application.region),
        "parent": partner_ref(application.parent),
        "contact_name": application.contact_name,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
    }


@router.get("/applications", response=page_of(ApplicationListOut), tags=["applications"])
def application_list(request, filters: Query[ApplicationFilters], page: Query[PageParams]):
    applications = selectors.visible_applications(request.auth)
    if filters.status:
        applications = applications.filter(status=filters.status)
    if filters.q:
        q = filters.q.strip()
        applications = applications.filter(
            Q(number__icontains=q)
            | Q(legal_name__icontains=q)
            | Q(credit_code__icontains=q.upper())
            | Q(contact_mobile=q)
        )
    return paginate(applications.order_by("-submitted_at", "-pk"), page, application_list_out)


def _visible_application(user, application_id: int) -> PartnerApplication:
    application = (
        selectors.visible_applications(user)
        .select_related("admin_user", "approval__flow", "approval__current_step")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound()
    return application


@router.get("/applications/{application_id}", response=ApplicationOut, tags=["applications"])
def application_detail(request, application_id: IdParam):
    """An application as the reviewer sees it, with look-alike partners and applications."""
    application = _visible_application(request.auth, application_id)
    approval = application.approval
    return application_list_out(application) | {
        "short_name": application.short_name,
        "address": application.address,
        "product_lines": list(application.product_lines or []),
        "contact_mobile": application.contact_mobile,
        "contact_email": application.contact_email,
        "message": application.message,
        "licence_url": (
            reverse("api:application_licence", kwargs={"application_id": application.pk})
            if application.licence
            else None
        ),
        "partner": partner_ref(application.partner),
        "admin_username": _username(application.admin_user),
        "duplicates": services.find_duplicates(application),
        "approval": (
            {
                "id": approval.pk,
                "number": approval.number,
                "status": approval.status,
                "flow": approval.flow.name,
                "current_step": approval.current_step.name if approval.current_step else None,
                "round": approval.round,
            }
            if approval is not None
            else None
        ),
    }


@router.get("/applications/{application_id}/licence", tags=["applications"])
def application_licence(request, application_id: IdParam):
    """The business licence scan of an application the caller may see."""
    application = _visible_application(request.auth, application_id)
    if not application.licence:
        raise NotFound()
    return upload_response(application.licence, application.number)


# --- approvals -------------------------------------------------------------------------------


def _readable_requests(user):
    """Approval requests the user may read: the engine's rule, narrowed to subjects of partners
    the user may see (a request with no partner is the engine's business alone)."""
    require(user, "approvals.view")
    requests = approvals.visible_requests(user)
    if partner_q(user) is not None:
        requests = requests.filter(Q(partner_id__isnull=True) | Q(partner_id__in=visible_partners(user).values("pk")))
    return requests


def step_ref(step: ApprovalStep | None) -> dict | None:
    if step is None:
        return None
    return {
        "id": step.pk,
        "sequence": step.sequence,
        "name": step.name,
        "approver_role": step.approver_role,
        "match_region": step.match_region,
    }


def approval_list_out(request_row: ApprovalRequest) -> dict:
    return {
        "id": request_row.pk,
        "number": request_row.number,
        "subject_kind": request_row.subject_kind,
        "subject_id": request_row.subject_id,
        "title": request_row.title,
        "status": request_row.status,
        "current_step": step_ref(request_row.current_step),
        "region": region_ref(request_row.region),
        "partner_id": request_row.partner_id,
        "submitted_by": _username(request_row.submitted_by),
        "round": request_row.round,
        "created_at": request_row.created_at,
        "step_started_at": request_row.step_started_at,
        "decided_at": request_row.decided_at,
    }


def approval_out(user, request_row: ApprovalRequest) -> dict:
    try:
        handler = approvals.get_handler(request_row.subject_kind)
        label, url = str(handler.label), handler.subject_url(request_row)
    except LookupError:
        label, url = request_row.subject_kind, ""
    steps = ApprovalStep.objects.filter(flow_id=request_row.flow_id).order_by("sequence")
    decisions = (
        ApprovalDecision.objects.filter(request=request_row).select_related("actor", "step").order_by("at", "pk")
    )
    return approval_list_out(request_row) | {
        "subject_label": label,
        "subject_url": url,
        "flow": {"id": request_row.flow.pk, "name": request_row.flow.name},
        "steps": [step_ref(step) for step in steps],
        "decisions": [
            {
                "id": decision.pk,
                "step": decision.step.name if decision.step else None,
                "round": decision.round,
                "actor": _username(decision.actor),
                "decision": decision.decision,
                "comment": decision.comment,
                "at": decision.at,
            }
            for decision in decisions
        ],
        "can_decide": approvals.can_decide(user, request_row),
    }


def _readable_request(user, request_id: int) -> ApprovalRequest:
    request_row = (
        _readable_requests(user)
        .select_related("current_step", "region", "submitted_by", "flow")
        .filter(pk=request_id)
        .first()
    )
    if request_row is None:
        raise NotFound()
    return request_row


def _require_decidable(user, request_id: int, expected_step_id: int | None) -> None:
    """404 unless the user may read the request, or was an approver of the step it saw: an
    approver who loses a race (the request moved on and left its inbox) is told 409, not 404.

    :raises NotFound: neither.
    """
    if _readable_requests(user).filter(pk=request_id).exists():
        return
    row = ApprovalRequest.objects.select_related("region").filter(pk=request_id).first()
    if row is not None and expected_step_id is not None:
        partner_visible = row.partner_id is None or visible_partners(user).filter(pk=row.partner_id).exists()
        step = ApprovalStep.objects.filter(pk=expected_step_id, flow_id=row.flow_id).first()
        seen = ApprovalRequest(status=ApprovalRequest.Status.PENDING, current_step=step, region=row.region)
        if partner_visible and step is not None and approvals.can_decide(user, seen):
            return
    raise NotFound()


@router.get("/approvals", response=page_of(ApprovalListOut), tags=["approvals"])
def approval_list(request, filters: Query[ApprovalFilters], page: Query[PageParams]):
    """box=inbox: the requests waiting for the caller's decision; box=all: every one it may read."""
    user = request.auth
    requests = _readable_requests(user)
    if filters.box == "inbox":
        requests = requests.filter(pk__in=approvals.inbox_for(user).values("pk"))
    if filters.status:
        requests = requests.filter(status=filters.status)
    if filters.subject_kind:
        requests = requests.filter(subject_kind=filters.subject_kind)
    requests = requests.select_related("current_step", "region", "submitted_by").order_by("-created_at", "-pk")
    return paginate(requests, page, approval_list_out)


@router.get("/approvals/{request_id}", response=ApprovalOut, tags=["approvals"])
def approval_detail(request, request_id: IdParam):
    return approval_out(request.auth, _readable_request(request.auth, request_id))


@router.post("/approvals/{request_id}/decision", response=ApprovalOut, tags=["approvals"])
def approval_decide(request, request_id: IdParam, payload: ApprovalDecisionIn):
    """Approve, reject or return the request's current step (a comment is needed to reject or
    return). 403 when the caller is not an approver of the step; 409 when the request was decided
    (or moved on past `expected_step_id`) in the meantime."""
    user = request.auth
    _require_decidable(user, request_id, payload.expected_step_id)
    approvals.decide(
        request_id=request_id,
        actor=user,
        decision=payload.decision,
        comment=payload.comment,
        expected_step_id=payload.expected_step_id,
    )
    return approval_out(user, _readable_request(user, request_id))


# --- audit trail -----------------------------------------------------------------------------


def _audited_model(label: str | None):
    if not label:
        return None
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        model = None
    if model is None or not issubclass(model, AuditedModel):
        raise FieldErrors.single("model", _("Unknown model: %(value)s.") % {"value": label})
    return model


@router.get("/changes", response=page_of(ChangeOut), tags=["audit"])
def change_list(request, filters: Query[ChangeFilters], page: Query[PageParams]):
    """The audit trail: who changed what, when, before and after; only records the caller may see."""
    user = request.auth
    require(user, "audit.view")
    model = _audited_model(filters.model)
    changes = selectors.audit_trail(user, model=model, object_id=filters.object_id).order_by("-at", "-pk")
    return paginate(changes, page, change_out)
