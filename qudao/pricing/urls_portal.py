"""The partner's catalogue in the portal, with its own prices (namespace "pricing_portal")."""

from django.urls import path  # noqa: F401

app_name = "pricing_portal"

urlpatterns: list = []
