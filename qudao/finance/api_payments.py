"""The finance API: payments (回款) - see docs/api.md.

GET   /finance/payments                      payments in the caller's scope (finance.view; partners: their own)
POST  /finance/payments                      book a payment (finance.manage; Idempotency-Key: a retry answers
                                             200 with the first payment)
POST  /finance/payments/announcements        the partner announces a payment (multipart, proof as "proof")
GET   /finance/payments/{id}                 one payment with its allocations (another partner's: 404)
GET   /finance/payments/{id}/proof           the proof the partner uploaded
POST  /finance/payments/{id}/confirm         finance confirms an announced payment (booked and allocated)
POST  /finance/payments/{id}/reject          finance rejects an announced payment with a reason
POST  /finance/payments/{id}/reverse         a confirmed payment bounced: un-allocated and reversed (once: 409)
POST  /finance/payments/{id}/allocations     allocate what the payment has left (by hand, or oldest first)
POST  /finance/payments/imports              a bank or ERP file (multipart "file") -> 201 its preview
GET   /finance/payments/imports/{id}         the preview (its creator or an administrator; else 404)
POST  /finance/payments/imports/{id}/commit  book the previewed file, all or nothing -> 202 the job
"""

from __future__ import annotations

from ninja import File, Form, Header, Query, Router, Status
from ninja.files import UploadedFile

from qudao.core import jobs
from qudao.core.api import require
from qudao.core.errors import Forbidden, NotFound
from qudao.core.imports import preview_errors
from qudao.core.schemas import IdParam, PageParams, amount_out, page_of, paginate
from qudao.core.uploads import upload_response
from qudao.partners.api_imports import JobOut
from qudao.partners.scoping import get_visible_partner

from . import importing, payments
from .models import Payment
from .schemas_payments import (
    AllocationsIn,
    AnnouncementForm,
    PaymentFilters,
    PaymentIn,
    PaymentOut,
    PaymentPreviewOut,
    PaymentReasonIn,
)

router = Router(tags=["finance"])


def payment_out(payment: Payment, *, full: bool = False) -> dict:
    partner = payment.partner
    body = {
        "id": payment.pk,
        "number": payment.number,
        "partner": {"id": partner.pk, "code": partner.code, "name": str(partner)},
        "currency": payment.currency,
        "amount": amount_out(payment.amount),
        "allocated": amount_out(payment.allocated),
        "unallocated": amount_out(payment.unallocated),
        "received_on": payment.received_on,
        "method": payment.method,
        "method_label": str(payment.get_method_display()),
        "bank_reference": payment.bank_reference,
        "payer_name": payment.payer_name,
        "note": payment.note,
        "source": payment.source,
        "source_label": str(payment.get_source_display()),
        "status": payment.status,
        "status_label": str(payment.get_status_display()),
        "proof_url": f"/api/v1/finance/payments/{payment.pk}/proof" if payment.proof else None,
        "decided_at": payment.decided_at,
        "decision_note": payment.decision_note,
        "created_at": payment.created_at,
    }
    if full:
        body["allocations"] = [
            {
                "id": row.pk,
                "invoice": {"id": row.invoice_id, "number": row.invoice.number},
                "amount": amount_out(row.amount),
                "reverses": row.reverses_id,
                "allocated_on": row.allocated_on,
                "created_at": row.created_at,
            }
            for row in payments.allocations_of(payment)
        ]
    return body


def _pairs(items) -> list[tuple[str, str]] | None:
    if not items:
        return None
    return [(item.invoice, item.amount) for item in items]


def _payment(user, payment_id: int, permission: str | None = None) -> Payment:
    """The payment if the caller may see it (else 404), then `permission` (else 403)."""
    require(user, "finance.view")
    payment = payments.get_payment(user, payment_id)
    if permission:
        require(user, permission)
    return payment


def _out(user, payment_id: int) -> dict:
    return payment_out(payments.get_payment(user, payment_id), full=True)


@router.get("/finance/payments", response=page_of(PaymentOut))
def payment_list(request, filters: Query[PaymentFilters], page: Query[PageParams]):
    """Payments in the caller's scope, announced ones (waiting for finance) first, then newest."""
    require(request.auth, "finance.view")
    return paginate(payments.payment_list(request.auth, filters.model_dump()), page, payment_out)


