"""Forms of the HQ pricing pages. They only collect and parse text; the services validate (their
FieldErrors are shown at these fields, which carry the same names)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.catalog.models import ProductLine, Sku
from qudao.catalog.pickers import SkuField, find_sku
from qudao.core.forms import Form
from qudao.core.pickers import RegionField
from qudao.partners.models import Tier
from qudao.partners.pickers import PartnerField

from .models import CURRENCY_CHOICES, PriceList, PriceListRule, Promotion, ScopeKind


def tier_choices():
    return [("", _("Any"))] + [(tier.code, tier.name) for tier in Tier.objects.order_by("rank")]


def line_choices(blank_label=None):
    choices = [("", blank_label or "—")]
    for line in ProductLine.objects.order_by("path"):
        choices.append((str(line.pk), "\u3000" * line.depth + line.name))
    return choices


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PriceListFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(PriceList.Status.choices)
    )
    kind = forms.ChoiceField(label=_("Audience"), required=False, choices=[("", _("All"))] + list(ScopeKind.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"id": "filter-q", "type": "search"})


class PriceListForm(Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    region = RegionField(label=_("Region"), required=False, help_text=_("A province, or a city inside it."))
    partner = PartnerField(
        label=_("Partner"), required=False, help_text=_("A partner's own list names no tier or region.")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="CNY")
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=date_input())
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=date_input())
    priority = forms.IntegerField(label=_("Priority"), required=False, initial=0)
    shown_required = ("valid_from",)

    def __init__(self, *args, fixed=False, **kwargs):
        """`fixed`: an active or pending list, which may change only its name and end of validity."""
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tier_choices()
        if fixed:
            for name in list(self.fields):
                if name not in ("name", "valid_to"):
                    del self.fields[name]

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("tier", "region"):
            if key in data:
                data[key] = (data[key] or "").strip() or None
        return data


class ItemForm(Form):
    sku = SkuField(label=_("SKU"))
    min_qty = forms.IntegerField(label=_("From quantity"), required=False, initial=1)
    price = forms.CharField(label=_("Price"), max_length=24)


# The grid editor of a list's prices: rows of ItemForm (empty rows are skipped), saved at once.
ItemGridFormSet = forms.formset_factory(ItemForm, extra=5, max_num=200, absolute_max=200)


class RuleForm(Form):
    product_line = forms.ChoiceField(label=_("Product line"))
    method = forms.ChoiceField(label=pgettext_lazy("price rule", "Method"), choices=PriceListRule.Method.choices)
    value = forms.CharField(label=_("Value"), max_length=24, help_text=_("Percent of base (e.g. 95) or yuan off."))
    rounding = forms.ChoiceField(label=_("Rounding"), choices=PriceListRule.Rounding.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].choices = line_choices()


class FloorForm(Form):
    sku = SkuField(label=_("SKU"))
    price = forms.CharField(label=_("Floor price"), max_length=24)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="CNY")
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=date_input())
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=date_input())


class PromotionFilterForm(Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(Promotion.Status.choices)
    )


def sku_ids(codes) -> dict[str, int]:
    """{code: id} of the SKUs with these codes."""
    return dict(Sku.objects.filter(code__in=[code for code in codes if code]).values_list("code", "pk"))


class TierRowsWidget(forms.Textarea):  # a Textarea: its value is lines (core.forms allows them)
    """Rows of "spend from" and "amount off" (a grid editor: pickers.js adds and removes rows;
    without script the rows shown, plus empty ones, are what is sent). The field still receives
    the "spend,amount off" lines the service judges, so its errors stay the service's; a post of
    the plain `tiers` text (older clients) is read as before."""

    template_name = "pricing/widgets/tier_rows.html"
    MAX_ROWS = 50
    BLANK_ROWS = 2

    def value_from_datadict(self, data, files, name):
        if f"{name}_rows" not in data:
            return data.get(name)
        try:
            count = min(max(int(data.get(f"{name}_rows") or 0), 0), self.MAX_ROWS)
        except ValueError:
            count = 0
        lines = []
        for index in range(count):
            spend = (data.get(f"{name}_spend_{index}") or "").strip()
            off = (data.get(f"{name}_off_{index}") or "").strip()
            if spend or off:  # a half-filled row goes to the service, which says what is missing
                lines.append(f"{spend},{off}")
        return "\n".join(lines)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_rows" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = []
        for line in str(value or "").splitlines():
            if line.strip():
                spend, _sep, off = line.replace("，", ",").partition(",")
                rows.append((spend.strip(), off.strip()))
        context["widget"]["rows"] = rows + [("", "")] * (self.BLANK_ROWS if not rows else 1)
        return context


class BundleRowsWidget(forms.Textarea):  # a Textarea: its value is lines (the text rule allows them)
    """A bundle's SKUs as rows of a SKU picker (name, code or barcode) and a quantity (a grid
    editor, docs/pickers.md); what it gives the form is the text the field always read, one
    "SKU,quantity" per line. A post without its rows (the field's text itself) is read as it is."""

    template_name = "pricing/widgets/bundle_rows.html"
    BLANK_ROWS = 2
    MAX_ROWS = 50

    def value_from_datadict(self, data, files, name):
        count = str(data.get(f"{name}-count") or "")
        if not count.isascii() or not count.isdigit():
            return data.get(name)
        lines = []
        for index in range(min(int(count), self.MAX_ROWS)):
            sku = str(data.get(f"{name}-{index}-sku") or data.get(f"{name}-{index}-sku__search") or "").strip()
            quantity = str(data.get(f"{name}-{index}-qty") or "").strip()
            if sku or quantity:
                lines.append(f"{sku},{quantity}")
        return "\n".join(lines)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}-count" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = []
        for line in str(value or "").splitlines():
            if line.strip():
                sku, _comma, quantity = line.replace("，", ",").partition(",")
                rows.append((sku.strip(), quantity.strip()))
        rows += [("", "")] * self.BLANK_ROWS
        picker = SkuField()
        context["widget"].update(
            {
                "rows": [
                    {"index": index, "sku": picker.widget.render(f"{name}-{index}-sku", sku), "qty": quantity}
                    for index, (sku, quantity) in enumerate(rows)
                ],
                "count": len(rows),
                "blank_sku": picker.widget.render(f"{name}-__prefix__-sku", ""),
            }
        )
        return context


