"""Pages of receivables and the ledger: HQ invoices (list with filters, one invoice with its lines,
allocations and ledger entries) and aging (per partner, region or overall), and the partner's own
finance page in the portal. A regional manager sees its regions' partners (the scoping rule);
another partner's invoice is 404. The rules are qudao.finance.services' and selectors'."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qudao.core import exports as list_exports
from qudao.core.errors import NotFound
from qudao.core.pages import hq_page, paginate
from qudao.partners.pickers import partner_filter_form
from qudao.partners.views_portal import partner_portal
from qudao.pricing.selectors import currency_symbol

from . import exports, selectors
from .models import Invoice

AGING_VIEWS = ("partner", "region", "overall")


def _invoice(request, number) -> Invoice:
    try:
        return selectors.invoice(request.user, number)
    except NotFound:
        raise Http404 from None


def _detail_context(invoice: Invoice) -> dict:
    return {
        "invoice": invoice,
        "lines": invoice.lines.select_related("order_line", "sku"),
        "allocations": invoice.allocations.select_related("payment", "credit_note").order_by("pk"),
        "entries": selectors.invoice_ledger(invoice),
        "days_overdue": selectors.days_overdue(invoice),
    }


@require_GET
@hq_page("finance.view")
def invoice_list_view(request):
    if (download := list_exports.respond(request, exports.INVOICES)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    filters = exports.invoice_filters(request.user, request.GET)
    page = paginate(request, selectors.invoices(request.user, filters))
    template = "finance/_invoice_table.html" if request.headers.get("HX-Request") else "finance/invoices.html"
    return render(
        request,
        template,
        {
            "page": page,
            "invoices": page.object_list,
            "filters": filters,
            "statuses": Invoice.Status.choices,
            "partner_filter": partner_filter_form(request),
            "today": timezone.localdate(),
        },
    )


@require_GET
@hq_page("finance.view", partner_users="404")
def invoice_detail_view(request, number):
    return render(request, "finance/invoice.html", _detail_context(_invoice(request, number)))


@require_GET
@hq_page("finance.view")
def aging_view(request):
    if (download := list_exports.respond(request, exports.AGING)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    by = exports.aging_view(request.GET)
    today = timezone.localdate()
    rows = selectors.aging(request.user, by, today=today)
    template = "finance/_aging_table.html" if request.headers.get("HX-Request") else "finance/aging.html"
    return render(request, template, {"rows": rows, "by": by, "views": AGING_VIEWS, "today": today})


# --- the partner portal ---------------------------------------------------------------------------


def _portal_context(request, **extra) -> dict:
    partner = request.partner
    return {
        "partner": partner,
        "is_partner_admin": request.partner_admin,
        "is_distributor": partner.is_distributor,
        "section": "finance",
        "symbol": currency_symbol(partner.credit_currency or "CNY"),
        **extra,
    }


@require_GET
@partner_portal
def portal_view(request):
    """/portal/finance/: the partner's receivable balance, open invoices with their due dates and
    days overdue, its fund balances and its ledger entries (newest first, paginated)."""
    if not request.user.can("finance.view"):
        raise PermissionDenied
    if (download := list_exports.respond(request, exports.PORTAL_INVOICES)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    partner = request.partner
    today = timezone.localdate()
    open_invoices = [
        (invoice, selectors.days_overdue(invoice, today))
        for invoice in selectors.invoices(request.user, {"partner": partner.pk})
        .filter(status__in=("open", "partially_paid"))
        .order_by("due_on", "pk")[:200]
    ]
    entries = selectors.ledger_entries(request.user, partner.pk).order_by("-occurred_on", "-pk")
    book = request.GET.get("book") if request.GET.get("book") in ("receivable", "prepayment", "rebate") else ""
    if book:
        entries = entries.filter(book=book)
    page = paginate(request, entries, per_page=20)
    return render(
        request,
        "finance/portal/home.html",
        _portal_context(
            request,
            balances=selectors.balances(request.user, partner.pk, today=today),
            open_invoices=open_invoices,
            page=page,
            entries=page.object_list,
            book=book,
        ),
    )


@require_GET
@partner_portal
def portal_invoice_view(request, number):
    if not request.user.can("finance.view"):
        raise PermissionDenied
    invoice = _invoice(request, number)
    if invoice.partner_id != request.partner.pk:  # a distributor's sub-dealer's invoice: not in its portal
        raise Http404
    return render(request, "finance/portal/invoice.html", _portal_context(request, **_detail_context(invoice)))
