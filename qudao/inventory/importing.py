"""Stock counts by file (.xlsx or .csv) for brands without an ERP connection: one row per SKU and
warehouse, setting on hand to the counted quantity (and the safety stock, where given).

Columns (header in Chinese, Traditional Chinese, English or the key):
    warehouse_code* 仓库编码, sku_code* SKU编码, on_hand* 在库数量, safety_stock 安全库存

`preview_import` checks every row (nothing is written) and stores the preview as a job (kind
"inventory.import_preview"); `commit_import` writes a preview without errors as a job (kind
"inventory.import"): the file is checked again and written through `services.set_counts` in ONE
transaction, as "adjustment" ledger entries with the reference IMPORT-<job id>. Any error and
nothing is written. The lifecycle (preview, commit once, all or nothing) is core.jobs'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from qudao.core import jobs
from qudao.core.audit import acting_as
from qudao.core.errors import FieldErrors
from qudao.core.imports import FileImport
from qudao.core.models import Job
from qudao.core.tabular import Column, Parsed, Table

from . import services
from .models import StockEntry, StockLevel

PREVIEW_KIND = "inventory.import_preview"
COMMIT_KIND = "inventory.import"
MAX_ROWS = 10000
MESSAGE_PREVIEWED = N_("Preview ready")
MESSAGE_HAS_ERRORS = N_("The file has errors. Nothing was imported.")
IMPORT_NOTE = N_("Stock import")
ROW = "row"

COLUMNS: tuple[Column, ...] = (
    Column("warehouse_code", "仓库编码", "倉庫編碼", "Warehouse code", required=True),
    Column("sku_code", "SKU编码", "SKU編碼", "SKU code", required=True),
    Column("on_hand", "在库数量", "在庫數量", "On hand", required=True),
    Column("safety_stock", "安全库存", "安全庫存", "Safety stock"),
)
# service field -> column
FIELD_COLUMNS = {"warehouse": "warehouse_code", "sku": "sku_code", "on_hand": "on_hand", "safety_stock": "safety_stock"}


def parse_file(name: str, content: bytes) -> Parsed:
    """:raises FieldErrors: on "file": unreadable, empty, a required column missing, too many rows."""
    return Table(COLUMNS, max_rows=MAX_ROWS).parse(name, content)


@dataclass(eq=False)
class RowPlan:
    number: int
    values: dict[str, str]
    row: services.CountRow
    current: int | None = None
    reserved: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, column: str, message) -> None:
        messages = self.errors.setdefault(column, [])
        if str(message) not in messages:  # the text rule is checked by the file and the service alike
            messages.append(str(message))


def _count_rows(parsed: Parsed) -> list[services.CountRow]:
    return [
        services.CountRow(
            key=str(number),
            warehouse=values.get("warehouse_code", ""),
            sku=values.get("sku_code", ""),
            on_hand=values.get("on_hand", ""),
            safety_stock=values.get("safety_stock") or None,
        )
        for number, values in parsed.rows
    ]


def _add_errors(plans: dict[str, RowPlan], error: FieldErrors) -> None:
    for key, messages in error.errors.items():
        number, _dot, name = key.partition(".")
        plan = plans.get(number)
        if plan is None:
            continue
        for message in messages:
            plan.add(FIELD_COLUMNS.get(name, ROW), message)


def analyse(parsed: Parsed) -> list[RowPlan]:
    """Check every row against the database and the rest of the file (nothing is written)."""
    rows = _count_rows(parsed)
    plans = {
        row.key: RowPlan(number=int(row.key), values=values, row=row)
        for row, (_n, values) in zip(rows, parsed.rows, strict=True)
    }
    for plan in plans.values():
        for column, messages in parsed.cell_errors.get(plan.number, {}).items():
            for message in messages:
                plan.add(column, message)
    errors = FieldErrors()
    services.check_count_rows(rows, versioned=False, errors=errors)
    _add_errors(plans, errors)
    resolved = [row for row in rows if row.sku_id and row.warehouse_id]
    levels = {
        (level.sku_id, level.warehouse_id): level
        for level in StockLevel.objects.filter(
            sku_id__in={row.sku_id for row in resolved}, warehouse_id__in={row.warehouse_id for row in resolved}
        )
    }
    for row in resolved:
        plan = plans[row.key]
        level = levels.get((row.sku_id, row.warehouse_id))
        plan.current = level.on_hand if level else None
        plan.reserved = level.reserved if level else 0
        if row.quantity is not None and row.quantity < plan.reserved:
            plan.add(
                "on_hand",
                _("%(reserved)s units are reserved here; on hand cannot be less.") % {"reserved": plan.reserved},
            )
    return list(plans.values())


def preview_payload(parsed: Parsed, plans: list[RowPlan]) -> dict:
    counts = {"changed": 0, "unchanged": 0, "new": 0}
    rows = []
    for plan in plans:
        quantity = plan.row.quantity
        if plan.current is None:
            action = "new"
        elif quantity is not None and quantity != plan.current:
            action = "change"
        else:
            action = "unchanged"
        if not plan.errors:
            counts["changed" if action == "change" else action] += 1
        rows.append(
            {
                "row": plan.number,
                "warehouse_code": plan.values.get("warehouse_code", ""),
                "sku_code": plan.values.get("sku_code", ""),
                "on_hand": quantity,
                "current": plan.current,
                "delta": (quantity - (plan.current or 0)) if quantity is not None else None,
                "reserved": plan.reserved,
                "safety_stock": plan.row.safety,
                "action": action,
                "errors": plan.errors,
            }
        )
    error_count = sum(len(messages) for plan in plans for messages in plan.errors.values())
    return {
        "file_name": parsed.name,
        "columns": parsed.columns,
        "ignored_columns": parsed.ignored_columns,
        "total_rows": len(plans),
        "counts": counts,
        "error_count": error_count,
        "can_commit": error_count == 0,
        "rows": rows,
    }


IMPORT = FileImport(
    preview_kind=PREVIEW_KIND,
    commit_kind=COMMIT_KIND,
    permission="inventory.manage",
    refusal=N_("You are not allowed to import stock."),
    columns=COLUMNS,
    parse=lambda name, content: parse_file(name, content),
    check=lambda parsed: preview_payload(parsed, analyse(parsed)),
    task=lambda: import_module(f"{__package__}.tasks").commit_stock_import,
    preview_task=lambda: import_module(f"{__package__}.tasks").preview_stock_import,
    previewed_message=MESSAGE_PREVIEWED,
)
require_import_permission = IMPORT.require_permission
preview_import = IMPORT.preview
run_preview = IMPORT.run_preview
get_preview = IMPORT.get_preview
commit_import = IMPORT.commit
flat_errors = IMPORT.flat_errors
commit_job_of = jobs.commit_job_of
can_commit = jobs.can_commit


def _commit_work(job: Job) -> dict:
    user = job.created_by
    language = (getattr(user, "language", "") or translation.get_language()) if user else translation.get_language()
    with translation.override(language):
        require_import_permission(user)
        preview_id = (job.result or {}).get("preview_id")
        with job.input_file.open("rb") as stored:
            parsed = parse_file(job.input_file.name.rsplit("/", 1)[-1], stored.read())
        plans = analyse(parsed)
        bad = [plan for plan in plans if plan.errors]
        if not bad:
            try:
                with acting_as(user):
                    results = services.set_counts(
                        [plan.row for plan in plans],
                        kind=StockEntry.Kind.ADJUSTMENT,
                        reference=f"IMPORT-{job.pk}",
                        note=_(IMPORT_NOTE),
                        versioned=False,
                        actor=user,
                    )
            except FieldErrors as error:  # the stock changed since the check (an order reserved)
                by_key = {str(plan.number): plan for plan in plans}
                _add_errors(by_key, error)
                bad = [plan for plan in plans if plan.errors]
        if bad:
            raise jobs.JobFailed(
                MESSAGE_HAS_ERRORS,
                {
                    "detail": _(MESSAGE_HAS_ERRORS),
                    "code": "invalid",
                    "preview_id": preview_id,
                    "rows": [{"row": plan.number, "errors": plan.errors} for plan in bad],
                },
            )
    changed = sum(1 for result in results if result["delta"])
    return {"preview_id": preview_id, "total_rows": len(plans), "changed": changed, "reference": f"IMPORT-{job.pk}"}


def run_commit(job_id: int) -> Job | None:
    return jobs.execute(job_id, _commit_work)
