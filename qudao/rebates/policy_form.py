"""The rebate policy form's page helpers (rebates/policy_form.html, its views in views.py): the
form as the service's dict, the tier table's rows, the labelled lists the targets are chosen from,
and every error at its field with a summary on top.

The form is the service's dict, with the tiers typed as rows of a table. Every error is shown at the
field it names: a tier's error at its row (the row the user typed it in, blank rows above it or not)
and its cell, the targets' at the targeting section; and all of them in a summary on top linking to
their fields. Rows used to be numbered among the non-blank rows only and every error of a row was
printed under its "From" cell, so a value's error stood under the bound of another row.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from qudao.catalog.pickers import SkuField
from qudao.core.errors import FieldErrors
from qudao.core.forms import Form
from qudao.core.pickers import SEARCH_SUFFIX, MultiPickerField, RegionField
from qudao.partners.pickers import PartnerField
from qudao.pricing.pickers import PromotionField

from . import engine, services
from .models import BasisKind, PeriodKind, RebatePolicy, RebateTier, ReturnsPeriod, TierMeasure, TierStyle
from .ratios import RATIO_MEASURES

BLANK_ROWS = 6  # blank rows without JS (qudao/static/qudao/rebates_policy.js adds and removes rows)
MAX_TIER_ROWS = 50
CHOSEN_LISTS = ("product_lines", "target_tiers", "target_partner_types")
PICKED_LISTS = ("skus", "excluded_skus", "excluded_promotions", "target_regions", "target_partners")
TARGET_FIELDS = ("target_tiers", "target_regions", "target_partner_types", "target_partners")
TIER_CELLS = ("lower_bound", "upper_bound", "reward", "value")
FIELD_LABELS = {
    "code": gettext_lazy("Code"),
    "name": gettext_lazy("Name"),
    "description": gettext_lazy("Description"),
    "currency": gettext_lazy("Currency"),
    "effective_from": gettext_lazy("Effective from"),
    "basis": gettext_lazy("Basis"),
    "returns_count_in": gettext_lazy("Returns reduce"),
    "product_lines": gettext_lazy("Product lines"),
    "skus": gettext_lazy("SKUs"),
    "excluded_skus": gettext_lazy("SKUs excluded"),
    "excluded_promotions": gettext_lazy("Promotions excluded"),
    "period_kind": gettext_lazy("Period"),
    "custom_start": gettext_lazy("Custom period from"),
    "custom_end": gettext_lazy("Custom period to"),
    "targets": gettext_lazy("Who it targets"),
    "target_tiers": pgettext_lazy("partner tier", "Partner tiers"),
    "target_regions": gettext_lazy("Regions"),
    "target_partner_types": gettext_lazy("Partner types"),
    "target_partners": gettext_lazy("Partners"),
    "tier_style": gettext_lazy("Tier style"),
    "tier_measure": gettext_lazy("Tiers measured on"),
    "tiers": gettext_lazy("Tier table"),
    "cap": gettext_lazy("Cap per partner and period"),
    "focus_product_line": gettext_lazy("Focus product line"),
    # no "%" here: the templates' "(%)" labels are other messages ("(%%)" in the catalogues)
    "focus_min_share": gettext_lazy("Minimum share of the focus line"),
    "min_payment_ratio": gettext_lazy("Minimum payment ratio"),
    "max_overdue_days": gettext_lazy("No receivables overdue more than (days)"),
}
TIER_CELL_LABELS = {
    "lower_bound": gettext_lazy("From"),
    "upper_bound": gettext_lazy("To"),
    "reward": gettext_lazy("Reward"),
    "value": gettext_lazy("Value"),
}


def _tier_rows_posted(post) -> list[tuple[int, dict]]:
    """(row index, row) of every tier row typed in, in the form's own numbering."""
    indexes = set()
    for key in post:
        match = re.fullmatch(r"tier_(?:lower|upper|value|reward)_(\d{1,3})", key)
        if match and int(match.group(1)) < MAX_TIER_ROWS:
            indexes.add(int(match.group(1)))
    rows = []
    for index in sorted(indexes):
        row = {
            "lower_bound": post.get(f"tier_lower_{index}", "").strip(),
            "upper_bound": post.get(f"tier_upper_{index}", "").strip(),
            "value": post.get(f"tier_value_{index}", "").strip(),
            "reward": post.get(f"tier_reward_{index}", "rate") or "rate",
        }
        if row["lower_bound"] or row["upper_bound"] or row["value"]:
            rows.append((index, row))
    return rows


