"""Ordering in the partner portal (namespace "orders_portal")."""

from django.urls import path

from . import views_portal as views

app_name = "orders_portal"

urlpatterns: list = [
    path("portal/orders/", views.order_list_view, name="list"),
    path("portal/orders/quick/", views.quick_view, name="quick"),
    path("portal/orders/quick/price/", views.quick_price_view, name="quick_price"),
    path("portal/orders/place/", views.place_view, name="place"),
    path("portal/orders/import/", views.import_view, name="import"),
    path("portal/orders/templates/", views.template_list_view, name="templates"),
    path("portal/orders/templates/<int:template_id>/delete/", views.template_delete_view, name="template_delete"),
    path("portal/orders/<str:number>/", views.order_detail_view, name="detail"),
    path("portal/orders/<str:number>/cancel/", views.order_cancel_view, name="cancel"),
    path("portal/orders/<str:number>/change/", views.order_change_view, name="change"),
    path("portal/credit/", views.credit_view, name="credit"),
]
