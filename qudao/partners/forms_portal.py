"""Forms of the public application pages and the partner portal.

The forms only parse input and render widgets; every rule (credit code check character, mobile
numbers, duplicate applications, licence type and size, hierarchy) is the service's. The views put
the services' FieldErrors back onto these forms with `add_service_errors`.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qudao.accounts.roles import PartnerRole
from qudao.core.errors import FieldErrors
from qudao.core.forms import Form
from qudao.core.models import BrandSettings, Region

from .models import Partner, PartnerApplication, PartnerStatus, PartnerType

# Fields a partner admin may change on its own partner record (everything else belongs to HQ).
PORTAL_PROFILE_FIELDS = ("address", "invoice_title", "invoice_address_phone", "bank_name", "bank_account")

LICENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def add_service_errors(form: forms.Form, error: FieldErrors, aliases: dict[str, str] | None = None) -> None:
    """Show a service's FieldErrors at the form's fields (unknown fields become form-level errors)."""
    aliases = aliases or {}
    for field, messages in error.errors.items():
        target = aliases.get(field, field)
        if target not in form.fields:
            target = None
        for message in messages:
            if str(message) in [str(existing) for existing in form.errors.get(target or "__all__", [])]:
                continue
            form.add_error(target, str(message))


def _required(field: forms.Field) -> forms.Field:
    """Required in the browser; the service decides (and words the error) on the server."""
    field.widget.attrs["required"] = True
    return field


# --- regions and distributors ---------------------------------------------------------------------


def provinces():
    return Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")


def cities_of(province_code: str):
    if not province_code:
        return Region.objects.none()
    return Region.objects.filter(level=Region.Level.CITY, parent__code=province_code).order_by("code")


def chosen_region(province_code: str, city_code: str) -> Region | None:
    """The city when it lies in the province, else the province; None when neither is known."""
    province = Region.objects.filter(level=Region.Level.PROVINCE, code=province_code or "").first()
    if province is None:
        return None
    if city_code:
        city = Region.objects.filter(level=Region.Level.CITY, code=city_code, parent=province).first()
        if city is not None:
            return city
    return province


def distributors_for_region(region: Region | None):
    """Active distributors an applicant in `region` may apply under: those whose sales territory
    covers the region (its own province when it has no territory), as services.check_parent
    decides; every active distributor when the brand does not restrict the hierarchy by region.
    Only narrows the list offered; submit_application checks the choice again."""
    distributors = Partner.objects.filter(partner_type=PartnerType.DISTRIBUTOR, status=PartnerStatus.ACTIVE)
    if region is None:
        return distributors.none()
    if BrandSettings.current().parent_must_cover_child_region:
        ancestors = [region.path[: index + 1] for index, char in enumerate(region.path) if char == "/"]
        province_path = "/".join(region.path.split("/")[:2]) + "/"
        distributors = distributors.filter(
            Q(territories__path__in=ancestors) | Q(territories__isnull=True, region__path__startswith=province_path)
        ).distinct()
    return distributors.order_by("legal_name", "pk")[:200]


def public_distributor(pk) -> Partner | None:
    """The active distributor a recruiting link (/apply/?parent=<id>) names, or None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return Partner.objects.filter(pk=pk, partner_type=PartnerType.DISTRIBUTOR, status=PartnerStatus.ACTIVE).first()


# --- the application ------------------------------------------------------------------------------


