"""Business rules of the partner network. Pages, API, importer, seed and jobs call these; none of
them holds a rule of its own. Every function validates everything first and raises FieldErrors
before writing anything, and runs in one transaction."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from qudao.accounts import services as account_services
from qudao.accounts.models import User
from qudao.accounts.roles import HQRole, PartnerRole
from qudao.core import approvals, branding, display
from qudao.core.audit import record_change
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.events import publish
from qudao.core.models import BrandSettings, Region
from qudao.core.money import SUPPORTED_CURRENCIES, parse_amount, quantize
from qudao.core.notifications import notify
from qudao.core.numbering import next_number
from qudao.core.numbers import parse_id
from qudao.core.uploads import stored_name
from qudao.core.validators import check_text, is_valid_uscc, normalise_mobile, normalise_uscc

from .models import (
    STATUS_TRANSITIONS,
    CreditTermsChange,
    Partner,
    PartnerApplication,
    PartnerContact,
    PartnerMember,
    PartnerStatus,
    PartnerStatusChange,
    PartnerTag,
    PartnerType,
    Tier,
    TierChange,
)

APPLICATION_SUBJECT = "partner_application"
CREDIT_SUBJECT = "credit_change"

LICENCE_CONTENT_TYPES = {
    # extension -> leading bytes of a genuine file
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}

PARTNER_TEXT_FIELDS = {
    "legal_name": 200,
    "short_name": 60,
    "address": 300,
    "invoice_title": 200,
    "invoice_address_phone": 300,
    "bank_name": 100,
    "bank_account": 40,
}


# --- field cleaning --------------------------------------------------------------------------


def _text(data: dict, field: str, errors: FieldErrors, *, required=False, max_length=200) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    if required and not value:
        errors.add(field, _("This field is required."))
    elif len(value) > max_length:
        errors.add(field, _("At most %(max)d characters.") % {"max": max_length})
    else:
        check_text(errors, field, value)
    return value


def resolve_region(value, errors: FieldErrors, field: str = "region") -> Region | None:
    if value in (None, ""):
        errors.add(field, _("This field is required."))
        return None
    if isinstance(value, Region):
        return value
    text = str(value).strip()
    region = (
        Region.objects.filter(code=text).first()
        or Region.objects.filter(Q(name=text) | Q(name_en__iexact=text) | Q(name_hant=text))
        .exclude(level=Region.Level.COUNTRY)
        .order_by("path")
        .first()
    )
    if region is None:
        errors.add(field, _("Unknown region: %(value)s.") % {"value": text})
    elif region.level == Region.Level.COUNTRY:
        errors.add(field, _("Choose a province or a city."))
        return None
    return region


def resolve_tier(value, errors: FieldErrors) -> Tier | None:
    if value in (None, ""):
        return None
    if isinstance(value, Tier):
        return value
    text = str(value).strip()
    tier = Tier.objects.filter(Q(code=text) | Q(name=text)).first()
    if tier is None and parse_id(text) is not None:
        tier = Tier.objects.filter(pk=parse_id(text)).first()
    if tier is None or not tier.is_active:
        errors.add("tier", _("Unknown tier: %(value)s.") % {"value": text})
        return None
    return tier


def resolve_user(value, errors: FieldErrors, field: str) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    text = str(value).strip()
    query = Q(username=text)
    if parse_id(text) is not None:
        query |= Q(pk=parse_id(text))
    user = User.objects.filter(query, is_active=True, role_assignments__isnull=False).distinct().first()
    if user is None:
        errors.add(field, _("Unknown HQ user: %(value)s.") % {"value": text})
    return user


def default_tier() -> Tier:
    tier = Tier.objects.filter(is_active=True).order_by("-rank").first()
    if tier is None:
        raise FieldErrors.single("tier", _("Create at least one tier first."))
    return tier


def clean_partner_data(data: dict, *, instance: Partner | None = None, user=None) -> dict:
    """Validate a partner's fields (create when `instance` is None, else a partial update).

    Returns the cleaned values ready to set. :raises FieldErrors: with every wrong field.
    """
    errors = FieldErrors()
    creating = instance is None
    cleaned: dict = {}

    def present(field):
        return creating or field in data

    if present("partner_type"):
        partner_type = data.get("partner_type")
        if partner_type not in PartnerType.values:
            errors.add("partner_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(PartnerType.values)})
        cleaned["partner_type"] = partner_type
    for field, max_length in PARTNER_TEXT_FIELDS.items():
        if present(field):
            cleaned[field] = _text(data, field, errors, required=field == "legal_name", max_length=max_length)
    if present("credit_code"):
        code = normalise_uscc(data.get("credit_code") or "")
        if not code:
            cleaned["credit_code"] = None
        elif not is_valid_uscc(code):
            errors.add("credit_code", _("Not a valid unified social credit code (18 characters, check character)."))
        else:
            clash = Partner.objects.filter(credit_code=code).exclude(pk=getattr(instance, "pk", None)).first()
            if clash:
                errors.add(
                    "credit_code",
                    _("Partner %(code)s already has this credit code.") % {"code": clash.code},
                )
            cleaned["credit_code"] = code
    if present("region"):
        cleaned["region"] = resolve_region(data.get("region"), errors)
    if present("tier"):
        tier = resolve_tier(data.get("tier"), errors)
        if tier is None and creating and "tier" not in errors.errors:
            tier = default_tier()
        if tier is not None:
            cleaned["tier"] = tier
    if present("status") and data.get("status") not in (None, ""):
        if data["status"] not in PartnerStatus.values:
            errors.add("status", _("Choose one of: %(choices)s.") % {"choices": ", ".join(PartnerStatus.values)})
        elif not creating and data["status"] != instance.status:
            errors.add("status", _("Change the status with a reason (status change), not by editing."))
        cleaned["status"] = data["status"]
    if present("product_lines"):
        lines = data.get("product_lines") or []
        if isinstance(lines, str):
            lines = [item for item in (part.strip() for part in lines.replace("，", ",").split(",")) if item]
        if not isinstance(lines, list) or not all(isinstance(item, str) and 0 < len(item) <= 60 for item in lines):
            errors.add("product_lines", _("Give a list of product line names."))
        else:
            cleaned["product_lines"] = sorted(set(lines))
    if present("tags"):
        tags = data.get("tags") or []
        if isinstance(tags, str):
            tags = [item for item in (part.strip() for part in tags.replace("，", ",").split(",")) if item]
        if not isinstance(tags, list) or not all(isinstance(item, str) and 0 < len(item) <= 40 for item in tags):
            errors.add("tags", _("Give a list of tags."))
        else:
            cleaned["tags"] = sorted(set(tags))
    for field in ("channel_manager", "regional_owner"):
        if present(field):
            cleaned[field] = resolve_user(data.get(field), errors, field)
    if present("territories"):
        territories = []
        for value in data.get("territories") or []:
            region = resolve_region(value, errors, "territories")
            if region:
                territories.append(region)
        cleaned["territories"] = territories
    if present("payment_terms_days") and creating:
        cleaned["payment_terms_days"] = _clean_terms_days(data.get("payment_terms_days", 0), errors)
    if "parent" in data or "parent_code" in data:
        cleaned["parent"] = _resolve_parent(data, errors, user=user)
    if errors.errors:
        raise errors
    return cleaned


def _clean_terms_days(value, errors: FieldErrors) -> int:
    try:
        days = int(value if value not in (None, "") else 0)
        if isinstance(value, float) or not 0 <= days <= 365:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("payment_terms_days", _("Enter whole days from 0 to 365."))
        return 0
    return days


def _resolve_parent(data: dict, errors: FieldErrors, user=None) -> Partner | None:
    from .scoping import visible_partners

    value = data.get("parent") if "parent" in data else None
    code = data.get("parent_code") if "parent_code" in data else None
    if value in (None, "") and code in (None, ""):
        return None
    candidates = visible_partners(user) if user is not None else Partner.objects.all()
    parent = None
    if value not in (None, ""):
        try:
            parent = candidates.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            parent = None
    elif code:
        parent = candidates.filter(code=str(code).strip()).first()
    if parent is None:
        errors.add("parent", _("Unknown parent distributor: %(value)s.") % {"value": value or code})
    return parent


# --- hierarchy -------------------------------------------------------------------------------


def territory_paths(partner: Partner) -> list[str]:
    paths = list(partner.territories.values_list("path", flat=True))
    if paths:
        return paths
    region = partner.region
    province = region if region.level == Region.Level.PROVINCE else region.parent
    return [province.path] if province else [region.path]


def check_parent(child: Partner | None, parent: Partner | None, *, child_region: Region) -> None:
    """The hierarchy rules. :raises FieldErrors: on the `parent` field."""
    if parent is None:
        return
    if parent.partner_type != PartnerType.DISTRIBUTOR:
        raise FieldErrors.single("parent", _("Only a distributor can have sub-dealers."), code="not_distributor")
    if parent.status == PartnerStatus.TERMINATED:
        raise FieldErrors.single("parent", _("The parent distributor is terminated."), code="terminated")
    if child is not None and child.pk and parent.path.startswith(child.path):
        raise FieldErrors.single(
            "parent", _("This would make a cycle: the parent is this partner or one of its sub-dealers."), code="cycle"
        )
    if BrandSettings.current().parent_must_cover_child_region:
        if not any(child_region.path.startswith(path) for path in territory_paths(parent)):
            raise FieldErrors.single(
                "parent",
                _("%(parent)s does not cover the region %(region)s.")
                % {"parent": parent, "region": child_region.full_name},
                code="outside_region",
            )


def _apply_path(partner: Partner, parent: Partner | None) -> None:
    """Set partner.path/depth for its parent and move its whole subtree in one UPDATE."""
    old_path = partner.path
    new_path = f"{parent.path}{partner.pk}/" if parent else f"/{partner.pk}/"
    new_depth = (parent.depth + 1) if parent else 0
    if old_path == new_path:
        return
    if old_path:
        delta = new_depth - partner.depth
        Partner.objects.filter(path__startswith=old_path).exclude(pk=partner.pk).update(
            path=Concat(Value(new_path), Substr("path", Length(Value(old_path)) + 1)),
            depth=F("depth") + delta,
        )
    Partner.objects.filter(pk=partner.pk).update(path=new_path, depth=new_depth)
    partner.path, partner.depth = new_path, new_depth


# --- partners --------------------------------------------------------------------------------


def _set_many(partner: Partner, field: str, objects: list, key: str) -> None:
    """Replace a many-to-many set (tags, territories) and put the change in the audit trail,
    which the row-level signals cannot see."""
    manager = getattr(partner, field)
    before = sorted(str(getattr(obj, key)) for obj in manager.all())
    after = sorted(str(getattr(obj, key)) for obj in objects)
    if before == after:
        return
    manager.set(objects)
    record_change(partner, "update", {field: before}, {field: after})


def _set_tags(partner: Partner, names: list[str]) -> None:
    _set_many(partner, "tags", [PartnerTag.objects.get_or_create(name=name)[0] for name in names], "name")


@transaction.atomic
def create_partner(*, data: dict, actor=None, contacts: list[dict] | None = None, code: str | None = None) -> Partner:
    cleaned = clean_partner_data(data, user=actor if actor and actor.is_partner_user else None)
    contact_rows = [clean_contact(contact) for contact in (contacts or [])]
    parent = cleaned.pop("parent", None)
    check_parent(None, parent, child_region=cleaned["region"])
    tags = cleaned.pop("tags", [])
    territories = cleaned.pop("territories", [])
    status = cleaned.pop("status", None) or PartnerStatus.ACTIVE
    partner = Partner(code=code or next_number("P"), status=status, parent=parent, **cleaned)
    partner.save()
    _apply_path(partner, parent)  # the path needs the new id
    if tags:
        _set_tags(partner, tags)
    if territories:
        _set_many(partner, "territories", territories, "code")
    for row in contact_rows:
        PartnerContact.objects.create(partner=partner, **row)
    PartnerStatusChange.objects.create(
        partner=partner, from_status="", to_status=status, reason=str(_("Partner created")), actor=_user(actor)
    )
    TierChange.objects.create(
        partner=partner, from_tier=None, to_tier=partner.tier, reason=str(_("Partner created")), actor=_user(actor)
    )
    publish("partner.created", "partner", partner.pk, partner_payload(partner))
    return partner


@transaction.atomic
def update_partner(*, partner: Partner, data: dict, actor=None) -> Partner:
    """Edit a partner's profile. Tier and status have their own services (they keep history)."""
    data = dict(data)
    for field in ("tier", "status", "credit_limit", "credit_currency", "payment_terms_days"):
        if field in data and field != "status" and field != "tier":
            raise FieldErrors.single(field, _("Credit terms are changed by finance through a credit change."))
    if "tier" in data:
        raise FieldErrors.single("tier", _("Change the tier with a reason (tier change), not by editing."))
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    cleaned = clean_partner_data(data, instance=partner, user=actor if actor and actor.is_partner_user else None)
    cleaned.pop("status", None)
    has_parent = "parent" in cleaned
    parent = cleaned.pop("parent", None)
    tags = cleaned.pop("tags", None)
    territories = cleaned.pop("territories", None)
    region = cleaned.get("region", partner.region)
    if has_parent:
        check_parent(partner, parent, child_region=region)
    elif "region" in cleaned and partner.parent_id:
        check_parent(partner, partner.parent, child_region=region)
    for field, value in cleaned.items():
        setattr(partner, field, value)
    if has_parent:
        partner.parent = parent
    partner.save()
    if has_parent:
        _apply_path(partner, parent)
    if tags is not None:
        _set_tags(partner, tags)
    if territories is not None:
        _set_many(partner, "territories", territories, "code")
    publish("partner.updated", "partner", partner.pk, partner_payload(partner))
    return partner


