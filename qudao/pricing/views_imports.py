"""Pages of a price list's item import (upload, preview, commit, the template) and of the price
list exports. They parse, authorise, call pricing.importing / core.import_pages, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qudao.core import import_pages, jobs
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.exports import XLSX_CONTENT_TYPE
from qudao.core.pages import hq_page

from . import importing, services
from .visibility import visible_price_lists

ACTION_LABELS = {
    "new": gettext_lazy("New"),
    "change": gettext_lazy("Changed"),
    "unchanged": gettext_lazy("Unchanged"),
}


def _price_list(request, price_list_id):
    return get_object_or_404(visible_price_lists(request.user), pk=price_list_id)


def _require_manage(request) -> None:
    if not request.user.can("pricing.manage"):
        raise PermissionDenied()


@hq_page("pricing.view")
@require_http_methods(["GET", "POST"])
def import_upload_view(request, price_list_id):
    """GET: the upload form with the columns; POST: store the file and check it (a job), then its
    preview."""
    price_list = _price_list(request, price_list_id)
    _require_manage(request)
    errors, status = [], 200
    if request.method == "POST":
        try:
            job = importing.preview_import(user=request.user, price_list=price_list, upload=request.FILES.get("file"))
        except FieldErrors as error:
            errors = [str(message) for messages_ in error.errors.values() for message in messages_]
            status = 422
        except Forbidden:
            raise PermissionDenied() from None
        else:
            return redirect("pricing:import_preview", price_list.pk, job.pk)
    return render(
        request,
        "pricing/import_upload.html",
        {
            "price_list": price_list,
            "editable": price_list.status in services.EDITABLE,
            "errors": errors,
            "columns": importing.COLUMNS,
            "max_rows": importing.MAX_ROWS,
            "tab": "lists",
        },
        status=status,
    )


@hq_page("pricing.view", partner_users="404")
@require_GET
def import_preview_view(request, price_list_id, preview_id):
    price_list = _price_list(request, price_list_id)
    _require_manage(request)
    try:
        importing.get_preview(request.user, preview_id, price_list)
    except NotFound:
        raise Http404() from None
    return import_pages.preview(
        request,
        importing,
        preview_id,
        template="pricing/import_preview.html",
        row_extra=lambda row: {"action_label": ACTION_LABELS.get(row["action"], row["action"])},
        context={"price_list": price_list, "tab": "lists"},
    )


@hq_page("pricing.view", partner_users="404")
@require_POST
def import_commit_view(request, price_list_id, preview_id):
    """Write a previewed file, all or nothing; back to the price list with what happened."""
    price_list = _price_list(request, price_list_id)
    _require_manage(request)
    try:
        importing.get_preview(request.user, preview_id, price_list)
        job = importing.commit_import(user=request.user, preview_id=preview_id)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None
    except (FieldErrors, Conflict) as error:
        messages.error(request, str(error.detail))
        return redirect("pricing:import_preview", price_list.pk, preview_id)
    if job.status == job.Status.SUCCEEDED:
        messages.success(request, importing.commit_succeeded_message(job))
        return redirect("pricing:price_list", price_list.pk)
    if job.status == job.Status.FAILED:
        messages.error(request, jobs.display_message(job))
    else:
        messages.info(request, _("The import is running. Reload this page to see its outcome."))
    return redirect("pricing:import_preview", price_list.pk, preview_id)


@hq_page("pricing.view")
@require_GET
def import_template_view(request):
    _require_manage(request)
    response = HttpResponse(importing.import_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="price-list-import-template.xlsx"'
    return response
