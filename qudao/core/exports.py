"""Exporting a list page to .xlsx or .csv: one mechanism for every list (orders, invoices,
payments, stock, ...).

A list declares a `ListExport`: its columns (a translated header, a value function, a kind that
sets the cell's number format: money with two decimals and thousands separators, dates as dates)
and `rows(user, params)`, the same selector and filter parsing as the list page, so the file holds
exactly what the list shows, within the user's scope (the scoping rule). The list's view answers
`?format=xlsx` or `?format=csv` on its own URL with `respond(...)`:

- up to settings.EXPORT_INLINE_MAX_ROWS rows, the file is written at once and downloaded;
- above that, an export job (core.jobs, kind "core.export") writes it in a worker, reporting its
  progress, and the user is sent to the job's page, which ends with a download link.

Rows are read set-based: the declared `select_related`/`prefetch_related` and `iterator(chunk)`,
never a query per row. Files are written by core.spreadsheets (user text as text, never a
formula); a .csv starts with a UTF-8 byte order mark so that Excel reads Chinese text.
"""

from __future__ import annotations

import datetime
import importlib
import itertools
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from . import jobs
from .errors import NotFound
from .models import Job
from .spreadsheets import CsvFile, Spreadsheet

JOB_KIND = "core.export"
FORMATS = ("xlsx", "csv")
CHUNK = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
MESSAGE_WRITING = N_("Writing the file")
MESSAGE_READY = N_("The file is ready")

# number formats by column kind (Excel's codes; WPS and LibreOffice read them too)
NUMBER_FORMATS = {
    "money": "#,##0.00",
    "price": "#,##0.00##",
    "quantity": "#,##0",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
CENT = Decimal("0.01")

# Query parameters that are not filters (the page, the page size, the export's format, and which
# of a page's exports is asked for: ?export=shipments on the order list).
NOT_FILTERS = ("format", "export", "page", "per_page")


def price_value(value: Decimal) -> Decimal:
    """A unit price as written: at least two decimals, at most four, no trailing zeros beyond
    the cents (1200.0000 -> 1200.00, 1150.1230 -> 1150.123)."""
    value = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    while value.as_tuple().exponent < -2 and value == value.quantize(Decimal(10) ** (value.as_tuple().exponent + 1)):
        value = value.quantize(Decimal(10) ** (value.as_tuple().exponent + 1))
    return value


@dataclass(frozen=True)
class ExportColumn:
    """One column: its header (lazy, translated when written), the value of a row, and its kind:
    "text", "money" (Decimal, rounded half-up to cents), "price" (up to four decimals),
    "quantity", "number", "percent" (a fraction: 0.13 shows as 13.00%), "date" or "datetime"."""

    label: object  # a (lazy) text, or a function giving it (an import column's `label`)
    value: Callable[[object], object]
    kind: str = "text"

    def cell(self, row):
        value = self.value(row)
        if value is None or value == "":
            return None if self.kind != "text" else ""
        if self.kind == "money" and isinstance(value, Decimal):
            return value.quantize(CENT, rounding=ROUND_HALF_UP)
        if self.kind == "price" and isinstance(value, Decimal):
            return price_value(value)
        if self.kind == "datetime" and isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None, second=0, microsecond=0)
        if self.kind == "text" and not isinstance(value, str):
            return str(value)
        return value


