from django.urls import path

from . import pickers, views

app_name = "partners"

urlpatterns = [
    path("pickers/partners/", pickers.partner_options_view, name="picker"),
    path("partners/", views.partner_list_view, name="list"),
    path("partners/new/", views.partner_create_view, name="create"),
    path("partners/<int:partner_id>/", views.partner_detail_view, name="detail"),
    path("partners/<int:partner_id>/edit/", views.partner_edit_view, name="edit"),
    path("partners/<int:partner_id>/audit/", views.partner_audit_view, name="audit"),
    path("partners/<int:partner_id>/status/", views.partner_status_view, name="status"),
    path("partners/<int:partner_id>/tier/", views.partner_tier_view, name="tier"),
    path("partners/<int:partner_id>/credit/", views.partner_credit_view, name="credit"),
    path("partners/<int:partner_id>/parent/", views.partner_parent_view, name="parent"),
    path("partners/<int:partner_id>/contacts/new/", views.contact_create_view, name="contact_create"),
    path("partners/<int:partner_id>/contacts/<int:contact_id>/", views.contact_edit_view, name="contact_edit"),
    path(
        "partners/<int:partner_id>/contacts/<int:contact_id>/delete/", views.contact_delete_view, name="contact_delete"
    ),
    path("settings/tiers/", views.tiers_view, name="tiers"),
    path("settings/tiers/new/", views.tier_create_view, name="tier_create"),
    path("settings/tiers/<int:tier_id>/", views.tier_edit_view, name="tier_edit"),
    path("applications/", views.applications_view, name="applications"),
    path("applications/<int:application_id>/", views.application_detail_view, name="application_detail"),
    path("applications/<int:application_id>/licence/", views.application_licence_view, name="application_licence"),
]
