import uuid

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext

from .audit import reset_request_context, set_request_context
from .validators import displayable_text, text_problem


class RequestContextMiddleware:
    """Gives each request an id (X-Request-ID, echoed back) and makes the acting user available
    to the audit trail. The user is resolved lazily: authentication runs after this middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
        request.request_id = request_id[:36]
        tokens = set_request_context(_LazyRequestUser(request), request.request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(tokens)
        response["X-Request-ID"] = request.request_id
        return response


class _LazyRequestUser:
    """Resolves to request.user (or the API token's user) when the audit trail asks for it."""

    def __init__(self, request):
        self._request = request

    def resolve(self):
        user = getattr(self._request, "auth_user", None) or getattr(self._request, "user", None)
        return user

    @property
    def is_authenticated(self):
        user = self.resolve()
        return bool(user and user.is_authenticated)

    def __getattr__(self, name):
        return getattr(self.resolve(), name)

    def _get_pk_val(self, meta=None):
        return self.resolve().pk


class QueryTextMiddleware:
    """Refuses a request whose query string holds a character the text rule never accepts (a
    control character, core.validators.FORBIDDEN_IN_TEXT): no page or API filter has a use for
    one, and PostgreSQL refuses a NUL in any query, which made `?status=%00` a server error. The
    API answers 422 problem details with the parameters as fields; pages answer 400. Forms and
    API bodies keep the rule field by field (core.forms.Form, core.schemas.TextSchema)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = {}
        for key, values in request.GET.lists():
            for text in (key, *values):
                problem = text_problem(text)
                if problem:
                    errors.setdefault(displayable_text(key), [problem])
        if errors:
            return self._refuse(request, errors)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, errors: dict[str, list[str]]):
        title = gettext("Some fields are not valid.")
        if request.path.startswith("/api/"):
            body = {
                "type": "https://qudao.dev/problems/invalid",
                "title": title,
                "status": 422,
                "code": "invalid",
                "errors": [
                    {"field": field, "message": message} for field, messages in errors.items() for message in messages
                ],
            }
            return JsonResponse(
                body, status=422, content_type="application/problem+json", json_dumps_params={"ensure_ascii": False}
            )
        lines = "".join(
            f"<li>{escape(field)}: {escape(message)}</li>" for field, messages in errors.items() for message in messages
        )
        return HttpResponseBadRequest(
            f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><ul>{lines}</ul>"
        )
