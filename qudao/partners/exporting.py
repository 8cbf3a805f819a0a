"""Exporting the partner list to .xlsx, and the import template.

The export holds exactly the partners of `selectors.partner_list(user, filters)`: what the user
may see (the scoping rule), narrowed by the same filters as the partner list page and API. Its
first columns are the import columns (partners.importing.COLUMNS), so an exported file can be
edited and imported again; read-only columns (region name, tier name, parent, created) follow
and are ignored on import. Rows are written with core.spreadsheets (user text as text, never a
formula) in write-only mode into a temporary file that the response streams, so memory stays
flat whatever the number of partners.
"""

from __future__ import annotations

import tempfile

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qudao.core.errors import Forbidden
from qudao.core.spreadsheets import Spreadsheet
from qudao.core.validators import uscc_check_character

from . import selectors
from .importing import COLUMNS, EXPORT_ONLY_COLUMNS, STATUS_EXPORT_LABELS_ZH, TYPE_EXPORT_LABELS_ZH
from .models import PartnerContact

# The query parameters of the partner list that the export understands (as GET /partners).
FILTER_KEYS = ("q", "partner_type", "tier", "status", "region", "owner", "tag", "parent", "sort")
FILTER_ALIASES = {"type": "partner_type"}
CHUNK = 2000


def export_filters(params) -> dict:
    """The partner-list filters from a QueryDict (or dict) of request parameters."""
    filters = {}
    for key in (*FILTER_KEYS, *FILTER_ALIASES):
        value = params.get(key)
        if value not in (None, ""):
            filters[FILTER_ALIASES.get(key, key)] = value
    return filters


def export_file_name(now=None) -> str:
    now = timezone.localtime(now)
    return f"partners-{now:%Y%m%d-%H%M}.xlsx"


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _row(partner) -> list:
    contacts = list(partner.contacts.all())
    contact = contacts[0] if contacts else None
    chinese = _chinese()
    values = {
        "code": partner.code,
        "type": TYPE_EXPORT_LABELS_ZH.get(partner.partner_type, partner.partner_type)
        if chinese
        else partner.partner_type,
        "legal_name": partner.legal_name,
        "short_name": partner.short_name,
        "credit_code": partner.credit_code or "",
        "region": partner.region.code,
        "address": partner.address,
        "tier": partner.tier.code,
        "status": STATUS_EXPORT_LABELS_ZH.get(partner.status, partner.status) if chinese else partner.status,
        "parent_code": partner.parent.code if partner.parent_id else "",
        "product_lines": ",".join(partner.product_lines or []),
        "tags": ",".join(sorted(tag.name for tag in partner.tags.all())),
        "channel_manager": partner.channel_manager.username if partner.channel_manager_id else "",
        "contact_name": contact.name if contact else "",
        "contact_mobile": contact.mobile if contact else "",
        "contact_email": contact.email if contact else "",
        "region_name": partner.region.full_name,
        "tier_name": partner.tier.name,
        "parent_name": str(partner.parent) if partner.parent_id else "",
        "created_at": timezone.localtime(partner.created_at).strftime("%Y-%m-%d %H:%M"),
    }
    return [values[column.key] for column in (*COLUMNS, *EXPORT_ONLY_COLUMNS)]


def export_partners(user, filters: dict):
    """The user's filtered partner list as an .xlsx workbook in a temporary file (positioned at
    its start; the caller streams and closes it).

    :raises Forbidden: the user may not export partners.
    """
    if not (getattr(user, "is_authenticated", False) and user.can("partners.export")):
        raise Forbidden(_("You are not allowed to export partners."))
    partners = (
        selectors.partner_list(user, filters)
        .select_related("region__parent__parent")
        .prefetch_related("tags", Prefetch("contacts", queryset=PartnerContact.objects.order_by("-is_primary", "pk")))
    )
    workbook = Spreadsheet(write_only=True)
    sheet = workbook.sheet(_("Partners"))
    sheet.append([column.label() for column in (*COLUMNS, *EXPORT_ONLY_COLUMNS)], bold=True)
    for partner in partners.iterator(chunk_size=CHUNK):
        sheet.append(_row(partner))
    stream = tempfile.TemporaryFile()
    workbook.save(stream)
    stream.seek(0)
    return stream


def import_template() -> bytes:
    """An empty import workbook: the header row in the user's language, and a sheet that explains
    every column."""
    descriptions = {
        "code": _("Optional. Finds the partner again when the file is imported again; a new partner gets this code."),
        "type": _("Required. distributor, dealer, agent or service (经销商, 分销商, 代理商, 服务商)."),
        "legal_name": _("Required. The company's registered name."),
        "short_name": _("Optional."),
        "credit_code": _("Optional. The 18-character unified social credit code. A row needs a code or a credit code."),
        "region": _("Required. A province or city, by code (320100) or name (南京市)."),
        "address": _("Optional."),
        "tier": _("Optional. A tier code or name; new partners get the lowest tier when empty."),
        "status": _("Optional, new partners only: applicant, active, suspended or terminated."),
        "parent_code": _("Optional. The code of the parent distributor, in the database or in this file."),
        "product_lines": _("Optional. Comma separated."),
        "tags": _("Optional. Comma separated."),
        "channel_manager": _("Optional. The user name of the channel manager."),
        "contact_name": _("Optional. A contact person; give a mobile number or an e-mail with it."),
        "contact_mobile": _("Optional. A mainland China mobile number."),
        "contact_email": _("Optional."),
    }
    examples = {
        "code": "JS001",
        "type": "经销商",
        "legal_name": "南京金陵商贸有限公司",
        "short_name": "金陵商贸",
        "credit_code": "91320100MA1XKQ5T2" + uscc_check_character("91320100MA1XKQ5T2"),
        "region": "320100",
        "address": "南京市玄武区中山路1号",
        "tier": "gold",
        "status": "active",
        "parent_code": "",
        "product_lines": "空调,冰箱",
        "tags": "重点客户",
        "channel_manager": "channel",
        "contact_name": "张三",
        "contact_mobile": "13800000000",
        "contact_email": "zhangsan@example.cn",
    }
    workbook = Spreadsheet()
    sheet = workbook.sheet(_("Partners"))
    sheet.append([column.label() for column in COLUMNS], bold=True)
    sheet.widths([max(14, len(column.label()) * 2 + 4) for column in COLUMNS])
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
    guide.widths([14, 14, 10, 80, 30])
    return workbook.to_bytes()
