"""Price list items by file (.xlsx or .csv): a price list's prices, one row per SKU and quantity
break, previewed, then written all or nothing.

Columns (header in Chinese, Traditional Chinese, English or the key):
    sku* SKU编码, price* 价格, min_qty 起始数量 (the quantity the price applies from; 1 when empty)

A price list item has no dates of its own: the price list's validity applies to all its items.
`preview_import(user=, price_list=, upload=)` stores the file and checks every row in a job (kind
"pricing.import_preview"; nothing is written): an unknown SKU code, a price that is not an
amount (negative, more than 4 decimals, too large) or below the SKU's floor price, a quantity that
is not a whole number of at least 1, the same SKU and quantity twice in the file, and a cell that
starts with "=" (a formula, not a value: spreadsheet programs would compute it). `commit_import`
writes a preview without errors as a job (kind "pricing.import"): the file is checked again and
every row goes through `services.set_item` in ONE transaction, recorded in the price list's audit
trail; any error and nothing is written. Only a draft or rejected price list takes new prices
(services.EDITABLE). The lifecycle (upload checks, preview, commit once) is core.imports'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from qudao.core import jobs
from qudao.core.audit import acting_as, record_change
from qudao.core.errors import Conflict, FieldErrors, NotFound
from qudao.core.imports import FileImport, job_language, stored_file
from qudao.core.models import Job
from qudao.core.numbers import parse_digits
from qudao.core.tabular import Column, Parsed, Table, check_file, read_upload

from . import services
from .models import PriceList, PriceListItem

PREVIEW_KIND = "pricing.import_preview"
COMMIT_KIND = "pricing.import"
MAX_ROWS = 10000
MAX_QUANTITY = 1_000_000_000  # the pricing engine's ceiling for a quantity
MESSAGE_PREVIEWED = N_("Preview ready")
MESSAGE_HAS_ERRORS = N_("The file has errors. Nothing was imported.")
ROW = "row"

COLUMNS: tuple[Column, ...] = (
    Column("sku", "SKU编码", "SKU編碼", "SKU code", required=True),
    Column("price", "价格", "價格", "Price", required=True),
    Column("min_qty", "起始数量", "起始數量", "From quantity"),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}


def parse_file(name: str, content: bytes) -> Parsed:
    """:raises FieldErrors: on "file": unreadable, empty, a required column missing, too many rows."""
    return Table(COLUMNS, max_rows=MAX_ROWS).parse(name, content)


@dataclass(eq=False)
class RowPlan:
    number: int
    values: dict[str, str]
    sku_id: int | None = None
    sku_name: str = ""
    min_qty: int | None = None
    price: object = None  # Decimal
    current: object = None  # the price now, for this SKU and quantity, or None (a new break)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, column: str, message) -> None:
        messages = self.errors.setdefault(column, [])
        if str(message) not in messages:
            messages.append(str(message))


def _formula_cells(plan: RowPlan) -> None:
    for key, text in plan.values.items():
        if text.startswith("="):
            plan.add(key, _("This cell holds a formula (it starts with =). Enter the value itself."))


def analyse(parsed: Parsed, price_list: PriceList) -> list[RowPlan]:
    """Check every row against the catalogue, the floor prices and the rest of the file (nothing
    is written). A few queries for the whole file: the SKUs by code, the list's current items."""
    from qudao.catalog.models import Sku

    plans = [RowPlan(number=number, values=values) for number, values in parsed.rows]
    codes = {plan.values.get("sku", "") for plan in plans}
    skus = {sku.code: sku for sku in Sku.objects.filter(code__in=[code for code in codes if code])}
    current = {(item.sku_id, item.min_qty): item.price for item in price_list.items.all()}
    floors: dict[int, object] = {}
    seen: dict[tuple[int, int], int] = {}
    for plan in plans:
        for column, messages in parsed.cell_errors.get(plan.number, {}).items():
            for message in messages:
                plan.add(column, message)
        _formula_cells(plan)
        if plan.errors:
            continue
        code = plan.values.get("sku", "")
        sku = skus.get(code)
        if not code:
            plan.add("sku", _("Enter a SKU code."))
        elif sku is None:
            plan.add("sku", _("Unknown SKU code %(code)s.") % {"code": code})
        else:
            plan.sku_id, plan.sku_name = sku.pk, sku.name
        quantity_text = plan.values.get("min_qty", "") or "1"
        quantity = parse_digits(quantity_text)
        if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
            plan.add("min_qty", _("Enter a whole quantity of at least 1."))
        else:
            plan.min_qty = quantity
        errors = FieldErrors()
        if not plan.values.get("price", ""):
            errors.add("price", _("Enter a price."))
        else:
            plan.price = services._amount(plan.values["price"], "price", errors)  # the service's rule
        for message in errors.errors.get("price", []):
            plan.add("price", message)
        if plan.sku_id and plan.price is not None:
            if plan.sku_id not in floors:
                floors[plan.sku_id] = services.floor_for_period(
                    plan.sku_id, price_list.currency, price_list.valid_from, price_list.valid_to
                )
            floor = floors[plan.sku_id]
            if floor is not None and plan.price < floor:
                plan.add(
                    "price",
                    _("The price is below the floor price of %(floor)s for this SKU.") % {"floor": floor},
                )
        if plan.sku_id and plan.min_qty:
            key = (plan.sku_id, plan.min_qty)
            if key in seen:
                plan.add(
                    ROW,
                    _("The same SKU and quantity are on row %(row)s already: keep one of them.") % {"row": seen[key]},
                )
            else:
                seen[key] = plan.number
            plan.current = current.get(key)
    return plans