class PromotionForm(Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Promotion.Kind.choices)
    stacking = forms.ChoiceField(
        label=_("Stacking"),
        choices=[("", "—")] + list(Promotion.Stacking.choices),
        required=False,
        help_text=_("Exclusive: never combines on a line. Stackable: combines with its own group only."),
    )
    stack_group = forms.CharField(label=_("Stacking group"), max_length=40, required=False)
    priority = forms.IntegerField(label=_("Priority"), required=False, initial=0, help_text=_("Higher goes first."))
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    region = RegionField(label=_("Region"), required=False)
    partner = PartnerField(label=_("Partner"), required=False)
    product_line = forms.ChoiceField(label=_("Product line"), required=False)
    sku = SkuField(label=_("SKU"), required=False, help_text=_("A line or a SKU, not both."))
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=date_input())
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=date_input())
    value = forms.CharField(
        label=_("Value"),
        max_length=24,
        required=False,
        help_text=_(
            "Percentage off: the percent; amount off: per unit; special price: the unit price; "
            "spend X get Y off: the amount off; bundle: the price of one set."
        ),
    )
    threshold = forms.CharField(
        label=_("Threshold"), max_length=24, required=False, help_text=_("Spend X, get Y off: the spend X.")
    )
    per_each = forms.BooleanField(
        label=_("Repeat for each full threshold"),
        required=False,
        help_text=_("Spend X get Y off: for each full X spent; buy X get Y free: for each X bought."),
    )
    tiers = forms.CharField(
        label=_("Tiers"),
        required=False,
        widget=TierRowsWidget,
        help_text=_("Tiered thresholds: from each spend, that amount off (e.g. from 5,000.00, 200.00 off)."),
    )
    buy_qty = forms.IntegerField(label=_("Buy quantity"), required=False, help_text=_("Buy X, get Y free: the X."))
    gift_qty = forms.IntegerField(label=_("Gift quantity"), required=False, help_text=_("Buy X, get Y free: the Y."))
    gift_sku = SkuField(
        label=_("Gift SKU"),
        required=False,
        help_text=_("Empty: the same SKU as the line bought."),
    )
    bundle_items = forms.CharField(
        label=_("Bundle"),
        required=False,
        widget=BundleRowsWidget,
        help_text=_("Bundle price: the SKUs of one set, each with its quantity."),
    )
    partner_cap_qty = forms.IntegerField(label=_("Cap per partner"), required=False, min_value=0)
    budget_qty = forms.IntegerField(label=_("Budget (quantity)"), required=False, min_value=0)
    budget_amount = forms.CharField(label=_("Budget (amount)"), max_length=24, required=False)
    wide_fields = ("tiers", "bundle_items")
    shown_required = ("stacking", "valid_from")

    def __init__(self, *args, editable=None, **kwargs):
        """`editable`: the only fields that may change now (a started promotion), else all."""
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tier_choices()
        self.fields["product_line"].choices = line_choices(_("Everything"))
        if editable is not None:
            for name in list(self.fields):
                if name not in editable:
                    del self.fields[name]

    def clean_tiers(self):
        tiers = []
        for line in (self.cleaned_data.get("tiers") or "").splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.replace("，", ",").split(",")]
            if len(parts) != 2:
                raise forms.ValidationError(_("Write each line as spend,amount off."))
            tiers.append(parts)
        return tiers

    def clean_bundle_items(self):
        rows = []
        for line in (self.cleaned_data.get("bundle_items") or "").splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.replace("，", ",").split(",")]
            if len(parts) != 2 or not parts[1].isascii() or not parts[1].isdigit():
                raise forms.ValidationError(_("Give each SKU of the bundle a whole quantity."))
            # a row's SKU as picked (its code) or typed: a code, a barcode or an exact name
            sku = find_sku(self.user, parts[0]) if self.user is not None else None
            rows.append((sku.code if sku is not None else parts[0], int(parts[1])))
        return rows

    def data_for_service(self) -> dict:
        """The service's data (ids for partner, product line and SKUs; codes for tier and region).
        Unknown SKU codes are added to the form's errors and the data is None."""
        data = dict(self.cleaned_data)
        codes = [data.get("sku"), data.get("gift_sku")] + [code for code, _qty in data.get("bundle_items") or []]
        ids = sku_ids(codes)
        for key in ("sku", "gift_sku"):
            if key not in data:
                continue
            code = (data.get(key) or "").strip()
            data[key] = ids.get(code) if code else None
            if code and data[key] is None:
                self.add_error(key, _("Unknown SKU code."))
        if "bundle_items" in data:
            bundle = []
            for code, quantity in data.get("bundle_items") or []:
                sku_id = ids.get(code)
                if sku_id is None and self.user is not None:  # a barcode or an exact name, as the pickers read them
                    found = find_sku(self.user, code)
                    sku_id = found.pk if found is not None else None
                if sku_id is None:
                    self.add_error("bundle_items", _("Unknown SKU code: %(code)s.") % {"code": code})
                bundle.append([sku_id, quantity])
            data["bundle_items"] = bundle
        for key in ("tier", "region", "stacking"):
            if key in data:
                data[key] = (data.get(key) or "").strip() or None
        if "stack_group" in data:
            data["stack_group"] = (data.get("stack_group") or "").strip()
        if "product_line" in data:
            data["product_line"] = int(data["product_line"]) if data.get("product_line") else None
        for key in ("value", "threshold", "budget_amount"):
            if key in data:
                data[key] = (data.get(key) or "").strip() or None
        if "priority" in data and data["priority"] is None:
            data["priority"] = 0
        if self.errors:
            return None
        return data


