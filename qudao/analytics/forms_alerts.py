"""The alert rule form: it only collects the values; `alerts.clean_rule` holds every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qudao.core.forms import Form
from qudao.core.pickers import RegionField
from qudao.core.regions import macro_regions

from . import semantic
from .models_alerts import AlertRule


class AlertRuleForm(Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=AlertRule.Kind.choices)
    metric = forms.ChoiceField(label=_("Metric"), required=False)
    denominator = forms.ChoiceField(
        label=_("Divided by"), required=False, help_text=_("Ratio rules only: the metric below the line.")
    )
    subject = forms.ChoiceField(label=_("For each"), choices=AlertRule.Subject.choices)
    comparison = forms.ChoiceField(
        label=_("Comparison"),
        choices=AlertRule.Comparison.choices,
        help_text=_("Change rules: above = up by at least, below = down by at least."),
    )
    threshold = forms.CharField(
        label=_("Threshold"),
        max_length=24,
        help_text=_(
            "An amount or a count; a percentage for change, ratio and rate metrics; days for days since "
            "the last order and for stock cover."
        ),
    )
    window = forms.ChoiceField(label=_("Window"), choices=AlertRule.Window.choices)
    window_days = forms.IntegerField(label=_("Days in the window"), required=False, min_value=1, max_value=366)
    region = RegionField(label=_("Region"), required=False)
    macro_region = forms.ChoiceField(label=_("Macro region"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        metrics = [("", "—")] + [(metric.code, metric.label) for metric in semantic.metrics_for(user)]
        self.fields["metric"].choices = metrics
        self.fields["denominator"].choices = metrics
        self.fields["macro_region"].choices = [("", "—")] + [
            (code, name) for code, (name, _provinces) in macro_regions().items()
        ]


def initial_of(rule: AlertRule) -> dict:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "metric": rule.metric,
        "denominator": rule.denominator,
        "subject": rule.subject,
        "comparison": rule.comparison,
        "threshold": f"{rule.threshold.normalize():f}",
        "window": rule.window,
        "window_days": rule.window_days,
        "region": rule.region.code if rule.region_id else "",
        "macro_region": rule.macro_region,
    }
