"""The one NinjaAPI under /api/v1: authentication, RFC 9457 problem details, and one router per
context. Handlers parse and authorise, call one service or selector, and return."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from qudao.accounts.services import user_for_token
from qudao.core.errors import DomainError, FieldErrors, collect_field_errors
from qudao.core.schemas import TEXT_ERROR_TYPES


class TokenAuth(HttpBearer):
    """Authorization: Bearer qd_... (a personal API token)."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        request.auth_user = user
        if user.language:
            translation.activate(user.language)
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session (pages calling the API); unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="Qudao API",
    version="1",
    description="Qudao channel management API. Authenticate with `Authorization: Bearer <token>` "
    "(create a token at /account/tokens/ or POST /api/v1/auth/tokens).",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
)


def problem(request, status: int, title: str, detail: str = "", code: str = "", errors=None, **extra):
    body = {"type": f"https://qudao.dev/problems/{code or status}", "title": title, "status": status}
    if detail and detail != title:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def _error_list(errors: dict) -> list[dict]:
    return [{"field": field, "message": str(message)} for field, messages in errors.items() for message in messages]


@api.exception_handler(FieldErrors)
def handle_field_errors(request, exc: FieldErrors):
    return problem(request, 422, str(exc.title), str(exc.detail), exc.code, _error_list(exc.errors))


@api.exception_handler(DomainError)
def handle_domain_error(request, exc: DomainError):
    return problem(request, exc.status, str(exc.title), str(exc.detail), exc.code)


@api.exception_handler(ValidationError)
def handle_django_validation(request, exc: ValidationError):
    return problem(request, 422, _("Some fields are not valid."), "", "invalid", _error_list(collect_field_errors(exc)))


_PYDANTIC_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "int_parsing": lambda: _("Enter a whole number."),
    "int_type": lambda: _("Enter a whole number."),
    "int_from_float": lambda: _("Enter a whole number."),
    "decimal_parsing": lambda: _("Enter a number."),
    "decimal_type": lambda: _("Enter a number."),
    "string_type": lambda: _("Enter text."),
    "bool_type": lambda: _("Must be true or false."),
    "bool_parsing": lambda: _("Must be true or false."),
    "list_type": lambda: _("Give a list."),
    "dict_type": lambda: _("Give an object."),
    "json_invalid": lambda: _("The request body is not valid JSON."),
    "enum": lambda: _("Choose one of the allowed values."),
    "literal_error": lambda: _("Choose one of the allowed values."),
    "string_too_long": lambda: _("The text is too long."),
    "greater_than_equal": lambda: _("The value is too small."),
    "less_than_equal": lambda: _("The value is too large."),
    "datetime_parsing": lambda: _("Enter a date and time (ISO 8601)."),
    "date_parsing": lambda: _("Enter a date (YYYY-MM-DD)."),
    "amount_type": lambda: _('Send the amount as a string, e.g. "500000.00".'),
    "extra_forbidden": lambda: _("This field is not accepted here."),
}


@api.exception_handler(NinjaValidationError)
def handle_schema_errors(request, exc: NinjaValidationError):
    errors = []
    for error in exc.errors:
        location = [
            str(part)
            for part in error.get("loc", [])
            if part not in ("body", "query", "path", "form", "payload", "file")
        ]
        message_factory = _PYDANTIC_MESSAGES.get(error.get("type", ""))
        if error.get("type") in TEXT_ERROR_TYPES:  # the text rule's own message, already translated
            message = error.get("msg") or _("Enter a valid value.")
        else:
            message = message_factory() if message_factory else _("Enter a valid value.")
        errors.append({"field": ".".join(location) or "__all__", "message": message})
    return problem(request, 422, _("Some fields are not valid."), "", "invalid", errors)


@api.exception_handler(Http404)
def handle_not_found(request, exc):
    return problem(request, 404, _("Not found."), "", "not_found")


@api.exception_handler(PermissionDenied)
def handle_permission_denied(request, exc):
    return problem(request, 403, _("You are not allowed to do this."), "", "forbidden")


@api.exception_handler(AuthenticationError)
def handle_unauthenticated(request, exc):
    response = problem(request, 401, _("Log in or send a valid API token."), "", "unauthenticated")
    response["WWW-Authenticate"] = 'Bearer realm="qudao"'
    return response


@api.exception_handler(HttpError)
def handle_http_error(request, exc: HttpError):
    return problem(request, exc.status_code, str(exc.message) or _("The request could not be carried out."))


def _register_routers() -> None:
    from qudao.accounts.api import router as accounts_router
    from qudao.catalog.api import router as catalog_router
    from qudao.core.api import router as core_router
    from qudao.core.api_webhooks import router as webhooks_router
    from qudao.finance.api import router as finance_router
    from qudao.finance.api_payments import router as payments_router
    from qudao.finance.api_statements import router as statements_router
    from qudao.inventory.api import router as inventory_router
    from qudao.orders.api import router as orders_router
    from qudao.orders.api_returns import router as returns_router
    from qudao.orders.api_shipping import router as shipping_router
    from qudao.partners.api import router as partners_router
    from qudao.partners.api_funds import router as funds_router
    from qudao.partners.api_imports import router as partner_imports_router
    from qudao.pricing.api import router as pricing_router
    from qudao.rebates.api import router as rebates_router
    from qudao.rebates.api_statements import router as rebate_statements_router

    api.add_router("/", accounts_router)
    api.add_router("/", core_router)
    # Imports first: its fixed paths (/partners/imports, /partners/export.xlsx) must win over
    # /partners/{partner_id}.
    api.add_router("/", partner_imports_router)
    api.add_router("/", partners_router)
    api.add_router("/", funds_router)
    api.add_router("/", catalog_router)
    api.add_router("/", pricing_router)
    api.add_router("/", inventory_router)
    api.add_router("/", orders_router)
    api.add_router("/", shipping_router)
    api.add_router("/", returns_router)
    api.add_router("/", payments_router)
    api.add_router("/", statements_router)
    api.add_router("/", finance_router)
    api.add_router("/", rebates_router)
    api.add_router("/", rebate_statements_router)
    api.add_router("/", webhooks_router)


_register_routers()