def preview_payload(parsed: Parsed, plans: list[RowPlan], price_list: PriceList) -> dict:
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    rows = []
    for plan in plans:
        if plan.current is None:
            action = "new"
        elif plan.price is not None and plan.price != plan.current:
            action = "change"
        else:
            action = "unchanged"
        if not plan.errors:
            counts["changed" if action == "change" else action] += 1
        rows.append(
            {
                "row": plan.number,
                "sku": plan.values.get("sku", ""),
                "sku_name": plan.sku_name,
                "min_qty": plan.min_qty,
                "price": str(plan.price) if plan.price is not None else plan.values.get("price", ""),
                "current": str(plan.current) if plan.current is not None else None,
                "action": action,
                "errors": plan.errors,
            }
        )
    error_count = sum(len(messages) for plan in plans for messages in plan.errors.values())
    return {
        "price_list": price_list.pk,
        "file_name": parsed.name,
        "columns": parsed.columns,
        "ignored_columns": parsed.ignored_columns,
        "total_rows": len(plans),
        "counts": counts,
        "error_count": error_count,
        "can_commit": error_count == 0,
        "rows": rows,
    }


def _editable(price_list: PriceList) -> None:
    """:raises FieldErrors: on "file" when the price list cannot take new prices."""
    if price_list.status not in services.EDITABLE:
        message = _("Only a draft or rejected price list can change its prices; create a new list instead.")
        raise FieldErrors({"file": [message]}, detail=message)


def _price_list_of(job: Job) -> PriceList:
    price_list_id = (job.result or {}).get("price_list")
    price_list = PriceList.objects.filter(pk=price_list_id).first() if price_list_id else None
    if price_list is None:
        raise NotFound()
    return price_list


@dataclass(frozen=True)
class PriceListImport(FileImport):
    """A FileImport into one price list: the job carries the price list's id from the upload on."""

    def preview_into(self, *, user, price_list: PriceList, upload) -> Job:
        """Store an uploaded file for `price_list` and start its preview job.

        :raises Forbidden: the user may not manage prices.
        :raises FieldErrors: on "file" (the file cannot be imported at all, or the price list
            takes no new prices)."""
        self.require_permission(user)
        _editable(price_list)
        name, content = read_upload(upload)
        check_file(name, content)
        job = jobs.create_job(kind=self.preview_kind, user=user, input_file=ContentFile(content, name=name))
        job.result = {"price_list": price_list.pk}
        job.save(update_fields=["result"])
        jobs.run_task(self.preview_task(), job)
        job.refresh_from_db()
        error = job.error or {}
        if job.status == Job.Status.FAILED and error.get("errors", {}).get("file"):
            raise FieldErrors(error["errors"], detail=error.get("detail"))
        return job

    def _preview_work(self, job: Job) -> dict:
        with translation.override(job_language(job)):
            price_list = _price_list_of(job)
            _editable(price_list)
            parsed = self.parse(*stored_file(job))
            jobs.advance(job.pk, 0, total=len(parsed.rows))
            return preview_payload(parsed, analyse(parsed, price_list), price_list)