@dataclass(frozen=True)
class ListExport:
    """The export of one list. `name` ("orders.hq") finds it again in a worker: the module
    `qudao.<app>.exports` declares it (`app` the part before the dot). `rows(user, params)` is
    the list's own selector with its own filter parsing (`params`: the query string as a dict
    of str); it must apply the scoping rule, as the list does."""

    name: str
    title: str  # the sheet's title and the file name's stem (lazy)
    file_stem: str  # the file name's stem ("orders"), ASCII
    columns: tuple[ExportColumn, ...]
    rows: Callable[[object, dict], Iterable]
    chunk: int = CHUNK
    # `batch(user, rows)`: the rows of one chunk as the user may read them (e.g. the stock ledger
    # blanks references to partners outside the user's scope), one set-based step per chunk
    batch: Callable[[object, list], list] | None = None
    # `count(user, params)`: the number of rows, when `rows` gives a generator (not a queryset)
    count: Callable[[object, dict], int] | None = None
    # the permission the list's page requires: checked again when a job writes the file later
    permission: str = ""

    def __post_init__(self):
        _EXPORTS[self.name] = self

    def headers(self) -> list[str]:
        return [str(column.label() if callable(column.label) else column.label) for column in self.columns]

    def values(self, row) -> list:
        return [column.cell(row) for column in self.columns]

    def formats(self) -> dict[int, str]:
        return {index: NUMBER_FORMATS[c.kind] for index, c in enumerate(self.columns) if c.kind in NUMBER_FORMATS}

    def file_name(self, file_format: str, now=None) -> str:
        now = timezone.localtime(now)
        return f"{self.file_stem}-{now:%Y%m%d-%H%M}.{file_format}"


_EXPORTS: dict[str, ListExport] = {}


def find_export(name: str) -> ListExport:
    """The export declared under `name`, importing its app's `exports` module if needed (a
    worker imports only the tasks modules)."""
    if name not in _EXPORTS:
        app = name.split(".", 1)[0]
        if not app.isidentifier():
            raise NotFound()
        try:
            importlib.import_module(f"qudao.{app}.exports")
        except ModuleNotFoundError:
            raise NotFound() from None
    try:
        return _EXPORTS[name]
    except KeyError:
        raise NotFound() from None


def filter_params(params) -> dict:
    """The filters of a list from its query string (a QueryDict or dict): every parameter but
    the page and the format, as str (JSON-able, so a job can run the same export later)."""
    return {key: str(params.get(key)) for key in params if key not in NOT_FILTERS}


def requested_format(request) -> str | None:
    """ "xlsx" or "csv" when the list is asked for a file (?format=), else None."""
    value = request.GET.get("format")
    return value if value in FORMATS else None


def requested_export(request, choices: dict, default: ListExport) -> ListExport:
    """Which of a page's exports is asked for (?export=<key of `choices`>), else `default`."""
    return choices.get(request.GET.get("export") or "", default)


def _iterate(export: ListExport, rows, user):
    source = rows.iterator(chunk_size=export.chunk) if isinstance(rows, QuerySet) else iter(rows)
    if export.batch is None:
        yield from source
        return
    while chunk := list(itertools.islice(source, export.chunk)):
        yield from export.batch(user, chunk)


def _count(export: ListExport, rows, user, filters: dict) -> int:
    if export.count is not None:
        return export.count(user, filters)
    if isinstance(rows, QuerySet):
        return rows.count()
    return len(rows)


def write(
    export: ListExport, rows, file_format: str, stream, *, user=None, progress: Callable[[int], None] | None = None
) -> int:
    """Write `rows` (a queryset or a list) as `file_format` to the binary `stream`, as `user` may
    read them; returns the number of rows. `progress(done)` is called after every chunk."""
    done = 0
    if file_format == "csv":
        import io

        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        writer = CsvFile(text)
        writer.append(export.headers())
        for row in _iterate(export, rows, user):
            writer.append(export.values(row))
            done += 1
            if progress and done % export.chunk == 0:
                progress(done)
        text.flush()
        text.detach()
    else:
        workbook = Spreadsheet(write_only=True)
        sheet = workbook.sheet(str(export.title))
        sheet.append(export.headers(), bold=True)
        formats = export.formats()
        for row in _iterate(export, rows, user):
            sheet.append(export.values(row), formats=formats)
            done += 1
            if progress and done % export.chunk == 0:
                progress(done)
        workbook.save(stream)
    return done


def content_type(file_format: str) -> str:
    return CSV_CONTENT_TYPE if file_format == "csv" else XLSX_CONTENT_TYPE


def inline_limit() -> int:
    return int(getattr(settings, "EXPORT_INLINE_MAX_ROWS", 5000))


