"""Pages of analytics: the workbench, targets, dashboards, alerts and reports."""

from django.urls import path

from . import urls_reports, views_workbench

app_name = "analytics"

urlpatterns: list = [
    path("workbench/", views_workbench.workbench_view, name="workbench"),
]
urlpatterns += urls_reports.urlpatterns  # the report builder