IMPORT = PriceListImport(
    preview_kind=PREVIEW_KIND,
    commit_kind=COMMIT_KIND,
    permission="pricing.manage",
    refusal=N_("You are not allowed to change prices."),
    columns=COLUMNS,
    parse=lambda name, content: parse_file(name, content),
    check=lambda parsed: {},  # unused: the preview needs the price list (PriceListImport._preview_work)
    task=lambda: import_module(f"{__package__}.tasks").commit_price_list_import,
    preview_task=lambda: import_module(f"{__package__}.tasks").preview_price_list_import,
    previewed_message=MESSAGE_PREVIEWED,
)
require_import_permission = IMPORT.require_permission
preview_import = IMPORT.preview_into
run_preview = IMPORT.run_preview
commit_import = IMPORT.commit
flat_errors = IMPORT.flat_errors
commit_job_of = jobs.commit_job_of
can_commit = jobs.can_commit


def get_preview(user, preview_id, price_list: PriceList | None = None) -> Job:
    """The preview job, for its creator or an administrator, of `price_list` when given.

    :raises NotFound: otherwise."""
    job = IMPORT.get_preview(user, preview_id)
    if price_list is not None and (job.result or {}).get("price_list") != price_list.pk:
        raise NotFound()
    return job


def commit_succeeded_message(job: Job) -> str:
    result = job.result or {}
    return _("%(rows)s prices imported: %(new)s new, %(changed)s changed.") % {
        "rows": result.get("total_rows", 0),
        "new": result.get("new", 0),
        "changed": result.get("changed", 0),
    }


def _commit_work(job: Job) -> dict:
    user = job.created_by
    with translation.override(job_language(job)):
        require_import_permission(user)
        preview_id = (job.result or {}).get("preview_id")
        preview = Job.objects.get(pk=preview_id)
        price_list = _price_list_of(preview)
        parsed = parse_file(*stored_file(job))
        try:
            with transaction.atomic():
                locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
                _editable(locked)
                plans = analyse(parsed, locked)
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
                before = locked.items.count()
                with acting_as(user):
                    for done, plan in enumerate(plans, start=1):
                        services.set_item(
                            price_list=locked,
                            data={"sku": plan.sku_id, "min_qty": plan.min_qty, "price": plan.price},
                            actor=user,
                        )
                        if done % 500 == 0:
                            jobs.advance(job.pk, done)
                    new = sum(1 for plan in plans if plan.current is None)
                    changed = sum(1 for plan in plans if plan.current is not None and plan.current != plan.price)
                    record_change(
                        locked,
                        "update",
                        {"items": before},
                        {"items": PriceListItem.objects.filter(price_list=locked).count()},
                        message=_("Prices imported from %(file)s: %(new)s new, %(changed)s changed.")
                        % {"file": parsed.name, "new": new, "changed": changed},
                    )
        except Conflict as error:
            raise jobs.JobFailed(str(error.detail), {"detail": str(error.detail), "code": "conflict"}) from None
        except FieldErrors as error:  # the file's whole (the list is no longer editable)
            raise jobs.JobFailed(str(error.detail), jobs.error_body(error)) from None
    return {
        "preview_id": preview_id,
        "price_list": price_list.pk,
        "total_rows": len(plans),
        "new": new,
        "changed": changed,
    }


def run_commit(job_id: int) -> Job | None:
    return jobs.execute(job_id, _commit_work)


def import_template() -> bytes:
    """An empty import workbook: the header row in the user's language, and a sheet that explains
    every column with an example."""
    from qudao.core.spreadsheets import Spreadsheet

    descriptions = {
        "sku": _("Required. The SKU's code, as in the catalogue."),
        "price": _("Required. The unit price in the price list's currency, at most 4 decimals, e.g. 1299.00."),
        "min_qty": _("Optional. The quantity this price applies from (a quantity break); 1 when empty."),
    }
    examples = {"sku": "HOOD-A", "price": "1299.00", "min_qty": "1"}
    workbook = Spreadsheet()
    sheet = workbook.sheet(_("Prices"))
    sheet.append([column.label() for column in COLUMNS], bold=True)
    sheet.widths([18, 14, 14])
    guide = workbook.sheet(_("Instructions"))
    guide.append([_("Column"), _("Key"), _("Required"), _("What to enter"), _("Example")], bold=True)
    for column in COLUMNS:
        guide.append(
            [
                column.label(),
                column.key,
                _("yes") if column.required else "",
                descriptions[column.key],
                examples[column.key],
            ]
        )
    guide.widths([14, 10, 10, 80, 16])
    return workbook.to_bytes()
