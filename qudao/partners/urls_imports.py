from django.urls import path

from . import views_imports

app_name = "partner_imports"

urlpatterns = [
    path("partners/import/", views_imports.import_upload, name="upload"),
    path("partners/import/template.xlsx", views_imports.import_template, name="template"),
    path("partners/import/<int:preview_id>/", views_imports.import_preview, name="preview"),
    path("partners/import/<int:preview_id>/commit/", views_imports.import_commit, name="commit"),
    path("partners/jobs/<int:job_id>/", views_imports.job_page, name="job"),
    path("partners/jobs/<int:job_id>/status/", views_imports.job_status, name="job_status"),
    path("partners/jobs/<int:job_id>/retry/", views_imports.job_retry, name="job_retry"),
    path("partners/export.xlsx", views_imports.export_xlsx, name="export"),
]
