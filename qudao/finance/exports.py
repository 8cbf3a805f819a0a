"""The finance lists as .xlsx / .csv (qudao.core.exports): receivables (应收单), payments (回款),
aging and statements (对账单), HQ and portal, each with its list's filters and the user's scope."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors
from qudao.core.exports import ExportColumn, ListExport

from . import payments, selectors, statements
from .models import Invoice, Payment, Statement

ZERO = Decimal("0")


def _partner_columns():
    return (
        ExportColumn(_("Partner code"), lambda row: row.partner.code),
        ExportColumn(_("Partner"), lambda row: row.partner.legal_name),
    )


# --- receivables ----------------------------------------------------------------------------------


def invoice_filters(user, params) -> dict:
    """The HQ receivable list's filters (finance.views.invoice_list_view) from its query string; the
    partner by id or code (`?partner=P000001`), within the user's scope."""
    from qudao.partners.pickers import filter_partner_id

    status = params.get("status") or ""
    return {
        "partner": filter_partner_id(user, params),
        "status": status if status in Invoice.Status.values else "",
        "overdue": params.get("overdue") == "1",
        "q": (params.get("q") or "").strip()[:64],
    }


def portal_invoices(user):
    """The open receivables of the user's own partner, by due date (the portal's finance page)."""
    partner = user.partner
    rows = selectors.invoices(user, {"partner": partner.pk if partner else -1})
    return rows.filter(status__in=selectors.OPEN_STATUSES).order_by("due_on", "pk")


INVOICE_COLUMNS = (
    ExportColumn(_("Receivable number"), lambda invoice: invoice.number),
    *_partner_columns(),
    ExportColumn(_("Order number"), lambda invoice: invoice.order.number if invoice.order_id else ""),
    ExportColumn(_("Source"), lambda invoice: invoice.get_source_display()),
    ExportColumn(_("Issued on"), lambda invoice: invoice.issued_on, "date"),
    ExportColumn(_("Due on"), lambda invoice: invoice.due_on, "date"),
    ExportColumn(_("Currency"), lambda invoice: invoice.currency),
    ExportColumn(_("Amount"), lambda invoice: invoice.amount, "money"),
    ExportColumn(_("Settled"), lambda invoice: invoice.settled, "money"),
    ExportColumn(_("Outstanding"), lambda invoice: invoice.amount - invoice.settled, "money"),
    ExportColumn(_("Status"), lambda invoice: invoice.get_status_display()),
    ExportColumn(_("Days overdue"), lambda invoice: selectors.days_overdue(invoice), "quantity"),
    ExportColumn(_("ERP reference"), lambda invoice: invoice.external_ref),
    ExportColumn(_("Note"), lambda invoice: invoice.note),
)

INVOICES = ListExport(
    "finance.invoices",
    _("Receivables"),
    "receivables",
    INVOICE_COLUMNS,
    lambda user, params: selectors.invoices(user, invoice_filters(user, params)),
    permission="finance.view",
)
PORTAL_INVOICES = ListExport(
    "finance.portal_invoices",
    _("Receivables"),
    "receivables",
    INVOICE_COLUMNS,
    lambda user, params: portal_invoices(user),
    permission="finance.view",
)


# --- payments -------------------------------------------------------------------------------------


def payment_filters(user, params) -> dict:
    """The HQ payment list's filters (finance.views_payments.payment_list_view): its filter form,
    the partner (picked, or `?partner=<code>`) within the user's scope; a partner the user does not
    see empties the list."""
    from qudao.partners.pickers import filter_partner_id

    from .forms_payments import PaymentFilterForm

    form = PaymentFilterForm(params or None, user=user)
    form.is_valid()  # an unknown partner must not drop the other filters
    filters = {name: value for name, value in getattr(form, "cleaned_data", {}).items() if name != "partner"}
    partner = filter_partner_id(user, params)
    if partner is not None:
        filters["partner"] = partner
    return filters


def portal_payment_filters(params) -> dict:
    status = params.get("status") if params.get("status") in Payment.Status.values else ""
    return {"status": status}


PAYMENT_COLUMNS = (
    ExportColumn(_("Payment number"), lambda payment: payment.number),
    *_partner_columns(),
    ExportColumn(_("Received on"), lambda payment: payment.received_on, "date"),
    ExportColumn(_("Payment method"), lambda payment: payment.get_method_display()),
    ExportColumn(_("Currency"), lambda payment: payment.currency),
    ExportColumn(_("Amount"), lambda payment: payment.amount, "money"),
    ExportColumn(_("Allocated"), lambda payment: payment.allocated, "money"),
    ExportColumn(_("Unallocated"), lambda payment: payment.amount - payment.allocated, "money"),
    ExportColumn(_("Status"), lambda payment: payment.get_status_display()),
    ExportColumn(_("Source"), lambda payment: payment.get_source_display()),
    ExportColumn(_("Bank reference"), lambda payment: payment.bank_reference),
    ExportColumn(_("Payer"), lambda payment: payment.payer_name),
    ExportColumn(_("Note"), lambda payment: payment.note),
)