@router.post("/finance/payments", response={201: PaymentOut, 200: PaymentOut})
def payment_create(request, payload: PaymentIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
    """Book a payment (confirmed at once): a receivable ledger entry of -amount, then allocated to
    the invoices named in `allocations` or oldest first. What is not allocated stays on the
    payment. Send an Idempotency-Key: a retry with the same key answers 200 with the first payment."""
    user = request.auth
    require(user, "finance.manage")
    partner = get_visible_partner(user, payload.partner)
    data = payload.model_dump(exclude={"partner", "allocations"})
    payment, created = payments.record_payment(
        partner=partner,
        data=data,
        actor=user,
        allocations=_pairs(payload.allocations),
        idempotency_key=idempotency_key,
    )
    return Status(201 if created else 200, _out(user, payment.pk))


@router.post("/finance/payments/announcements", response={201: PaymentOut, 200: PaymentOut})
def payment_announce(
    request,
    form: Form[AnnouncementForm],
    proof: File[UploadedFile] = None,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """The partner announces a payment it made (multipart form; the proof - a photo or a PDF - as
    the file "proof"). Nothing is booked until finance confirms it."""
    user = request.auth
    require(user, "finance.announce_payment")
    if user.partner is None:
        raise Forbidden()
    partner = get_visible_partner(user, user.partner.pk)
    payment, created = payments.announce_payment(
        partner=partner, data=form.model_dump(), proof=proof, actor=user, idempotency_key=idempotency_key
    )
    return Status(201 if created else 200, _out(user, payment.pk))


@router.get("/finance/payments/{int:payment_id}", response=PaymentOut)
def payment_detail(request, payment_id: IdParam):
    return payment_out(_payment(request.auth, payment_id), full=True)


@router.get("/finance/payments/{int:payment_id}/proof")
def payment_proof(request, payment_id: IdParam):
    """The proof the partner uploaded with its announcement (404 when there is none)."""
    payment = _payment(request.auth, payment_id)
    if not payment.proof:
        raise NotFound()
    return upload_response(payment.proof, payment.number)


@router.post("/finance/payments/{int:payment_id}/confirm", response=PaymentOut)
def payment_confirm(request, payment_id: IdParam, payload: AllocationsIn | None = None):
    """Confirm an announced payment: booked, then allocated (by hand or oldest first). 409 when it
    is not announced."""
    user = request.auth
    payment = _payment(user, payment_id, "finance.manage")
    payments.confirm_payment(
        payment=payment,
        actor=user,
        allocations=_pairs(payload.allocations if payload else None),
        allocated_on=payload.allocated_on if payload else None,
    )
    return _out(user, payment_id)


@router.post("/finance/payments/{int:payment_id}/reject", response=PaymentOut)
def payment_reject(request, payment_id: IdParam, payload: PaymentReasonIn):
    """Reject an announced payment with a reason (the partner is told). 409 when it is not announced."""
    user = request.auth
    payment = _payment(user, payment_id, "finance.manage")
    payments.reject_payment(payment=payment, actor=user, reason=payload.reason)
    return _out(user, payment_id)


@router.post("/finance/payments/{int:payment_id}/reverse", response=PaymentOut)
def payment_reverse(request, payment_id: IdParam, payload: PaymentReasonIn):
    """A confirmed payment bounced: every allocation undone, its ledger entry reversed. 409 when it
    is not confirmed (reversing twice)."""
    user = request.auth
    payment = _payment(user, payment_id, "finance.manage")
    payments.reverse_payment(payment=payment, actor=user, reason=payload.reason)
    return _out(user, payment_id)


@router.post("/finance/payments/{int:payment_id}/allocations", response=PaymentOut)
def payment_allocate(request, payment_id: IdParam, payload: AllocationsIn):
    """Allocate what a confirmed payment has left: to the invoices named, or oldest first."""
    user = request.auth
    payment = _payment(user, payment_id, "finance.manage")
    payments.allocate_payment(
        payment=payment, actor=user, allocations=_pairs(payload.allocations), allocated_on=payload.allocated_on
    )
    return _out(user, payment_id)


# --- payments by file (bank or ERP) ----------------------------------------------------------


def _job_out(job) -> dict:
    return jobs.job_payload(job) | {"url": f"/api/v1/jobs/{job.pk}"}


def _preview_out(job) -> dict:
    payload = (job.result or {}) if job.status == "succeeded" else {}
    commit_job = importing.commit_job_of(job)
    return {
        "id": job.pk,
        "status": job.status,
        "file_name": payload.get("file_name") or job.input_file.name.rsplit("/", 1)[-1],
        "created_at": job.created_at,
        "columns": payload.get("columns", []),
        "ignored_columns": payload.get("ignored_columns", []),
        "total_rows": payload.get("total_rows", 0),
        "counts": payload.get("counts", {}),
        "total_amount": payload.get("total_amount", "0.00"),
        "error_count": payload.get("error_count", 0),
        "can_commit": importing.can_commit(job),
        "rows": payload.get("rows", []),
        "errors": preview_errors(job, importing.flat_errors),
        "commit_job": _job_out(commit_job) if commit_job else None,
    }


@router.post("/finance/payments/imports", response={201: PaymentPreviewOut})
def payment_import_create(request, file: UploadedFile | None = File(None)):  # noqa: B008
    """Upload a bank or ERP file (.xlsx or .csv: partner_code or credit_code, amount, received_on,
    bank_reference, payer_name, method, note): every row is checked, nothing is booked yet."""
    return Status(201, _preview_out(importing.preview_import(user=request.auth, upload=file)))


@router.get("/finance/payments/imports/{int:preview_id}", response=PaymentPreviewOut)
def payment_import_detail(request, preview_id: IdParam):
    importing.require_import_permission(request.auth)
    return _preview_out(importing.get_preview(request.auth, preview_id))


@router.post("/finance/payments/imports/{int:preview_id}/commit", response={202: JobOut})
def payment_import_commit(request, preview_id: IdParam):
    """Book a previewed file without errors, all or nothing, as a background job."""
    return Status(202, _job_out(importing.commit_import(user=request.auth, preview_id=preview_id)))
