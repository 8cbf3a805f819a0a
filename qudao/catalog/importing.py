"""Import and export of products and SKUs as .xlsx (or .csv): one row per SKU, the product's
columns repeated on each of its SKU rows.

Columns (header in Chinese, Traditional Chinese, English or the key):
    product_code* 产品编码, product_name 产品名称, product_line 产品线 (code or name), base_unit 基本单位,
    tax_rate 税率, product_lifecycle 产品状态, sku_code* SKU编码, sku_name SKU名称, barcode 条码,
    specification 规格 ("颜色=银色; 容量=5L"), cost_price 成本价, min_order_qty 起订量,
    order_multiple 订货倍数, lifecycle SKU状态
A product or SKU found by its code is updated (only the columns present); otherwise it is created,
and then its name and (for a product) its product line are required.

`preview_import` checks every row through the catalog services' own validation (nothing is
written) and stores the preview as a job (kind "catalog.import_preview"), like the partner import.
`commit_import` writes a preview without errors as a job (kind "catalog.import"): the file is
checked again and written in ONE transaction; any error and nothing is written.
The export writes the same columns (cost price only for those who may see it), so an exported file
can be edited and imported again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from qudao.core import jobs
from qudao.core.audit import acting_as
from qudao.core.display import percent_text
from qudao.core.errors import DomainError, FieldErrors, Forbidden
from qudao.core.imports import FileImport
from qudao.core.models import Job
from qudao.core.spreadsheets import Spreadsheet
from qudao.core.tabular import Column, Parsed, Table

from . import selectors, services
from .models import Product, ProductLine, Sku

PREVIEW_KIND = "catalog.import_preview"
COMMIT_KIND = "catalog.import"
MAX_ROWS = 5000
MESSAGE_PREVIEWED = N_("Preview ready")
MESSAGE_HAS_ERRORS = N_("The file has errors. Nothing was imported.")
MESSAGE_ROW_FAILED = N_("A row could not be written. Nothing was imported.")
ROW = "row"

COLUMNS: tuple[Column, ...] = (
    Column("product_code", "产品编码", "產品編碼", "Product code", required=True),
    Column("product_name", "产品名称", "產品名稱", "Product name"),
    Column("product_line", "产品线", "產品線", "Product line"),
    Column("base_unit", "基本单位", "基本單位", "Base unit"),
    Column("tax_rate", "税率", "稅率", "Tax rate"),
    Column("product_lifecycle", "产品状态", "產品狀態", "Product lifecycle"),
    Column("sku_code", "SKU编码", "SKU編碼", "SKU code", required=True),
    Column("sku_name", "SKU名称", "SKU名稱", "SKU name"),
    Column("barcode", "条码", "條碼", "Barcode"),
    Column("specification", "规格", "規格", "Specification"),
    Column("cost_price", "成本价", "成本價", "Cost price"),
    Column("min_order_qty", "起订量", "起訂量", "Minimum order quantity"),
    Column("order_multiple", "订货倍数", "訂貨倍數", "Order multiple"),
    Column("lifecycle", "SKU状态", "SKU狀態", "SKU lifecycle"),
)
# product service field -> column; SKU service field -> column
PRODUCT_FIELDS = {
    "code": "product_code",
    "name": "product_name",
    "product_line": "product_line",
    "base_unit": "base_unit",
    "tax_rate": "tax_rate",
    "lifecycle": "product_lifecycle",
}
SKU_FIELDS = {
    "code": "sku_code",
    "name": "sku_name",
    "barcode": "barcode",
    "attributes": "specification",
    "cost_price": "cost_price",
    "min_order_qty": "min_order_qty",
    "order_multiple": "order_multiple",
    "lifecycle": "lifecycle",
}
_LIFECYCLE_WORDS = {"草稿": "draft", "在售": "on_sale", "停售": "discontinued", "已停售": "discontinued"}


def parse_file(name: str, content: bytes) -> Parsed:
    """:raises FieldErrors: on "file": unreadable, empty, a required column missing, too many rows."""
    return Table(COLUMNS, max_rows=MAX_ROWS).parse(name, content)


def _specification(text: str) -> dict | None:
    """ "颜色=银色; 容量=5L" -> {"颜色": "银色", "容量": "5L"}; None if malformed."""
    attributes = {}
    for part in text.replace("；", ";").split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            return None
        name, value = part.split("=", 1)
        attributes[name.strip()] = value.strip()
    return attributes


def _lifecycle(text: str) -> str:
    return _LIFECYCLE_WORDS.get(text.strip(), text.strip())


@dataclass(eq=False)
class RowPlan:
    number: int
    values: dict[str, str]
    product_action: str = "unchanged"
    sku_action: str = "unchanged"
    product_data: dict = field(default_factory=dict)
    sku_data: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, column: str, message) -> None:
        messages = self.errors.setdefault(column, [])
        if str(message) not in messages:  # the text rule is checked by the file and the service alike
            messages.append(str(message))

    def add_field_errors(self, error: FieldErrors, mapping: dict[str, str]) -> None:
        for name, messages in error.errors.items():
            for message in messages:
                self.add(mapping.get(name, ROW), message)


def _product_data(values: dict[str, str], present: set[str]) -> dict:
    data = {}
    for name, column in PRODUCT_FIELDS.items():
        if column in present and (values.get(column) or name == "code"):
            text = values.get(column, "")
            if name == "lifecycle":
                text = _lifecycle(text)
            elif name == "tax_rate":
                text = _tax_rate(text)
            data[name] = text
    return data


def _tax_rate(text: str) -> str:
    """A tax rate as people write it ("13%", as the export writes it, or 13) to the stored fraction
    ("0.13"); a number up to 1 is taken as a fraction already (files written before: "0.13").
    Anything else goes to the service as it is, which refuses it at its cell."""
    value = str(text).strip()
    percent = value.endswith("%")
    try:
        number = Decimal(value.rstrip("%").strip())
    except ArithmeticError:
        return value
    if not number.is_finite():
        return value
    if percent or number > 1:
        return format((number / 100).normalize(), "f")
    return value


def _sku_data(values: dict[str, str], present: set[str], plan: RowPlan) -> dict:
    data = {}
    for name, column in SKU_FIELDS.items():
        if column not in present:
            continue
        text = values.get(column, "")
        if name == "attributes":
            attributes = _specification(text)
            if attributes is None:
                plan.add(column, _('Write the specification as name=value pairs separated by ";", e.g. 颜色=银色.'))
            else:
                data[name] = attributes
        elif name == "lifecycle":
            if text:
                data[name] = _lifecycle(text)
        elif name == "barcode":
            data[name] = text or None
        elif name == "cost_price":
            data[name] = text or None
        elif text or name == "code":
            data[name] = text
    return data


def _differs(instance, data: dict) -> bool:
    for name, value in data.items():
        current = getattr(instance, name)
        if name == "product_line":
            current = instance.product_line
            if value not in (current.code, current.name, str(current.pk)):
                return True
        elif name in ("tax_rate", "cost_price"):
            if (current is None) != (value in (None, "")):
                return True
            if current is not None and value not in (None, ""):
                try:
                    if Decimal(str(value)) != current:
                        return True
                except ArithmeticError:
                    return True
        elif name in ("min_order_qty", "order_multiple"):
            if str(current) != str(value).strip():
                return True
        elif current != value:
            return True
    return False


def _line_name_to_code(data: dict) -> None:
    """A product line given by name becomes its code (the services accept code or id)."""
    text = data.get("product_line")
    if text and not ProductLine.objects.filter(code=text).exists():
        line = ProductLine.objects.filter(name=text).order_by("depth", "pk").first()
        if line is not None:
            data["product_line"] = line.code


def analyse(parsed: Parsed) -> list[RowPlan]:
    """Check every row against the database and the rest of the file (nothing is written)."""
    present = set(parsed.columns)
    plans = [RowPlan(number=number, values=values) for number, values in parsed.rows]
    for plan in plans:
        for column, messages in parsed.cell_errors.get(plan.number, {}).items():
            for message in messages:
                plan.add(column, message)
    products = {
        p.code: p
        for p in Product.objects.select_related("product_line").filter(
            code__in={plan.values.get("product_code", "") for plan in plans}
        )
    }
    skus = {
        s.code: s
        for s in Sku.objects.select_related("product").filter(
            code__in={plan.values.get("sku_code", "") for plan in plans}
        )
    }
    first_row_of_product: dict[str, RowPlan] = {}
    seen_skus: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    for plan in plans:
        values = plan.values
        product_code = values.get("product_code", "")
        sku_code = values.get("sku_code", "")
        if not product_code:
            plan.add("product_code", _("This field is required."))
        if not sku_code:
            plan.add("sku_code", _("This field is required."))
        if sku_code in seen_skus:
            plan.add("sku_code", _("This SKU is also in row %(row)s.") % {"row": seen_skus[sku_code]})
        seen_skus.setdefault(sku_code, plan.number)
        barcode = values.get("barcode", "")
        if barcode and barcode in seen_barcodes:
            plan.add("barcode", _("This barcode is also in row %(row)s.") % {"row": seen_barcodes[barcode]})
        if barcode:
            seen_barcodes.setdefault(barcode, plan.number)
        if plan.errors:
            continue
        # the product: checked on its first row; later rows of it must not contradict it
        product = products.get(product_code)
        product_data = _product_data(values, present)
        _line_name_to_code(product_data)
        first = first_row_of_product.get(product_code)
        if first is not None:
            for name, column in PRODUCT_FIELDS.items():
                if name in product_data and first.values.get(column) != values.get(column):
                    plan.add(column, _("This differs from row %(row)s of the same product.") % {"row": first.number})
            plan.product_action = "same"
        else:
            first_row_of_product[product_code] = plan
            try:
                if product is None:
                    services._clean_product(product_data)
                    plan.product_action = "create"
                else:
                    services._clean_product(product_data, instance=product)
                    plan.product_action = "update" if _differs(product, product_data) else "unchanged"
            except FieldErrors as error:
                plan.add_field_errors(error, PRODUCT_FIELDS)
            plan.product_data = product_data
        # the SKU
        sku = skus.get(sku_code)
        sku_data = _sku_data(values, present, plan)
        if sku is not None and sku.product.code != product_code:
            plan.add("sku_code", _("This SKU belongs to product %(code)s.") % {"code": sku.product.code})
        try:
            if sku is None:
                placeholder = product or Product(code=product_code)
                services._clean_sku(sku_data | {"product": placeholder})
                plan.sku_action = "create"
            else:
                services._clean_sku(sku_data, instance=sku)
                plan.sku_action = "update" if _differs(sku, sku_data) else "unchanged"
        except FieldErrors as error:
            plan.add_field_errors(error, SKU_FIELDS | {"product": "product_code"})
        plan.sku_data = sku_data
    return plans


def preview_payload(parsed: Parsed, plans: list[RowPlan]) -> dict:
    counts = {"products_created": 0, "products_updated": 0, "skus_created": 0, "skus_updated": 0, "unchanged": 0}
    rows = []
    for plan in plans:
        if plan.product_action == "create":
            counts["products_created"] += 1
        elif plan.product_action == "update":
            counts["products_updated"] += 1
        if plan.sku_action == "create":
            counts["skus_created"] += 1
        elif plan.sku_action == "update":
            counts["skus_updated"] += 1
        elif plan.product_action in ("unchanged", "same"):
            counts["unchanged"] += 1
        rows.append(
            {
                "row": plan.number,
                "product_code": plan.values.get("product_code", ""),
                "sku_code": plan.values.get("sku_code", ""),
                "product_action": plan.product_action,
                "sku_action": plan.sku_action,
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
    permission="catalog.manage",
    refusal=N_("You are not allowed to import products."),
    columns=COLUMNS,
    parse=lambda name, content: parse_file(name, content),
    check=lambda parsed: preview_payload(parsed, analyse(parsed)),
    task=lambda: import_module(f"{__package__}.tasks").commit_catalog_import,
    preview_task=lambda: import_module(f"{__package__}.tasks").preview_catalog_import,
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


class RowFailed(Exception):
    def __init__(self, plan: RowPlan):
        super().__init__(f"row {plan.number}")
        self.plan = plan


def apply(plans: list[RowPlan], *, user) -> dict:
    """Write every row through the services in ONE transaction. :raises RowFailed: nothing written."""
    counts = {"products_created": 0, "products_updated": 0, "skus_created": 0, "skus_updated": 0}
    with acting_as(user), transaction.atomic():
        for plan in plans:
            try:
                product = Product.objects.filter(code=plan.values["product_code"]).first()
                if plan.product_action == "create":
                    product = services.create_product(data=plan.product_data)
                    counts["products_created"] += 1
                elif plan.product_action == "update":
                    data = {k: v for k, v in plan.product_data.items() if k != "code"}
                    product = services.update_product(product=product, data=data)
                    counts["products_updated"] += 1
                if plan.sku_action == "create":
                    services.create_sku(data=plan.sku_data | {"product": product})
                    counts["skus_created"] += 1
                elif plan.sku_action == "update":
                    sku = Sku.objects.get(code=plan.values["sku_code"])
                    data = {k: v for k, v in plan.sku_data.items() if k != "code"}
                    services.update_sku(sku=sku, data=data)
                    counts["skus_updated"] += 1
            except FieldErrors as error:
                plan.add_field_errors(error, SKU_FIELDS)
                raise RowFailed(plan) from None
            except DomainError as error:
                plan.add(ROW, error.detail)
                raise RowFailed(plan) from None
            except IntegrityError:
                plan.add(ROW, _("Another change got in the way of this row. Import the file again."))
                raise RowFailed(plan) from None
    return counts


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
        try:
            counts = apply(plans, user=user)
        except RowFailed as failure:
            raise jobs.JobFailed(
                MESSAGE_ROW_FAILED,
                {
                    "detail": _(MESSAGE_ROW_FAILED),
                    "code": "row_failed",
                    "preview_id": preview_id,
                    "rows": [{"row": failure.plan.number, "errors": failure.plan.errors}],
                },
            ) from None
    return {"preview_id": preview_id, "total_rows": len(plans), **counts}


def run_commit(job_id: int) -> Job | None:
    return jobs.execute(job_id, _commit_work)


# --- export ----------------------------------------------------------------------------------


def export_catalog(user, filters: dict | None = None) -> io.BytesIO:
    """Products and SKUs (with the filters of the SKU list) as an .xlsx workbook, in the import's
    columns; the cost price only for those who may see it. Texts are text, never formulas
    (core.spreadsheets).

    :raises Forbidden: the user may not read the catalog."""
    if not (getattr(user, "is_authenticated", False) and user.can("catalog.view")):
        raise Forbidden()
    with_cost = selectors.can_see_cost(user)
    columns = [column for column in COLUMNS if with_cost or column.key != "cost_price"]
    workbook = Spreadsheet(write_only=True)
    sheet = workbook.sheet(_("SKUs"))
    sheet.append([column.label() for column in columns])
    for sku in selectors.sku_list(filters or {}).iterator(chunk_size=500):
        product = sku.product
        values = {
            "product_code": product.code,
            "product_name": product.name,
            "product_line": product.product_line.code,
            "base_unit": product.base_unit,
            "tax_rate": percent_text(product.tax_rate, places=4),
            "product_lifecycle": product.lifecycle,
            "sku_code": sku.code,
            "sku_name": sku.name,
            "barcode": sku.barcode or "",
            "specification": "; ".join(f"{name}={value}" for name, value in (sku.attributes or {}).items()),
            "cost_price": str(sku.cost_price) if sku.cost_price is not None else "",
            "min_order_qty": sku.min_order_qty,
            "order_multiple": sku.order_multiple,
            "lifecycle": sku.lifecycle,
        }
        sheet.append([values[column.key] for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer
