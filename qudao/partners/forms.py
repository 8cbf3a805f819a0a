"""Forms of the HQ partner pages. They parse input only: partners.services validates and saves
(its FieldErrors are put back on these forms with core.pages.apply_field_errors)."""

from __future__ import annotations

from collections import Counter

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qudao.accounts.models import User
from qudao.accounts.roles import HQRole
from qudao.core import choices
from qudao.core.forms import Form
from qudao.core.models import Region
from qudao.core.money import SUPPORTED_CURRENCIES
from qudao.core.pickers import MultiSelect, RegionField

from .models import STATUS_TRANSITIONS, PartnerApplication, PartnerStatus, PartnerType, Tier
from .pickers import PartnerField

BLANK = [("", "—")]


# --- choices -----------------------------------------------------------------------------------


def province_choices():
    return [(region.code, region.display_name) for region in Region.objects.filter(level=Region.Level.PROVINCE)]


def product_line_choices(kept=()) -> list[tuple[str, str]]:
    """The catalogue's product lines (registered in core.choices: partners do not import the
    catalogue), and any line the partner already names that is no longer offered (so that editing
    it does not drop it unseen)."""
    offered = choices.choices("product_lines")
    known = {value for value, _label in offered}
    return offered + [(str(name), str(name)) for name in (kept or []) if str(name) not in known]


def tier_choices(active_only=True):
    tiers = Tier.objects.filter(is_active=True) if active_only else Tier.objects.all()
    return [(tier.code, tier.name) for tier in tiers.order_by("rank")]


def hq_owner_choices():
    """HQ users who can own partners (channel managers, regional managers, sales)."""
    roles = [HQRole.CHANNEL_MANAGER, HQRole.REGIONAL_MANAGER, HQRole.SALES]
    users = (
        User.objects.filter(is_active=True).filter(Q(role_assignments__role__in=roles)).distinct().order_by("username")
    )
    users = list(users)
    names = Counter(str(user) for user in users)
    # people pick a person by name; the login name only tells two people of one name apart
    return BLANK + [
        (user.username, f"{user} ({user.username})" if names[str(user)] > 1 else str(user))
        for user in sorted(users, key=lambda user: (str(user), user.username))
    ]


def comma_list(value) -> str:
    return ", ".join(value or [])


# --- the partner list --------------------------------------------------------------------------


class PartnerFilterForm(Form):
    """The list's search and filters (GET). Invalid values are ignored, never an error page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Code, name or credit code"),
                "id": "filter-q",
                "autocomplete": "off",
            }
        ),
    )
    partner_type = forms.ChoiceField(label=_("Type"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    region = forms.ChoiceField(label=_("Province"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        any_choice = [("", _("All"))]
        self.fields["partner_type"].choices = any_choice + list(PartnerType.choices)
        self.fields["tier"].choices = any_choice + tier_choices(active_only=False)
        self.fields["region"].choices = any_choice + province_choices()
        self.fields["status"].choices = any_choice + list(PartnerStatus.choices)
        self.fields["owner"].choices = any_choice + hq_owner_choices()[1:]

    def filters(self) -> dict:
        """The valid filters as partners.selectors.partner_list takes them."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}


# --- create / edit -----------------------------------------------------------------------------


