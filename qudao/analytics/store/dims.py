"""The dimensions: small tables (partners and their history, tiers, regions, SKUs, warehouses,
users, promotions) read whole and written as one segment each, only when their content changed.

`partner_history` makes figures history-correct: each partner's tier, region, type, owner and
parent distributor as validity intervals of local days [valid_from, valid_to), rebuilt from the
audit trail (core.ObjectChange before/after of every Partner save) and partners.TierChange, walked
backwards from the partner's current values. A fact joins the interval that holds its day, so a
partner promoted to gold on 15 June counts as silver up to 14 June, in the region it was in then.
A change takes effect on the local day it was made.
"""

from __future__ import annotations

from datetime import date

from qudao.core.regions import macro_region_of

from .sources import local_day
from .storage import Table

FAR_PAST = date(1900, 1, 1)
FAR_FUTURE = date(9999, 12, 31)
TRACKED = ("tier", "region", "partner_type", "regional_owner", "channel_manager", "parent")

PARTNERS = Table(
    "partners",
    (
        ("partner_id", "id"),
        ("code", "text"),
        ("name", "text"),
        ("created_on", "date"),
        ("status", "text"),
    ),
    ledger=False,
)
PARTNER_HISTORY = Table(
    "partner_history",
    (
        ("partner_id", "id"),
        ("valid_from", "date"),
        ("valid_to", "date"),
        ("tier_id", "id"),
        ("region_id", "id"),
        ("partner_type", "text"),
        ("owner_id", "id"),
        ("parent_id", "id"),
    ),
    ledger=False,
)
TIERS = Table("tiers", (("tier_id", "id"), ("code", "text"), ("name", "text"), ("rank", "int")), ledger=False)
REGIONS = Table(
    "regions",
    (
        ("region_id", "id"),
        ("code", "text"),
        ("name", "text"),
        ("name_hant", "text"),
        ("name_en", "text"),
        ("province_id", "id"),
        ("city_id", "id"),
        ("macro", "text"),
    ),
    ledger=False,
)
SKUS = Table(
    "skus",
    (
        ("sku_id", "id"),
        ("code", "text"),
        ("name", "text"),
        ("product_id", "id"),
        ("product_name", "text"),
        ("product_line_id", "id"),
        ("product_line_name", "text"),
    ),
    ledger=False,
)
WAREHOUSES = Table("warehouses", (("warehouse_id", "id"), ("code", "text"), ("name", "text")), ledger=False)
USERS = Table("users", (("user_id", "id"), ("name", "text")), ledger=False)
PROMOTIONS = Table("promotions", (("code", "text"), ("name", "text")), ledger=False)

DIMENSIONS = [PARTNERS, PARTNER_HISTORY, TIERS, REGIONS, SKUS, WAREHOUSES, USERS, PROMOTIONS]


def _owner(values: dict):
    return values.get("regional_owner") or values.get("channel_manager")


def partner_history_rows() -> list[tuple]:
    """Every partner's attribute intervals: two set-based reads (partners, their changes), then
    a walk in memory."""
    from django.contrib.contenttypes.models import ContentType

    from qudao.core.models import ObjectChange
    from qudao.partners.models import Partner, TierChange

    current = {
        row["pk"]: {
            "tier": row["tier_id"],
            "region": row["region_id"],
            "partner_type": row["partner_type"],
            "regional_owner": row["regional_owner_id"],
            "channel_manager": row["channel_manager_id"],
            "parent": row["parent_id"],
        }
        for row in Partner.objects.values(
            "pk", "tier_id", "region_id", "partner_type", "regional_owner_id", "channel_manager_id", "parent_id"
        )
    }
    events: dict[int, list] = {}  # partner -> [(at, order, field, value before)]
    partner_type = ContentType.objects.get_for_model(Partner)
    changes = ObjectChange.objects.filter(content_type=partner_type, action="update").values_list(
        "object_id", "at", "pk", "before", "after"
    )
    for object_id, at, pk, before, after in changes.iterator(chunk_size=5000):
        before, after = before or {}, after or {}
        for field in TRACKED:
            if field in before and before.get(field) != after.get(field):
                events.setdefault(int(object_id), []).append((at, pk, field, before.get(field)))
    for partner_id, at, pk, from_tier in TierChange.objects.values_list("partner_id", "at", "pk", "from_tier_id"):
        if from_tier is not None:
            events.setdefault(partner_id, []).append((at, -pk, "tier", from_tier))
    rows = []
    for partner_id, state in current.items():
        state = dict(state)
        valid_to = FAR_FUTURE
        for at, _order, field, before in sorted(events.get(partner_id, []), key=lambda e: (e[0], e[1]), reverse=True):
            day = local_day(at)
            if day < valid_to:
                rows.append(_interval(partner_id, day, valid_to, state))
                valid_to = day
            state[field] = before
        rows.append(_interval(partner_id, FAR_PAST, valid_to, state))
    return rows


