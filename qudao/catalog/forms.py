"""Forms of the catalog pages. They only collect text; the services validate (their FieldErrors
are shown at these fields, which carry the same names)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.forms import Form, PercentField
from qudao.core.pickers import RegionField
from qudao.partners.models import Tier
from qudao.partners.pickers import PartnerField

from .models import Lifecycle, ProductLine, SalesScopeRule
from .pickers import SkuField


def line_choices(blank=True):
    choices = [("", "—")] if blank else []
    for line in ProductLine.objects.order_by("path"):
        choices.append((line.code, "\u3000" * line.depth + line.name))
    return choices


class CatalogFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    line = forms.ChoiceField(label=_("Product line"), required=False)
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle"), required=False, choices=[("", _("All"))] + list(Lifecycle.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", _("All"))] + line_choices(blank=False)
        self.fields["q"].widget.attrs.update({"id": "filter-q", "type": "search"})


class LineForm(Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=60)
    parent = forms.ChoiceField(label=_("Parent line"), required=False)
    sort_order = forms.IntegerField(label=pgettext_lazy("sort order", "Order"), required=False, min_value=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = line_choices()

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["parent"] = data.get("parent") or None
        if data.get("sort_order") is None:
            data["sort_order"] = 0
        return data


class ProductForm(Form):
    code = forms.CharField(label=_("Product code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    product_line = forms.ChoiceField(label=_("Product line"))
    base_unit = forms.CharField(label=_("Base unit"), max_length=10, initial="件")
    tax_rate = PercentField(label=_("Tax rate (%)"), initial=Decimal("0.13"), help_text=_("e.g. 13 for 13%."))
    lifecycle = forms.ChoiceField(label=_("Lifecycle"), choices=Lifecycle.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    wide_fields = ("description",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].choices = line_choices()


class SkuForm(Form):
    code = forms.CharField(label=_("SKU code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=160)
    barcode = forms.CharField(label=_("Barcode"), max_length=32, required=False)
    specification = forms.CharField(
        label=_("Specification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: name=value, e.g. 颜色=银色"),
    )
    cost_price = forms.CharField(label=_("Cost price"), max_length=24, required=False)
    min_order_qty = forms.CharField(label=_("Minimum order quantity"), max_length=9, initial="1")
    order_multiple = forms.CharField(label=_("Order multiple"), max_length=9, initial="1")
    lifecycle = forms.ChoiceField(label=_("Lifecycle"), choices=Lifecycle.choices)
    wide_fields = ("specification",)

    def __init__(self, *args, show_cost=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_cost:
            del self.fields["cost_price"]

    def clean_specification(self):
        attributes = {}
        for line in (self.cleaned_data.get("specification") or "").splitlines():
            if not line.strip():
                continue
            if "=" not in line:
                raise forms.ValidationError(_("Write each line as name=value."))
            name, value = line.split("=", 1)
            attributes[name.strip()] = value.strip()
        return attributes

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["attributes"] = data.pop("specification")
        if "cost_price" in data:
            data["cost_price"] = data["cost_price"] or None
        return data


def attributes_text(attributes: dict) -> str:
    return "\n".join(f"{name}={value}" for name, value in (attributes or {}).items())


class UnitForm(Form):
    unit = forms.CharField(label=_("Unit"), max_length=10)
    factor = forms.CharField(label=_("Base units per unit"), max_length=9)


class ScopeRuleForm(Form):
    effect = forms.ChoiceField(label=_("Effect"), choices=SalesScopeRule.Effect.choices)
    product_line = forms.ChoiceField(label=_("Product line"), required=False)
    sku = SkuField(label=_("SKU"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    region = RegionField(label=_("Region"), required=False)
    partner = PartnerField(label=_("Partner"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].choices = line_choices()
        self.fields["tier"].choices = [("", _("Any"))] + [(t.code, t.name) for t in Tier.objects.order_by("rank")]

    def data_for_service(self) -> dict:
        return {key: (value or None) if key != "note" else value for key, value in self.cleaned_data.items()}


class ScopeCheckForm(Form):
    """ "What may a partner buy?": the partner, picked by name, code or credit code."""

    partner = PartnerField(label=_("Partner"))