class PartnerForm(Form):
    # Required fields are checked by the service (not the form), so that one round shows every
    # wrong field: the form's own "required" would stop before the service sees the rest.
    partner_type = forms.ChoiceField(label=_("Type"), choices=PartnerType.choices, required=False)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    short_name = forms.CharField(label=_("Short name"), max_length=60, required=False)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    region = RegionField(label=_("Region"), required=False, help_text=_("A province, or a city inside it."))
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    # picked by name among the partners the user sees; cleaned to the code the service takes
    parent_code = PartnerField(
        by_code=True, label=_("Parent distributor"), required=False, help_text=_("Empty for none.")
    )
    channel_manager = forms.ChoiceField(label=_("Channel manager"), required=False)
    regional_owner = forms.ChoiceField(label=_("Regional owner"), required=False)
    territories = forms.MultipleChoiceField(
        label=_("Sales territory"),
        required=False,
        widget=MultiSelect,
        help_text=_("Provinces the partner may sell into and recruit sub-dealers in; empty means its own province."),
    )
    product_lines = forms.MultipleChoiceField(
        label=_("Authorised product lines"),
        required=False,
        widget=MultiSelect,
        help_text=_("The product lines the partner may order; none: only what sales-scope rules allow."),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate with commas."))
    invoice_title = forms.CharField(label=_("Invoice title"), max_length=200, required=False)
    invoice_address_phone = forms.CharField(label=_("Invoice address and phone"), max_length=300, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
    # The first contact (creating only).
    contact_name = forms.CharField(label=_("Contact name"), max_length=60, required=False)
    contact_role = forms.CharField(label=_("Contact role"), max_length=60, required=False)
    contact_mobile = forms.CharField(
        label=_("Contact mobile"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    contact_email = forms.CharField(label=_("Contact e-mail"), max_length=254, required=False, widget=forms.EmailInput)

    wide_fields = ("legal_name", "address", "territories")
    shown_required = ("partner_type", "legal_name", "region", "tier")
    CONTACT_FIELDS = ("contact_name", "contact_role", "contact_mobile", "contact_email")
    # The service's contact error keys -> this form's fields.
    CONTACT_ERROR_MAP = {
        "name": "contact_name",
        "role": "contact_role",
        "mobile": "contact_mobile",
        "email": "contact_email",
    }

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tier_choices()
        owners = hq_owner_choices()
        self.fields["channel_manager"].choices = owners
        self.fields["regional_owner"].choices = owners
        self.fields["territories"].choices = province_choices()
        self.fields["product_lines"].choices = product_line_choices(self.initial.get("product_lines"))
        if editing:
            # Tier, status, parent and credit terms change through their own forms (they keep history).
            for name in ("tier", "parent_code", *self.CONTACT_FIELDS):
                del self.fields[name]

    @staticmethod
    def initial_for(partner) -> dict:
        return {
            "partner_type": partner.partner_type,
            "legal_name": partner.legal_name,
            "short_name": partner.short_name,
            "credit_code": partner.credit_code or "",
            "region": partner.region.code,
            "address": partner.address,
            "channel_manager": partner.channel_manager.username if partner.channel_manager else "",
            "regional_owner": partner.regional_owner.username if partner.regional_owner else "",
            "territories": [region.code for region in partner.territories.all()],
            "product_lines": list(partner.product_lines or []),
            "tags": comma_list(tag.name for tag in partner.tags.all()),
            "invoice_title": partner.invoice_title,
            "invoice_address_phone": partner.invoice_address_phone,
            "bank_name": partner.bank_name,
            "bank_account": partner.bank_account,
        }

    def partner_data(self) -> dict:
        """The cleaned values as services.create_partner / update_partner take them."""
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.CONTACT_FIELDS}
        if "parent_code" in data and not data["parent_code"]:
            del data["parent_code"]
        return data

    def contact_data(self) -> dict | None:
        values = {name: (self.cleaned_data.get(name) or "").strip() for name in self.CONTACT_FIELDS}
        if not any(values.values()):
            return None
        return {
            "name": values["contact_name"],
            "role": values["contact_role"],
            "mobile": values["contact_mobile"],
            "email": values["contact_email"],
            "is_primary": True,
        }


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Reason"))
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("required", False)  # the service says "Give a reason." at the field
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        super().__init__(**kwargs)


class StatusForm(Form):
    status = forms.ChoiceField(label=_("New status"))
    reason = ReasonField()
    wide_fields = ("reason",)
    shown_required = ("reason",)

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = STATUS_TRANSITIONS.get(partner.status, set())
        self.fields["status"].choices = [(value, label) for value, label in PartnerStatus.choices if value in allowed]


class TierForm(Form):
    tier = forms.ChoiceField(label=_("New tier"))
    reason = ReasonField()
    wide_fields = ("reason",)
    shown_required = ("reason",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tier_choices()


class CreditForm(Form):
    credit_limit = forms.CharField(
        label=_("Credit limit"), max_length=24, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=[(code, code) for code in SUPPORTED_CURRENCIES])
    payment_terms_days = forms.CharField(
        label=_("Payment terms (days)"), max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    reason = ReasonField()
    wide_fields = ("reason",)
    shown_required = ("reason",)


class ParentForm(Form):
    parent = forms.CharField(
        label=_("Parent distributor (partner code)"),
        max_length=20,
        required=False,
        help_text=_("Empty to make this partner independent."),
    )


class ContactForm(Form):
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    role = forms.CharField(label=_("Role"), max_length=60, required=False)
    mobile = forms.CharField(
        label=_("Mobile"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput)
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)
    shown_required = ("name",)


class TierSettingsForm(Form):
    code = forms.CharField(label=_("Code"), max_length=30, required=False)
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    rank = forms.CharField(label=_("Rank"), max_length=4, required=False, help_text=_("1 is the highest tier."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    shown_required = ("code", "name", "rank")

    def tier_data(self) -> dict:
        data = dict(self.cleaned_data)
        return data


class ApplicationFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All"))] + list(PartnerApplication.Status.choices)
