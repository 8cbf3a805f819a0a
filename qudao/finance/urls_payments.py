"""Pages of payments (qudao.finance.views_payments): HQ under /finance/payments/, the partner's
under /portal/finance/payments/. Included before finance.urls."""

from django.urls import path

from . import views_payments as views

app_name = "finance_payments"

urlpatterns: list = [
    path("finance/payments/", views.payment_list_view, name="list"),
    path("finance/payments/new/", views.payment_create_view, name="create"),
    path("finance/payments/import/", views.import_upload_view, name="import"),
    path("finance/payments/import/<int:preview_id>/", views.import_preview_view, name="import_preview"),
    path("finance/payments/import/<int:preview_id>/commit/", views.import_commit_view, name="import_commit"),
    path("finance/payments/<str:number>/", views.payment_detail_view, name="detail"),
    path("finance/payments/<str:number>/proof/", views.payment_proof_view, name="proof"),
    path("portal/finance/payments/", views.portal_list_view, name="portal_list"),
    path("portal/finance/payments/announce/", views.portal_announce_view, name="portal_announce"),
    path("portal/finance/payments/<str:number>/proof/", views.portal_proof_view, name="portal_proof"),
]
