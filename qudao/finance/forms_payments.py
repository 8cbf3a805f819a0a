"""Forms of the payment pages: they only parse and render; every rule is qudao.finance.payments'."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.forms import Form
from qudao.partners.pickers import PartnerField

from .models import Payment


class PaymentFilterForm(Form):
    q = forms.CharField(label=_("Number, bank reference or payer"), required=False, max_length=100)
    partner = PartnerField(label=_("Partner"), required=False, by_code=True)  # ?partner=P000001 stays a link
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Payment.Status.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *Payment.Source.choices]
    )
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PaymentForm(Form):
    """The fields of a payment (finance's record, or the partner's announcement)."""

    amount = forms.CharField(
        label=_("Amount"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    )
    received_on = forms.CharField(label=_("Received on"), max_length=10, widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(
        label=_("Payment method"), choices=Payment.Method.choices, initial=Payment.Method.BANK_TRANSFER
    )
    bank_reference = forms.CharField(label=_("Bank reference"), required=False, max_length=64)
    payer_name = forms.CharField(label=_("Payer"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate().isoformat()
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def data_for_service(self) -> dict:
        return {name: self.data.get(name, "") for name in self.fields}


class AnnounceForm(PaymentForm):
    proof = forms.FileField(
        label=_("Proof of payment"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )

    def data_for_service(self) -> dict:
        return {name: self.data.get(name, "") for name in self.fields if name != "proof"}


class PaymentPartnerForm(Form):
    """The partner a payment is recorded for, picked by name, code or credit code (a picker)."""

    partner = PartnerField(label=_("Partner"))