class PolicyPickers(Form):
    """The policy's lists of records, picked by name (docs/pickers.md): SKUs by name, code or
    barcode, promotions by name or code, regions as 江苏 → 南京, partners by name, short name, code
    or credit code. Each submits codes, as the policy keeps them; without script each takes a typed
    list of codes. What the user may not see is not found (a field error)."""

    skus = MultiPickerField(SkuField(), required=False, label=FIELD_LABELS["skus"])
    excluded_skus = MultiPickerField(SkuField(), required=False, label=FIELD_LABELS["excluded_skus"])
    excluded_promotions = MultiPickerField(PromotionField(), required=False, label=FIELD_LABELS["excluded_promotions"])
    target_regions = MultiPickerField(RegionField(), required=False, label=FIELD_LABELS["target_regions"])
    target_partners = MultiPickerField(
        PartnerField(by_code=True), required=False, label=FIELD_LABELS["target_partners"]
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "f-%s")
        super().__init__(*args, **kwargs)


def picker_form(data: dict, user) -> PolicyPickers:
    """The pickers showing what `data` names (a stored policy, or what a form resolved)."""
    initial = {key: list(data.get(key) or []) for key in PICKED_LISTS}
    return PolicyPickers(initial=initial, user=user)


def form_data(post, user=None, *, typed: bool = True) -> dict:
    """The policy form as the service reads it: chosen lists, picked codes, tiers from rows (with
    `tier_rows`: the form row of each tier, to show a tier's errors on its row; `picker_errors`:
    what a picker could not find, by field; `_pickers`: the bound pickers, to show them again).
    `typed=False` (the live preview): only the chips, not the text still being typed."""
    data = {key: post.get(key, "") for key in services.POLICY_FIELDS if key not in ("growth", "allow_interim")}
    for key in CHOSEN_LISTS:
        data[key] = [value for value in post.getlist(key) if value.strip()]
    if not typed:
        post = post.copy()
        for key in PICKED_LISTS:
            post.pop(key + SEARCH_SUFFIX, None)
    pickers = PolicyPickers(post, user=user)
    pickers.is_valid()
    for key in PICKED_LISTS:
        data[key] = list(pickers.cleaned_data.get(key) or [])
    data["picker_errors"] = {key: [str(message) for message in messages_] for key, messages_ in pickers.errors.items()}
    data["_pickers"] = pickers
    data["growth"] = post.get("growth") == "on"
    data["allow_interim"] = post.get("allow_interim") == "on"
    if "code" in post:
        data["code"] = post.get("code", "")
    rows = _tier_rows_posted(post)
    data["tiers"] = [row for _index, row in rows]
    data["tier_rows"] = [index for index, _row in rows]
    return data


def _plain(value) -> str:
    """A stored number as typed: 3.0000 -> "3", 100000.0000 -> "100000"."""
    if value in (None, ""):
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def on_rows(errors: dict, tier_rows: list[int]) -> dict:
    """The service numbers the tiers it was given; the form shows them on the rows they were typed
    in: tiers.<i>.<cell> -> tiers.<row>.<cell>."""
    out = {}
    for key, messages_ in errors.items():
        match = re.fullmatch(r"tiers\.(\d+)\.(\w+)", key)
        if match and int(match.group(1)) < len(tier_rows):
            key = f"tiers.{tier_rows[int(match.group(1))]}.{match.group(2)}"
        out.setdefault(key, []).extend(messages_)
    return out


def summary(errors: dict) -> list[tuple[str, str, str]]:
    """(anchor, what, message) of every error, in the form's order, for the list on top."""
    order = list(FIELD_LABELS)
    items = []
    for key, messages_ in errors.items():
        match = re.fullmatch(r"tiers\.(\d+)\.(\w+)", key)
        if match:
            row, cell = int(match.group(1)), match.group(2)
            anchor = f"tier-{row}-{cell}"
            what = _("Tier row %(row)s: %(cell)s") % {"row": row + 1, "cell": TIER_CELL_LABELS.get(cell, cell)}
            rank = (order.index("tiers"), row, TIER_CELLS.index(cell) if cell in TIER_CELLS else 9)
        else:
            anchor = f"f-{key}" if key in FIELD_LABELS else "policy-form"
            what = str(FIELD_LABELS.get(key, ""))
            rank = (order.index(key) if key in FIELD_LABELS else -1, 0, 0)
        items.extend((rank, anchor, what, str(message)) for message in messages_)
    return [(anchor, what, message) for _rank, anchor, what, message in sorted(items, key=lambda item: item[0])]


