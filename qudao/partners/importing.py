"""Importing partners from .xlsx and .csv: read, preview, commit.

The file
--------
The first non-empty row is the header; every later non-empty row is one partner. Headers may be
written in Simplified Chinese, Traditional Chinese or English (case, spaces, "_", "-" and
brackets are ignored; "公司名称/legal_name" works too). Download a template from
/partners/import/template.xlsx.

============  ===============  ========================================================================
key           中文             value
============  ===============  ========================================================================
code          伙伴编码         Optional. The partner's code. With the credit code, the key that finds
                               the partner again when the file is imported again: a row whose code
                               (or, without a code, whose credit code) matches an existing partner
                               updates it; any other row creates a partner (with this code when
                               given). Every row needs a code or a credit code.
type          类型             Required. distributor | dealer | agent | service, or 经销商 | 分销商 |
                               代理商 | 服务商 (also 一级经销商, 二级分销商).
legal_name    公司名称         Required.
short_name    简称             Optional.
credit_code   统一社会信用代码 Optional; 18 characters with a valid check character.
region        地区             Required. A province or city: its code (320100) or name (南京市).
address       地址             Optional.
tier          等级             Optional. A tier code or name (default for new partners: the lowest
                               tier). Changing an existing partner's tier goes through
                               services.change_tier with the reason "Import" (导入), so the tier
                               history records it.
status        状态             Optional and CREATE-ONLY: the status of a new partner (applicant,
                               active, suspended, terminated or 申请中/正常/暂停/终止; default active).
                               Ignored for existing partners: a status change needs its own reason.
parent_code   上级经销商编码   Optional. The code of the parent distributor: a partner in the
                               database or a row of the same file (rows are processed parents
                               first, whatever their order in the file). Empty means no parent.
product_lines 授权产品线       Optional. Comma separated (, or ，).
tags          标签             Optional. Comma separated.
channel_manager 渠道经理       Optional. The user name of an HQ user.
contact_name  联系人           Optional. The contact's name; with a mobile number or an e-mail.
contact_mobile 联系人手机      Optional. A mainland China mobile number.
contact_email 联系人邮箱       Optional.
============  ===============  ========================================================================

Only the columns present in the file are imported: a column left out leaves that field of
existing partners untouched; a column present with an empty cell clears the field (except tier,
kept when empty). The contact columns describe one contact: an existing partner's contact with
the same mobile (else e-mail, else name) is updated, otherwise the contact is added. Unknown
columns (and the read-only columns of the export, such as 地区名称) are ignored and listed.

Preview, then commit
--------------------
`preview_import` stores the file (at most IMPORT_UPLOAD_MAX_BYTES bytes; a workbook expanding to
at most IMPORT_MAX_EXPANDED_BYTES) and starts the preview job (kind "partners.import_preview"),
which reads it (at most IMPORT_MAX_ROWS rows), checks every row and stores for every row its
action (create, update or unchanged) and its errors by column; the preview shows the job's
progress until it is ready. Nothing is parsed in the upload request. Every value is
checked by partners.services (clean_partner_data, clean_contact, check_parent); this module only
maps columns to fields and finds rows and partners by their keys. Files that cannot be read at
all (wrong type, corrupt workbook, empty, too big, too many rows, missing columns) are refused
with FieldErrors on "file".

`commit_import` is allowed only for a preview without errors. It starts a job (kind
"partners.import") that reads the file again, checks it again against the database as it is
now, then writes every row in ONE transaction through services.create_partner/update_partner/
change_tier/add_contact/update_contact, acting as the importing user (so each partner gets its
audit entries and outbox events). Any error rolls everything back and fails the job with the
row errors. Rows equal to the database are skipped, so importing the same file again changes
nothing: no audit entries, no `updated_at` changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from qudao.core import jobs
from qudao.core.audit import acting_as
from qudao.core.errors import DomainError, FieldErrors, Forbidden
from qudao.core.imports import job_language, start_preview, stored_file
from qudao.core.models import Job
from qudao.core.tabular import Column, cell_text, check_cells, check_file, read_upload
from qudao.core.tabular import csv_rows as _csv_rows
from qudao.core.tabular import extension as _extension
from qudao.core.tabular import file_error as _file_error
from qudao.core.tabular import xlsx_rows as _xlsx_rows
from qudao.core.validators import normalise_mobile, normalise_uscc

from . import services
from .models import Partner, PartnerStatus, PartnerType

PREVIEW_KIND = "partners.import_preview"
COMMIT_KIND = "partners.import"
IMPORT_REASON = N_("Import")  # the reason recorded for tier changes made by an import

ACTION_CREATE = "create"
ACTION_UPDATE = "update"
ACTION_UNCHANGED = "unchanged"

PROGRESS_EVERY = 100

MESSAGE_CHECKING = N_("Checking the file")
MESSAGE_WRITING = N_("Writing partners")
MESSAGE_PREVIEWED = N_("Preview ready")
MESSAGE_HAS_ERRORS = N_("The file has errors. Nothing was imported.")
MESSAGE_ROW_FAILED = N_("A row could not be written. Nothing was imported.")


COLUMNS: tuple[Column, ...] = (
    Column("code", "伙伴编码", "夥伴編碼", "Partner code"),
    Column("type", "类型", "類型", "Type", required=True),
    Column("legal_name", "公司名称", "公司名稱", "Legal name", required=True),
    Column("short_name", "简称", "簡稱", "Short name"),
    Column("credit_code", "统一社会信用代码", "統一社會信用代碼", "Credit code"),
    Column("region", "地区", "地區", "Region", required=True),
    Column("address", "地址", "地址", "Address"),
    Column("tier", "等级", "等級", "Tier"),
    Column("status", "状态", "狀態", "Status"),
    Column("parent_code", "上级经销商编码", "上級經銷商編碼", "Parent code"),
    Column("product_lines", "授权产品线", "授權產品線", "Product lines"),
    Column("tags", "标签", "標籤", "Tags"),
    Column("channel_manager", "渠道经理", "渠道經理", "Channel manager"),
    Column("contact_name", "联系人", "聯絡人", "Contact name"),
    Column("contact_mobile", "联系人手机", "聯絡人手機", "Contact mobile"),
    Column("contact_email", "联系人邮箱", "聯絡人郵箱", "Contact e-mail"),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}

# Read-only columns written by the export; ignored (silently) on import.
EXPORT_ONLY_COLUMNS: tuple[Column, ...] = (
    Column("region_name", "地区名称", "地區名稱", "Region name"),
    Column("tier_name", "等级名称", "等級名稱", "Tier name"),
    Column("parent_name", "上级经销商", "上級經銷商", "Parent distributor"),
    Column("created_at", "创建时间", "建立時間", "Created"),
)

# Extra spellings of headers, beyond each column's key and three labels.
HEADER_ALIASES = {
    "partnertype": "type",
    "companyname": "legal_name",
    "name": "legal_name",
    "uscc": "credit_code",
    "unifiedsocialcreditcode": "credit_code",
    "信用代码": "credit_code",
    "统一信用代码": "credit_code",
    "parent": "parent_code",
    "上级编码": "parent_code",
    "productlines": "product_lines",
    "联系人姓名": "contact_name",
    "联系人电话": "contact_mobile",
    "联系电话": "contact_mobile",
    "联系人邮件": "contact_email",
    "contactemail": "contact_email",
}

TYPE_ALIASES = {
    "经销商": PartnerType.DISTRIBUTOR,
    "一级经销商": PartnerType.DISTRIBUTOR,
    "經銷商": PartnerType.DISTRIBUTOR,
    "一級經銷商": PartnerType.DISTRIBUTOR,
    "分销商": PartnerType.DEALER,
    "二级分销商": PartnerType.DEALER,
    "分銷商": PartnerType.DEALER,
    "二級分銷商": PartnerType.DEALER,
    "reseller": PartnerType.DEALER,
    "代理商": PartnerType.AGENT,
    "服务商": PartnerType.SERVICE,
    "服務商": PartnerType.SERVICE,
    "servicepartner": PartnerType.SERVICE,
}
TYPE_EXPORT_LABELS_ZH = {
    PartnerType.DISTRIBUTOR: "经销商",
    PartnerType.DEALER: "分销商",
    PartnerType.AGENT: "代理商",
    PartnerType.SERVICE: "服务商",
}
STATUS_ALIASES = {
    "申请中": PartnerStatus.APPLICANT,
    "申請中": PartnerStatus.APPLICANT,
    "正常": PartnerStatus.ACTIVE,
    "合作中": PartnerStatus.ACTIVE,
    "暂停": PartnerStatus.SUSPENDED,
    "暫停": PartnerStatus.SUSPENDED,
    "终止": PartnerStatus.TERMINATED,
    "終止": PartnerStatus.TERMINATED,
}
STATUS_EXPORT_LABELS_ZH = {
    PartnerStatus.APPLICANT: "申请中",
    PartnerStatus.ACTIVE: "正常",
    PartnerStatus.SUSPENDED: "暂停",
    PartnerStatus.TERMINATED: "终止",
}

# services field -> column, for placing a service's FieldErrors at the file's column
PARTNER_FIELD_COLUMNS = {"partner_type": "type", "parent": "parent_code", "parent_code": "parent_code"}
CONTACT_FIELD_COLUMNS = {
    "name": "contact_name",
    "mobile": "contact_mobile",
    "email": "contact_email",
    "role": "contact_name",
    "is_primary": "contact_name",
}
ROW = "row"  # errors of a row that belong to no single column


def _normalise_header(text: str) -> str:
    return re.sub(r"[\s_\-()（）\[\]【】:：*]", "", text).lower()


def _build_header_index() -> dict[str, str | None]:
    index: dict[str, str | None] = {}
    for column in COLUMNS:
        for spelling in (column.key, column.zh, column.hant, column.en):
            index[_normalise_header(spelling)] = column.key
    for alias, key in HEADER_ALIASES.items():
        index[_normalise_header(alias)] = key
    for column in EXPORT_ONLY_COLUMNS:
        for spelling in (column.key, column.zh, column.hant, column.en):
            index[_normalise_header(spelling)] = None  # known, ignored
    return index


_HEADER_INDEX = _build_header_index()
_UNKNOWN = object()


def match_header(text: str):
    """The column key for a header cell; None for a known read-only column; _UNKNOWN otherwise."""
    normalised = _normalise_header(text)
    if normalised in _HEADER_INDEX:
        return _HEADER_INDEX[normalised]
    for part in re.split(r"[/|\s()（）]+", text):
        part = _normalise_header(part)
        if part and part in _HEADER_INDEX:
            return _HEADER_INDEX[part]
    return _UNKNOWN


def partner_type_value(text: str) -> str:
    """A type cell as a PartnerType value (unknown text is passed on for the service to refuse)."""
    text = (text or "").strip()
    key = _normalise_header(text)
    if key in PartnerType.values:
        return key
    if text in TYPE_ALIASES or key in TYPE_ALIASES:
        return TYPE_ALIASES.get(text) or TYPE_ALIASES[key]
    for value, label in PartnerType.choices:
        if _normalise_header(str(label)) == key:
            return value
    return text


def status_value(text: str) -> str:
    text = (text or "").strip()
    if text.lower() in PartnerStatus.values:
        return text.lower()
    if text in STATUS_ALIASES:
        return STATUS_ALIASES[text]
    for value, label in PartnerStatus.choices:
        if str(label).lower() == text.lower():
            return value
    return text


# --- reading the file ------------------------------------------------------------------------


@dataclass
class ParsedFile:
    name: str
    columns: list[str]  # the column keys present, in file order
    ignored_columns: list[str]  # headers that are not import columns
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, {column key: text})
    # {row number: {column key: [messages]}}: cells breaking the text rule (core.tabular.check_cells)
    cell_errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)


def parse_file(name: str, content: bytes) -> ParsedFile:
    """Read the header and the rows of an import file.

    :raises FieldErrors: on "file": not .xlsx/.csv, unreadable, empty, missing columns,
        duplicate columns, too many rows.
    """
    extension = _extension(name)
    if not content:
        raise _file_error(_("The file is empty."))
    source = _xlsx_rows(content) if extension == "xlsx" else _csv_rows(content)
    max_rows = settings.IMPORT_MAX_ROWS
    keys: list[str | None] | None = None
    columns: list[str] = []
    ignored: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    cell_errors: dict[int, dict[str, list[str]]] = {}
    for number, values in source:
        texts = [cell_text(value) for value in values]
        if not any(texts):
            continue
        if keys is None:
            keys = []
            for text in texts:
                key = match_header(text) if text else None
                if key is _UNKNOWN:
                    ignored.append(text)
                    key = None
                elif key is not None and key in columns:
                    raise _file_error(
                        _("The column %(column)s appears twice in the header.")
                        % {"column": COLUMNS_BY_KEY[key].label()}
                    )
                elif key is not None:
                    columns.append(key)
                keys.append(key)
            missing = [column for column in COLUMNS if column.required and column.key not in columns]
            if missing:
                raise _file_error(
                    _("Required columns are missing: %(columns)s.")
                    % {"columns": ", ".join(f"{column.label()} ({column.key})" for column in missing)}
                )
            if "code" not in columns and "credit_code" not in columns:
                raise _file_error(
                    _(
                        "Add a %(code)s or a %(credit_code)s column: it finds the partners again when the file is "
                        "imported again."
                    )
                    % {"code": COLUMNS_BY_KEY["code"].label(), "credit_code": COLUMNS_BY_KEY["credit_code"].label()}
                )
            continue
        if len(rows) >= max_rows:
            raise _file_error(
                _("The file has more than %(max)s rows. Split it into files of at most %(max)s rows.")
                % {"max": max_rows}
            )
        row = {key: (texts[index] if index < len(texts) else "") for index, key in enumerate(keys) if key}
        errors = check_cells(row, multiline=frozenset())
        if errors:
            cell_errors[number] = errors
        rows.append((number, row))
    if keys is None:
        raise _file_error(_("The file is empty."))
    if not rows:
        raise _file_error(_("The file has a header but no rows to import."))
    return ParsedFile(name=name, columns=columns, ignored_columns=ignored, rows=rows, cell_errors=cell_errors)


# --- checking the rows -----------------------------------------------------------------------


@dataclass(eq=False)
class RowPlan:
    """What importing one row will do, and what is wrong with it."""

    number: int
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    action: str = ACTION_CREATE
    changes: list[str] = field(default_factory=list)
    partner: Partner | None = None  # the existing partner the row updates
    code: str = ""
    credit_code: str = ""
    parent_row: RowPlan | None = None  # the parent is created or updated by this row of the file
    create_data: dict | None = None
    create_contacts: list[dict] = field(default_factory=list)
    update_data: dict = field(default_factory=dict)
    parent_changes: bool = False
    new_parent_pk: int | None = None
    tier_to: object = None
    contact_target: object = None
    contact_update: dict = field(default_factory=dict)
    contact_add: dict | None = None
    virtual: Partner | None = None  # the partner as it will be, for the rows below it
    result_pk: int | None = None

    def add_error(self, column: str, message) -> None:
        messages = self.errors.setdefault(column, [])
        if str(message) not in messages:
            messages.append(str(message))

    def add_field_errors(self, error: FieldErrors, mapping: dict[str, str]) -> None:
        for name, messages in error.errors.items():
            column = mapping.get(name, name)
            if column not in COLUMNS_BY_KEY:
                column = ROW
            for message in messages:
                self.add_error(column, message)


@dataclass
class Analysis:
    parsed: ParsedFile
    plans: list[RowPlan]  # in file order
    order: list[RowPlan]  # parents first

    @property
    def has_errors(self) -> bool:
        return any(plan.errors for plan in self.plans)


class _Resolver:
    """Memoises services.resolve_region/resolve_tier/resolve_user per distinct cell value, so a
    20,000-row file does not look the same region up 20,000 times. The service decides."""

    def __init__(self):
        self._cache: dict[tuple[str, str], object] = {}

    def resolve(self, kind: str, value: str):
        key = (kind, value)
        if key not in self._cache:
            errors = FieldErrors()
            if kind == "region":
                found = services.resolve_region(value, errors)
            elif kind == "tier":
                found = services.resolve_tier(value, errors)
            else:
                found = services.resolve_user(value, errors, kind)
            self._cache[key] = None if errors.errors else found
        return self._cache[key]

    def value(self, kind: str, text: str):
        """The resolved object when the service finds one; otherwise the text, so the service
        reports its own error for it."""
        if not text:
            return text
        found = self.resolve(kind, text)
        return found if found is not None else text


def analyse(parsed: ParsedFile, *, progress=None) -> Analysis:
    """Check every row against the services and the database, and plan what to do with it."""
    plans = [RowPlan(number=number, values=values) for number, values in parsed.rows]
    for plan in plans:
        for column, messages in parsed.cell_errors.get(plan.number, {}).items():
            for message in messages:
                plan.add_error(column, message)
    present = set(parsed.columns)
    code_max = Partner._meta.get_field("code").max_length

    rows_by_code: dict[str, RowPlan] = {}
    rows_by_credit: dict[str, RowPlan] = {}
    for plan in plans:
        plan.code = plan.values.get("code", "").strip()
        plan.credit_code = normalise_uscc(plan.values.get("credit_code", ""))
        if plan.code:
            if len(plan.code) > code_max:
                plan.add_error("code", _("At most %(max)d characters.") % {"max": code_max})
            elif plan.code in rows_by_code:
                plan.add_error(
                    "code", _("Row %(row)s has the same partner code.") % {"row": rows_by_code[plan.code].number}
                )
            else:
                rows_by_code[plan.code] = plan
        if plan.credit_code:
            if plan.credit_code in rows_by_credit:
                plan.add_error(
                    "credit_code",
                    _("Row %(row)s has the same credit code.") % {"row": rows_by_credit[plan.credit_code].number},
                )
            else:
                rows_by_credit[plan.credit_code] = plan
        if not plan.code and not plan.credit_code:
            plan.add_error(
                "code",
                _(
                    "Give the partner code or the credit code: they find the partner again when the file is imported "
                    "again."
                ),
            )

    by_code = {partner.code: partner for partner in _partners_where("code", list(rows_by_code))}
    by_credit = {partner.credit_code: partner for partner in _partners_where("credit_code", list(rows_by_credit))}
    rows_by_partner: dict[int, RowPlan] = {}
    for plan in plans:
        plan.partner = by_code.get(plan.code) if plan.code else by_credit.get(plan.credit_code)
        if plan.partner is None:
            continue
        if plan.partner.pk in rows_by_partner:
            plan.add_error(
                "code" if plan.code else "credit_code",
                _("Row %(row)s is the same partner (%(code)s).")
                % {"row": rows_by_partner[plan.partner.pk].number, "code": plan.partner.code},
            )
            plan.partner = None
            continue
        rows_by_partner[plan.partner.pk] = plan
        if not plan.code:
            rows_by_code.setdefault(plan.partner.code, plan)

    for plan in plans:
        reference = plan.values.get("parent_code", "").strip()
        if reference and reference in rows_by_code:
            plan.parent_row = rows_by_code[reference]

    order = _parents_first(plans)
    resolver = _Resolver()
    for index, plan in enumerate(order, start=1):
        _analyse_row(plan, present, resolver)
        if progress is not None and (index % PROGRESS_EVERY == 0 or index == len(order)):
            progress(index)
    return Analysis(parsed=parsed, plans=plans, order=order)


def _partners_where(field_name: str, values: list[str], chunk: int = 2000) -> list[Partner]:
    found: list[Partner] = []
    for start in range(0, len(values), chunk):
        found.extend(
            Partner.objects.select_related("region", "region__parent", "tier", "parent")
            .prefetch_related("tags", "contacts")
            .filter(**{f"{field_name}__in": values[start : start + chunk]})
        )
    return found


def _parents_first(plans: list[RowPlan]) -> list[RowPlan]:
    """Order the rows so that a row comes after the row of its parent; mark cycles."""
    order: list[RowPlan] = []
    state: dict[int, str] = {}
    for plan in plans:
        chain: list[RowPlan] = []
        node = plan
        while node is not None and node.number not in state:
            state[node.number] = "visiting"
            chain.append(node)
            node = node.parent_row
        if node is not None and state[node.number] == "visiting":
            cycle = chain[chain.index(node) :]
            path = " → ".join(str(member.number) for member in [*cycle, node])
            for member in cycle:
                member.add_error(
                    "parent_code",
                    _("Rows %(rows)s name each other as parent distributor: a cycle.") % {"rows": path},
                )
        for member in reversed(chain):
            state[member.number] = "done"
            order.append(member)
    return order


def _row_data(plan: RowPlan, present: set[str], resolver: _Resolver, creating: bool) -> dict:
    values = plan.values
    data: dict = {}
    if "type" in present:
        data["partner_type"] = partner_type_value(values["type"])
    for name in ("legal_name", "short_name", "address", "credit_code", "product_lines", "tags"):
        if name in present:
            data[name] = values[name]
    if "region" in present:
        data["region"] = resolver.value("region", values["region"])
    if "tier" in present and values["tier"]:
        data["tier"] = resolver.value("tier", values["tier"])
    if "channel_manager" in present:
        data["channel_manager"] = resolver.value("channel_manager", values["channel_manager"])
    if creating and "status" in present and values["status"]:
        data["status"] = status_value(values["status"])
    if "parent_code" in present and plan.parent_row is None:
        data["parent_code"] = values["parent_code"].strip()
    return data


def _analyse_row(plan: RowPlan, present: set[str], resolver: _Resolver) -> None:
    existing = plan.partner
    creating = existing is None
    plan.action = ACTION_CREATE if creating else ACTION_UNCHANGED
    data = _row_data(plan, present, resolver, creating)
    try:
        cleaned = services.clean_partner_data(data, instance=existing)
    except FieldErrors as error:
        plan.add_field_errors(error, PARTNER_FIELD_COLUMNS)
        cleaned = None

    # the parent: a row of this file, a partner in the database, or (not given) unchanged
    parent = None
    parent_given = False
    parent_checkable = True
    if plan.parent_row is not None:
        parent_given = True
        parent = plan.parent_row.virtual
        parent_checkable = parent is not None and not plan.parent_row.errors
    elif cleaned is not None and "parent" in cleaned:
        parent_given = True
        parent = cleaned["parent"]
    elif existing is not None:
        parent = existing.parent

    region = (cleaned or {}).get("region") or (existing.region if existing else None)
    if cleaned is not None and region is not None and parent_checkable:
        try:
            if creating:
                if parent is not None:
                    services.check_parent(None, parent, child_region=region)
            else:
                new_parent_pk = parent.pk if parent is not None else None
                plan.parent_changes = parent_given and new_parent_pk != existing.parent_id
                if plan.parent_changes:
                    services.check_parent(existing, parent, child_region=region)
                elif region.pk != existing.region_id and existing.parent_id:
                    services.check_parent(existing, parent, child_region=region)
        except FieldErrors as error:
            plan.add_field_errors(error, PARTNER_FIELD_COLUMNS)

    contact = _contact(plan, present)

    if cleaned is not None:
        plan.virtual = Partner(
            pk=existing.pk if existing else -plan.number,
            code=plan.code or (existing.code if existing else ""),
            partner_type=cleaned.get("partner_type") or existing.partner_type,
            legal_name=cleaned.get("legal_name") or existing.legal_name,
            region=region,
            status=cleaned.get("status") or (existing.status if existing else PartnerStatus.ACTIVE),
        )
        if creating or plan.parent_changes:
            plan.virtual.path = f"{parent.path if parent is not None else '/'}{plan.virtual.pk}/"
        else:
            plan.virtual.path = existing.path

    if creating:
        if cleaned is not None:
            plan.create_data = data
            if contact is not None:
                plan.create_contacts = [contact | {"is_primary": True}]
        return
    if cleaned is not None:
        _plan_update(plan, data, cleaned, parent)
    if contact is not None:
        _plan_contact(plan, contact, present)
    if plan.changes:
        plan.action = ACTION_UPDATE


def _contact(plan: RowPlan, present: set[str]) -> dict | None:
    given = {
        key: plan.values.get(key, "") for key in ("contact_name", "contact_mobile", "contact_email") if key in present
    }
    if not any(given.values()):
        return None
    raw = {
        "name": given.get("contact_name", ""),
        "mobile": given.get("contact_mobile", ""),
        "email": given.get("contact_email", ""),
    }
    try:
        services.clean_contact(raw)
    except FieldErrors as error:
        plan.add_field_errors(error, CONTACT_FIELD_COLUMNS)
        return None
    return raw


def _plan_update(plan: RowPlan, data: dict, cleaned: dict, parent) -> None:
    existing = plan.partner
    for name, value in cleaned.items():
        if name in ("tier", "status", "parent", "territories", "payment_terms_days"):
            continue
        if name == "tags":
            current, new = sorted(tag.name for tag in existing.tags.all()), sorted(value)
        elif name in ("region", "channel_manager"):
            current, new = getattr(existing, f"{name}_id"), (value.pk if value is not None else None)
        elif name == "product_lines":
            current, new = sorted(set(existing.product_lines or [])), sorted(set(value))
        elif name == "credit_code":
            current, new = existing.credit_code or None, value or None
        else:
            current, new = getattr(existing, name), value
        if current != new:
            plan.update_data[name] = data[name]
            plan.changes.append(PARTNER_FIELD_COLUMNS.get(name, name))
    if plan.parent_changes:
        plan.new_parent_pk = parent.pk if parent is not None and parent.pk > 0 else None
        plan.changes.append("parent_code")
    tier = cleaned.get("tier")
    if "tier" in data and tier is not None and tier.pk != existing.tier_id:
        plan.tier_to = tier
        plan.changes.append("tier")


def _plan_contact(plan: RowPlan, contact: dict, present: set[str]) -> None:
    contacts = list(plan.partner.contacts.all())
    mobile = normalise_mobile(contact["mobile"]) if contact["mobile"] else ""
    email = contact["email"].strip().lower()
    name = contact["name"].strip()
    match = None
    if mobile:
        match = next((c for c in contacts if c.mobile == mobile), None)
    if match is None and email:
        match = next((c for c in contacts if c.email.lower() == email), None)
    if match is None and name:
        match = next((c for c in contacts if c.name == name), None)
    if match is None:
        plan.contact_add = contact | {"is_primary": not any(c.is_primary for c in contacts)}
        plan.changes.append("contact_name")
        return
    wanted = {"name": name, "mobile": mobile or "", "email": email}
    for column, attribute in (("contact_name", "name"), ("contact_mobile", "mobile"), ("contact_email", "email")):
        if column in present and (getattr(match, attribute) or "") != wanted[attribute]:
            plan.contact_update[attribute] = contact[attribute]
            plan.changes.append(column)
    if plan.contact_update:
        plan.contact_target = match


# --- the preview -----------------------------------------------------------------------------


def preview_payload(analysis: Analysis) -> dict:
    """The preview as stored on the preview job and returned by the API."""
    rows = []
    counts = {ACTION_CREATE: 0, ACTION_UPDATE: 0, ACTION_UNCHANGED: 0, "error": 0}
    for plan in analysis.plans:
        counts[plan.action] += 1
        if plan.errors:
            counts["error"] += 1
        rows.append(
            {
                "row": plan.number,
                "action": plan.action,
                "code": plan.code or (plan.partner.code if plan.partner else ""),
                "partner_id": plan.partner.pk if plan.partner else None,
                "legal_name": plan.values.get("legal_name", ""),
                "changes": plan.changes,
                "values": plan.values,
                "errors": plan.errors,
            }
        )
    error_count = sum(len(messages) for plan in analysis.plans for messages in plan.errors.values())
    return {
        "file_name": analysis.parsed.name,
        "columns": analysis.parsed.columns,
        "ignored_columns": analysis.parsed.ignored_columns,
        "total_rows": len(analysis.plans),
        "counts": counts,
        "error_count": error_count,
        "can_commit": error_count == 0,
        "rows": rows,
    }


def flat_errors(rows: list[dict]) -> list[dict]:
    return [
        {"row": row["row"], "column": column, "message": message}
        for row in rows
        for column, messages in row["errors"].items()
        for message in messages
    ]


def require_import_permission(user) -> None:
    if not (getattr(user, "is_authenticated", False) and user.can("partners.import")):
        raise Forbidden(_("You are not allowed to import partners."))


def preview_import(*, user, upload) -> Job:
    """Store an uploaded file and start its preview job, which reads and checks every row; the
    preview shows the job's progress until it is ready. The request only checks what needs no
    parsing (size, type, a workbook's expanded size: core.tabular.check_file).

    :raises Forbidden: the user may not import partners.
    :raises FieldErrors: on "file" when the file cannot be imported at all (in immediate mode also
        what the job finds wrong with the file as a whole: header, rows, a corrupt workbook).
    """
    from .tasks import preview_partner_import

    require_import_permission(user)
    name, content = read_upload(upload)
    check_file(name, content)
    return start_preview(kind=PREVIEW_KIND, user=user, name=name, content=content, task=preview_partner_import)


def _stored_file(job: Job) -> ParsedFile:
    return parse_file(*stored_file(job))


def _preview_work(job: Job) -> dict:
    with translation.override(job_language(job)):  # a worker speaks the language of the user
        parsed = _stored_file(job)
        jobs.advance(job.pk, 0, total=len(parsed.rows))
        return preview_payload(analyse(parsed, progress=lambda done: jobs.advance(job.pk, done)))


def run_preview(job_id: int) -> Job | None:
    """The body of the preview task."""
    return jobs.execute(job_id, _preview_work, success_message=MESSAGE_PREVIEWED)


def get_preview(user, preview_id) -> Job:
    """The preview job, for its creator or an administrator. :raises NotFound: otherwise."""
    return jobs.preview_job(user, preview_id, kind=PREVIEW_KIND)


commit_job_of = jobs.commit_job_of
can_commit = jobs.can_commit


def commit_import(*, user, preview_id) -> Job:
    """Start the job that writes a previewed file.

    :raises Forbidden: the user may not import partners.
    :raises NotFound: no such preview, or not the user's.
    :raises FieldErrors: the preview has errors (nothing is started).
    :raises Conflict: the file is already being imported, or was imported.
    """
    from .tasks import commit_partner_import

    require_import_permission(user)
    preview = get_preview(user, preview_id)
    preview_total = (preview.result or {}).get("total_rows", 0)
    return jobs.start_commit(
        user=user,
        preview_id=preview_id,
        preview_kind=PREVIEW_KIND,
        commit_kind=COMMIT_KIND,
        total=2 * preview_total,  # the commit checks every row again, then writes it
        task=commit_partner_import,
        row_errors=flat_errors,
    )


# --- the commit ------------------------------------------------------------------------------


class RowFailed(Exception):
    def __init__(self, plan: RowPlan, errors: dict[str, list[str]]):
        super().__init__(f"row {plan.number}")
        self.plan = plan
        self.errors = errors


def apply(analysis: Analysis, *, user, progress=None) -> dict:
    """Write every row, parents first, in ONE transaction, through the services.

    :raises RowFailed: a service refused a row; nothing was written.
    """
    counts = {ACTION_CREATE: 0, ACTION_UPDATE: 0, ACTION_UNCHANGED: 0}
    reason = _(IMPORT_REASON)
    with acting_as(user), transaction.atomic():
        for index, plan in enumerate(analysis.order, start=1):
            try:
                _apply_row(plan, user, reason)
            except FieldErrors as error:
                failed = RowPlan(number=plan.number, values=plan.values)
                failed.add_field_errors(error, PARTNER_FIELD_COLUMNS)
                raise RowFailed(plan, failed.errors) from None
            except DomainError as error:
                raise RowFailed(plan, {ROW: [str(error.detail)]}) from None
            except IntegrityError:
                raise RowFailed(
                    plan, {ROW: [_("Another change got in the way of this row. Import the file again.")]}
                ) from None
            counts[plan.action] += 1
            if progress is not None and (index % PROGRESS_EVERY == 0 or index == len(analysis.order)):
                progress(index)
    return counts


def _apply_row(plan: RowPlan, user, reason: str) -> None:
    if plan.action == ACTION_UNCHANGED:
        plan.result_pk = plan.partner.pk
        return
    if plan.action == ACTION_CREATE:
        data = dict(plan.create_data)
        if plan.parent_row is not None:
            data["parent"] = plan.parent_row.result_pk
        partner = services.create_partner(data=data, actor=user, contacts=plan.create_contacts, code=plan.code or None)
        plan.result_pk = partner.pk
        return
    partner = plan.partner
    data = dict(plan.update_data)
    if plan.parent_changes:
        data["parent"] = plan.parent_row.result_pk if plan.parent_row is not None else plan.new_parent_pk
    if data:
        partner = services.update_partner(partner=partner, data=data, actor=user)
    if plan.tier_to is not None:
        partner = services.change_tier(partner=partner, tier=plan.tier_to.code, reason=reason, actor=user)
    if plan.contact_target is not None:
        services.update_contact(contact=plan.contact_target, data=plan.contact_update)
    if plan.contact_add is not None:
        services.add_contact(partner=partner, data=plan.contact_add)
    plan.result_pk = partner.pk


def _commit_work(job: Job) -> dict:
    user = job.created_by
    with translation.override(job_language(job)):
        require_import_permission(user)
        preview_id = (job.result or {}).get("preview_id")
        parsed = _stored_file(job)
        total = len(parsed.rows)
        jobs.advance(job.pk, 0, total=2 * total, message=MESSAGE_CHECKING)
        analysis = analyse(parsed, progress=lambda done: jobs.advance(job.pk, done))
        if analysis.has_errors:
            rows = [row for row in preview_payload(analysis)["rows"] if row["errors"]]
            raise jobs.JobFailed(
                MESSAGE_HAS_ERRORS,
                {
                    "detail": _(MESSAGE_HAS_ERRORS),
                    "code": "invalid",
                    "preview_id": preview_id,
                    "rows": _error_rows(rows),
                },
            )
        jobs.advance(job.pk, total, message=MESSAGE_WRITING)
        try:
            counts = apply(analysis, user=user, progress=lambda done: jobs.advance(job.pk, total + done))
        except RowFailed as failure:
            raise jobs.JobFailed(
                MESSAGE_ROW_FAILED,
                {
                    "detail": _(MESSAGE_ROW_FAILED),
                    "code": "row_failed",
                    "preview_id": preview_id,
                    "rows": [{"row": failure.plan.number, "code": failure.plan.code, "errors": failure.errors}],
                },
            ) from None
    return {
        "preview_id": preview_id,
        "total_rows": total,
        "created": counts[ACTION_CREATE],
        "updated": counts[ACTION_UPDATE],
        "unchanged": counts[ACTION_UNCHANGED],
    }


def _error_rows(rows: list[dict]) -> list[dict]:
    return [{"row": row["row"], "code": row["code"], "errors": row["errors"]} for row in rows]


def run_commit(job_id: int) -> Job | None:
    """The body of the commit task."""
    return jobs.execute(job_id, _commit_work)


def commit_succeeded_message(job: Job) -> str:
    result = job.result or {}
    return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % {
        "created": result.get("created", 0),
        "updated": result.get("updated", 0),
        "unchanged": result.get("unchanged", 0),
    }
