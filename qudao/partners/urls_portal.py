"""The public application pages (namespace "apply") and the partner portal (namespace "portal")."""

from django.urls import include, path

from . import views_apply, views_portal

apply_patterns = [
    path("", views_apply.apply_view, name="form"),
    path("cities/", views_apply.cities_view, name="cities"),
    path("distributors/", views_apply.distributors_view, name="distributors"),
    path("status/<str:token>/", views_apply.status_view, name="status"),
]

portal_patterns = [
    path("", views_portal.home_view, name="home"),
    path("me/", views_portal.me_view, name="me"),
    path("profile/", views_portal.profile_view, name="profile"),
    path("profile/edit/", views_portal.profile_edit_view, name="profile_edit"),
    path("profile/contacts/add/", views_portal.contact_add_view, name="contact_add"),
    path("profile/contacts/<int:contact_id>/edit/", views_portal.contact_edit_view, name="contact_edit"),
    path("profile/contacts/<int:contact_id>/delete/", views_portal.contact_delete_view, name="contact_delete"),
    path("users/", views_portal.users_view, name="users"),
    path("users/invite/", views_portal.user_invite_view, name="user_invite"),
    path("users/<int:user_id>/active/", views_portal.user_active_view, name="user_active"),
    path("sub-dealers/", views_portal.sub_dealers_view, name="sub_dealers"),
    path("sub-dealers/<int:partner_id>/", views_portal.sub_dealer_view, name="sub_dealer"),
    path("applications/", views_portal.applications_view, name="applications"),
]

urlpatterns = [
    path("apply/", include((apply_patterns, "apply"))),
    path("portal/", include((portal_patterns, "portal"))),
]