def set_parent(*, partner: Partner, parent_id, actor=None) -> Partner:
    return update_partner(partner=partner, data={"parent": parent_id}, actor=actor)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _require_reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors.single("reason", _("Give a reason."), code="required")
    if len(reason) > 300:
        raise FieldErrors.single("reason", _("At most %(max)d characters.") % {"max": 300})
    return reason


@transaction.atomic
def change_status(*, partner: Partner, to_status: str, reason: str, actor=None) -> Partner:
    reason = _require_reason(reason)
    if to_status not in PartnerStatus.values:
        raise FieldErrors.single(
            "status", _("Choose one of: %(choices)s.") % {"choices": ", ".join(PartnerStatus.values)}
        )
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if to_status == partner.status:
        raise FieldErrors.single("status", _("The partner already has this status."))
    if to_status not in STATUS_TRANSITIONS[partner.status]:
        raise FieldErrors.single(
            "status",
            _("A %(from)s partner cannot become %(to)s.")
            % {"from": partner.get_status_display(), "to": PartnerStatus(to_status).label},
            code="transition",
        )
    from_status = partner.status
    partner.status = to_status
    partner.save()
    PartnerStatusChange.objects.create(
        partner=partner, from_status=from_status, to_status=to_status, reason=reason, actor=_user(actor)
    )
    publish(
        "partner.status_changed",
        "partner",
        partner.pk,
        {"code": partner.code, "from": from_status, "to": to_status, "reason": reason},
    )
    return partner


