"""Domain errors. Services raise these; the API turns them into RFC 9457 problem details and the
pages into form errors. Messages are lazy translations, so each user reads them in its language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every business error. `status` is the HTTP status the API answers with."""

    status = 400
    code = "domain_error"
    title = _("The request could not be carried out.")

    def __init__(self, detail=None, *, code: str | None = None):
        super().__init__(str(detail or self.title))
        self.detail = detail or self.title
        if code:
            self.code = code


class FieldErrors(DomainError):
    """Bad input: one or more fields are wrong. Nothing was changed."""

    status = 422
    code = "invalid"
    title = _("Some fields are not valid.")

    def __init__(self, errors: dict[str, list] | None = None, detail=None):
        super().__init__(detail or self.title)
        self.errors: dict[str, list] = {key: list(value) for key, value in (errors or {}).items()}

    @classmethod
    def single(cls, field: str, message, code: str = "invalid") -> FieldErrors:
        error = cls({field: [message]})
        error.code = code
        return error

    def add(self, field: str, message) -> None:
        self.errors.setdefault(field, []).append(message)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = _("Not found.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = _("You are not allowed to do this.")


class Conflict(DomainError):
    """The record changed underneath (someone else decided first, a stale version)."""

    status = 409
    code = "conflict"
    title = _("The record was changed by someone else. Reload and try again.")


def collect_field_errors(django_error) -> dict[str, list[str]]:
    """Turn a django.core.exceptions.ValidationError into {field: [messages]}."""
    if hasattr(django_error, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages] for field, errors in django_error.error_dict.items()
        }
    return {"__all__": [str(m) for m in django_error.messages]}


PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, title: str, detail: str = "", code: str = "", errors=None, **extra) -> dict:
    """An RFC 9457 problem details object: `type` (a URI naming the problem), `title` (in the
    user's language), `status`, `code` (stable, for programs), `detail` and per-field `errors`."""
    body = {"type": f"https://qudao.dev/problems/{code or status}", "title": title, "status": status}
    if detail and detail != title:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body
