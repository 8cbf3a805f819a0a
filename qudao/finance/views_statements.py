"""Pages of statements (对账单). HQ: the statements in scope (period, partner, status) with
"generate a month" for finance, and a statement with its lines, balances, disputes (finance
resolves them here) and downloads. Portal (phone-first): the partner's statements, and one with its
balances and lines, confirm, and a dispute form (lines by checkbox, a comment, an attachment).
The rules are qudao.finance.statements'; another partner's statement answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from qudao.core import exports as list_exports
from qudao.core import jobs
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.numbers import parse_id
from qudao.core.pages import hq_page, paginate
from qudao.core.uploads import upload_response
from qudao.partners.pickers import partner_filter_form
from qudao.partners.views_portal import partner_portal

from . import exports, statements
from .models import Book, Statement, StatementDispute

PAGE_SIZE = 20


def _generation_result(job) -> jobs.JobResult:
    """A generated month ends on its statements (a rebuilt one on the statement itself)."""
    result = job.result or {}
    numbers = result.get("numbers") or []
    if result.get("partner") and len(numbers) == 1:
        return jobs.JobResult(
            reverse("finance_statements:detail", args=[numbers[0]]),
            _("Open statement %(number)s") % {"number": numbers[0]},
        )
    month = result.get("month", "")
    return jobs.JobResult(
        f"{reverse('finance_statements:list')}?{urlencode({'month': month})}",
        _("See the statements of %(month)s") % {"month": month},
    )


jobs.register_result(statements.JOB_KIND, _generation_result, title=gettext_lazy("Statements of a month"))


def _statement(request, number) -> Statement:
    try:
        return statements.get_statement(request.user, number)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None


def _dispute(request, dispute_id) -> StatementDispute:
    try:
        return statements.get_dispute(request.user, dispute_id)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None


def _messages(error: FieldErrors) -> list[str]:
    return [str(message) for messages_ in error.errors.values() for message in messages_]


def _detail_context(statement: Statement, **extra) -> dict:
    lines = statements.statement_lines(statement)
    disputes = statements.statement_disputes(statement)
    disputed = {line.pk for dispute in disputes for line in dispute.lines.all()}
    return {
        "statement": statement,
        "month": statements.month_label(statement.period_start),
        "books": statements.book_rows(statement),
        "entries": [line for line in lines if line.kind != statements.OPEN_INVOICE],
        "open_invoices": [line for line in lines if line.kind == statements.OPEN_INVOICE],
        "kind_labels": {line.kind: statements.kind_label(line.kind) for line in lines},
        "book_labels": dict(Book.choices),
        "disputes": disputes,
        "disputed_lines": disputed,
        "history": statements.status_history(statement),
        "errors": {},
        "chosen": set(),
        "comment": "",
        **extra,
    }


def _list_filters(request) -> dict:
    return exports.statement_filters(request.user, request.GET)


def _list_context(request, **extra) -> dict:
    filters = _list_filters(request)
    errors = {}
    try:
        rows = statements.statement_list(request.user, **filters)
    except FieldErrors as error:
        errors = {"month": _messages(error)}
        rows = statements.statement_list(request.user, partner=filters["partner"], status=filters["status"])
    except Forbidden:
        raise PermissionDenied from None
    page = paginate(request, rows, PAGE_SIZE)
    return {
        "page": page,
        "rows": page.object_list,
        "filters": filters,
        "filter_errors": errors,
        "partner_filter": partner_filter_form(request),
        "statuses": Statement.Status.choices,
        "default_month": statements.month_label(statements.last_full_month()),
        "generate_errors": [],
        **extra,
    }


# --- HQ -------------------------------------------------------------------------------------------


@require_GET
@hq_page("finance.view")
def statement_list_view(request):
    """/finance/statements/: statements in scope, by month, partner (code) and status."""
    if (download := list_exports.respond(request, exports.STATEMENTS)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    return render(request, "finance/statements/list.html", _list_context(request))


@require_POST
@hq_page("finance.manage")
def generate_view(request):
    """Finance generates a month for every partner with ledger entries: a job, whose page shows
    its progress."""
    try:
        job = statements.start_generation(user=request.user, month=request.POST.get("month"))
    except FieldErrors as error:
        context = _list_context(request, generate_errors=_messages(error), generate_month=request.POST.get("month"))
        return render(request, "finance/statements/list.html", context, status=422)
    except Forbidden:
        raise PermissionDenied from None
    return redirect("core:job", job_id=job.pk)


@require_GET
@hq_page("finance.view", partner_users="404")
def statement_detail_view(request, number):
    """/finance/statements/<number>/: lines, balances, disputes (finance resolves them), downloads."""
    statement = _statement(request, number)
    return render(
        request,
        "finance/statements/detail.html",
        _detail_context(
            statement,
            can_resolve=request.user.can("finance.manage"),
            can_rebuild=request.user.can("finance.manage") and statements.can_rebuild(statement),
        ),
    )


@require_POST
@hq_page("finance.manage", partner_users="404")
def rebuild_view(request, number):
    """Finance generates an issued, undisputed statement again from the ledger (a job); a
    confirmed, disputed or resolved one is never rebuilt."""
    statement = _statement(request, number)
    try:
        job = statements.start_generation(
            user=request.user, month=statement.period_start, partner_id=statement.partner_id
        )
    except (Conflict, FieldErrors) as error:
        messages.error(request, str(error.detail) if isinstance(error, Conflict) else " ".join(_messages(error)))
        return redirect("finance_statements:detail", number=statement.number)
    return redirect("core:job", job_id=job.pk)


@require_POST
@hq_page("finance.manage", partner_users="404")
def resolve_view(request, dispute_id):
    """Finance resolves a dispute: an adjustment (amount and book) or an explanation."""
    dispute = _dispute(request, dispute_id)
    statement = dispute.statement
    try:
        statements.resolve_dispute(
            dispute=dispute,
            actor=request.user,
            resolution=request.POST.get("resolution", ""),
            amount=request.POST.get("amount") or None,
            book=request.POST.get("book", ""),
        )
    except FieldErrors as error:
        context = _detail_context(statement, can_resolve=True, errors={dispute.pk: _messages(error)})
        return render(request, "finance/statements/detail.html", context, status=422)
    except Conflict as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The dispute is resolved."))
    return redirect("finance_statements:detail", number=statement.number)


# --- both sides -------------------------------------------------------------------------------------


@require_GET
@login_required
def download_view(request, number):
    """The statement as PDF or .xlsx (?format=pdf|xlsx), for anyone who may see it."""
    statement = _statement(request, number)
    kind = request.GET.get("format") or "pdf"
    if kind not in statements.CONTENT_TYPES:
        raise Http404
    content = statements.statement_pdf(statement) if kind == "pdf" else statements.statement_xlsx(statement)
    response = HttpResponse(content, content_type=statements.CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{statements.download_name(statement, kind)}"'
    return response


@require_GET
@login_required
def attachment_view(request, dispute_id):
    """A dispute's attachment, for anyone who may see its statement."""
    dispute = _dispute(request, dispute_id)
    return upload_response(dispute.attachment, f"{dispute.statement.number}-{dispute.pk}")


