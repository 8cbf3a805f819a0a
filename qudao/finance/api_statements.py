"""The statements API (对账单; qudao.finance.statements holds the rules). Another partner's
statement or dispute answers 404.

GET   /finance/statements                          statements in scope (month, partner, status filters)
GET   /finance/statements/{id}                     a statement with its lines, balances and disputes
GET   /finance/statements/{id}/download?format=    the statement as pdf or xlsx
POST  /finance/statements/generate                 finance: generate a month as a job -> 202 the job
POST  /finance/statements/{id}/confirm             the partner's administrator confirms it
POST  /finance/statements/{id}/disputes            the partner's administrator disputes lines (JSON, or
                                                   multipart: `payload` JSON + `attachment`)
POST  /finance/statements/disputes/{id}/resolve    finance: an adjustment or an explanation
GET   /finance/statements/disputes/{id}/attachment the dispute's attachment
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.translation import gettext
from ninja import Query, Router, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError as PydanticValidationError

from qudao.core import jobs
from qudao.core.errors import FieldErrors, NotFound
from qudao.core.schemas import IdParam, PageParams, amount_out, page_of, paginate
from qudao.core.uploads import upload_response
from qudao.partners.api_imports import JobOut

from . import statements
from .models import Statement, StatementDispute
from .schemas_statements import (
    DisputeIn,
    DisputeOut,
    DisputeResolveIn,
    GenerateIn,
    StatementDetailOut,
    StatementFilters,
    StatementOut,
)

router = Router(tags=["finance statements"])

CONTENT_TYPES = statements.CONTENT_TYPES


# --- output ----------------------------------------------------------------------------------------


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.username}


def statement_out(statement: Statement) -> dict:
    base = f"/api/v1/finance/statements/{statement.pk}/download?format="
    return {
        "id": statement.pk,
        "number": statement.number,
        "partner": {"id": statement.partner_id, "code": statement.partner.code, "name": str(statement.partner)},
        "currency": statement.currency,
        "month": statements.month_label(statement.period_start),
        "period_start": statement.period_start,
        "period_end": statement.period_end,
        "status": statement.status,
        "status_label": str(statement.get_status_display()),
        "balances": statement.balances,
        "issued_at": statement.issued_at,
        "confirmed_by": _user(statement.confirmed_by),
        "confirmed_at": statement.confirmed_at,
        "pdf_url": base + "pdf",
        "xlsx_url": base + "xlsx",
    }


def dispute_out(dispute: StatementDispute) -> dict:
    adjustment = dispute.adjustment
    return {
        "id": dispute.pk,
        "statement_id": dispute.statement_id,
        "statement": dispute.statement.number,
        "status": dispute.status,
        "status_label": str(dispute.get_status_display()),
        "lines": sorted(line.pk for line in dispute.lines.all()),
        "comment": dispute.comment,
        "attachment_url": (
            f"/api/v1/finance/statements/disputes/{dispute.pk}/attachment" if dispute.attachment else None
        ),
        "raised_by": _user(dispute.raised_by),
        "raised_at": dispute.raised_at,
        "resolution": dispute.resolution,
        "adjustment": {
            "id": adjustment.pk,
            "book": adjustment.book,
            "amount": amount_out(adjustment.amount),
            "date": adjustment.occurred_on,
        }
        if adjustment
        else None,
        "resolved_by": _user(dispute.resolved_by),
        "resolved_at": dispute.resolved_at,
    }


def statement_detail_out(statement: Statement) -> dict:
    lines = statements.statement_lines(statement)
    return statement_out(statement) | {
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "kind": line.kind,
                "kind_label": statements.kind_label(line.kind),
                "book": line.book,
                "date": line.occurred_on,
                "reference": line.reference,
                "description": line.description,
                "amount": amount_out(line.amount),
                "balance_after": amount_out(line.balance_after),
                "due_on": line.invoice.due_on if line.invoice_id else None,
            }
            for line in lines
        ],
        "disputes": [dispute_out(dispute) for dispute in statements.statement_disputes(statement)],
    }


def _job_out(job) -> dict:
    return jobs.job_payload(job) | {"url": f"/jobs/{job.pk}/"}


def _dispute_body(request) -> tuple[DisputeIn, object]:
    attachment = None
    if request.content_type == "multipart/form-data":
        raw = request.POST.get("payload") or "{}"
        for name in request.FILES:
            if name != "attachment":
                raise FieldErrors.single(name, gettext("This field is not accepted here."))
        attachment = request.FILES.get("attachment")
    else:
        raw = request.body.decode("utf-8", errors="replace") or "{}"
    try:
        data = json.loads(raw)
    except ValueError:
        raise FieldErrors.single("payload", gettext("The request body is not valid JSON.")) from None
    try:
        return DisputeIn.model_validate(data), attachment
    except PydanticValidationError as error:
        raise NinjaValidationError(error.errors(include_url=False, include_context=False)) from None


_DISPUTE_SCHEMA = {
    "requestBody": {
        "content": {
            "application/json": {"schema": DisputeIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "payload": {"type": "string", "description": "The JSON body, as text."},
                        "attachment": {
                            "type": "string",
                            "format": "binary",
                            "description": "A PDF or a JPG, PNG or WebP image, at most 5 MB.",
                        },
                    },
                    "required": ["payload"],
                }
            },
        },
        "required": True,
    }
}


# --- routes -------------------------------------------------------------------------------------------


@router.get("/finance/statements", response=page_of(StatementOut))
def statement_list(request, filters: Query[StatementFilters], page: Query[PageParams]):
    """Statements in your scope (a partner sees its own and its sub-dealers'), newest month first."""
    rows = statements.statement_list(
        request.auth, month=filters.month, partner=filters.partner, status=filters.status or ""
    )
    return paginate(rows.select_related("confirmed_by"), page, statement_out)


@router.post("/finance/statements/generate", response={202: JobOut})
def statement_generate(request, payload: GenerateIn):
    """Finance generates a month (YYYY-MM, over in settings.TIME_ZONE) for every partner with ledger
    entries, as a job (`url` shows its progress; partners already done are skipped), or for one
    `partner` (its issued statement is rebuilt; 409 when confirmed, disputed or resolved)."""
    job = statements.start_generation(user=request.auth, month=payload.month, partner_id=payload.partner)
    return Status(202, _job_out(job))


@router.get("/finance/statements/{statement_id}", response=StatementDetailOut)
def statement_detail(request, statement_id: IdParam):
    return statement_detail_out(statements.get_statement(request.auth, statement_id))


@router.get("/finance/statements/{statement_id}/download")
def statement_download(request, statement_id: IdParam, format: str = "pdf"):
    """The statement as `pdf` or `xlsx`."""
    statement = statements.get_statement(request.auth, statement_id)
    if format not in CONTENT_TYPES:
        raise FieldErrors.single("format", gettext("Choose pdf or xlsx."))
    content = statements.statement_pdf(statement) if format == "pdf" else statements.statement_xlsx(statement)
    response = HttpResponse(content, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{statements.download_name(statement, format)}"'
    return response


@router.post("/finance/statements/{statement_id}/confirm", response=StatementDetailOut)
def statement_confirm(request, statement_id: IdParam):
    """The partner's administrator confirms an issued (or resolved) statement; 409 otherwise."""
    statement = statements.get_statement(request.auth, statement_id)
    statements.confirm_statement(statement=statement, actor=request.auth)
    return statement_detail_out(statements.get_statement(request.auth, statement_id))


@router.post("/finance/statements/{statement_id}/disputes", response={201: DisputeOut}, openapi_extra=_DISPUTE_SCHEMA)
def statement_dispute(request, statement_id: IdParam):
    """The partner's administrator disputes lines of this statement (`lines`: their ids) with a
    `comment`, and optionally a PDF or image (multipart, `attachment`); 422 on "lines" for a line of
    another statement; 409 when the statement is confirmed."""
    statement = statements.get_statement(request.auth, statement_id)
    body, attachment = _dispute_body(request)
    dispute = statements.dispute_statement(
        statement=statement, line_ids=body.lines, comment=body.comment, actor=request.auth, attachment=attachment
    )
    return Status(201, dispute_out(statements.get_dispute(request.auth, dispute.pk)))


@router.post("/finance/statements/disputes/{dispute_id}/resolve", response=DisputeOut)
def dispute_resolve(request, dispute_id: IdParam, payload: DisputeResolveIn):
    """Finance resolves an open dispute: an adjustment (`amount`, `book`; posted to the ledger) or
    an explanation (`resolution`). The statement is resolved when no dispute is open."""
    dispute = statements.get_dispute(request.auth, dispute_id)
    statements.resolve_dispute(
        dispute=dispute, actor=request.auth, resolution=payload.resolution, amount=payload.amount, book=payload.book
    )
    return dispute_out(statements.get_dispute(request.auth, dispute_id))


@router.get("/finance/statements/disputes/{dispute_id}/attachment")
def dispute_attachment(request, dispute_id: IdParam):
    dispute = statements.get_dispute(request.auth, dispute_id)
    if not dispute.attachment:
        raise NotFound()
    return upload_response(dispute.attachment, f"{dispute.statement.number}-{dispute.pk}")
