"""HQ pages of the orders context (namespace "orders")."""

from django.urls import path

from . import views, views_on_behalf

app_name = "orders"

urlpatterns: list = [
    path("orders/", views.order_list_view, name="list"),
    # ordering on a partner's behalf (before orders/<number>/, which would take "new")
    path("orders/new/", views_on_behalf.new_order_view, name="new"),
    path("orders/new/partners/", views_on_behalf.partner_search_view, name="new_partners"),
    path("orders/new/price/", views_on_behalf.price_view, name="new_price"),
    path("orders/<str:number>/", views.order_detail_view, name="detail"),
    path("orders/<str:number>/confirm/", views.order_confirm_view, name="confirm"),
    path("orders/<str:number>/reject/", views.order_reject_view, name="reject"),
    path("orders/<str:number>/cancel/", views.order_cancel_view, name="cancel"),
    path("orders/<str:number>/change/", views.order_change_view, name="change"),
]
