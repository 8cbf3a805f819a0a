"""Pages of analytics: the workbench, targets, dashboards, alerts and reports."""

from django.urls import path

from . import views_dashboards, views_workbench

app_name = "analytics"

urlpatterns: list = [
    path("workbench/", views_workbench.workbench_view, name="workbench"),
    path("analytics/dashboard/", views_dashboards.dashboard_view, name="dashboard"),
    path("analytics/dashboard/regions/", views_dashboards.regions_view, name="dashboard_regions"),
    path("analytics/pivot/", views_dashboards.pivot_view, name="pivot"),
    path("analytics/pivot/cell/", views_dashboards.pivot_cell_view, name="pivot_cell"),
    path("analytics/roi/", views_dashboards.roi_view, name="roi"),
    path("analytics/maps/<str:name>.json", views_dashboards.map_view, name="map"),
]
