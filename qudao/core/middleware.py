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
