"""The base of every form of Qudao (`Form`: the text rule at every text field), and the forms of
the core pages (approvals, settings, flows). They parse input only: the services in approvals.py
and flows.py validate and save."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from . import approvals, flows, pickers
from .models import ApprovalDecision
from .money import SUPPORTED_CURRENCIES
from .validators import TextValidator


class Form(forms.Form):
    """Base of every form of Qudao (a test fails for a form that is not one). Its text fields keep
    the text rule (core.validators): no control characters, and no line breaks or tabs but in
    free texts (a Textarea); the error shows at the field and nothing is saved. Passwords are
    left to their own checks (never displayed or exported).

    `user`: who fills the form in; its pickers (qudao.core.pickers) search and accept only what
    this user may see."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None:
            pickers.bind_user(self, user)

    def full_clean(self):
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
                validator = TextValidator(multiline=isinstance(field.widget, forms.Textarea))
                if validator not in field.validators:
                    field.validators.append(validator)
        super().full_clean()


class PercentField(forms.Field):
    """A rate people type and read as a percentage ("13" or "13%" for 13 %) and Qudao stores as a
    fraction (Decimal("0.13")): `clean` gives the fraction, the form shows a stored fraction as its
    percentage. `places` is how many decimals of a percent are allowed (2: 12.25 %, a fraction of
    4 decimals)."""

    default_error_messages = {
        "invalid": _("Enter a percentage, e.g. 13 for 13%."),
        "range": _("Enter a percentage from 0 to 100."),
        "places": _("Enter a percentage with at most %(places)s decimals."),
    }

    widget = forms.TextInput

    def __init__(self, *, places: int = 2, **kwargs):
        self.places = places
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("maxlength", "12")

    def prepare_value(self, value):
        if isinstance(value, Decimal):  # a stored fraction (initial data): shown as a percentage
            return format((value * 100).normalize(), "f")
        return value

    def to_python(self, value):
        text = str(value if value is not None else "").strip().rstrip("%").strip()
        if not text:
            return None
        if len(text) > 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            percent = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not percent.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if percent < 0 or percent > 100:
            raise forms.ValidationError(self.error_messages["range"], code="range")
        if percent.as_tuple().exponent < -self.places:
            raise forms.ValidationError(self.error_messages["places"], code="places", params={"places": self.places})
        return (percent / 100).quantize(Decimal(1).scaleb(-(self.places + 2)))


class DecisionForm(Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ApprovalDecision.Decision.APPROVE, _("Approve")),
            (ApprovalDecision.Decision.RETURN, _("Return for changes")),
            (ApprovalDecision.Decision.REJECT, _("Reject")),
        ],
        widget=forms.RadioSelect,
        initial=ApprovalDecision.Decision.APPROVE,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you reject or return."),
    )
    expected_step_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    wide_fields = ("decision", "comment")


class BrandSettingsForm(Form):
    brand_name = forms.CharField(label=_("brand name"), max_length=100)
    short_name = forms.CharField(
        label=_("short name"),
        max_length=20,
        required=False,
        help_text=_("Shown where space is short (a phone's header); the brand name when empty."),
    )
    logo = forms.FileField(
        label=_("logo"),
        required=False,
        help_text=_("A PNG, JPEG or WebP image of at most 1 MB, shown in the header, on the log-in page and on PDFs."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("remove the logo"), required=False)
    primary_colour = forms.CharField(
        label=_("primary colour"),
        max_length=7,
        required=False,
        help_text=_("A colour as #RRGGBB, e.g. #C8102E."),
        widget=forms.TextInput(attrs={"placeholder": "#C8102E", "spellcheck": "false"}),
    )
    default_currency = forms.ChoiceField(
        label=_("default currency"), choices=[(code, code) for code in SUPPORTED_CURRENCIES]
    )
    parent_must_cover_child_region = forms.BooleanField(
        label=_("a parent distributor must cover the sub-dealer's region"),
        required=False,
        help_text=_("Refuse a parent whose territory does not contain the sub-dealer's region."),
    )
    credit_change_approval_threshold = forms.CharField(
        label=_("credit limit change needing approval"),
        max_length=24,
        help_text=_("A credit limit increase above this amount goes through the approval engine."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    approval_reminder_hours = forms.IntegerField(label=_("remind approvers after (hours)"))


def subject_kind_choices():
    return sorted(((kind, str(handler.label)) for kind, handler in approvals.registered_kinds().items()), key=str)


class FlowForm(Form):
    subject_kind = forms.ChoiceField(label=_("Subject"), choices=subject_kind_choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    conditions = forms.CharField(
        label=_("Other conditions (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
        help_text=_(
            'Only for what the condition rows cannot say, e.g. {"partner_type": {"ne": "dealer"}}; usually empty.'
        ),
    )
    priority = forms.IntegerField(
        label=_("Priority"), initial=0, help_text=_("The matching flow with the highest priority is used.")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    wide_fields = ("conditions",)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["subject_kind"]
        else:
            # chosen above the form (its condition fields depend on it), carried along hidden
            self.fields["subject_kind"].widget = forms.HiddenInput()

    def clean_conditions(self):
        text = (self.cleaned_data.get("conditions") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": error}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Conditions must be an object of field: value."))
        return value


def role_choices():
    return [("", "—")] + list(flows.approver_roles().items())


class FlowStepForm(Form):
    name = forms.CharField(label=_("Step"), max_length=100, required=False)
    approver_role = forms.ChoiceField(label=_("Approver role"), choices=role_choices, required=False)
    match_region = forms.BooleanField(label=_("Only approvers of the subject's region"), required=False)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not data.get("name") and not data.get("approver_role")


FlowStepFormSet = forms.formset_factory(FlowStepForm, extra=2, max_num=flows.MAX_STEPS, absolute_max=flows.MAX_STEPS)