@transaction.atomic
def change_tier(*, partner: Partner, tier, reason: str, actor=None) -> Partner:
    reason = _require_reason(reason)
    errors = FieldErrors()
    tier = resolve_tier(tier, errors)
    if errors.errors or tier is None:
        raise errors if errors.errors else FieldErrors.single("tier", _("This field is required."))
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.tier_id == tier.pk:
        raise FieldErrors.single("tier", _("The partner is already in this tier."))
    from_tier = partner.tier
    partner.tier = tier
    partner.save()
    TierChange.objects.create(partner=partner, from_tier=from_tier, to_tier=tier, reason=reason, actor=_user(actor))
    publish(
        "partner.tier_changed", "partner", partner.pk, {"code": partner.code, "from": from_tier.code, "to": tier.code}
    )
    return partner


def partner_payload(partner: Partner) -> dict:
    return {
        "id": partner.pk,
        "code": partner.code,
        "type": partner.partner_type,
        "legal_name": partner.legal_name,
        "credit_code": partner.credit_code,
        "status": partner.status,
        "tier": partner.tier.code,
        "region": partner.region.code,
        "parent_id": partner.parent_id,
    }


# --- contacts --------------------------------------------------------------------------------


def clean_contact(data: dict) -> dict:
    errors = FieldErrors()
    cleaned = {
        "name": _text(data, "name", errors, required=True, max_length=60),
        "role": _text(data, "role", errors, max_length=60),
        "mobile": "",
        "email": _text(data, "email", errors, max_length=254).lower(),
        "is_primary": bool(data.get("is_primary", False)),
    }
    if data.get("mobile"):
        cleaned["mobile"] = normalise_mobile(str(data["mobile"])) or ""
        if not cleaned["mobile"]:
            errors.add("mobile", _("Enter a valid mainland China mobile number (11 digits, starting with 1)."))
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors.add("email", _("Enter a valid e-mail address."))
    if not data.get("mobile") and not cleaned["email"] and "name" not in errors.errors:
        errors.add("mobile", _("Give a mobile number or an e-mail address."))
    if errors.errors:
        raise errors
    return cleaned


