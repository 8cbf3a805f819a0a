from django.urls import path

from . import pickers, views, views_exports, views_jobs, views_webhooks

app_name = "core"

urlpatterns = [
    path("pickers/regions/", pickers.region_options_view, name="picker_regions"),
    path("approvals/", views.approvals_view, name="approvals"),
    path("approvals/<int:request_id>/", views.approval_detail_view, name="approval_detail"),
    path("exports/<int:job_id>/", views_exports.export_job_view, name="export_job"),
    path("exports/<int:job_id>/download/", views_exports.export_download_view, name="export_download"),
    path("notifications/", views.notifications_view, name="notifications"),
    path("notifications/<int:notification_id>/read/", views.notification_read_view, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all_view, name="notifications_read_all"),
    path("jobs/", views_jobs.job_list_view, name="jobs"),
    path("jobs/<int:job_id>/", views_jobs.job_view, name="job"),
    path("jobs/<int:job_id>/status/", views_jobs.job_status_view, name="job_status"),
    path("jobs/<int:job_id>/retry/", views_jobs.job_retry_view, name="job_retry"),
    path("settings/", views.settings_view, name="settings"),
    path("brand/logo/", views.brand_logo_view, name="brand_logo"),
    path("settings/flows/", views.flows_view, name="flows"),
    path("settings/flows/new/", views.flow_create_view, name="flow_create"),
    path("settings/flows/<int:flow_id>/", views.flow_edit_view, name="flow_edit"),
    path("settings/flows/<int:flow_id>/deactivate/", views.flow_deactivate_view, name="flow_deactivate"),
    path("settings/webhooks/", views_webhooks.webhooks_view, name="webhooks"),
    path("settings/webhooks/<int:endpoint_id>/", views_webhooks.webhook_detail_view, name="webhook_detail"),
    path("settings/webhooks/<int:endpoint_id>/active/", views_webhooks.webhook_active_view, name="webhook_active"),
    path("settings/webhooks/<int:endpoint_id>/rotate/", views_webhooks.webhook_rotate_view, name="webhook_rotate"),
    path("settings/webhooks/<int:endpoint_id>/test/", views_webhooks.webhook_test_view, name="webhook_test"),
    path(
        "settings/webhooks/deliveries/<int:delivery_id>/replay/",
        views_webhooks.webhook_replay_view,
        name="webhook_replay",
    ),
]
