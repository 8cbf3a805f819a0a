"""Pages of the report builder (views_reports.py), included by analytics/urls.py."""

from django.urls import path

from . import views_reports

urlpatterns = [
    path("analytics/reports/", views_reports.report_list, name="reports"),
    path("analytics/reports/new/", views_reports.report_new, name="report_new"),
    path("analytics/reports/preview/", views_reports.report_preview, name="report_preview"),
    path("analytics/reports/values/", views_reports.report_values, name="report_values"),
    path("analytics/reports/<int:pk>/", views_reports.report_detail, name="report"),
    path("analytics/reports/<int:pk>/export.xlsx", views_reports.report_export, name="report_export"),
    path("analytics/reports/<int:pk>/pin/", views_reports.report_pin, name="report_pin"),
    path("analytics/reports/<int:pk>/delete/", views_reports.report_delete, name="report_delete"),
]
