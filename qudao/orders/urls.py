"""HQ pages of the orders context (namespace "orders")."""

from django.urls import path

from . import views

app_name = "orders"

urlpatterns: list = [
    path("orders/", views.order_list_view, name="list"),
    path("orders/<str:number>/", views.order_detail_view, name="detail"),
    path("orders/<str:number>/confirm/", views.order_confirm_view, name="confirm"),
    path("orders/<str:number>/reject/", views.order_reject_view, name="reject"),
    path("orders/<str:number>/cancel/", views.order_cancel_view, name="cancel"),
    path("orders/<str:number>/change/", views.order_change_view, name="change"),
]
