from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from qudao.accounts import views as account_views

from .api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("qudao.accounts.urls")),
    path("", include("qudao.core.urls")),
    path("", include("qudao.partners.urls")),
    path("", include("qudao.partners.urls_portal")),
    path("", include("qudao.partners.urls_imports")),
    path("", include("qudao.catalog.urls")),
    path("", include("qudao.pricing.urls")),
    path("", include("qudao.pricing.urls_portal")),
    path("", include("qudao.inventory.urls")),
    path("", include("qudao.orders.urls_returns")),  # before orders.urls (orders/<number>/)
    path("", include("qudao.orders.urls_shipping")),  # before orders.urls (orders/<number>/)
    path("", include("qudao.orders.urls")),
    path("", include("qudao.orders.urls_portal")),
    path("", include("qudao.finance.urls_payments")),  # before finance.urls
    path("", include("qudao.finance.urls_statements")),
    path("", include("qudao.finance.urls")),
    path("", include("qudao.rebates.urls")),
    path("", include("qudao.analytics.urls")),
    # Uploaded files are never served from MEDIA_ROOT by name: each is served by a view that checks
    # who may see it and answers with the kind its bytes are (qudao.core.uploads.upload_response).
]
