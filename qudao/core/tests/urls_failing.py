"""The project's URLs plus a view that fails, under /api/ and outside it: how an unexpected error
is answered (qudao/core/tests/test_api_contract.py)."""

from django.urls import path

from qudao.urls import urlpatterns as project_urlpatterns


def failing_view(request):
    raise RuntimeError("the failing view")


urlpatterns = [
    path("api/v1/failing", failing_view),
    path("failing", failing_view),
    *project_urlpatterns,
]