@transaction.atomic
def add_contact(*, partner: Partner, data: dict) -> PartnerContact:
    cleaned = clean_contact(data)
    if cleaned["is_primary"]:
        for contact in partner.contacts.filter(is_primary=True):
            contact.is_primary = False
            contact.save()
    return PartnerContact.objects.create(partner=partner, **cleaned)


@transaction.atomic
def update_contact(*, contact: PartnerContact, data: dict) -> PartnerContact:
    merged = {
        "name": contact.name,
        "role": contact.role,
        "mobile": contact.mobile,
        "email": contact.email,
        "is_primary": contact.is_primary,
    } | data
    cleaned = clean_contact(merged)
    if cleaned["is_primary"] and not contact.is_primary:
        for other in contact.partner.contacts.filter(is_primary=True).exclude(pk=contact.pk):
            other.is_primary = False
            other.save()
    for field, value in cleaned.items():
        setattr(contact, field, value)
    contact.save()
    return contact


def delete_contact(*, contact: PartnerContact) -> None:
    contact.delete()


# --- tiers -----------------------------------------------------------------------------------


def clean_tier(data: dict, instance: Tier | None = None) -> dict:
    errors = FieldErrors()
    creating = instance is None
    cleaned = {}
    if creating or "code" in data:
        code = _text(data, "code", errors, required=True, max_length=30).lower()
        if code and not all(char.isalnum() or char in "-_" for char in code):
            errors.add("code", _("Use letters, digits, - and _ only."))
        elif code and Tier.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors.add("code", _("Another tier has this code."))
        cleaned["code"] = code
    if creating or "name" in data:
        cleaned["name"] = _text(data, "name", errors, required=True, max_length=50)
    if creating or "rank" in data:
        try:
            rank = int(data.get("rank"))
            if isinstance(data.get("rank"), float | bool) or rank < 1 or rank > 999:
                raise ValueError
        except (TypeError, ValueError):
            errors.add("rank", _("Enter a whole number from 1 to 999."))
        else:
            if Tier.objects.filter(rank=rank).exclude(pk=getattr(instance, "pk", None)).exists():
                errors.add("rank", _("Another tier has this rank."))
            cleaned["rank"] = rank
    if "description" in data:
        cleaned["description"] = _text(data, "description", errors, max_length=200)
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.add("is_active", _("Must be true or false."))
        elif instance is not None and data["is_active"] is False and instance.partners.exists():
            errors.add("is_active", _("Partners are in this tier; move them first."))
        cleaned["is_active"] = data["is_active"]
    if errors.errors:
        raise errors
    return cleaned


def create_tier(*, data: dict) -> Tier:
    return Tier.objects.create(**clean_tier(data))


def update_tier(*, tier: Tier, data: dict) -> Tier:
    for field, value in clean_tier(data, instance=tier).items():
        setattr(tier, field, value)
    tier.save()
    return tier


# --- credit terms ----------------------------------------------------------------------------


