"""Pages of statements (qudao.finance.views_statements): HQ under /finance/statements/, the
partner's under /portal/finance/statements/."""

from django.urls import path

from . import views_statements as views

app_name = "finance_statements"

urlpatterns = [
    path("finance/statements/", views.statement_list_view, name="list"),
    path("finance/statements/generate/", views.generate_view, name="generate"),
    path("finance/statements/disputes/<int:dispute_id>/resolve/", views.resolve_view, name="resolve"),
    path("finance/statements/disputes/<int:dispute_id>/attachment/", views.attachment_view, name="attachment"),
    path("finance/statements/<str:number>/", views.statement_detail_view, name="detail"),
    path("finance/statements/<str:number>/download/", views.download_view, name="download"),
    path("finance/statements/<str:number>/rebuild/", views.rebuild_view, name="rebuild"),
    path("portal/finance/statements/", views.portal_list_view, name="portal_list"),
    path("portal/finance/statements/<str:number>/", views.portal_detail_view, name="portal_detail"),
    path("portal/finance/statements/<str:number>/confirm/", views.portal_confirm_view, name="portal_confirm"),
    path("portal/finance/statements/<str:number>/dispute/", views.portal_dispute_view, name="portal_dispute"),
]
