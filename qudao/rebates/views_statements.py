"""The rebate statement pages: the partner's own in the portal, any visible partner's for HQ; each
as a page, or downloaded with ?format=xlsx|pdf (qudao.rebates.statements)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qudao.core.errors import FieldErrors, NotFound
from qudao.core.pages import hq_page
from qudao.partners.scoping import get_visible_partner
from qudao.partners.views_portal import partner_portal

from . import statements

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def download(statement: statements.RebateStatement, file_format: str) -> HttpResponse:
    body = statements.statement_xlsx(statement) if file_format == "xlsx" else statements.statement_pdf(statement)
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_format])
    name = f"rebates-{statement.partner.code}-{statement.start:%Y%m%d}-{statement.end:%Y%m%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _page(request, partner, template: str, context: dict):
    """The statement of `partner` for the days asked (?from=&to=), as a page or a download."""
    try:
        start, end = statements.clean_span(request.GET.get("from"), request.GET.get("to"))
    except FieldErrors as error:
        return render(request, template, context | {"errors": error.errors, "form": request.GET}, status=422)
    statement = statements.rebate_statement(partner, start, end)
    file_format = request.GET.get("format", "")
    if file_format in CONTENT_TYPES:
        return download(statement, file_format)
    return render(
        request,
        template,
        context
        | {
            "statement": statement,
            "form": {"from": start.isoformat(), "to": end.isoformat()},
            "summary": statements.summary_rows(statement),
            "movements": [(entry, statements.movement_label(entry.kind)) for entry in statement.movements],
            "lines": [(line, statements.line_description(line)) for line in statement.lines],
        },
    )


@require_GET
@partner_portal
def portal_statement_view(request):
    partner = request.partner
    return _page(
        request,
        partner,
        "rebates/portal/statement.html",
        {
            "partner": partner,
            "is_partner_admin": request.partner_admin,
            "is_distributor": partner.is_distributor,
            "section": "rebates",
        },
    )


@require_GET
@hq_page("rebates.view", partner_users="404")
def statement_view(request, partner_id):
    try:
        partner = get_visible_partner(request.user, partner_id)
    except NotFound:
        raise Http404() from None
    return _page(request, partner, "rebates/statement.html", {"partner": partner})
