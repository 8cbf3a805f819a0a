import json
import logging
import secrets
import uuid
from http import HTTPStatus

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from .audit import reset_request_context, set_request_context
from .errors import PROBLEM_CONTENT_TYPE, problem_body
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


# Every page: scripts and styles from our own origin (static files) or carrying this request's
# nonce, nothing else; no plugins, no <base>, forms post to us only, never framed. Pages have no
# inline event handlers or style attributes (qudao/static/qudao/qudao.js and the stylesheets do
# that work), so nothing needs 'unsafe-inline' or 'unsafe-eval'.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# django-ninja's Swagger UI (/api/v1/docs) is its own static page: its scripts come from our origin,
# but it sets style attributes and shows data: images of its own.
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Sends a Content-Security-Policy with every response that has none of its own (uploaded
    files carry theirs: qudao.core.uploads). Each request gets a fresh nonce, `request.csp_nonce`,
    which templates give to the scripts and styles they include (`{{ csp_nonce }}`; django-htmx's
    `{% htmx_script %}` reads it by that name)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            match = getattr(request, "resolver_match", None)
            if match is not None and match.url_name == "openapi-view":
                response["Content-Security-Policy"] = API_DOCS_POLICY
            else:
                response["Content-Security-Policy"] = PAGE_POLICY.format(nonce=request.csp_nonce)
        return response


class ApiProblemMiddleware:
    """Nothing under /api/ ever answers HTML: an unknown URL (404), a method the URL does not take
    (405), a request Django refuses before any view (400, 403, 413) and an unexpected error (500)
    answer RFC 9457 problem details as JSON, like every error the API's handlers raise
    (qudao/api.py). Outermost in MIDDLEWARE, so it sees every response; also with DEBUG on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_api(request) and response.status_code >= 400 and not _is_json(response):
            return _problem_response(response.status_code, allow=response.get("Allow"))
        return response

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return _problem_response(500)


logger = logging.getLogger("qudao.api")


def _is_api(request) -> bool:
    # path_info, not path: under a path prefix (SCRIPT_NAME) request.path starts with the prefix
    path = request.path_info
    return path == "/api" or path.startswith("/api/")


def _is_json(response) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    return content_type in ("application/json", PROBLEM_CONTENT_TYPE)


def _problem_titles() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request could not be carried out.")),
        403: ("forbidden", _("You are not allowed to do this.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        413: ("too_large", _("The request is too large.")),
        500: ("server_error", _("Something went wrong on our side. It was logged; try again later.")),
    }


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _problem_response(status: int, allow: str | None = None) -> HttpResponse:
    code, title = _problem_titles().get(status, ("", _reason_phrase(status)))
    response = HttpResponse(
        json.dumps(problem_body(status, str(title), code=code), ensure_ascii=False),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    if allow:
        response["Allow"] = allow
    return response


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
        if _is_api(request):
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