def _tier_table(data: dict, errors: dict, blank_rows: int) -> list[dict]:
    """The rows of the tier table as shown: the typed rows where they were typed, blank ones after,
    each with its cells' errors."""
    tiers = data.get("tiers") or []
    typed = dict(zip(data.get("tier_rows") or range(len(tiers)), tiers, strict=True))
    count = max([blank_rows, *[index + 2 for index in typed]]) if typed else blank_rows
    count = min(count, MAX_TIER_ROWS)
    rows = []
    for index in range(count):
        tier = typed.get(index, {})
        rows.append(
            {
                "index": index,
                "number": index + 1,
                "lower_bound": _plain(tier.get("lower_bound")),
                "upper_bound": _plain(tier.get("upper_bound")),
                "reward": tier.get("reward") or "rate",
                "value": _plain(tier.get("value")),
                "errors": {cell: errors.get(f"tiers.{index}.{cell}", []) for cell in TIER_CELLS},
            }
        )
    return rows


def check_pickers(data: dict, *, instance=None) -> None:
    """Refuse the form when a picker found nothing for what was sent, with every other error of the
    form too (the service's, less "choose the partners" when a target list was refused).

    :raises FieldErrors:
    """
    picker_errors = data.get("picker_errors") or {}
    if not picker_errors:
        return
    errors = FieldErrors()
    try:
        services.clean_policy(service_data(data), instance=instance)
    except FieldErrors as error:
        errors = error
    if any(key in picker_errors for key in TARGET_FIELDS):
        errors.errors.pop("targets", None)
    for key, messages_ in picker_errors.items():
        for message in messages_:
            errors.add(key, message)
    raise errors


def _choices(data: dict) -> dict:
    """The labelled lists the targets and products are chosen from (what a policy already names is
    kept in the list even when it is no longer offered, so that saving does not drop it)."""
    from qudao.catalog.models import ProductLine
    from qudao.partners.models import PartnerType
    from qudao.partners.models import Tier as PartnerTier

    lines = ProductLine.objects.filter(Q(is_active=True) | Q(code__in=list(data.get("product_lines") or [])))
    tiers = PartnerTier.objects.filter(Q(is_active=True) | Q(code__in=list(data.get("target_tiers") or [])))
    return {
        "line_choices": [(line.code, line.name, line.depth) for line in lines.order_by("path")],
        "partner_tier_choices": [(tier.code, tier.name) for tier in tiers.order_by("rank", "pk")],
        "partner_type_choices": PartnerType.choices,
    }


def form_context(
    data: dict, errors: dict | None = None, policy=None, *, blank_rows: int = BLANK_ROWS, user=None
) -> dict:
    errors = on_rows(errors or {}, list(data.get("tier_rows") or range(len(data.get("tiers") or []))))
    shown = {key: value for key, value in data.items() if key not in ("_pickers", "picker_errors")}
    pickers = data.get("_pickers") or picker_form(data, user)
    for key in services.LIST_FIELDS:
        value = shown.get(key)
        if key in PICKED_LISTS:
            continue
        if key not in CHOSEN_LISTS and isinstance(value, list):
            shown[key] = ", ".join(value)
        elif key in CHOSEN_LISTS:
            shown[key] = list(value or []) if not isinstance(value, str) else [v for v in value.split(",") if v]
    for key in ("cap", "focus_min_share", "min_payment_ratio"):
        shown[key] = _plain(shown.get(key))
    return {
        "data": shown,
        "tier_rows": _tier_table(data, errors, blank_rows),
        "errors": errors,
        "error_summary": summary(errors),
        "policy": policy,
        "pickers": pickers,
        "bases": BasisKind.choices,
        "periods": PeriodKind.choices,
        "styles": TierStyle.choices,
        "measures": TierMeasure.choices,
        "on_ratio": shown.get("tier_measure") in RATIO_MEASURES,
        "returns_periods": ReturnsPeriod.choices,
        "rewards": RebateTier.Reward.choices,
        **_choices(shown),
    }


def policy_data(policy: RebatePolicy) -> dict:
    data = {field: getattr(policy, field) for field in services.POLICY_FIELDS}
    for key in ("custom_start", "custom_end", "effective_from"):
        data[key] = data[key].isoformat() if data[key] else ""
    for key in ("cap", "focus_min_share", "min_payment_ratio", "max_overdue_days"):
        data[key] = "" if data[key] is None else data[key]
    data["code"] = policy.code
    tiers = list(policy.tiers.all())
    units = policy.basis == BasisKind.QUANTITY and policy.tier_measure not in RATIO_MEASURES
    data["tiers"] = [
        {
            "lower_bound": tier.lower_bound,
            "upper_bound": engine.upper_bound(tiers, index, counts_units=units),
            "value": tier.value,
            "reward": tier.reward,
        }
        for index, tier in enumerate(tiers)
    ]
    data["tier_rows"] = list(range(len(tiers)))
    return data


def service_data(data: dict) -> dict:
    return {key: value for key, value in data.items() if key not in ("tier_rows", "picker_errors", "_pickers")}
