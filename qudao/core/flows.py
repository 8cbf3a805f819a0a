"""Configuration services of the core context: approval flows (which steps a subject goes
through) and the brand's settings. The API and the admin pages call these; they validate
everything first, raise FieldErrors before writing anything, and run in one transaction.

Approval flows are data. A flow that requests have already gone through is history: its steps
are what those requests' decisions point at. So replacing the steps of a used flow creates a new
flow (same subject, name, conditions and priority, the new steps) and deactivates the old one;
a flow nobody used yet has its steps replaced in place. Either way, steps cannot be replaced while
a request is pending on the flow (it would move to steps its approvers never saw).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import approvals, branding
from .errors import Conflict, FieldErrors
from .models import ApprovalFlow, ApprovalRequest, ApprovalStep, BrandSettings
from .money import SUPPORTED_CURRENCIES, parse_amount
from .uploads import check_upload, stored_name
from .validators import check_text

MAX_STEPS = 10


def approver_roles() -> dict[str, str]:
    """The HQ roles a step may name, as {code: label}. Read from the user model's role
    assignments, because core does not import the accounts context."""
    assignment = get_user_model()._meta.get_field("role_assignments").related_model
    return {value: str(label) for value, label in assignment._meta.get_field("role").choices}


def _clean_name(value, errors: FieldErrors, field: str, max_length: int) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        errors.add(field, _("This field is required."))
    elif len(text) > max_length:
        errors.add(field, _("At most %(max)d characters.") % {"max": max_length})
    return text


def _clean_steps(steps, errors: FieldErrors) -> list[dict]:
    if not isinstance(steps, list) or not steps:
        errors.add("steps", _("A flow needs at least one step."))
        return []
    if len(steps) > MAX_STEPS:
        errors.add("steps", _("At most %(max)d steps.") % {"max": MAX_STEPS})
        return []
    roles = approver_roles()
    cleaned = []
    for index, step in enumerate(steps):
        name = _clean_name(step.get("name"), errors, f"steps.{index}.name", 100)
        role = step.get("approver_role")
        if role not in roles:
            errors.add(
                f"steps.{index}.approver_role",
                _("Choose an HQ role: %(choices)s.") % {"choices": ", ".join(roles)},
            )
        match_region = step.get("match_region", False)
        if not isinstance(match_region, bool):
            errors.add(f"steps.{index}.match_region", _("Must be true or false."))
        cleaned.append({"name": name, "approver_role": role, "match_region": bool(match_region)})
    return cleaned


def clean_flow(data: dict, *, instance: ApprovalFlow | None = None) -> dict:
    """Validate a flow (all of it when creating, the fields given when changing).

    :raises FieldErrors: with every wrong field.
    """
    errors = FieldErrors()
    creating = instance is None
    cleaned: dict = {}
    if creating:
        kind = data.get("subject_kind")
        if kind not in approvals.registered_kinds():
            errors.add(
                "subject_kind",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(approvals.registered_kinds()))},
            )
        cleaned["subject_kind"] = kind
    elif "subject_kind" in data and data["subject_kind"] != instance.subject_kind:
        errors.add("subject_kind", _("The subject of a flow cannot change; create a new flow."))
    if creating or "name" in data:
        cleaned["name"] = _clean_name(data.get("name"), errors, "name", 100)
    if creating or "conditions" in data:
        conditions = data.get("conditions")
        conditions = {} if conditions is None else conditions
        try:
            approvals.validate_conditions(conditions)
        except FieldErrors as error:
            errors.errors.update(error.errors)
        cleaned["conditions"] = conditions
    if creating or "priority" in data:
        priority = data.get("priority", 0)
        if priority is None:
            priority = 0
        if isinstance(priority, bool) or not isinstance(priority, int) or not -1000 <= priority <= 1000:
            errors.add("priority", _("Enter a whole number from -1000 to 1000."))
        cleaned["priority"] = priority
    if creating or "is_active" in data:
        is_active = data.get("is_active", True)
        if not isinstance(is_active, bool):
            errors.add("is_active", _("Must be true or false."))
        cleaned["is_active"] = bool(is_active)
    if creating or "steps" in data:
        cleaned["steps"] = _clean_steps(data.get("steps"), errors)
    if errors.errors:
        raise errors
    return cleaned


def _create_steps(flow: ApprovalFlow, steps: list[dict]) -> None:
    ApprovalStep.objects.bulk_create(
        ApprovalStep(flow=flow, sequence=sequence, **step) for sequence, step in enumerate(steps, start=1)
    )


@transaction.atomic
def create_flow(*, data: dict) -> ApprovalFlow:
    cleaned = clean_flow(data)
    steps = cleaned.pop("steps")
    flow = ApprovalFlow.objects.create(**cleaned)
    _create_steps(flow, steps)
    return flow


@transaction.atomic
def update_flow(*, flow: ApprovalFlow, data: dict) -> ApprovalFlow:
    """Change a flow. Returns the flow now in force: a new one when the steps of a used flow
    were replaced (see the module docstring).

    :raises FieldErrors: bad input, nothing changed.
    :raises Conflict: steps were given while a request is pending on this flow.
    """
    flow = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    cleaned = clean_flow(data, instance=flow)
    steps = cleaned.pop("steps", None)
    for field, value in cleaned.items():
        setattr(flow, field, value)
    if steps is None:
        flow.save()
        return flow
    if ApprovalRequest.objects.filter(flow=flow, status=ApprovalRequest.Status.PENDING).exists():
        raise Conflict(_("Requests are waiting in this flow; its steps can change once they are decided."))
    if not ApprovalRequest.objects.filter(flow=flow).exists():
        flow.save()
        flow.steps.all().delete()
        _create_steps(flow, steps)
        return flow
    # Used before: keep it (and its steps) as history, and put a new version in force.
    successor = ApprovalFlow.objects.create(
        subject_kind=flow.subject_kind,
        name=flow.name,
        conditions=flow.conditions,
        priority=flow.priority,
        is_active=flow.is_active,
    )
    _create_steps(successor, steps)
    flow.is_active = False
    flow.save()
    return successor


def deactivate_flow(*, flow: ApprovalFlow) -> ApprovalFlow:
    """Flows are never deleted (requests refer to them); a deactivated flow is no longer chosen.
    Requests already in it carry on."""
    if flow.is_active:
        flow.is_active = False
        flow.save(update_fields=["is_active"])
    return flow


# --- brand settings --------------------------------------------------------------------------


@transaction.atomic
def update_brand_settings(*, data: dict) -> BrandSettings:
    """Change the brand's rules.

    :raises FieldErrors: bad input, nothing changed.
    """
    settings_row = BrandSettings.current()
    settings_row = BrandSettings.objects.select_for_update().get(pk=settings_row.pk)
    errors = FieldErrors()
    cleaned: dict = {}
    if "brand_name" in data:
        cleaned["brand_name"] = _clean_name(data["brand_name"], errors, "brand_name", 100)
        if cleaned["brand_name"]:
            check_text(errors, "brand_name", cleaned["brand_name"], multiline=False)
    if "short_name" in data:
        short = data["short_name"]
        short = short.strip() if isinstance(short, str) else ""
        if len(short) > 20:
            errors.add("short_name", _("At most %(max)d characters.") % {"max": 20})
        elif short:
            check_text(errors, "short_name", short, multiline=False)
        cleaned["short_name"] = short
    if "primary_colour" in data:
        colour = data["primary_colour"]
        colour = colour.strip() if isinstance(colour, str) else ""
        if colour and not branding.COLOUR.match(colour):
            errors.add("primary_colour", _("Enter a colour as #RRGGBB, e.g. #C8102E."))
        cleaned["primary_colour"] = colour.upper()
    logo = data.get("logo")
    if logo:
        check_upload(
            logo,
            errors,
            "logo",
            kinds=branding.LOGO_KINDS,
            max_bytes=branding.LOGO_MAX_BYTES,
            wrong_kind=_("Upload the logo as a PNG, JPEG or WebP image."),
            not_genuine=_("This file is not a PNG, JPEG or WebP image."),
        )
    if "default_currency" in data:
        currency = str(data["default_currency"] or "").upper()
        if currency not in SUPPORTED_CURRENCIES:
            errors.add(
                "default_currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(SUPPORTED_CURRENCIES)}
            )
        cleaned["default_currency"] = currency
    if "parent_must_cover_child_region" in data:
        value = data["parent_must_cover_child_region"]
        if not isinstance(value, bool):
            errors.add("parent_must_cover_child_region", _("Must be true or false."))
        cleaned["parent_must_cover_child_region"] = bool(value)
    if "credit_change_approval_threshold" in data:
        try:
            threshold = parse_amount(data["credit_change_approval_threshold"])
        except (TypeError, ValueError):
            errors.add("credit_change_approval_threshold", _("Enter an amount, e.g. 100000.00."))
        else:
            if threshold < 0:
                errors.add("credit_change_approval_threshold", _("The amount cannot be negative."))
            elif threshold > Decimal("999999999999"):
                errors.add("credit_change_approval_threshold", _("The amount is too large."))
            cleaned["credit_change_approval_threshold"] = threshold
    if "approval_reminder_hours" in data:
        hours = data["approval_reminder_hours"]
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 720:
            errors.add("approval_reminder_hours", _("Enter whole hours from 1 to 720."))
        cleaned["approval_reminder_hours"] = hours
    if errors.errors:
        raise errors
    for field, value in cleaned.items():
        setattr(settings_row, field, value)
    if logo:
        # a new name per upload (the bytes' kind decides the extension): a cached old logo is never served
        stem = f"logo-{timezone.now():%Y%m%d%H%M%S%f}"
        settings_row.logo.save(stored_name(logo, stem), logo, save=False)
    elif data.get("remove_logo") is True:
        settings_row.logo = ""
    settings_row.save()
    return settings_row
