"""Pages of analytics: the workbench, targets, dashboards, alerts and reports."""

from django.urls import path

from . import views_workbench

app_name = "analytics"

urlpatterns: list = [
    path("workbench/", views_workbench.workbench_view, name="workbench"),
]
