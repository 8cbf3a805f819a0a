"""Pages of payments (回款): HQ /finance/payments/... (the list, recording one with an optional
allocation by hand, a payment with its allocations and finance's moves, the bank/ERP file import)
and the partner's /portal/finance/payments/... (its payments and what they paid; announcing one
with a proof, phone-first). Pages parse, authorise, call one service or selector and render."""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core import exports as list_exports
from qudao.core import idempotency, import_pages
from qudao.core.errors import Conflict, FieldErrors, NotFound
from qudao.core.pages import apply_field_errors, hq_page, paginate
from qudao.core.pickers import SEARCH_SUFFIX
from qudao.core.uploads import upload_response
from qudao.partners.pickers import find_partner
from qudao.partners.views_portal import partner_portal
from qudao.pricing.selectors import currency_symbol

from . import exports, importing, payments
from .forms_payments import AnnounceForm, PaymentFilterForm, PaymentForm, PaymentPartnerForm
from .models import Payment

import_pages.register_results(
    importing,
    preview_url="finance_payments:import_preview",
    result_url="finance_payments:list",
    result_label=gettext_lazy("Open the payments"),
)

ALLOC_FIELD = re.compile(r"^alloc_(\d{1,12})$")
PORTAL_PAGE_SIZE = 20


def _payment(request, number) -> Payment:
    try:
        return payments.get_payment(request.user, number)
    except NotFound:
        raise Http404 from None


def _posted_allocations(request) -> list[tuple[str, str]]:
    """The alloc_<invoice id> fields filled in, as (invoice id, amount) pairs in invoice order."""
    pairs = []
    for name, value in request.POST.items():
        match = ALLOC_FIELD.match(name)
        if match and (value or "").strip():
            pairs.append((match.group(1), value.strip()))
    return sorted(pairs, key=lambda pair: int(pair[0]))


def _allocation_errors(error: FieldErrors, pairs) -> dict[str, list[str]]:
    """allocations.<i>.x errors keyed by the invoice id of pair i (to show them on its row)."""
    by_invoice: dict[str, list[str]] = {}
    for key, messages_ in error.errors.items():
        parts = key.split(".")
        if parts[0] == "allocations" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(pairs):
            by_invoice.setdefault(pairs[int(parts[1])][0], []).extend(str(m) for m in messages_)
    return by_invoice


def _proof_response(payment: Payment):
    return upload_response(payment.proof, payment.number)


# --- HQ ------------------------------------------------------------------------------------------


