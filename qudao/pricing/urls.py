"""HQ pages of price policies (namespace "pricing")."""

from django.urls import path

from . import pickers, views, views_imports

app_name = "pricing"

urlpatterns = [
    path("pickers/promotions/", pickers.promotion_options_view, name="picker"),
    path("pricing/", views.price_list_list_view, name="price_lists"),
    path("pricing/price-lists/new/", views.price_list_form_view, name="price_list_create"),
    path("pricing/price-lists/<int:price_list_id>/", views.price_list_detail_view, name="price_list"),
    path("pricing/price-lists/<int:price_list_id>/edit/", views.price_list_form_view, name="price_list_edit"),
    path("pricing/price-lists/<int:price_list_id>/items/", views.item_set_view, name="item_set"),
    path("pricing/price-lists/<int:price_list_id>/items/grid/", views.item_grid_view, name="item_grid"),
    path(
        "pricing/price-lists/<int:price_list_id>/items/<int:item_id>/delete/",
        views.item_delete_view,
        name="item_delete",
    ),
    path("pricing/price-lists/<int:price_list_id>/rules/", views.rule_set_view, name="rule_set"),
    path(
        "pricing/price-lists/<int:price_list_id>/rules/<int:rule_id>/delete/",
        views.rule_delete_view,
        name="rule_delete",
    ),
    path("pricing/price-lists/<int:price_list_id>/activate/", views.price_list_activate_view, name="activate"),
    path("pricing/price-lists/<int:price_list_id>/delete/", views.price_list_delete_view, name="price_list_delete"),
    path("pricing/floors/", views.floor_list_view, name="floors"),
    path("pricing/floors/<int:floor_id>/delete/", views.floor_delete_view, name="floor_delete"),
    path("pricing/promotions/", views.promotion_list_view, name="promotions"),
    path("pricing/promotions/new/", views.promotion_form_view, name="promotion_create"),
    path("pricing/promotions/<int:promotion_id>/", views.promotion_detail_view, name="promotion"),
    path("pricing/promotions/<int:promotion_id>/edit/", views.promotion_form_view, name="promotion_edit"),
    path("pricing/promotions/<int:promotion_id>/status/", views.promotion_status_view, name="promotion_status"),
    path("pricing/promotions/<int:promotion_id>/delete/", views.promotion_delete_view, name="promotion_delete"),
    path("pricing/quote/", views.quote_view, name="quote"),
    # a price list's items from a file (pricing.importing)
    path("pricing/price-lists/import/template.xlsx", views_imports.import_template_view, name="import_template"),
    path("pricing/price-lists/<int:price_list_id>/import/", views_imports.import_upload_view, name="import"),
    path(
        "pricing/price-lists/<int:price_list_id>/import/<int:preview_id>/",
        views_imports.import_preview_view,
        name="import_preview",
    ),
    path(
        "pricing/price-lists/<int:price_list_id>/import/<int:preview_id>/commit/",
        views_imports.import_commit_view,
        name="import_commit",
    ),
]
