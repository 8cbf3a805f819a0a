"""Pages of rebates: HQ under /rebates/..., the partner portal under /portal/rebates/..."""

from django.urls import path

from . import views, views_statements

app_name = "rebates"

urlpatterns = [
    path("rebates/policies/", views.policy_list_view, name="policies"),
    path("rebates/policies/new/", views.policy_new_view, name="policy_new"),
    path("rebates/policies/preview/", views.policy_preview_view, name="policy_preview"),
    path("rebates/policies/<int:policy_id>/", views.policy_detail_view, name="policy"),
    path("rebates/policies/<int:policy_id>/edit/", views.policy_edit_view, name="policy_edit"),
    path("rebates/policies/<int:policy_id>/submit/", views.policy_submit_view, name="policy_submit"),
    path("rebates/policies/<int:policy_id>/version/", views.policy_version_view, name="policy_version"),
    path("rebates/runs/", views.run_list_view, name="runs"),
    path("rebates/runs/new/", views.run_new_view, name="run_new"),
    path("rebates/runs/<str:number>/", views.run_detail_view, name="run"),
    path("rebates/runs/<str:number>/approve/", views.run_approve_view, name="run_approve"),
    path("rebates/runs/<str:number>/post/", views.run_post_view, name="run_post"),
    path("rebates/runs/<str:number>/lines/<int:line_id>/", views.line_view, name="line"),
    path("rebates/partners/<int:partner_id>/statement/", views_statements.statement_view, name="statement"),
    path("rebates/partners/<int:partner_id>/progress/", views.partner_progress_view, name="partner_progress"),
    path("rebates/partners/<int:partner_id>/fund/", views.partner_fund_view, name="partner_fund"),
    path("portal/rebates/", views.portal_list_view, name="portal"),
    path("portal/rebates/statement/", views_statements.portal_statement_view, name="portal_statement"),
    path("portal/rebates/progress/", views.portal_progress_view, name="portal_progress"),
    path("portal/rebates/<int:line_id>/", views.portal_line_view, name="portal_line"),
]