# --- portal -----------------------------------------------------------------------------------------


def _portal_context(request, **extra) -> dict:
    return {
        "partner": request.partner,
        "is_partner_admin": request.partner_admin,
        "is_distributor": request.partner.is_distributor,
        "section": "finance",
        **extra,
    }


@require_GET
@partner_portal
def portal_list_view(request):
    """/portal/finance/statements/: the partner's statements (a distributor's sub-dealers' too),
    newest month first."""
    status = request.GET.get("status") or ""
    try:
        rows = statements.statement_list(request.user, status=status)
    except Forbidden:
        raise PermissionDenied from None
    if (download := list_exports.respond(request, exports.PORTAL_STATEMENTS)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    page = paginate(request, rows, PAGE_SIZE)
    return render(
        request,
        "finance/statements/portal_list.html",
        _portal_context(request, page=page, rows=page.object_list, status=status, statuses=Statement.Status.choices),
    )


def _portal_detail(request, statement, status=200, **extra):
    can_act = request.partner_admin and statement.partner_id == request.partner.pk
    context = _portal_context(request, **_detail_context(statement, can_act=can_act, **extra))
    return render(request, "finance/statements/portal_detail.html", context, status=status)


@require_GET
@partner_portal
def portal_detail_view(request, number):
    """/portal/finance/statements/<number>/: balances, lines, confirm and dispute."""
    return _portal_detail(request, _statement(request, number))


@require_POST
@partner_portal
def portal_confirm_view(request, number):
    statement = _statement(request, number)
    try:
        statements.confirm_statement(statement=statement, actor=request.user)
    except Forbidden:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("Thank you: the statement is confirmed."))
    return redirect("finance_statements:portal_detail", number=statement.number)


@require_POST
@partner_portal
def portal_dispute_view(request, number):
    statement = _statement(request, number)
    try:
        statements.dispute_statement(
            statement=statement,
            line_ids=request.POST.getlist("lines"),
            comment=request.POST.get("comment", ""),
            attachment=request.FILES.get("attachment"),
            actor=request.user,
        )
    except Forbidden:
        raise PermissionDenied from None
    except FieldErrors as error:
        errors = {key: [str(message) for message in values] for key, values in error.errors.items()}
        return _portal_detail(
            request,
            statement,
            status=422,
            errors=errors,
            comment=request.POST.get("comment", ""),
            chosen={parse_id(value) for value in request.POST.getlist("lines")} - {None},
        )
    except Conflict as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("Your dispute is sent to finance."))
    return redirect("finance_statements:portal_detail", number=statement.number)