def promotion_initial(promotion: Promotion) -> dict:
    codes = dict(
        Sku.objects.filter(
            pk__in=[promotion.sku_id, promotion.gift_sku_id] + [row[0] for row in promotion.bundle_items or []]
        ).values_list("pk", "code")
    )
    return {
        "code": promotion.code,
        "name": promotion.name,
        "kind": promotion.kind,
        "stacking": promotion.stacking,
        "stack_group": promotion.stack_group,
        "priority": promotion.priority,
        "tier": promotion.tier.code if promotion.tier_id else "",
        "region": promotion.region.code if promotion.region_id else "",
        "partner": promotion.partner_id,
        "product_line": str(promotion.product_line_id or ""),
        "sku": codes.get(promotion.sku_id, ""),
        "valid_from": promotion.valid_from,
        "valid_to": promotion.valid_to,
        "value": _plain(promotion.value),
        "threshold": _plain(promotion.threshold),
        "per_each": promotion.per_each,
        "tiers": "\n".join(f"{spend},{off}" for spend, off in promotion.tiers or []),
        "buy_qty": promotion.buy_qty,
        "gift_qty": promotion.gift_qty,
        "gift_sku": codes.get(promotion.gift_sku_id, ""),
        "bundle_items": "\n".join(f"{codes.get(sku_id, sku_id)},{qty}" for sku_id, qty in promotion.bundle_items or []),
        "partner_cap_qty": promotion.partner_cap_qty,
        "budget_qty": promotion.budget_qty,
        "budget_amount": _plain(promotion.budget_amount),
    }


def _plain(amount) -> str:
    """4-decimal stored amounts without trailing zeros beyond the cent: 1299.0000 -> 1299.00."""
    if amount is None:
        return ""
    text = f"{amount:f}"
    if "." in text:
        whole, fraction = text.split(".")
        fraction = fraction.rstrip("0").ljust(2, "0")
        return f"{whole}.{fraction}"
    return text


class QuoteForm(Form):
    # by name, short name, code or credit code, among the partners the user sees; cleaned: its id
    partner = PartnerField(label=_("Partner"))
    on = forms.DateField(label=_("Date"), required=False, widget=date_input())