def respond(request, export: ListExport, *, params=None, job_page: str = "core:job"):
    """The answer to a list asked for a file (`?format=xlsx|csv`), or None when it is not (the
    view then renders the list). Small lists download at once; bigger ones start an export job
    and redirect to its page (`job_page`: the URL name of that page, HQ or portal)."""
    file_format = requested_format(request)
    if file_format is None:
        return None
    filters = filter_params(params if params is not None else request.GET)
    rows = export.rows(request.user, filters)
    total = _count(export, rows, request.user, filters)
    if total > inline_limit():
        job = start_export(request.user, export, filters, file_format, total=total)
        return redirect(job_page, job.pk)
    stream = tempfile.TemporaryFile()
    write(export, rows, file_format, stream, user=request.user)
    stream.seek(0)
    return FileResponse(
        stream, as_attachment=True, filename=export.file_name(file_format), content_type=content_type(file_format)
    )


def start_export(user, export: ListExport, filters: dict, file_format: str, *, total: int = 0) -> Job:
    """An export job for `user` (who alone may see it and download its file)."""
    from .tasks import run_export

    job = jobs.create_job(kind=JOB_KIND, user=user, total=total)
    job.result = {"export": export.name, "format": file_format, "filters": filters}
    job.save(update_fields=["result"])
    jobs.run_task(run_export, job)
    job.refresh_from_db()
    return job


def run_export_job(job_id: int) -> Job | None:
    """The body of the export task: the same rows for the job's creator, written to a file kept
    under MEDIA_ROOT/exports/<job>/ (served only to that user, by `export_file`)."""
    from .imports import job_language

    def work(job: Job) -> dict:
        spec = dict(job.result or {})
        export = find_export(spec.get("export", ""))
        file_format = spec.get("format") if spec.get("format") in FORMATS else "xlsx"
        user = job.created_by
        if user is None or not user.is_active:
            raise jobs.JobFailed(N_("The user who asked for this export no longer exists."))
        if export.permission and not user.can(export.permission):
            raise jobs.JobFailed(N_("You may no longer see this list."))
        with translation.override(job_language(job)):
            filters = spec.get("filters") or {}
            rows = export.rows(user, filters)
            total = _count(export, rows, user, filters)
            jobs.advance(job.pk, 0, total=total, message=MESSAGE_WRITING)
            with tempfile.TemporaryFile() as stream:
                written = write(
                    export, rows, file_format, stream, user=user, progress=lambda done: jobs.advance(job.pk, done)
                )
                stream.seek(0)
                name = export.file_name(file_format)
                path = default_storage.save(f"exports/{job.pk}/{name}", File(stream, name=name))
        return spec | {"file": path, "file_name": name, "rows": written}

    return jobs.execute(job_id, work, success_message=MESSAGE_READY)


def export_job(user, job_id) -> Job:
    """The export job, for its creator (or an administrator). :raises NotFound: otherwise."""
    job = jobs.visible_job(user, job_id)
    if job.kind != JOB_KIND:
        raise NotFound()
    return job


def export_file(user, job_id) -> FileResponse:
    """The finished export job's file, as a download.

    :raises NotFound: no such job, not the user's, or not finished with a file.
    """
    job = export_job(user, job_id)
    path = (job.result or {}).get("file") if job.status == Job.Status.SUCCEEDED else None
    if not path or not path.startswith(f"exports/{job.pk}/") or not default_storage.exists(path):
        raise NotFound()
    name = (job.result or {}).get("file_name") or path.rsplit("/", 1)[-1]
    file_format = "csv" if name.endswith(".csv") else "xlsx"
    return FileResponse(
        default_storage.open(path, "rb"), as_attachment=True, filename=name, content_type=content_type(file_format)
    )


def job_summary(job: Job) -> str:
    """What a finished export holds, in a sentence."""
    if job.status != Job.Status.SUCCEEDED:
        return ""
    rows = (job.result or {}).get("rows", 0)
    return _("%(rows)s rows exported.") % {"rows": f"{rows:,}"}
