"""The finance API: receivables and the partner ledger (see docs/api.md).

GET   /finance/invoices               invoices in the caller's scope (finance.view; partners: their own)
POST  /finance/invoices/bulk          the ERP's invoices, idempotent by (partner, external_ref), all or nothing
GET   /finance/invoices/{id}          one invoice (id or number) with lines, allocations and ledger entries
GET   /finance/aging?by=              outstanding in buckets of days overdue per partner, region or overall
GET   /partners/{id}/ledger           the partner's ledger entries (?book=&date_from=&date_to=)
GET   /partners/{id}/balances         the partner's books, receivables outstanding and overdue, fund balances
Another partner's record answers 404.
"""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router

from qudao.core.api import require
from qudao.core.schemas import IdParam, PageParams, amount_out, page_of, paginate, unit_price_out

from . import selectors, services
from .models import Invoice, LedgerEntry
from .schemas_invoices import (
    AgingFilters,
    AgingOut,
    BalancesOut,
    InvoiceBulkIn,
    InvoiceBulkOut,
    InvoiceFilters,
    InvoiceOut,
    LedgerEntryOut,
    LedgerFilters,
)

router = Router(tags=["finance"])


def _ref(partner) -> dict:
    return {"id": partner.pk, "code": partner.code, "name": str(partner)}


def entry_out(entry: LedgerEntry) -> dict:
    return {
        "id": entry.pk,
        "book": entry.book,
        "kind": entry.kind,
        "kind_label": str(entry.get_kind_display()),
        "currency": entry.currency,
        "amount": amount_out(entry.amount),
        "balance_after": amount_out(entry.balance_after),
        "occurred_on": entry.occurred_on,
        "reference": entry.reference,
        "note": entry.note,
        "reverses": entry.reverses_id,
        "created_at": entry.created_at,
    }


def invoice_out(invoice: Invoice, *, full: bool = False) -> dict:
    body = {
        "id": invoice.pk,
        "number": invoice.number,
        "partner": _ref(invoice.partner),
        "source": invoice.source,
        "order": invoice.order.number if invoice.order_id else None,
        "shipment": invoice.shipment.number if invoice.shipment_id else None,
        "external_ref": invoice.external_ref,
        "currency": invoice.currency,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "amount": amount_out(invoice.amount),
        "settled": amount_out(invoice.settled),
        "outstanding": amount_out(invoice.outstanding),
        "status": invoice.status,
        "status_label": str(invoice.get_status_display()),
        "days_overdue": selectors.days_overdue(invoice),
        "note": invoice.note,
    }
    if full:
        body["lines"] = [
            {
                "order_line": line.order_line.line_no if line.order_line_id else None,
                "sku": line.sku.code if line.sku_id else None,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": unit_price_out(line.unit_price),
                "amount": amount_out(line.amount),
            }
            for line in invoice.lines.select_related("order_line", "sku")
        ]
        body["allocations"] = [
            {
                "id": row.pk,
                "source": row.source,
                "payment": row.payment.number if row.payment_id else None,
                "credit_note": row.credit_note.number if row.credit_note_id else None,
                "reference": row.reference,
                "amount": amount_out(row.amount),
                "reverses": row.reverses_id,
                "allocated_on": row.allocated_on,
                "created_at": row.created_at,
            }
            for row in invoice.allocations.select_related("payment", "credit_note").order_by("pk")
        ]
        body["ledger"] = [entry_out(entry) for entry in selectors.invoice_ledger(invoice)]
    return body


@router.get("/finance/invoices", response=page_of(InvoiceOut))
def invoice_list(request, filters: Query[InvoiceFilters], page: Query[PageParams]):
    """Invoices the caller may see (a partner user: its own), newest first."""
    require(request.auth, "finance.view")
    return paginate(selectors.invoices(request.auth, filters.model_dump()), page, invoice_out)


@router.post("/finance/invoices/bulk", response=InvoiceBulkOut)
def invoice_bulk(request, payload: InvoiceBulkIn):
    """The ERP's invoices. A row whose (partner, external_ref) was imported before answers that
    invoice ("existing") and writes nothing, so a retried batch is harmless. All or nothing: any
    wrong row refuses the batch (422, every error named `rows.<i>.<field>`)."""
    require(request.auth, "finance.manage")
    rows = services.import_invoices(rows=[row.model_dump() for row in payload.rows], actor=request.auth)
    created = sum(1 for row in rows if row["status"] == "created")
    return {
        "created": created,
        "existing": len(rows) - created,
        "rows": [{"row": r["row"], "status": r["status"], "invoice": invoice_out(r["invoice"])} for r in rows],
    }


@router.get("/finance/invoices/{key}", response=InvoiceOut)
def invoice_detail(request, key: str):
    """One invoice by id or number, with its lines, allocations and ledger entries."""
    require(request.auth, "finance.view")
    return invoice_out(selectors.invoice(request.auth, key), full=True)


@router.get("/finance/aging", response=AgingOut)
def aging(request, filters: Query[AgingFilters]):
    """Outstanding amounts of open invoices by days overdue: current (not yet due), 1-30, 31-60,
    61-90, 90+; per partner, per region (the partner's) or overall, and per currency."""
    require(request.auth, "finance.view")
    today = timezone.localdate()
    rows = selectors.aging(request.auth, filters.by, today=today, partner_id=filters.partner)
    money = ("current", "d1_30", "d31_60", "d61_90", "d90_plus", "total")
    return {
        "by": filters.by,
        "as_of": today,
        "rows": [row | {name: amount_out(row[name]) for name in money} for row in rows],
    }


@router.get("/partners/{partner_id}/ledger", response=page_of(LedgerEntryOut))
def partner_ledger(request, partner_id: IdParam, filters: Query[LedgerFilters], page: Query[PageParams]):
    """The partner's ledger entries, oldest first (each with the book's balance after it)."""
    require(request.auth, "finance.view")
    return paginate(selectors.ledger_entries(request.auth, partner_id, filters.model_dump()), page, entry_out)


@router.get("/partners/{partner_id}/balances", response=BalancesOut)
def partner_balances(request, partner_id: IdParam):
    """The partner's three books, receivables outstanding and overdue, and its fund accounts."""
    require(request.auth, "finance.view")
    found = selectors.balances(request.auth, partner_id)
    books = found["books"]

    def fund(values):
        return {key: amount_out(value) for key, value in values.items()}

    return {
        "partner": _ref(found["partner"]),
        "currency": found["currency"],
        "receivable": amount_out(books["receivable"]),
        "prepayment": amount_out(books["prepayment"]),
        "rebate": amount_out(books["rebate"]),
        "outstanding": amount_out(found["outstanding"]),
        "overdue": amount_out(found["overdue"]),
        "open_invoices": found["open_invoices"],
        "prepayment_fund": fund(found["prepayment"]),
        "rebate_fund": fund(found["rebate"]),
    }
