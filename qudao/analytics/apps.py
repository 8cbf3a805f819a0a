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
        from qudao.rebates import ratios

        from . import targets, workbench_reports  # noqa: F401  (workbench_reports registers the pinned reports on import)
        from .workbench_kpis import register as register_dashboards

        targets.register_subjects()  # target plans go through the approval engine
        # a rebate tier on the ratio to target reads the approved partner targets (rebates cannot
        # import analytics: it offers the registry)
        ratios.register_target_source(targets.approved_partner_targets)
        register_dashboards()  # the dashboards' KPI cards, workbench chart and exports

        from . import workbench_alerts

        workbench_alerts.register()  # the workbench's "alerts to acknowledge"

        # attainment where the portal home, the dashboard and the alerts left a slot for it
        from . import attainment_feeds, portal_cards

        portal_cards.register()  # the portal home's attainment card
        attainment_feeds.register()  # the dashboard's attainment ranking, the attainment alerts