def request_credit_change(
    *, partner: Partner, credit_limit, payment_terms_days, currency: str | None = None, reason: str, actor
) -> CreditTermsChange:
    """Finance changes a partner's credit terms. An increase of the limit above the brand's
    threshold waits for the credit-change approval flow; anything else applies at once.

    :raises Forbidden: the actor is not finance.
    :raises Conflict: a change for this partner is already waiting for approval.
    """
    if not actor.can("partners.change_credit"):
        raise Forbidden(_("Only finance may change credit terms."))
    errors = FieldErrors()
    try:
        new_limit = parse_amount(credit_limit)
        if new_limit < 0:
            errors.add("credit_limit", _("The credit limit cannot be negative."))
        elif new_limit != quantize(new_limit):
            # a limit is an amount people read and agree to: to the cent, never rounded silently
            errors.add("credit_limit", _("Enter the credit limit in cents at most (two decimals)."))
        elif new_limit > Decimal("999999999999"):
            errors.add("credit_limit", _("The credit limit is too large."))
        new_limit = quantize(new_limit)  # exact (at most two decimals): "80000" is stored as 80000.00
    except (ValueError, TypeError):
        errors.add("credit_limit", _("Enter an amount, e.g. 500000.00."))
        new_limit = Decimal("0")
    terms = _clean_terms_days(payment_terms_days, errors)
    currency = (currency or partner.credit_currency).upper()
    if currency not in SUPPORTED_CURRENCIES:
        errors.add("currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(SUPPORTED_CURRENCIES)})
    try:
        reason = _require_reason(reason)
    except FieldErrors as error:
        errors.errors.update(error.errors)
    if errors.errors:
        raise errors
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if CreditTermsChange.objects.filter(partner=partner, status=CreditTermsChange.Status.PENDING).exists():
            raise Conflict(_("A credit change for this partner is already waiting for approval."))
        change = CreditTermsChange(
            partner=partner,
            old_limit=partner.credit_limit,
            new_limit=new_limit,
            old_currency=partner.credit_currency,
            new_currency=currency,
            old_terms_days=partner.payment_terms_days,
            new_terms_days=terms,
            reason=reason,
            requested_by=_user(actor),
            status=CreditTermsChange.Status.PENDING,
        )
        try:
            with transaction.atomic():
                change.save()
        except IntegrityError:
            raise Conflict(_("A credit change for this partner is already waiting for approval.")) from None
        increase = quantize(new_limit - partner.credit_limit)
        threshold = BrandSettings.current().credit_change_approval_threshold
        approval = None
        if increase > threshold:
            approval = approvals.start_approval(
                kind=CREDIT_SUBJECT,
                subject_id=change.pk,
                title=str(_("Credit limit of %(partner)s: %(old)s → %(new)s"))
                % {"partner": partner, "old": f"{partner.credit_limit:,.2f}", "new": f"{new_limit:,.2f}"},
                context={
                    "increase": str(increase),
                    "new_limit": str(new_limit),
                    "partner_type": partner.partner_type,
                    "tier": partner.tier.code,
                },
                region=partner.region,
                partner_id=partner.pk,
                submitted_by=actor,
            )
            if approval is None:
                # The rule says this needs approval; a brand without a flow must not bypass it.
                raise Conflict(_("No approval flow is configured for credit changes. Ask an administrator."))
            change.approval = approval
            change.save(update_fields=["approval"])
        else:
            _apply_credit_change(change)
    return change


def _apply_credit_change(change: CreditTermsChange) -> None:
    partner = Partner.objects.select_for_update().get(pk=change.partner_id)
    partner.credit_limit = change.new_limit
    partner.credit_currency = change.new_currency
    partner.payment_terms_days = change.new_terms_days
    partner.save()
    CreditTermsChange.objects.filter(pk=change.pk).update(
        status=CreditTermsChange.Status.APPLIED, decided_at=timezone.now()
    )
    change.status = CreditTermsChange.Status.APPLIED
    publish(
        "partner.credit_terms_changed",
        "partner",
        partner.pk,
        {
            "code": partner.code,
            "credit_limit": str(change.new_limit),
            "currency": change.new_currency,
            "payment_terms_days": change.new_terms_days,
        },
    )


def on_credit_change_approved(request, actor) -> None:
    change = CreditTermsChange.objects.get(pk=int(request.subject_id))
    _apply_credit_change(change)
    if change.requested_by:
        notify(
            [change.requested_by],
            kind="credit.approved",
            title=_("Credit change approved: %(partner)s"),
            params={"partner": str(change.partner)},
            url=f"/partners/{change.partner_id}/",
        )


def on_credit_change_rejected(request, actor) -> None:
    CreditTermsChange.objects.filter(pk=int(request.subject_id)).update(
        status=CreditTermsChange.Status.REJECTED, decided_at=timezone.now()
    )
    change = CreditTermsChange.objects.select_related("partner", "requested_by").get(pk=int(request.subject_id))
    if change.requested_by:
        notify(
            [change.requested_by],
            kind="credit.rejected",
            title=_("Credit change not approved: %(partner)s"),
            params={"partner": str(change.partner)},
            url=f"/partners/{change.partner_id}/",
        )


# --- onboarding ------------------------------------------------------------------------------


def validate_licence(upload) -> None:
    """A scan of the business licence: PDF, JPEG or PNG, at most LICENCE_UPLOAD_MAX_BYTES, and its
    content must really be of that type (the extension alone proves nothing)."""
    if upload is None:
        raise FieldErrors.single("licence", _("Upload a scan of the business licence."), code="required")
    name = getattr(upload, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in LICENCE_CONTENT_TYPES:
        raise FieldErrors.single("licence", _("Upload a PDF, JPG or PNG file."), code="file_type")
    if upload.size > settings.LICENCE_UPLOAD_MAX_BYTES:
        raise FieldErrors.single(
            "licence",
            _("The file is too large (at most %(mb)d MB).")
            % {"mb": settings.LICENCE_UPLOAD_MAX_BYTES // (1024 * 1024)},
            code="file_size",
        )
    if upload.size == 0:
        raise FieldErrors.single("licence", _("The file is empty."), code="file_type")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in LICENCE_CONTENT_TYPES[extension]):
        raise FieldErrors.single("licence", _("The file is not a real PDF, JPG or PNG."), code="file_type")


def clean_application(data: dict, *, instance: PartnerApplication | None = None) -> dict:
    errors = FieldErrors()
    cleaned = {}
    partner_type = data.get("partner_type")
    if partner_type not in PartnerType.values:
        errors.add("partner_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(PartnerType.values)})
    cleaned["partner_type"] = partner_type
    cleaned["legal_name"] = _text(data, "legal_name", errors, required=True, max_length=200)
    cleaned["short_name"] = _text(data, "short_name", errors, max_length=60)
    cleaned["address"] = _text(data, "address", errors, max_length=300)
    cleaned["message"] = _text(data, "message", errors, max_length=2000)
    code = normalise_uscc(data.get("credit_code") or "")
    if not code:
        errors.add("credit_code", _("This field is required."))
    elif not is_valid_uscc(code):
        errors.add("credit_code", _("Not a valid unified social credit code (18 characters, check character)."))
    else:
        if Partner.objects.filter(credit_code=code).exists():
            errors.add("credit_code", _("A partner with this credit code already exists."))
        open_apps = PartnerApplication.objects.filter(
            credit_code=code, status__in=[PartnerApplication.Status.SUBMITTED, PartnerApplication.Status.RETURNED]
        ).exclude(pk=getattr(instance, "pk", None))
        if open_apps.exists():
            errors.add("credit_code", _("An application with this credit code is already in review."))
    cleaned["credit_code"] = code
    cleaned["region"] = resolve_region(data.get("region"), errors)
    lines = data.get("product_lines") or []
    if isinstance(lines, str):
        lines = [item.strip() for item in lines.replace("，", ",").split(",") if item.strip()]
    if not isinstance(lines, list) or not all(isinstance(item, str) and item for item in lines):
        errors.add("product_lines", _("Give a list of product line names."))
    cleaned["product_lines"] = lines if isinstance(lines, list) else []
    cleaned["contact_name"] = _text(data, "contact_name", errors, required=True, max_length=60)
    mobile = normalise_mobile(str(data.get("contact_mobile") or ""))
    if not mobile:
        errors.add("contact_mobile", _("Enter a valid mainland China mobile number (11 digits, starting with 1)."))
    cleaned["contact_mobile"] = mobile or ""
    email = _text(data, "contact_email", errors, required=True, max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("contact_email", _("Enter a valid e-mail address."))
    cleaned["contact_email"] = email
    parent = None
    if data.get("parent") not in (None, ""):
        try:
            parent = Partner.objects.filter(
                pk=int(data["parent"]), partner_type=PartnerType.DISTRIBUTOR, status=PartnerStatus.ACTIVE
            ).first()
        except (TypeError, ValueError):
            parent = None
        if parent is None:
            errors.add("parent", _("Unknown parent distributor: %(value)s.") % {"value": data["parent"]})
    cleaned["parent"] = parent
    if parent is not None and cleaned["region"] is not None:
        try:
            check_parent(None, parent, child_region=cleaned["region"])
        except FieldErrors as error:
            errors.errors.update(error.errors)
    if errors.errors:
        raise errors
    return cleaned


def find_duplicates(application: PartnerApplication) -> list[dict]:
    """Existing partners and other applications that look like this applicant: same credit code,
    same legal name, or same contact mobile. Shown to the reviewer."""
    found: dict[tuple[str, int], dict] = {}

    def add(kind, obj, label, matched):
        key = (kind, obj.pk)
        entry = found.setdefault(key, {"kind": kind, "id": obj.pk, "label": label, "matched_on": []})
        if matched not in entry["matched_on"]:
            entry["matched_on"].append(matched)

    for partner in Partner.objects.filter(credit_code=application.credit_code):
        add("partner", partner, f"{partner.code} {partner.legal_name}", "credit_code")
    for partner in Partner.objects.filter(legal_name=application.legal_name):
        add("partner", partner, f"{partner.code} {partner.legal_name}", "legal_name")
    for contact in PartnerContact.objects.filter(mobile=application.contact_mobile).select_related("partner"):
        add("partner", contact.partner, f"{contact.partner.code} {contact.partner.legal_name}", "mobile")
    others = PartnerApplication.objects.exclude(pk=application.pk)
    for other in others.filter(
        Q(credit_code=application.credit_code)
        | Q(legal_name=application.legal_name)
        | Q(contact_mobile=application.contact_mobile)
    ):
        for field, matched in (
            ("credit_code", "credit_code"),
            ("legal_name", "legal_name"),
            ("contact_mobile", "mobile"),
        ):
            if getattr(other, field) == getattr(application, field):
                add("application", other, f"{other.number} {other.legal_name} ({other.get_status_display()})", matched)
    return list(found.values())


def _application_context(application: PartnerApplication) -> dict:
    province = application.region if application.region.level == Region.Level.PROVINCE else application.region.parent
    return {
        "partner_type": application.partner_type,
        "province": province.code if province else "",
        "has_parent": application.parent_id is not None,
    }


def _supported_language(language: str | None) -> str:
    """One of settings.LANGUAGES for a language code ("zh-Hant" -> "zh-hant"); "" when none fits."""
    try:
        return translation.get_supported_language_variant(language.lower()) if language else ""
    except LookupError:
        return ""


def application_status_url(application: PartnerApplication) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/apply/status/{application.access_token}/"


def _email_applicant(application: PartnerApplication, subject, body, params: dict) -> None:
    with translation.override(application.language or settings.LANGUAGE_CODE):
        send_mail(
            str(subject) % params,
            str(body) % params,
            branding.sender(),
            [application.contact_email],
            fail_silently=True,
        )


@transaction.atomic
def submit_application(*, data: dict, licence, language: str = "") -> PartnerApplication:
    """A company applies to become a partner; its e-mails are written in `language` (by default the
    active language, the one it applied in). :raises FieldErrors: nothing is saved."""
    errors = FieldErrors()
    try:
        cleaned = clean_application(data)
    except FieldErrors as error:
        errors = error
        cleaned = None
    try:
        validate_licence(licence)
    except FieldErrors as error:
        errors.errors.update(error.errors)
    if errors.errors:
        raise errors
    application = PartnerApplication(
        number=next_number("AP"),
        access_token=secrets.token_urlsafe(32),
        language=_supported_language(language or translation.get_language()),
        **cleaned,
    )
    application.licence.save(stored_name(licence, "licence"), licence, save=False)
    application.save()
    approval = approvals.start_approval(
        kind=APPLICATION_SUBJECT,
        subject_id=application.pk,
        title=f"{application.legal_name} ({application.get_partner_type_display()})",
        context=_application_context(application),
        region=application.region,
        partner_id=application.parent_id,
    )
    if approval is None:
        raise Conflict(_("Applications cannot be reviewed yet: no approval flow is configured."))
    application.approval = approval
    application.save(update_fields=["approval"])
    publish("partner_application.submitted", "partner_application", application.pk, {"number": application.number})
    transaction.on_commit(
        lambda: _email_applicant(
            application,
            _("Application %(number)s received"),
            _("We received your application %(number)s. Follow it here: %(url)s"),
            {"number": application.number, "url": application_status_url(application)},
        )
    )
    return application


@transaction.atomic
def resubmit_application(*, application: PartnerApplication, data: dict, licence=None) -> PartnerApplication:
    if application.status != PartnerApplication.Status.RETURNED:
        raise Conflict(_("Only an application returned for changes can be resubmitted."))
    errors = FieldErrors()
    try:
        cleaned = clean_application(data, instance=application)
    except FieldErrors as error:
        errors = error
        cleaned = {}
    if licence is not None:
        try:
            validate_licence(licence)
        except FieldErrors as error:
            errors.errors.update(error.errors)
    if errors.errors:
        raise errors
    for field, value in cleaned.items():
        setattr(application, field, value)
    if licence is not None:
        application.licence.save(stored_name(licence, "licence"), licence, save=False)
    application.status = PartnerApplication.Status.SUBMITTED
    application.submitted_at = timezone.now()
    application.save()
    approvals.resubmit(
        request_id=application.approval_id,
        actor=None,
        context=_application_context(application),
        title=f"{application.legal_name} ({application.get_partner_type_display()})",
    )
    return application


def _admin_username(partner: Partner) -> str:
    base = f"{partner.code.lower()}-admin"
    candidate, counter = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        counter += 1
        candidate = f"{base}{counter}"
    return candidate


def on_application_approved(request, actor) -> None:
    application = PartnerApplication.objects.select_for_update().get(pk=int(request.subject_id))
    if application.status == PartnerApplication.Status.APPROVED:
        return
    partner = create_partner(
        data={
            "partner_type": application.partner_type,
            "legal_name": application.legal_name,
            "short_name": application.short_name,
            "credit_code": application.credit_code,
            "region": application.region,
            "address": application.address,
            "product_lines": application.product_lines,
            "parent": application.parent_id,
            "channel_manager": actor if actor and actor.has_role(HQRole.CHANNEL_MANAGER) else None,
        },
        actor=actor,
        contacts=[
            {
                "name": application.contact_name,
                "mobile": application.contact_mobile,
                "email": application.contact_email,
                "role": str(_("Applicant")),
                "is_primary": True,
            }
        ],
    )
    mobile_free = not User.objects.filter(mobile=application.contact_mobile).exists()
    email_free = not User.objects.filter(email__iexact=application.contact_email).exists()
    user = account_services.create_user(
        username=_admin_username(partner),
        password=None,
        email=application.contact_email if email_free else "",
        mobile=application.contact_mobile if mobile_free else "",
        display_name=application.contact_name,
        # The applicant chose this language on the public form; its portal and mail follow it
        # (it can switch at any time).
        language=application.language,
    )
    PartnerMember.objects.create(user=user, partner=partner, role=PartnerRole.ADMIN, invited_by=_user(actor))
    application.status = PartnerApplication.Status.APPROVED
    application.decided_at = timezone.now()
    application.partner = partner
    application.admin_user = user
    application.save()
    publish("partner.approved", "partner", partner.pk, partner_payload(partner) | {"application": application.number})
    link = account_services.password_setup_link(user)
    params = {"number": application.number, "username": user.username, "link": link, "partner": str(partner)}
    notify(
        [user],
        kind="partner.welcome",
        title=_("Welcome to %(partner)s's partner portal"),
        body=_("Your application %(number)s was approved. Your user name is %(username)s."),
        params=params,
        url="/portal/",
    )
    transaction.on_commit(
        lambda: _email_applicant(
            application,
            _("Application %(number)s approved"),
            _(
                "Your application %(number)s was approved. Log in with the user name %(username)s "
                "(or your mobile number or e-mail). Choose your password here: %(link)s"
            ),
            params,
        )
    )


def _last_comment(request) -> str:
    decision = request.decisions.order_by("-at", "-pk").first()
    return decision.comment if decision else ""


def on_application_rejected(request, actor) -> None:
    application = PartnerApplication.objects.get(pk=int(request.subject_id))
    application.status = PartnerApplication.Status.REJECTED
    application.decided_at = timezone.now()
    application.save()
    params = {"number": application.number, "comment": _last_comment(request)}
    transaction.on_commit(
        lambda: _email_applicant(
            application,
            _("Application %(number)s was not approved"),
            _("Your application %(number)s was not approved: %(comment)s"),
            params,
        )
    )


def on_application_returned(request, actor) -> None:
    application = PartnerApplication.objects.get(pk=int(request.subject_id))
    application.status = PartnerApplication.Status.RETURNED
    application.save()
    params = {
        "number": application.number,
        "comment": _last_comment(request),
        "url": application_status_url(application),
    }
    transaction.on_commit(
        lambda: _email_applicant(
            application,
            _("Application %(number)s needs changes"),
            _("Your application %(number)s needs changes: %(comment)s. Change and resubmit it here: %(url)s"),
            params,
        )
    )


# --- partner users ---------------------------------------------------------------------------


def _can_manage_members(actor, partner: Partner) -> bool:
    from .scoping import is_own_partner_admin, visible_partners

    if is_own_partner_admin(actor, partner):
        return True
    return (
        actor.has_role(HQRole.ADMIN, HQRole.CHANNEL_MANAGER) and visible_partners(actor).filter(pk=partner.pk).exists()
    )


@transaction.atomic
def invite_member(*, partner: Partner, actor, data: dict) -> tuple[PartnerMember, str]:
    """A partner admin (or HQ) adds a user to the partner; the user chooses its password from the
    link returned (and e-mailed)."""
    if not _can_manage_members(actor, partner):
        raise NotFound()
    role = data.get("role") or PartnerRole.STAFF
    if role not in PartnerRole.values:
        raise FieldErrors.single("role", _("Choose one of: %(choices)s.") % {"choices": ", ".join(PartnerRole.values)})
    username = (data.get("username") or "").strip()
    if not username:
        username = f"{partner.code.lower()}-{secrets.token_hex(3)}"
    errors = FieldErrors()
    display_name = _text(data, "display_name", errors, required=True, max_length=100)
    if not data.get("mobile") and not data.get("email"):
        errors.add("mobile", _("Give a mobile number or an e-mail address."))
    try:
        account_services.validate_user_fields(
            username=username, email=data.get("email") or "", mobile=data.get("mobile") or "", password=None
        )
    except FieldErrors as error:
        errors.errors.update(error.errors)
    if errors.errors:
        raise errors
    user = account_services.create_user(
        username=username,
        password=None,
        email=data.get("email") or "",
        mobile=data.get("mobile") or "",
        display_name=display_name,
        language=data.get("language") or "",
    )
    member = PartnerMember.objects.create(user=user, partner=partner, role=role, invited_by=_user(actor))
    link = account_services.password_setup_link(user)
    if user.email:
        params = {"partner": str(partner), "username": user.username, "link": link}
        # In the invited user's language, or else the one the inviter works in.
        language = user.language or translation.get_language() or settings.LANGUAGE_CODE

        def send_invitation():
            with translation.override(language):
                send_mail(
                    str(_("You are invited to %(partner)s on Qudao")) % params,
                    str(_("Your user name is %(username)s. Choose your password here: %(link)s")) % params,
                    branding.sender(),
                    [user.email],
                    fail_silently=True,
                )

        transaction.on_commit(send_invitation)
    return member, link


@transaction.atomic
def set_member_active(*, partner: Partner, actor, user_id, active: bool) -> PartnerMember:
    if not _can_manage_members(actor, partner):
        raise NotFound()
    member = PartnerMember.objects.select_for_update().filter(partner=partner, user_id=user_id).first()
    if member is None:
        raise NotFound()
    if not active and member.user_id == actor.pk:
        raise FieldErrors.single("user", _("You cannot disable yourself."))
    if not active and member.role == PartnerRole.ADMIN:
        other_admins = PartnerMember.objects.filter(partner=partner, role=PartnerRole.ADMIN, is_active=True).exclude(
            pk=member.pk
        )
        if not other_admins.exists():
            raise FieldErrors.single("user", _("A partner needs at least one active administrator."))
    member.is_active = active
    member.save()
    user = member.user
    user.is_active = active
    user.save()
    return member


def tier_name(code) -> str:
    """A tier's name for people, from its code (a list of codes: their names joined)."""
    if isinstance(code, list | tuple):
        return display.join(tier_name(item) for item in code)
    tier = Tier.objects.filter(code=code).first()
    return tier.name if tier else str(code)


def partner_name(code) -> str:
    """A partner's name for people, from its code (a list of codes: their names joined)."""
    if isinstance(code, list | tuple):
        return display.join(partner_name(item) for item in code)
    partner = Partner.objects.filter(code=code).first()
    return f"{partner} ({partner.code})" if partner else str(code)


PARTNER_TYPE_FIELD = approvals.ContextField(_("Partner type"), display.labels(PartnerType))
APPLICATION_FIELDS = {
    "partner_type": PARTNER_TYPE_FIELD,
    "province": approvals.ContextField(_("Province"), display.region_name),
    "has_parent": approvals.ContextField(_("Applying under a distributor"), display.yes_no),
}
CREDIT_FIELDS = {
    "increase": approvals.ContextField(_("Increase"), display.money_text),
    "new_limit": approvals.ContextField(_("New credit limit"), display.money_text),
    "partner_type": PARTNER_TYPE_FIELD,
    "tier": approvals.ContextField(_("Tier"), tier_name),
}


def _tier_choices() -> list[tuple[str, str]]:
    return [(tier.code, tier.name) for tier in Tier.objects.order_by("rank")]


def register_subjects() -> None:
    approvals.register_subject(
        approvals.SubjectHandler(
            kind=APPLICATION_SUBJECT,
            label=_("Partner application"),
            on_approved=on_application_approved,
            on_rejected=on_application_rejected,
            on_returned=on_application_returned,
            subject_url=lambda request: f"/applications/{request.subject_id}/",
            fields=APPLICATION_FIELDS,
            condition_fields=(
                approvals.ConditionField("partner_type", _("Partner type"), "choice", PartnerType.choices),
                approvals.ConditionField("province", _("Province"), "region"),
                approvals.ConditionField("has_parent", _("Applies under a distributor"), "boolean"),
            ),
        )
    )
    approvals.register_subject(
        approvals.SubjectHandler(
            kind=CREDIT_SUBJECT,
            label=_("Credit terms change"),
            on_approved=on_credit_change_approved,
            on_rejected=on_credit_change_rejected,
            # Returned credit changes are closed like rejections: finance files a new one.
            on_returned=on_credit_change_rejected,
            subject_url=lambda request: f"/partners/{request.partner_id}/",
            fields=CREDIT_FIELDS,
            condition_fields=(
                approvals.ConditionField("increase", _("Credit limit increase"), "amount"),
                approvals.ConditionField("new_limit", _("New credit limit"), "amount"),
                approvals.ConditionField("partner_type", _("Partner type"), "choice", PartnerType.choices),
                approvals.ConditionField("tier", _("Tier"), "choice", _tier_choices),
            ),
        )
    )
