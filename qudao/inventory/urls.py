"""HQ pages of the inventory context (namespace "inventory")."""

from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("inventory/", views.stock_list_view, name="stock"),
    path("inventory/stock/<int:level_id>/", views.level_view, name="level"),
    path("inventory/warehouses/", views.warehouse_list_view, name="warehouses"),
    path("inventory/warehouses/new/", views.warehouse_form_view, name="warehouse_create"),
    path("inventory/warehouses/<int:warehouse_id>/edit/", views.warehouse_form_view, name="warehouse_edit"),
    path("inventory/entries/", views.entry_list_view, name="entries"),
    path("inventory/import/", views.import_upload_view, name="import"),
    path("inventory/import/<int:preview_id>/", views.import_preview_view, name="import_preview"),
    path("inventory/import/<int:preview_id>/commit/", views.import_commit_view, name="import_commit"),
]
