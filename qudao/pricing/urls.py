"""HQ pages of price policies (namespace "pricing")."""

from django.urls import path  # noqa: F401

app_name = "pricing"

urlpatterns: list = []
