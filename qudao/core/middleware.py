import secrets
import uuid

from .audit import reset_request_context, set_request_context


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
