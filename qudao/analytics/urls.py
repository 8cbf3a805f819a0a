"""Pages of analytics: the workbench, targets, dashboards, alerts and reports."""

from django.urls import path

from . import views_alerts, views_workbench

app_name = "analytics"

urlpatterns: list = [
    path("workbench/", views_workbench.workbench_view, name="workbench"),
    path("analytics/alerts/", views_alerts.alert_list_view, name="alerts"),
    path("analytics/alerts/<int:alert_id>/acknowledge/", views_alerts.alert_acknowledge_view, name="alert_acknowledge"),
    path("analytics/alerts/rules/", views_alerts.rule_list_view, name="alert_rules"),
    path("analytics/alerts/rules/new/", views_alerts.rule_create_view, name="alert_rule_create"),
    path("analytics/alerts/rules/<int:rule_id>/", views_alerts.rule_edit_view, name="alert_rule_edit"),
    path("analytics/alerts/rules/<int:rule_id>/active/", views_alerts.rule_active_view, name="alert_rule_active"),
]
