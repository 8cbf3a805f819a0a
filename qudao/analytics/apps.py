from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Targets and attainment, the analytics store (a columnar copy fed from the contexts below,
    never writing to them), the semantic layer of metrics and dimensions, workbenches, dashboards,
    alerts and the report builder. The highest context so far: it may import every context below
    it, and none of them imports it (they offer registries it fills)."""

    name = "qudao.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from . import targets

        targets.register_subjects()  # target plans go through the approval engine
        try:  # a rebate tier on a ratio to target reads the approved partner targets
            from qudao.rebates import ratios
        except ImportError:  # the registry comes with the rebate-ratio work; wired on merge
            ratios = None
        if ratios is not None and hasattr(ratios, "register_target_source"):
            ratios.register_target_source(targets.approved_partner_targets)
