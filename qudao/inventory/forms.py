"""Forms of the inventory pages. They only collect text; the services validate (their FieldErrors
are shown at these fields, which carry the same names)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qudao.core.forms import Form
from qudao.core.pickers import RegionField, RegionMultipleField
from qudao.partners.pickers import PartnerField

from .models import StockEntry, Warehouse


def warehouse_choices(blank_label=None):
    choices = [("", blank_label)] if blank_label is not None else []
    return choices + [(w.code, f"{w.code} {w.name}") for w in Warehouse.objects.order_by("pk")]


class StockFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100, help_text=None)
    warehouse = forms.ChoiceField(label=_("Warehouse"), required=False)
    low = forms.BooleanField(label=_("Low stock only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = warehouse_choices(_("All"))
        self.fields["q"].widget.attrs.update({"id": "filter-q", "type": "search", "placeholder": _("SKU code or name")})


class EntryFilterForm(Form):
    sku = forms.CharField(label=_("SKU code"), required=False, max_length=40)
    warehouse = forms.ChoiceField(label=_("Warehouse"), required=False)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=64)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All"))] + list(StockEntry.Kind.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = warehouse_choices(_("All"))


class WarehouseForm(Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=Warehouse.Kind.choices, initial=Warehouse.Kind.REGIONAL)
    region = RegionField(label=_("Region"), required=False, help_text=_("A province, or a city inside it."))
    serves = RegionMultipleField(
        label=_("Serves regions"),
        required=False,
        help_text=_(
            "Provinces or cities, e.g. 广东省 or 佛山市: orders of partners there are filled from this "
            "warehouse first. Empty: its own region."
        ),
    )
    partner = PartnerField(label=_("Partner"), required=False, help_text=_("Only for a partner's own warehouse."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    ships_to_partners = forms.BooleanField(
        label=_("Ships to partners"), required=False, initial=True, help_text=_("Orders may be filled from it.")
    )


class SafetyStockForm(Form):
    safety_stock = forms.CharField(
        label=_("Safety stock"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )


class ReceiveForm(Form):
    quantity = forms.CharField(
        label=_("Quantity received"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    reference = forms.CharField(
        label=_("Reference"), max_length=64, required=False, help_text=_("e.g. the delivery note")
    )


class AdjustForm(Form):
    delta = forms.CharField(
        label=_("Change"),
        max_length=12,
        help_text=_("Units to add, or negative to take off (a count found more or less)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class QuarantineReleaseForm(Form):
    quantity = forms.CharField(
        label=_("Units to release"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False, help_text=_("e.g. checked, as new"))


class QuarantineScrapForm(Form):
    quantity = forms.CharField(
        label=_("Units to scrap"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    note = forms.CharField(label=_("Reason"), max_length=300, required=False)
