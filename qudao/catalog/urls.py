from django.urls import path

from . import pickers, views

app_name = "catalog"

urlpatterns = [
    path("pickers/skus/", pickers.sku_options_view, name="picker"),
    path("catalog/", views.product_list_view, name="products"),
    path("catalog/products/new/", views.product_form_view, name="product_create"),
    path("catalog/products/<int:product_id>/", views.product_detail_view, name="product"),
    path("catalog/products/<int:product_id>/edit/", views.product_form_view, name="product_edit"),
    path("catalog/products/<int:product_id>/skus/new/", views.sku_form_view, name="sku_create"),
    path("catalog/products/<int:product_id>/units/", views.unit_add_view, name="unit_add"),
    path("catalog/products/<int:product_id>/images/", views.image_add_view, name="image_add"),
    path("catalog/images/<int:image_id>/", views.image_view, name="image"),
    path("catalog/images/<int:image_id>/delete/", views.image_delete_view, name="image_delete"),
    path("catalog/skus/<int:sku_id>/edit/", views.sku_form_view, name="sku_edit"),
    path("catalog/units/<int:unit_id>/delete/", views.unit_delete_view, name="unit_delete"),
    path("catalog/lines/", views.line_list_view, name="lines"),
    path("catalog/lines/new/", views.line_form_view, name="line_create"),
    path("catalog/lines/<int:line_id>/edit/", views.line_form_view, name="line_edit"),
    path("catalog/import/", views.import_upload_view, name="import"),
    path("catalog/import/<int:preview_id>/", views.import_preview_view, name="import_preview"),
    path("catalog/import/<int:preview_id>/commit/", views.import_commit_view, name="import_commit"),
    path("catalog/export.xlsx", views.export_view, name="export"),
    path("catalog/scope/", views.scope_view, name="scope"),
    path("catalog/scope/<int:rule_id>/delete/", views.scope_delete_view, name="scope_delete"),
]