PAYMENTS = ListExport(
    "finance.payments",
    _("Payments"),
    "payments",
    PAYMENT_COLUMNS,
    lambda user, params: payments.payment_list(user, payment_filters(user, params)).select_related("partner"),
    permission="finance.view",
)
PORTAL_PAYMENTS = ListExport(
    "finance.portal_payments",
    _("Payments"),
    "payments",
    PAYMENT_COLUMNS,
    lambda user, params: payments.payment_list(user, portal_payment_filters(params)).select_related("partner"),
    permission="finance.view",
)


# --- aging ----------------------------------------------------------------------------------------

AGING_VIEWS = ("partner", "region", "overall")


def aging_view(params) -> str:
    return params.get("by") if params.get("by") in AGING_VIEWS else "partner"


def _aging_rows(user, params):
    return selectors.aging(user, aging_view(params), today=timezone.localdate())


def _bucket(name):
    return lambda row: row[name]


AGING_COLUMNS = (
    ExportColumn(_("Code"), lambda row: row["code"]),
    ExportColumn(_("Name"), lambda row: row["name"] or (str(_("All partners")) if not row["code"] else "")),
    ExportColumn(_("Currency"), lambda row: row["currency"]),
    ExportColumn(_("Not yet due"), _bucket("current"), "money"),
    ExportColumn(_("1-30 days"), _bucket("d1_30"), "money"),
    ExportColumn(_("31-60 days"), _bucket("d31_60"), "money"),
    ExportColumn(_("61-90 days"), _bucket("d61_90"), "money"),
    ExportColumn(_("Over 90 days"), _bucket("d90_plus"), "money"),
    ExportColumn(_("Total outstanding"), _bucket("total"), "money"),
)

AGING = ListExport("finance.aging", _("Aging"), "aging", AGING_COLUMNS, _aging_rows, permission="finance.view")


# --- statements -----------------------------------------------------------------------------------


def statement_filters(user, params) -> dict:
    """The HQ statement list's filters (finance.views_statements); the partner (picked, or
    `?partner=<code>`) as its id within the user's scope."""
    from qudao.partners.pickers import filter_partner_id

    partner = filter_partner_id(user, params)
    return {
        "month": (params.get("month") or "").strip(),
        "partner": "" if partner is None else str(partner),
        "status": params.get("status") or "",
    }


def _statement_rows(user, params):
    filters = statement_filters(user, params)
    try:
        return statements.statement_list(user, **filters)
    except FieldErrors:  # a month that is not one: the list shows every month, so does the file
        return statements.statement_list(user, partner=filters["partner"], status=filters["status"])


def _balance(book: str, which: str):
    def value(statement: Statement):
        amount = (statement.balances or {}).get(book, {}).get(which)
        return Decimal(str(amount)) if amount is not None else ZERO

    return value


STATEMENT_COLUMNS = (
    ExportColumn(_("Statement number"), lambda statement: statement.number),
    *_partner_columns(),
    ExportColumn(_("From"), lambda statement: statement.period_start, "date"),
    ExportColumn(_("To"), lambda statement: statement.period_end, "date"),
    ExportColumn(_("Currency"), lambda statement: statement.currency),
    ExportColumn(_("Receivable at the start"), _balance("receivable", "opening"), "money"),
    ExportColumn(_("Receivable at the end"), _balance("receivable", "closing"), "money"),
    ExportColumn(_("Prepayment at the end"), _balance("prepayment", "closing"), "money"),
    ExportColumn(_("Rebate fund at the end"), _balance("rebate", "closing"), "money"),
    ExportColumn(_("Status"), lambda statement: statement.get_status_display()),
    ExportColumn(_("Issued"), lambda statement: statement.issued_at, "datetime"),
    ExportColumn(_("Confirmed"), lambda statement: statement.confirmed_at, "datetime"),
)

STATEMENTS = ListExport(
    "finance.statements", _("Statements"), "statements", STATEMENT_COLUMNS, _statement_rows, permission="finance.view"
)
PORTAL_STATEMENTS = ListExport(
    "finance.portal_statements",
    _("Statements"),
    "statements",
    STATEMENT_COLUMNS,
    lambda user, params: statements.statement_list(user, status=params.get("status") or ""),
    permission="finance.view",
)