def _interval(partner_id, valid_from, valid_to, state) -> tuple:
    return (
        partner_id,
        valid_from,
        valid_to,
        state["tier"],
        state["region"],
        state["partner_type"],
        _owner(state),
        state["parent"],
    )


DIMENSION_MODELS = (
    "partners.Partner",
    "partners.Tier",
    "core.Region",
    "catalog.Sku",
    "catalog.Product",
    "catalog.ProductLine",
    "inventory.Warehouse",
    "accounts.User",
    "pricing.Promotion",
)
RECHECK_SECONDS = 600


def dimension_signature() -> str:
    """Cheap: has anything the dimensions read changed? The newest audit-trail row of those models
    (every save of theirs writes one), the newest tier change, their row counts, and the current
    ten minutes (so a change that bypassed the audit trail is picked up within ten minutes)."""
    import time

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Max

    from qudao.core.models import ObjectChange
    from qudao.partners.models import TierChange

    models = [apps.get_model(label) for label in DIMENSION_MODELS]
    kinds = ContentType.objects.get_for_models(*models).values()
    parts = [
        ObjectChange.objects.filter(content_type__in=list(kinds)).aggregate(m=Max("pk"))["m"],
        TierChange.objects.aggregate(m=Max("pk"))["m"],
        *(model.objects.count() for model in models),
        int(time.time() // RECHECK_SECONDS),
    ]
    return ",".join(str(part) for part in parts)


def dimension_rows() -> dict[str, list[tuple]]:
    from qudao.accounts.models import User
    from qudao.catalog.models import Sku
    from qudao.core.models import Region
    from qudao.inventory.models import Warehouse
    from qudao.partners.models import Partner, Tier
    from qudao.pricing.models import Promotion

    regions = list(Region.objects.values_list("pk", "code", "name", "name_hant", "name_en", "path", "level"))
    by_code = {code: pk for pk, code, *_rest in regions}
    region_rows = []
    for pk, code, name, name_hant, name_en, path, _level in regions:
        parts = [part for part in path.split("/") if part]
        province = by_code.get(parts[1]) if len(parts) >= 2 else None
        city = by_code.get(parts[2]) if len(parts) >= 3 else None

        class _Path:  # macro_region_of reads a region's path only
            pass

        holder = _Path()
        holder.path = path
        region_rows.append((pk, code, name, name_hant, name_en, province, city, macro_region_of(holder) or ""))
    return {
        "partners": [
            (pk, code, short or legal, local_day(created), status)
            for pk, code, short, legal, created, status in Partner.objects.values_list(
                "pk", "code", "short_name", "legal_name", "created_at", "status"
            )
        ],
        "partner_history": partner_history_rows(),
        "tiers": list(Tier.objects.values_list("pk", "code", "name", "rank")),
        "regions": region_rows,
        "skus": list(
            Sku.objects.values_list(
                "pk",
                "code",
                "name",
                "product_id",
                "product__name",
                "product__product_line_id",
                "product__product_line__name",
            )
        ),
        "warehouses": list(Warehouse.objects.values_list("pk", "code", "name")),
        "users": [
            (pk, (full or "").strip() or username)
            for pk, username, full in User.objects.values_list("pk", "username", "display_name")
        ],
        "promotions": list(Promotion.objects.values_list("code", "name")),
    }
