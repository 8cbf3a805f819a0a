"""Pages of receivables and the ledger (namespace "finance"): HQ /finance/..., portal /portal/finance/..."""

from django.urls import path

from . import views

app_name = "finance"

urlpatterns: list = [
    path("finance/", views.invoice_list_view, name="home"),
    path("finance/invoices/", views.invoice_list_view, name="invoices"),
    path("finance/invoices/<str:number>/", views.invoice_detail_view, name="invoice"),
    path("finance/aging/", views.aging_view, name="aging"),
    path("portal/finance/", views.portal_view, name="portal"),
    path("portal/finance/invoices/<str:number>/", views.portal_invoice_view, name="portal_invoice"),
]
