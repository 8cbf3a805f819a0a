"""Ordering in the partner portal (namespace "orders_portal")."""

app_name = "orders_portal"

urlpatterns: list = []
