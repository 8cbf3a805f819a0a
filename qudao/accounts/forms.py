"""Forms of the account pages. They only parse input; the services validate and save."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qudao.core.forms import Form
from qudao.core.models import Region
from qudao.core.pickers import MultiSelect

from .roles import HQRole


class LoginForm(Form):
    identifier = forms.CharField(
        label=_("User name, e-mail or mobile"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


def language_choices():
    return [("", _("Follow my browser"))] + list(settings.LANGUAGES)


class AccountForm(Form):
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput)
    mobile = forms.CharField(
        label=_("Mobile"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    # A select, but validated by the service (so its message sits beside the others).
    language = forms.CharField(label=_("Language"), required=False, widget=forms.Select(choices=language_choices))


class TokenForm(Form):
    EXPIRY_CHOICES = [("30", _("30 days")), ("90", _("90 days")), ("365", _("1 year")), ("", _("Never"))]

    name = forms.CharField(
        label=_("Token name"), max_length=100, required=False, help_text=_("E.g. the system that uses it.")
    )
    shown_required = ("name",)
    expires_in_days = forms.ChoiceField(label=_("Expires after"), choices=EXPIRY_CHOICES, initial="90", required=False)


def province_queryset():
    return Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")


class HQUserForm(Form):
    username = forms.CharField(label=_("User name"), max_length=150, required=False)
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to send the user a link where it chooses its own password."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=HQRole.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=Region.objects.none(),
        required=False,
        widget=MultiSelect,
        help_text=_("For regional managers and sales: the provinces whose partners they see."),
    )
    wide_fields = ("roles", "regions")
    shown_required = ("username", "roles")

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regions"].queryset = province_queryset()
        if editing:
            for name in ("username", "password", "email", "mobile", "display_name"):
                del self.fields[name]
