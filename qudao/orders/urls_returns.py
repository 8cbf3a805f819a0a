"""Pages of returns (RMA), portal and HQ (namespace "returns"). Included before qudao.orders.urls,
whose `orders/<number>/` would otherwise take `orders/returns/`."""

from django.urls import path

from . import views_returns as views

app_name = "returns"

urlpatterns: list = [
    path("portal/orders/<str:number>/return/", views.portal_request_view, name="portal_request"),
    path("portal/returns/", views.portal_list_view, name="portal_list"),
    path("portal/returns/<str:number>/", views.portal_detail_view, name="portal_detail"),
    path("portal/returns/<str:number>/cancel/", views.portal_cancel_view, name="portal_cancel"),
    path("portal/returns/<str:number>/photos/<int:photo_id>/", views.portal_photo_view, name="portal_photo"),
    path("orders/returns/", views.hq_list_view, name="list"),
    path("orders/returns/<str:number>/", views.hq_detail_view, name="detail"),
    path("orders/returns/<str:number>/photos/<int:photo_id>/", views.hq_photo_view, name="photo"),
    path("orders/returns/<str:number>/approve/", views.hq_decide_view, {"action": "approve"}, name="approve"),
    path("orders/returns/<str:number>/reject/", views.hq_decide_view, {"action": "reject"}, name="reject"),
    path("orders/returns/<str:number>/receive/", views.hq_receive_view, name="receive"),
    path("orders/returns/<str:number>/cancel/", views.hq_cancel_view, name="cancel"),
]
