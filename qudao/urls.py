from django.conf import settings
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve

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
    # Uploaded files are served only to authorised users through views; this is the fallback for
    # public assets stored in MEDIA_ROOT in development.
    re_path(r"^media/public/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT / "public"}),
]