class ApplicationForm(Form):
    """A company applying to become a partner (also used to change and resubmit a returned one)."""

    partner_type = forms.ChoiceField(label=_("I apply as"), required=False)
    legal_name = _required(
        forms.CharField(
            label=_("Legal name"), max_length=200, required=False, help_text=_("As on the business licence.")
        )
    )
    short_name = forms.CharField(label=_("Short name"), max_length=60, required=False)
    credit_code = _required(
        forms.CharField(
            label=_("Unified social credit code"),
            max_length=30,
            required=False,
            help_text=_("18 characters, on the business licence."),
            widget=forms.TextInput(
                attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}
            ),
        )
    )
    province = forms.ChoiceField(label=_("Province"), required=False)
    city = forms.ChoiceField(label=_("City"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    product_lines = forms.CharField(
        label=_("Intended product lines"),
        max_length=500,
        required=False,
        help_text=_("Separate several with commas."),
    )
    parent = forms.ChoiceField(
        label=_("Apply under a distributor"),
        required=False,
        help_text=_("Only when you will buy from one of our distributors as its sub-dealer."),
    )
    contact_name = _required(forms.CharField(label=_("Contact name"), max_length=60, required=False))
    contact_mobile = _required(
        forms.CharField(
            label=_("Contact mobile"),
            max_length=20,
            required=False,
            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        )
    )
    contact_email = _required(
        forms.CharField(
            label=_("Contact e-mail"),
            max_length=254,
            required=False,
            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        )
    )
    licence = forms.FileField(
        label=_("Business licence scan"),
        required=False,
        help_text=_("PDF, JPG or PNG."),
        widget=forms.FileInput(attrs={"accept": LICENCE_ACCEPT}),
    )
    message = forms.CharField(
        label=_("Message to us"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args,
        fixed_parent: Partner | None = None,
        current_parent: Partner | None = None,
        licence_required: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fixed_parent = fixed_parent
        self.fields["partner_type"].choices = [("", _("Choose…"))] + list(PartnerType.choices)
        _required(self.fields["partner_type"])
        self.fields["province"].choices = [("", _("Choose a province…"))] + [
            (region.code, region.display_name) for region in provinces()
        ]
        _required(self.fields["province"])
        self.fields["province"].widget.attrs.update(
            {"hx-get": reverse("apply:cities"), "hx-target": "#id_city", "hx-trigger": "change"}
        )
        province_code = self._value("province")
        cities = list(cities_of(province_code))
        self.province_has_cities = bool(cities)
        # Not `required` in the browser: htmx swaps the options and a province may have no cities.
        self.fields["city"].choices = self.city_choices(cities)
        if licence_required:
            _required(self.fields["licence"])
        else:
            self.fields["licence"].help_text = _("PDF, JPG or PNG. Leave empty to keep the file you sent.")
        if fixed_parent is not None:
            self.fields["parent"].choices = [(str(fixed_parent.pk), str(fixed_parent))]
            self.fields["parent"].widget = forms.HiddenInput()
            self.initial["parent"] = str(fixed_parent.pk)
        else:
            region = chosen_region(province_code, self._value("city"))
            self.fields["parent"].choices = self.parent_choices(region, extra=current_parent)
            self.fields["parent"].widget.attrs.update(
                {
                    "hx-get": reverse("apply:distributors"),
                    "hx-trigger": "change from:#id_province, change from:#id_city",
                    "hx-include": "#id_province, #id_city",
                }
            )

    def _value(self, name: str) -> str:
        if self.is_bound:
            return (self.data.get(self.add_prefix(name)) or "").strip()
        return str(self.initial.get(name) or "")

    @staticmethod
    def city_choices(cities) -> list[tuple[str, str]]:
        if not cities:
            return [("", _("— the whole province —"))]
        return [("", _("Choose a city…"))] + [(city.code, city.display_name) for city in cities]

    @staticmethod
    def parent_choices(region, extra: Partner | None = None) -> list[tuple[str, str]]:
        distributors = list(distributors_for_region(region))
        if extra is not None and extra.pk not in {partner.pk for partner in distributors}:
            distributors.insert(0, extra)
        return [("", _("None: I apply directly to the brand"))] + [
            (str(partner.pk), str(partner)) for partner in distributors
        ]

    def service_aliases(self) -> dict[str, str]:
        """Service field -> form field: the region is shown at the city once a province is chosen."""
        return {"region": "city" if self._value("province") else "province"}

    def clean(self):
        cleaned = super().clean()
        if self.province_has_cities and not cleaned.get("city") and "city" not in self.errors:
            self.add_error("city", _("Choose a city."))
        return cleaned

    def service_data(self) -> dict:
        """The data as services.submit_application / resubmit_application take it."""
        source = self.cleaned_data if hasattr(self, "cleaned_data") else {}

        def value(name):
            if name in source:
                return source[name]
            return (self.data.get(self.add_prefix(name)) or "").strip()

        return {
            "partner_type": value("partner_type"),
            "legal_name": value("legal_name"),
            "short_name": value("short_name"),
            "credit_code": value("credit_code"),
            "region": value("city") or value("province"),
            "address": value("address"),
            "product_lines": value("product_lines"),
            "parent": value("parent") or None,
            "contact_name": value("contact_name"),
            "contact_mobile": value("contact_mobile"),
            "contact_email": value("contact_email"),
            "message": value("message"),
        }

    @staticmethod
    def initial_from(application: PartnerApplication) -> dict:
        region = application.region
        if region.level == Region.Level.CITY:
            province, city = region.parent.code, region.code
        else:
            province, city = region.code, ""
        return {
            "partner_type": application.partner_type,
            "legal_name": application.legal_name,
            "short_name": application.short_name,
            "credit_code": application.credit_code,
            "province": province,
            "city": city,
            "address": application.address,
            "product_lines": ", ".join(application.product_lines or []),
            "parent": str(application.parent_id or ""),
            "contact_name": application.contact_name,
            "contact_mobile": application.contact_mobile,
            "contact_email": application.contact_email,
            "message": application.message,
        }


# --- the portal -----------------------------------------------------------------------------------


class PartnerProfileForm(Form):
    """The part of its own record a partner admin maintains: address, invoice and bank details."""

    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    invoice_title = forms.CharField(label=_("Invoice title"), max_length=200, required=False)
    invoice_address_phone = forms.CharField(label=_("Invoice address and phone"), max_length=300, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)

    @staticmethod
    def initial_from(partner: Partner) -> dict:
        return {field: getattr(partner, field) for field in PORTAL_PROFILE_FIELDS}

    def service_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in PORTAL_PROFILE_FIELDS}


class ContactForm(Form):
    name = _required(forms.CharField(label=_("Name"), max_length=60, required=False))
    role = forms.CharField(label=_("Role"), max_length=60, required=False, help_text=_("E.g. purchasing, finance."))
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput())
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class InviteForm(Form):
    display_name = _required(forms.CharField(label=_("Name"), max_length=100, required=False))
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput())
    username = forms.CharField(
        label=_("User name"), max_length=150, required=False, help_text=_("Leave empty to have one made up.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=PartnerRole.choices, initial=PartnerRole.STAFF)

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class SubDealerSearchForm(Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
