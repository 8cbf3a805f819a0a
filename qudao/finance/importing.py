"""Payments by file (.xlsx or .csv) from the bank or the ERP: one row per payment received.

Columns (header in Chinese, Traditional Chinese, English or the key):
    partner_code 伙伴编码 or credit_code 统一社会信用代码 (one of the two per row), amount* 金额,
    received_on* 到账日期, bank_reference* 银行流水号, payer_name 付款人, method 付款方式, note 备注,
    allocated_on 核销日期 (the business date of the payment's allocations, when the ERP settled it;
    empty: the day it is booked)

`preview_import` checks every row (nothing is written) and stores the preview as a job (kind
"finance.payment_import_preview"): unknown partner, an amount that is not a positive number of
whole cents, a date that is not a date or is in the future, a bank reference twice in the file or
already booked for that partner. `commit_import` books a preview without errors as a job (kind
"finance.payment_import"): the file is checked again, then every row is booked through
`payments.record_payment` (source "import", allocated oldest first) in ONE transaction - any error
and nothing is written. The lifecycle (preview, commit once, all or nothing) is core.jobs'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from qudao.core import jobs
from qudao.core.audit import acting_as
from qudao.core.errors import FieldErrors
from qudao.core.imports import FileImport
from qudao.core.models import Job
from qudao.core.tabular import Column, Parsed, Table
from qudao.core.validators import normalise_uscc

from . import payments
from .models import Payment

PREVIEW_KIND = "finance.payment_import_preview"
COMMIT_KIND = "finance.payment_import"
MAX_ROWS = 5000
PROGRESS_EVERY = 50
MESSAGE_PREVIEWED = N_("Preview ready")
MESSAGE_HAS_ERRORS = N_("The file has errors. Nothing was imported.")
MESSAGE_WRITING = N_("Booking payments")
ROW = "row"

COLUMNS: tuple[Column, ...] = (
    Column("partner_code", "伙伴编码", "夥伴編碼", "Partner code"),
    Column("credit_code", "统一社会信用代码", "統一社會信用代碼", "Credit code"),
    Column("amount", "金额", "金額", "Amount", required=True),
    Column("received_on", "到账日期", "到賬日期", "Received on", required=True),
    Column("bank_reference", "银行流水号", "銀行流水號", "Bank reference", required=True),
    Column("payer_name", "付款人", "付款人", "Payer"),
    Column("method", "付款方式", "付款方式", "Method"),
    Column("note", "备注", "備註", "Note", multiline=True),
    Column("allocated_on", "核销日期", "核銷日期", "Allocated on"),
)
TABLE = Table(COLUMNS, max_rows=MAX_ROWS)
_COLUMN_ORDER = {column.key: index for index, column in enumerate(COLUMNS)}
METHOD_ALIASES = {
    "银行转账": Payment.Method.BANK_TRANSFER,
    "銀行轉賬": Payment.Method.BANK_TRANSFER,
    "转账": Payment.Method.BANK_TRANSFER,
    "承兑汇票": Payment.Method.ACCEPTANCE_BILL,
    "银行承兑汇票": Payment.Method.ACCEPTANCE_BILL,
    "承兌匯票": Payment.Method.ACCEPTANCE_BILL,
    "现金": Payment.Method.CASH,
    "現金": Payment.Method.CASH,
    "其他": Payment.Method.OTHER,
}


def parse_file(name: str, content: bytes) -> Parsed:
    """:raises FieldErrors: on "file": not .xlsx/.csv, unreadable, empty, a required column
    missing (a partner code or credit code column too), more than MAX_ROWS rows."""
    parsed = TABLE.parse(name, content)
    if "partner_code" not in parsed.columns and "credit_code" not in parsed.columns:
        message = _("Required columns are missing: %(columns)s.") % {
            "columns": f"{TABLE.by_key['partner_code'].label()} (partner_code) / "
            f"{TABLE.by_key['credit_code'].label()} (credit_code)"
        }
        raise FieldErrors({"file": [message]}, detail=message)
    return parsed


@dataclass(eq=False)
class RowPlan:
    number: int
    values: dict[str, str]
    partner: object = None
    data: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, column: str, message) -> None:
        messages = self.errors.setdefault(column, [])
        if str(message) not in messages:  # the text rule is checked by the file and the service alike
            messages.append(str(message))


def _method(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return Payment.Method.BANK_TRANSFER
    if text.lower() in Payment.Method.values:
        return text.lower()
    if text in METHOD_ALIASES:
        return METHOD_ALIASES[text]
    for value, label in Payment.Method.choices:
        if str(label).lower() == text.lower():
            return value
    return text


def _date_text(text: str) -> str:
    text = (text or "").strip().replace("/", "-").replace(".", "-")
    parts = text[:10].split("-")
    if len(parts) == 3 and all(part.isdigit() for part in parts):
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return text


def analyse(parsed: Parsed) -> list[RowPlan]:
    """Check every row against the database and the rest of the file (nothing is written)."""
    from qudao.partners.models import Partner

    plans = [RowPlan(number=number, values=values) for number, values in parsed.rows]
    for plan in plans:
        for column, messages in parsed.cell_errors.get(plan.number, {}).items():
            for message in messages:
                plan.add(column, message)
    codes = {plan.values.get("partner_code", "").strip() for plan in plans} - {""}
    credit_codes = {normalise_uscc(plan.values.get("credit_code", "")) for plan in plans} - {""}
    by_code = {partner.code: partner for partner in Partner.objects.filter(code__in=codes)}
    by_credit = {partner.credit_code: partner for partner in Partner.objects.filter(credit_code__in=credit_codes)}
    for plan in plans:
        code = plan.values.get("partner_code", "").strip()
        credit = normalise_uscc(plan.values.get("credit_code", ""))
        if code:
            plan.partner = by_code.get(code)
            if plan.partner is None:
                plan.add("partner_code", _("No partner has the code %(code)s.") % {"code": code})
            elif credit and plan.partner.credit_code != credit:
                plan.add("credit_code", _("This credit code is not that partner's."))
        elif credit:
            plan.partner = by_credit.get(credit)
            if plan.partner is None:
                plan.add("credit_code", _("No partner has the credit code %(code)s.") % {"code": credit})
        else:
            plan.add("partner_code", _("Give the partner code or the credit code."))
        errors = FieldErrors()
        plan.data = payments.clean_payment(
            {
                "amount": plan.values.get("amount", ""),
                "received_on": _date_text(plan.values.get("received_on", "")),
                "method": _method(plan.values.get("method", "")),
                "bank_reference": plan.values.get("bank_reference", ""),
                "payer_name": plan.values.get("payer_name", ""),
                "note": plan.values.get("note", ""),
                "allocated_on": _date_text(plan.values.get("allocated_on", "")),
            },
            errors,
        )
        for key, messages in errors.errors.items():
            for message in messages:
                plan.add(key, message)
        if not plan.data.get("bank_reference") and "bank_reference" not in plan.errors:
            plan.add("bank_reference", _("Enter the bank reference."))
    # a bank reference names one payment of a partner: twice in the file, or already booked
    first_row: dict[tuple[int, str], int] = {}
    for plan in plans:
        reference = plan.data.get("bank_reference")
        if plan.partner is None or not reference:
            continue
        key = (plan.partner.pk, reference)
        if key in first_row:
            plan.add(
                "bank_reference",
                _("Row %(row)s has the same bank reference for this partner.") % {"row": first_row[key]},
            )
        else:
            first_row[key] = plan.number
    if first_row:
        partner_ids = {partner_id for partner_id, _ref in first_row}
        references = {reference for _pid, reference in first_row}
        booked = {
            (payment.partner_id, payment.bank_reference): payment.number
            for payment in Payment.objects.filter(partner_id__in=partner_ids, bank_reference__in=references).exclude(
                status=Payment.Status.REJECTED
            )
        }
        for plan in plans:
            reference = plan.data.get("bank_reference")
            if plan.partner is not None and (plan.partner.pk, reference) in booked:
                plan.add(
                    "bank_reference",
                    _("This bank reference is already booked for this partner (payment %(number)s).")
                    % {"number": booked[(plan.partner.pk, reference)]},
                )
    return plans


def preview_payload(parsed: Parsed, plans: list[RowPlan]) -> dict:
    rows = []
    total = Decimal("0")
    valid = 0
    for plan in plans:
        amount = plan.data.get("amount")
        if not plan.errors:
            valid += 1
            total += amount
        rows.append(
            {
                "row": plan.number,
                "partner_code": plan.values.get("partner_code", "") or (plan.partner.code if plan.partner else ""),
                "credit_code": plan.values.get("credit_code", ""),
                "partner": str(plan.partner) if plan.partner else "",
                "partner_id": plan.partner.pk if plan.partner else None,
                "amount": f"{amount:.2f}" if amount is not None else plan.values.get("amount", ""),
                "received_on": plan.data["received_on"].isoformat()
                if plan.data.get("received_on")
                else plan.values.get("received_on", ""),
                "allocated_on": plan.data["allocated_on"].isoformat()
                if plan.data.get("allocated_on")
                else plan.values.get("allocated_on", ""),
                "bank_reference": plan.values.get("bank_reference", ""),
                "payer_name": plan.values.get("payer_name", ""),
                "method": plan.data.get("method", ""),
                "note": plan.values.get("note", ""),
                "errors": plan.errors,
            }
        )
    error_count = sum(len(messages) for plan in plans for messages in plan.errors.values())
    return {
        "file_name": parsed.name,
        "columns": parsed.columns,
        "ignored_columns": parsed.ignored_columns,
        "total_rows": len(plans),
        "counts": {"valid": valid, "with_errors": len(plans) - valid},
        "total_amount": f"{total:.2f}",
        "error_count": error_count,
        "can_commit": error_count == 0,
        "rows": rows,
    }


IMPORT = FileImport(
    preview_kind=PREVIEW_KIND,
    commit_kind=COMMIT_KIND,
    permission="finance.manage",
    refusal=N_("You are not allowed to import payments."),
    columns=COLUMNS,
    parse=lambda name, content: parse_file(name, content),
    check=lambda parsed: preview_payload(parsed, analyse(parsed)),
    task=lambda: import_module(f"{__package__}.tasks").commit_payment_import,
    preview_task=lambda: import_module(f"{__package__}.tasks").preview_payment_import,
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


def _failed(preview_id, bad: list[RowPlan]):
    return jobs.JobFailed(
        MESSAGE_HAS_ERRORS,
        {
            "detail": _(MESSAGE_HAS_ERRORS),
            "code": "invalid",
            "preview_id": preview_id,
            "rows": [{"row": plan.number, "errors": plan.errors} for plan in bad],
        },
    )


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
            raise _failed(preview_id, bad)
        # partners in pk order (the lock order across partners), each partner's payments oldest
        # first so that they pay its oldest invoices first
        ordered = sorted(plans, key=lambda plan: (plan.partner.pk, plan.data["received_on"], plan.number))
        numbers, allocated = [], Decimal("0")
        jobs.advance(job.pk, 0, total=len(ordered), message=MESSAGE_WRITING)
        try:
            with transaction.atomic(), acting_as(user):
                for done, plan in enumerate(ordered, start=1):
                    payment, _created = payments.record_payment(
                        partner=plan.partner, data=plan.data, actor=user, source=Payment.Source.IMPORT
                    )
                    numbers.append(payment.number)
                    allocated += payment.allocated
                    if done % PROGRESS_EVERY == 0:
                        jobs.advance(job.pk, done)
        except FieldErrors as error:  # booked meanwhile (the same reference from another source)
            for key, messages in error.errors.items():
                for message in messages:
                    plan.add(key if key in _COLUMN_ORDER else ROW, message)
            raise _failed(preview_id, [plan]) from None
    total = sum((plan.data["amount"] for plan in plans), Decimal("0"))
    return {
        "preview_id": preview_id,
        "total_rows": len(plans),
        "booked": len(numbers),
        "total_amount": f"{total:.2f}",
        "allocated": f"{allocated:.2f}",
        "first_number": min(numbers) if numbers else None,
        "last_number": max(numbers) if numbers else None,
    }


def run_commit(job_id: int) -> Job | None:
    return jobs.execute(job_id, _commit_work)
