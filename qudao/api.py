"""The one NinjaAPI under /api/v1: authentication, RFC 9457 problem details, and one router per
context. Handlers parse and authorise, call one service or selector, and return."""

from __future__ import annotations

import copy
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation, ValidationError
from django.db import DataError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from qudao.accounts.services import user_for_token
from qudao.core.errors import PROBLEM_CONTENT_TYPE, DomainError, FieldErrors, collect_field_errors, problem_body
from qudao.core.schemas import TEXT_ERROR_TYPES

logger = logging.getLogger("qudao.api")


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


# The problem details every error answers with (RFC 9457; docs/api.md, "Errors").
PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details, served as application/problem+json.",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "What went wrong, in the user's language."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "More about this occurrence."},
        "code": {"type": "string", "description": "A stable code for programs (invalid, not_found, conflict...)."},
        "errors": {
            "type": "array",
            "description": "Per field (422): the field's dotted path in the request and the message.",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status"],
}
# The error answers documented on every operation, besides those it declares itself.
_ERROR_RESPONSES = {
    "401": "Not logged in: no session, or no valid API token.",
    "403": "Logged in, but not allowed to do this.",
    "404": "Not found, or not in your scope (another partner's record answers 404, never 403).",
    "422": "Bad input: `errors` names each field (path, query or body) and what is wrong with it.",
    "default": "Any other error (409 a conflict, 412 a stale If-Match, 413 too large, 500), as problem details.",
}


class QudaoAPI(NinjaAPI):
    """The NinjaAPI with a self-contained OpenAPI document: nested `$defs` moved to the
    components (every `$ref` resolves) and the error responses (problem details) documented on
    every operation."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # The operations share dicts with the routers' openapi_extra: work on a copy.
        document["paths"] = copy.deepcopy(document["paths"])
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for methods in document["paths"].values():
            for operation in methods.values():
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    if "schema" in content:
                        content["schema"] = _hoist_definitions(content["schema"], schemas)
                _document_errors(operation)
        schemas["Problem"] = PROBLEM_SCHEMA
        return document


def _hoist_definitions(schema: dict, components: dict) -> dict:
    """A pydantic JSON schema given whole (openapi_extra) keeps its definitions in `$defs`, which
    "#/$defs/..." cannot reach from the document's root: move them into the components."""
    definitions = schema.pop("$defs", {})
    for name, definition in definitions.items():
        existing = components.get(name)
        if existing is not None and existing != definition:
            raise ValueError(f"Two different schemas are named {name} in the OpenAPI document.")
        components[name] = definition

    def rewrite(node):
        if isinstance(node, dict):
            return {
                key: (value.replace("#/$defs/", "#/components/schemas/") if key == "$ref" else rewrite(value))
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(value) for value in node]
        return node

    for name in definitions:
        components[name] = rewrite(components[name])
    return rewrite(schema)


def _document_errors(operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    public = not operation.get("security")
    for status, description in _ERROR_RESPONSES.items():
        if status in responses or (public and status == "401"):
            continue
        responses[status] = {
            "description": description,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }


api = QudaoAPI(
    title="Qudao API",
    version="1",
    description="Qudao channel management API. Authenticate with `Authorization: Bearer <token>` "
    "(create a token at /account/tokens/ or POST /api/v1/auth/tokens).",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
)


def problem(request, status: int, title: str, detail: str = "", code: str = "", errors=None, **extra):
    body = problem_body(status, title, detail, code, errors, **extra)
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
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
    "missing": lambda ctx: _("This field is required."),
    "int_parsing": lambda ctx: _("Enter a whole number."),
    "int_type": lambda ctx: _("Enter a whole number."),
    "int_from_float": lambda ctx: _("Enter a whole number."),
    "decimal_parsing": lambda ctx: _("Enter a number."),
    "decimal_type": lambda ctx: _("Enter a number."),
    "string_type": lambda ctx: _("Enter text."),
    "bool_type": lambda ctx: _("Must be true or false."),
    "bool_parsing": lambda ctx: _("Must be true or false."),
    "list_type": lambda ctx: _("Give a list."),
    "dict_type": lambda ctx: _("Give an object."),
    "json_invalid": lambda ctx: _("The request body is not valid JSON."),
    "enum": lambda ctx: _("Choose one of the allowed values."),
    "literal_error": lambda ctx: _("Choose one of the allowed values."),
    "string_too_long": lambda ctx: _("The text is too long."),
    "greater_than_equal": lambda ctx: (
        _("Enter %(limit)s or more.") % {"limit": ctx.get("ge", "")} if "ge" in ctx else _("The value is too small.")
    ),
    "less_than_equal": lambda ctx: (
        _("Enter %(limit)s or less.") % {"limit": ctx.get("le", "")} if "le" in ctx else _("The value is too large.")
    ),
    "greater_than": lambda ctx: _("The value is too small."),
    "less_than": lambda ctx: _("The value is too large."),
    "too_short": lambda ctx: (
        _("Give at least %(limit)s.") % {"limit": ctx.get("min_length", "")}
        if "min_length" in ctx
        else _("Give more items.")
    ),
    "too_long": lambda ctx: (
        _("Give at most %(limit)s.") % {"limit": ctx.get("max_length", "")}
        if "max_length" in ctx
        else _("Give fewer items.")
    ),
    "datetime_parsing": lambda ctx: _("Enter a date and time (ISO 8601)."),
    "date_parsing": lambda ctx: _("Enter a date (YYYY-MM-DD)."),
    "amount_type": lambda ctx: _('Send the amount as a string, e.g. "500000.00".'),
    "decimal_2_format": lambda ctx: _(
        'Enter an amount with at most 13 digits before the decimal point and 2 after it, e.g. "500000.00".'
    ),
    "decimal_4_format": lambda ctx: _(
        'Enter a number with at most 13 digits before the decimal point and 4 after it, e.g. "0.13".'
    ),
    "code_or_id_type": lambda ctx: _("Give a code (text) or an id (a whole number)."),
    "id_range": lambda ctx: _("This is not an id."),
    "erp_version_type": lambda ctx: _("Give a whole number or an ISO 8601 time stamp."),
    "int_range": lambda ctx: (
        _("Enter a whole number from %(minimum)s to %(maximum)s.")
        % {"minimum": ctx.get("minimum", ""), "maximum": ctx.get("maximum", "")}
    ),
    "int_parsing_size": lambda ctx: _("Enter a whole number."),
    "float_parsing": lambda ctx: _("Enter a number."),
    "float_type": lambda ctx: _("Enter a number."),
    "finite_number": lambda ctx: _("Enter a number."),
    "string_pattern_mismatch": lambda ctx: _("Enter a valid value."),
    "uuid_parsing": lambda ctx: _("Enter a valid value."),
    "extra_forbidden": lambda ctx: _("This field is not accepted here."),
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
            message = message_factory(error.get("ctx") or {}) if message_factory else _("Enter a valid value.")
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


@api.exception_handler(MultiPartParserError)
def handle_unreadable_form(request, exc: MultiPartParserError):
    """A multipart body Django cannot read (no boundary, a broken part)."""
    return problem(request, 400, _("The request body could not be read as a form."), "", "invalid_form")


@api.exception_handler(RequestDataTooBig)
def handle_too_large(request, exc: RequestDataTooBig):
    return problem(request, 413, _("The request is too large."), "", "too_large")


@api.exception_handler(SuspiciousOperation)
def handle_suspicious(request, exc: SuspiciousOperation):
    """What Django refuses to read (too many fields, a malformed header): the client's error."""
    return problem(request, 400, _("The request could not be carried out."), "", "bad_request")


@api.exception_handler(DataError)
def handle_value_out_of_range(request, exc: DataError):
    """A value the database cannot store (a number past its column's range). The schemas bound
    every number, so this is a last line of defence: still bad input, still nothing changed."""
    logger.warning("Database refused a value: %s %s: %s", request.method, request.path, exc)
    return problem(request, 422, _("A value is out of the range this field takes."), "", "out_of_range")


@api.exception_handler(OverflowError)
def handle_overflow(request, exc: OverflowError):
    """SQLite's form of DataError: "Python int too large to convert to SQLite INTEGER"."""
    return handle_value_out_of_range(request, exc)


@api.exception_handler(Exception)
def handle_unexpected_error(request, exc: Exception):
    """A defect: logged with its traceback; the caller gets problem details, never an HTML page."""
    logger.error("Internal Server Error: %s %s", request.method, request.path, exc_info=exc)
    return problem(
        request, 500, _("Something went wrong on our side. It was logged; try again later."), "", "server_error"
    )


@api.exception_handler(HttpError)
def handle_http_error(request, exc: HttpError):
    if exc.status_code == 400 and str(exc.message).startswith("Cannot parse request body"):
        # django-ninja's words for a body that is not JSON: said in the user's language
        return problem(request, 400, _("The request body is not valid JSON."), "", "invalid_json")
    return problem(request, exc.status_code, str(exc.message) or _("The request could not be carried out."))


def _register_routers() -> None:
    from qudao.accounts.api import router as accounts_router
    from qudao.analytics.api_alerts import router as alerts_router
    from qudao.analytics.api_query import router as analytics_query_router
    from qudao.analytics.api_reports import router as analytics_reports_router
    from qudao.analytics.api_targets import router as targets_router
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
    api.add_router("/", targets_router)
    api.add_router("/", webhooks_router)
    api.add_router("/", analytics_query_router)
    api.add_router("/", analytics_reports_router)
    api.add_router("/", alerts_router)


_register_routers()
