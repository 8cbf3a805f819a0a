"""Pages of shipping (namespace "orders_shipping"): operations' moves on the HQ order page, the
discrepancy cases, and the partner's receipt confirmation. Included before qudao.orders.urls, whose
`orders/<number>/` would otherwise take `orders/cases/`."""

from django.urls import path

from . import views_shipping as views

app_name = "orders_shipping"

urlpatterns: list = [
    path("orders/cases/", views.case_list_view, name="cases"),
    path("orders/cases/<str:number>/", views.case_detail_view, name="case"),
    path("orders/cases/<str:number>/resolve/", views.case_resolve_view, name="resolve"),
    path("orders/cases/<str:number>/photos/<int:photo_id>/", views.case_photo_view, name="photo"),
    path("orders/<str:number>/allocate/", views.allocate_view, name="allocate"),
    path("orders/<str:number>/ship/", views.ship_view, name="ship"),
    path("orders/<str:number>/shipments/<str:shipment>/tracking/", views.tracking_view, name="tracking"),
    path("orders/<str:number>/complete/", views.complete_view, name="complete"),
    path("portal/orders/<str:number>/confirm-receipt/", views.portal_confirm_view, name="portal_confirm"),
]