@require_GET
@hq_page("finance.view")
def payment_list_view(request):
    """/finance/payments/: announced payments (waiting for finance) first, then the newest; by
    partner code, status, source, dates, number / bank reference / payer."""
    if (download := list_exports.respond(request, exports.PAYMENTS)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    form = PaymentFilterForm(request.GET or None, user=request.user)
    form.is_valid()  # the partner picker shows the partner's name, or its error under the box
    filters = exports.payment_filters(request.user, request.GET)
    page = paginate(request, payments.payment_list(request.user, filters))
    context = {
        "form": form,
        "page": page,
        "payments": page.object_list,
        "can_manage": request.user.can("finance.manage"),
        "waiting": payments.payment_list(request.user, {"status": Payment.Status.ANNOUNCED}).count(),
        "tab": "payments",
    }
    template = "finance/payments/_table.html" if request.headers.get("HX-Request") else "finance/payments/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@hq_page("finance.manage")
def payment_create_view(request):
    """/finance/payments/new/: record a payment for a partner (picked by name, code or credit
    code); its open invoices
    with an amount field each allocate by hand; left empty, the payment is allocated oldest first."""
    code = (request.POST.get("partner") or request.GET.get("partner") or "").strip()[:100]
    if not code:  # the picker's typed text, when nothing was picked (or the page ran without script)
        code = (request.GET.get("partner" + SEARCH_SUFFIX) or "").strip()[:100]
    # by the picker's id, or a typed code, credit code or exact name, among the partners it sees
    partner = find_partner(request.user, code) if code else None
    picker = PaymentPartnerForm(initial={"partner": partner.pk if partner else code}, user=request.user)
    form = PaymentForm(request.POST or None)
    status, alloc_errors, partner_error = 200, {}, ""
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    posted = {name[6:]: value for name, value in request.POST.items() if ALLOC_FIELD.match(name)}
    if request.method == "POST":
        if partner is None:
            partner_error = _("No partner you may see matches this.") if code else _("Choose the partner.")
            status = 422
        else:
            pairs = _posted_allocations(request)
            try:
                payment, _created = payments.record_payment(
                    partner=partner,
                    data=form.data_for_service(),
                    actor=request.user,
                    allocations=pairs or None,
                    idempotency_key=(request.POST.get("idempotency_key") or "").strip()[:100] or None,
                )
            except FieldErrors as error:
                form.is_valid()
                apply_field_errors(
                    form, FieldErrors({k: v for k, v in error.errors.items() if not k.startswith("allocations.")})
                )
                alloc_errors = _allocation_errors(error, pairs)
                status = 422
                if error.code == idempotency.REUSED:  # the form booked a payment from other values
                    key = uuid.uuid4().hex
            else:
                messages.success(
                    request,
                    _("Payment %(number)s is booked; %(allocated)s allocated.")
                    % {"number": payment.number, "allocated": f"{payment.allocated:,.2f}"},
                )
                return redirect("finance_payments:detail", payment.number)
    invoices = list(payments.open_invoices(partner)[:200]) if partner else []
    rows = [(invoice, posted.get(str(invoice.pk), ""), alloc_errors.get(str(invoice.pk), [])) for invoice in invoices]
    return render(
        request,
        "finance/payments/new.html",
        {
            "form": form,
            "code": code,
            "partner": partner,
            "picker": picker,
            "partner_error": partner_error
            or (_("No partner you may see matches this.") if code and partner is None else ""),
            "rows": rows,
            "idempotency_key": key,
            "tab": "payments",
        },
        status=status,
    )


def _detail(request, payment, status=200, **extra):
    can_manage = request.user.can("finance.manage")
    invoices = []
    if can_manage and payment.status == Payment.Status.CONFIRMED and payment.unallocated > 0:
        invoices = list(payments.open_invoices(payment.partner, payment.currency)[:200])
    if can_manage and payment.status == Payment.Status.ANNOUNCED:
        invoices = list(payments.open_invoices(payment.partner, payment.currency)[:200])
    alloc_errors = extra.pop("alloc_errors", {})
    posted = extra.pop("posted", {})
    return render(
        request,
        "finance/payments/detail.html",
        {
            "payment": payment,
            "allocations": payments.allocations_of(payment),
            "can_manage": can_manage,
            "rows": [(inv, posted.get(str(inv.pk), ""), alloc_errors.get(str(inv.pk), [])) for inv in invoices],
            "tab": "payments",
            **extra,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@hq_page("finance.view", partner_users="404")
def payment_detail_view(request, number):
    """/finance/payments/<number>/: the payment, what it paid; finance confirms or rejects an
    announced one, reverses a confirmed one, allocates what it has left (POST action=...)."""
    payment = _payment(request, number)
    if request.method == "GET":
        return _detail(request, payment)
    if not request.user.can("finance.manage"):
        raise PermissionDenied
    action = request.POST.get("action") or ""
    reason = request.POST.get("reason") or ""
    pairs = _posted_allocations(request)
    try:
        if action == "confirm":
            payments.confirm_payment(payment=payment, actor=request.user, allocations=pairs or None)
            messages.success(request, _("Payment %(number)s is confirmed and booked.") % {"number": payment.number})
        elif action == "reject":
            payments.reject_payment(payment=payment, actor=request.user, reason=reason)
            messages.success(request, _("Payment %(number)s is rejected.") % {"number": payment.number})
        elif action == "reverse":
            payments.reverse_payment(payment=payment, actor=request.user, reason=reason)
            messages.success(request, _("Payment %(number)s is reversed.") % {"number": payment.number})
        elif action == "allocate":
            payments.allocate_payment(payment=payment, actor=request.user, allocations=pairs or None)
            messages.success(request, _("The payment is allocated."))
        else:
            return _detail(request, payment, status=400, action_errors=[_("Unknown action.")])
    except FieldErrors as error:
        return _detail(
            request,
            payment,
            status=422,
            action=action,
            action_errors=[str(m) for k, ms in error.errors.items() if not k.startswith("allocations.") for m in ms],
            alloc_errors=_allocation_errors(error, pairs),
            posted={name[6:]: value for name, value in request.POST.items() if ALLOC_FIELD.match(name)},
            reason=reason,
        )
    except Conflict as error:
        messages.error(request, str(error.detail))
    return redirect("finance_payments:detail", payment.number)


@require_GET
@hq_page("finance.view", partner_users="404")
def payment_proof_view(request, number):
    """The partner's proof of payment (never a public URL)."""
    return _proof_response(_payment(request, number))


# --- import ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@hq_page("finance.manage")
def import_upload_view(request):
    return import_pages.upload(
        request,
        importing,
        template="finance/payments/import_upload.html",
        preview_url="finance_payments:import_preview",
        context={"tab": "payments"},
    )


@require_GET
@hq_page("finance.manage", partner_users="404")
def import_preview_view(request, preview_id):
    return import_pages.preview(
        request, importing, preview_id, template="finance/payments/import_preview.html", context={"tab": "payments"}
    )


@require_POST
@hq_page("finance.manage", partner_users="404")
def import_commit_view(request, preview_id):
    return import_pages.commit(
        request,
        importing,
        preview_id,
        preview_url="finance_payments:import_preview",
        done=lambda job: _("The file is imported: %(count)s payments booked.") % {"count": job.result["booked"]},
    )


# --- the partner portal --------------------------------------------------------------------------


def _portal_context(request, **extra) -> dict:
    partner = request.partner
    return {
        "partner": partner,
        "is_partner_admin": request.partner_admin,
        "is_distributor": partner.is_distributor,
        "section": "finance",
        "symbol": currency_symbol(partner.credit_currency or "CNY"),
        "can_announce": request.user.can("finance.announce_payment"),
        **extra,
    }


@require_GET
@partner_portal
def portal_list_view(request):
    """/portal/finance/payments/: the partner's payments (a distributor's sub-dealers' too), newest
    first, each with the invoices it paid."""
    if not request.user.can("finance.view"):
        raise PermissionDenied
    if (download := list_exports.respond(request, exports.PORTAL_PAYMENTS)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    status = exports.portal_payment_filters(request.GET)["status"]
    page = paginate(request, payments.payment_list(request.user, {"status": status}), PORTAL_PAGE_SIZE)
    rows = [(payment, payments.allocations_of(payment)) for payment in page.object_list]
    return render(
        request,
        "finance/payments/portal_list.html",
        _portal_context(request, page=page, rows=rows, status=status, statuses=Payment.Status.choices),
    )


@require_http_methods(["GET", "POST"])
@partner_portal
def portal_announce_view(request):
    """/portal/finance/payments/announce/: tell finance about a payment, with the bank slip."""
    if not request.user.can("finance.announce_payment"):
        raise PermissionDenied
    form = AnnounceForm(request.POST or None, request.FILES or None)
    status = 200
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    if request.method == "POST":
        try:
            payment, _created = payments.announce_payment(
                partner=request.partner,
                data=form.data_for_service(),
                proof=request.FILES.get("proof"),
                actor=request.user,
                idempotency_key=(request.POST.get("idempotency_key") or "").strip()[:100] or None,
            )
        except FieldErrors as error:
            form.is_valid()
            apply_field_errors(form, error)
            status = 422
            if error.code == idempotency.REUSED:  # the form announced a payment from other values
                key = uuid.uuid4().hex
        else:
            messages.success(
                request,
                _("Payment %(number)s is announced. Finance will confirm it once the money has arrived.")
                % {"number": payment.number},
            )
            return redirect("finance_payments:portal_list")
    return render(
        request,
        "finance/payments/portal_announce.html",
        _portal_context(
            request,
            form=form,
            idempotency_key=key,
        ),
        status=status,
    )


@require_GET
@partner_portal
def portal_proof_view(request, number):
    if not request.user.can("finance.view"):
        raise PermissionDenied
    return _proof_response(_payment(request, number))
