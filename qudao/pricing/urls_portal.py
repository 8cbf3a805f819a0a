"""The partner's catalogue in the portal, with its own prices (namespace "pricing_portal")."""

from django.urls import path

from . import views_portal

app_name = "pricing_portal"

urlpatterns: list = [
    path("portal/catalog/", views_portal.catalog_view, name="catalog"),
    path("portal/catalog/quote/", views_portal.quote_view, name="quote"),
]
