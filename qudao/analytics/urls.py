"""Pages of analytics: the workbench, targets, dashboards, alerts and reports."""

app_name = "analytics"

urlpatterns: list = []
