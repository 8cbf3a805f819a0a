"""Pages of analytics: the workbench, targets, dashboards, alerts and reports."""

from django.urls import path

from . import urls_reports, views_alerts, views_dashboards, views_targets, views_workbench

app_name = "analytics"

urlpatterns: list = [
    path("workbench/", views_workbench.workbench_view, name="workbench"),
    path("analytics/targets/", views_targets.plan_list_view, name="target_plans"),
    path("analytics/targets/new/", views_targets.plan_new_view, name="target_plan_new"),
    path("analytics/targets/<int:plan_id>/", views_targets.plan_detail_view, name="target_plan"),
    path("analytics/targets/<int:plan_id>/submit/", views_targets.submit_view, name="target_plan_submit"),
    path("analytics/targets/<int:plan_id>/spread/", views_targets.spread_view, name="target_plan_spread"),
    path("analytics/targets/<int:plan_id>/roll-up/", views_targets.roll_up_view, name="target_plan_roll_up"),
    path("analytics/targets/<int:plan_id>/version/", views_targets.version_view, name="target_plan_version"),
    path("analytics/targets/<int:plan_id>/export.xlsx", views_targets.export_view, name="target_plan_export"),
    path(
        "analytics/targets/<int:plan_id>/targets/<int:target_id>/breakdown/",
        views_targets.breakdown_view,
        name="target_breakdown",
    ),
    path("portal/targets/", views_targets.portal_targets_view, name="portal_targets"),
    path("analytics/dashboard/", views_dashboards.dashboard_view, name="dashboard"),
    path("analytics/dashboard/regions/", views_dashboards.regions_view, name="dashboard_regions"),
    path("analytics/pivot/", views_dashboards.pivot_view, name="pivot"),
    path("analytics/pivot/cell/", views_dashboards.pivot_cell_view, name="pivot_cell"),
    path("analytics/roi/", views_dashboards.roi_view, name="roi"),
    path("analytics/maps/<str:name>.json", views_dashboards.map_view, name="map"),
    path("analytics/alerts/", views_alerts.alert_list_view, name="alerts"),
    path("analytics/alerts/<int:alert_id>/acknowledge/", views_alerts.alert_acknowledge_view, name="alert_acknowledge"),
    path("analytics/alerts/rules/", views_alerts.rule_list_view, name="alert_rules"),
    path("analytics/alerts/rules/new/", views_alerts.rule_create_view, name="alert_rule_create"),
    path("analytics/alerts/rules/<int:rule_id>/", views_alerts.rule_edit_view, name="alert_rule_edit"),
    path("analytics/alerts/rules/<int:rule_id>/active/", views_alerts.rule_active_view, name="alert_rule_active"),
]
urlpatterns += urls_reports.urlpatterns  # the report builder
