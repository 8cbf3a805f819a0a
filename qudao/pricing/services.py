"""Business rules of price policies: price lists (with items and rules), floor prices, activation
and the approval of deep discounts. Pricing itself is qudao.pricing.engine."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qudao.core import approvals, display
from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import BrandSettings, Region
from qudao.core.money import SUPPORTED_CURRENCIES, parse_amount, unit_price_text

from .engine import HUNDRED, RuleInfo, _ancestor_paths, rule_price
from .models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion, ScopeKind

PRICE_LIST_SUBJECT = "price_list"
# A list whose prices go more than this many percent below the base list needs approval.
DEFAULT_APPROVAL_DISCOUNT_PERCENT = Decimal("15")
MAX_PRICE = Decimal("9999999999999999")
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
EDITABLE = (PriceList.Status.DRAFT, PriceList.Status.REJECTED)
OCCUPYING = (PriceList.Status.ACTIVE, PriceList.Status.PENDING_APPROVAL)


def approval_discount_percent() -> Decimal:
    """The configurable threshold (settings.PRICING_APPROVAL_DISCOUNT_PERCENT, default 15)."""
    return Decimal(str(getattr(settings, "PRICING_APPROVAL_DISCOUNT_PERCENT", DEFAULT_APPROVAL_DISCOUNT_PERCENT)))


def _amount(value, field: str, errors: FieldErrors) -> Decimal | None:
    try:
        amount = parse_amount(value)
    except (ValueError, TypeError):
        errors.add(field, _("Enter an amount, e.g. 1299.00."))
        return None
    if amount < 0:
        errors.add(field, _("The amount cannot be negative."))
        return None
    if amount > MAX_PRICE or amount.as_tuple().exponent < -4:
        errors.add(field, _("Enter an amount with at most 4 decimal places."))
        return None
    return amount


def _dates(data: dict, errors: FieldErrors, current=None) -> tuple[date | None, date | None]:
    valid_from = data.get("valid_from", getattr(current, "valid_from", None))
    valid_to = data.get("valid_to", getattr(current, "valid_to", None))
    if valid_from is None:
        errors.add("valid_from", _("Enter the first day of validity."))
    elif valid_to is not None and valid_to < valid_from:
        errors.add("valid_to", _("The end of validity cannot be before its start."))
    return valid_from, valid_to


# --- price lists -----------------------------------------------------------------------------


def _clean_price_list(data: dict, instance: PriceList | None) -> dict:
    from qudao.partners.models import Partner, Tier

    errors = FieldErrors()
    clean: dict = {}
    if instance is None or "code" in data:
        code = (data.get("code") or "").strip()
        if not code or not CODE_RE.match(code) or len(code) > 40:
            errors.add("code", _("Enter a code of letters, digits, - or _ (at most 40)."))
        elif PriceList.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors.add("code", _("A price list with this code exists."))
        clean["code"] = code
    if instance is None or "name" in data:
        name = (data.get("name") or "").strip()
        if not name or len(name) > 120:
            errors.add("name", _("Enter a name (at most 120 characters)."))
        clean["name"] = name
    if instance is None or "currency" in data:
        currency = (data.get("currency") or "CNY").upper()
        if currency not in SUPPORTED_CURRENCIES:
            errors.add("currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(SUPPORTED_CURRENCIES)})
        clean["currency"] = currency
    if instance is None or "tier" in data:
        tier = None
        if data.get("tier"):
            tier = Tier.objects.filter(code=data["tier"]).first()
            if tier is None:
                errors.add("tier", _("Unknown tier."))
        clean["tier"] = tier
    if instance is None or "region" in data:
        region = None
        if data.get("region"):
            region = Region.objects.filter(code=data["region"]).first()
            if region is None:
                errors.add("region", _("Unknown region."))
        clean["region"] = region
    if instance is None or "partner" in data:
        partner = None
        if data.get("partner"):
            partner = Partner.objects.filter(pk=data["partner"]).first()
            if partner is None:
                errors.add("partner", _("Unknown partner."))
        clean["partner"] = partner
    partner = clean.get("partner", getattr(instance, "partner", None))
    tier = clean.get("tier", getattr(instance, "tier", None))
    region = clean.get("region", getattr(instance, "region", None))
    if partner is not None and (tier is not None or region is not None):
        errors.add("partner", _("A partner's price list names no tier or region."))
    if "priority" in data or instance is None:
        clean["priority"] = int(data.get("priority") or 0)
    valid_from, valid_to = _dates(data, errors, instance)
    clean["valid_from"], clean["valid_to"] = valid_from, valid_to
    if errors.errors:
        raise errors
    return clean


def overlapping_lists(price_list: PriceList):
    """Active or pending lists that would tie with `price_list`: same audience kind and priority,
    audiences that can contain the same partner, and validity periods that overlap."""
    others = PriceList.objects.filter(kind=price_list.kind, priority=price_list.priority, status__in=OCCUPYING).exclude(
        pk=price_list.pk
    )
    if price_list.valid_to is not None:
        others = others.filter(valid_from__lte=price_list.valid_to)
    others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=price_list.valid_from))
    if price_list.partner_id:
        others = others.filter(partner_id=price_list.partner_id)
    if price_list.tier_id:
        others = others.filter(tier_id=price_list.tier_id)
    if price_list.region_id:
        path = price_list.region.path
        others = others.filter(Q(region__path__startswith=path) | Q(region__path__in=_ancestor_paths(path)))
    return others.order_by("code")


def _check_no_overlap(price_list: PriceList) -> None:
    clash = overlapping_lists(price_list).first()
    if clash is not None:
        raise FieldErrors.single(
            "priority",
            _(
                "Price list %(code)s has the same audience and priority and overlapping dates; "
                "change the priority or the dates."
            )
            % {"code": clash.code},
            code="overlap",
        )


def create_price_list(*, data: dict, actor=None) -> PriceList:
    clean = _clean_price_list(data, None)
    with transaction.atomic():
        return PriceList.objects.create(**clean)


def update_price_list(*, price_list: PriceList, data: dict, actor=None) -> PriceList:
    """A draft or rejected list may change in every field. An active or pending list may change
    only its name and end of validity (to stop it, or to schedule its successor)."""
    if price_list.status not in EDITABLE:
        fixed = sorted(set(data) - {"name", "valid_to"})
        if fixed:
            raise FieldErrors({field: [_("An active or pending price list cannot change this.")] for field in fixed})
    clean = _clean_price_list(data, price_list)
    with transaction.atomic():
        BrandSettings.objects.select_for_update().get(pk=BrandSettings.current().pk)
        price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
        for key, value in clean.items():
            setattr(price_list, key, value)
        price_list.kind = PriceList.kind_for(price_list.tier_id, price_list.region_id, price_list.partner_id)
        if price_list.status in OCCUPYING:
            _check_no_overlap(price_list)
        price_list.save()
    return price_list


def delete_price_list(*, price_list: PriceList) -> None:
    if price_list.status not in EDITABLE:
        raise Conflict(_("Only a draft or rejected price list can be deleted."))
    with transaction.atomic():
        price_list.items.all().delete()
        price_list.rules.all().delete()
        price_list.delete()


def _require_editable(price_list: PriceList) -> None:
    if price_list.status not in EDITABLE:
        raise Conflict(_("Only a draft or rejected price list can change its prices; create a new list instead."))


def floor_for_period(sku_id: int, currency: str, valid_from: date, valid_to: date | None) -> Decimal | None:
    """The highest floor price of a SKU valid at any time in the period."""
    floors = FloorPrice.objects.filter(sku_id=sku_id, currency=currency).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        floors = floors.filter(valid_from__lte=valid_to)
    prices = list(floors.values_list("price", flat=True))
    return max(prices) if prices else None


def set_item(*, price_list: PriceList, data: dict, actor=None) -> PriceListItem:
    """Add or replace the price of a SKU from a quantity (1 is the base row).

    :raises FieldErrors: sku unknown, min_qty < 1, price not an amount or below the SKU's floor.
    """
    from qudao.catalog.models import Sku

    _require_editable(price_list)
    errors = FieldErrors()
    sku = Sku.objects.filter(pk=data.get("sku")).first() if data.get("sku") else None
    if sku is None:
        errors.add("sku", _("Unknown SKU."))
    min_qty = data.get("min_qty") or 1
    if not isinstance(min_qty, int) or min_qty < 1:
        errors.add("min_qty", _("Enter a quantity of at least 1."))
    price = _amount(data.get("price"), "price", errors)
    if sku is not None and price is not None:
        floor = floor_for_period(sku.pk, price_list.currency, price_list.valid_from, price_list.valid_to)
        if floor is not None and price < floor:
            errors.add(
                "price",
                _("The price is below the floor price of %(floor)s for this SKU.")
                % {"floor": unit_price_text(floor, grouping=True)},
            )
    if errors.errors:
        raise errors
    with transaction.atomic():
        item, _created = PriceListItem.objects.update_or_create(
            price_list=price_list, sku=sku, min_qty=min_qty, defaults={"price": price}
        )
    return item


MAX_GRID_ROWS = 200


def set_items(*, price_list: PriceList, rows: list[dict], actor=None) -> list[PriceListItem]:
    """Add or replace several prices at once (the grid editor): all of them or none.

    `rows`: [{"sku": id, "min_qty": int, "price": text}], each checked as `set_item` checks one.
    :raises FieldErrors: "rows" when there is none or too many, "rows.<i>.<field>" for each wrong
        row (a SKU and quantity given twice is wrong on its second row); nothing is saved.
    """
    from qudao.catalog.models import Sku

    _require_editable(price_list)
    errors = FieldErrors()
    if not rows:
        errors.add("rows", _("Enter at least one price."))
    elif len(rows) > MAX_GRID_ROWS:
        errors.add("rows", _("At most %(max)d rows at once.") % {"max": MAX_GRID_ROWS})
    if errors.errors:
        raise errors
    skus = Sku.objects.in_bulk([row.get("sku") for row in rows if isinstance(row.get("sku"), int)])
    cleaned, seen = [], {}
    for index, row in enumerate(rows):
        sku = skus.get(row.get("sku")) if isinstance(row.get("sku"), int) else None
        if sku is None:
            errors.add(f"rows.{index}.sku", _("Unknown SKU."))
        min_qty = row.get("min_qty") or 1
        if not isinstance(min_qty, int) or min_qty < 1:
            errors.add(f"rows.{index}.min_qty", _("Enter a quantity of at least 1."))
            min_qty = None
        price = _amount(row.get("price"), f"rows.{index}.price", errors)
        if sku is not None and price is not None:
            floor = floor_for_period(sku.pk, price_list.currency, price_list.valid_from, price_list.valid_to)
            if floor is not None and price < floor:
                errors.add(
                    f"rows.{index}.price",
                    _("The price is below the floor price of %(floor)s for this SKU.") % {"floor": floor},
                )
        if sku is not None and min_qty is not None:
            if (sku.pk, min_qty) in seen:
                errors.add(
                    f"rows.{index}.sku",
                    _("Row %(row)d already prices this SKU from this quantity.") % {"row": seen[sku.pk, min_qty] + 1},
                )
            seen.setdefault((sku.pk, min_qty), index)
        cleaned.append((sku, min_qty, price))
    if errors.errors:
        raise errors
    with transaction.atomic():
        return [
            PriceListItem.objects.update_or_create(
                price_list=price_list, sku=sku, min_qty=min_qty, defaults={"price": price}
            )[0]
            for sku, min_qty, price in cleaned
        ]


def delete_item(*, item: PriceListItem) -> None:
    _require_editable(item.price_list)
    item.delete()


def set_rule(*, price_list: PriceList, data: dict, actor=None) -> PriceListRule:
    from qudao.catalog.models import ProductLine

    _require_editable(price_list)
    errors = FieldErrors()
    line = ProductLine.objects.filter(pk=data.get("product_line")).first() if data.get("product_line") else None
    if line is None:
        errors.add("product_line", _("Unknown product line."))
    method = data.get("method")
    if method not in PriceListRule.Method.values:
        errors.add("method", _("Choose percent_of_base or fixed_discount."))
    value = _amount(data.get("value"), "value", errors)
    if value is not None and method == PriceListRule.Method.PERCENT_OF_BASE and value > HUNDRED * 10:
        errors.add("value", _("Enter a percentage of the base price, e.g. 95."))
    rounding = str(data.get("rounding") or "0.01")
    if rounding not in PriceListRule.Rounding.values:
        errors.add("rounding", _("Choose 0.01, 0.1 or 1."))
    if errors.errors:
        raise errors
    with transaction.atomic():
        rule, _created = PriceListRule.objects.update_or_create(
            price_list=price_list, product_line=line, defaults={"method": method, "value": value, "rounding": rounding}
        )
    return rule


def delete_rule(*, rule: PriceListRule) -> None:
    _require_editable(rule.price_list)
    rule.delete()


# --- activation and approval -------------------------------------------------------------------


def _base_breaks(on: date, sku_ids=None) -> dict[int, tuple]:
    """{sku id: ((min_qty, price), ...)} of the winning active base list on `on`."""
    items = PriceListItem.objects.filter(
        price_list__kind=ScopeKind.BASE, price_list__status=PriceList.Status.ACTIVE, price_list__valid_from__lte=on
    ).filter(Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=on))
    if sku_ids is not None:
        items = items.filter(sku_id__in=sku_ids)
    best: dict[int, tuple] = {}
    rows = items.order_by("price_list__priority", "price_list_id").values_list(
        "sku_id", "price_list__priority", "price_list_id", "min_qty", "price"
    )
    for sku_id, priority, list_id, min_qty, price in rows:
        key = (priority, list_id)
        current = best.get(sku_id)
        if current is None or key > current[0]:
            best[sku_id] = (key, [(min_qty, price)])
        elif key == current[0]:
            current[1].append((min_qty, price))
    return {sku_id: tuple(sorted(breaks)) for sku_id, (_key, breaks) in best.items()}


def max_discount_percent(price_list: PriceList) -> Decimal:
    """How far below the base list the list's prices go at most, in percent (0 for a base list)."""
    from qudao.catalog.models import Sku

    if price_list.kind == ScopeKind.BASE:
        return Decimal("0")
    worst = Decimal("0")
    items = list(price_list.items.values_list("sku_id", "min_qty", "price"))
    bases = _base_breaks(price_list.valid_from, {sku_id for sku_id, _q, _p in items})
    for sku_id, min_qty, price in items:
        chosen = None
        for base_qty, base_price in bases.get(sku_id, ()):
            if base_qty <= min_qty:
                chosen = base_price
        if chosen:
            worst = max(worst, (chosen - price) * HUNDRED / chosen)
    for rule in price_list.rules.select_related("product_line"):
        if rule.method == PriceListRule.Method.PERCENT_OF_BASE:
            worst = max(worst, HUNDRED - rule.value)
            continue
        line_skus = Sku.objects.filter(product__product_line__path__startswith=rule.product_line.path)
        info = RuleInfo(
            rule.product_line.path, rule.product_line.depth, rule.method, rule.value, Decimal(rule.rounding)
        )
        for breaks in _base_breaks(price_list.valid_from, line_skus.values_list("pk", flat=True)).values():
            for _qty, base_price in breaks:
                if base_price:
                    worst = max(worst, (base_price - rule_price(info, base_price)) * HUNDRED / base_price)
    return worst.quantize(Decimal("0.01"))


def activate_price_list(*, price_list: PriceList, actor=None) -> PriceList:
    """Put a draft (or rejected) list into force: at once, or through the price-list approval flow
    when its prices go more than the configured percentage below the base list.

    :raises Conflict: the list is not a draft or rejected.
    :raises FieldErrors: priority: another list of the same audience and priority overlaps its dates.
    """
    with transaction.atomic():
        # Activations are serialised (one brand-wide row lock) so that two lists that would tie
        # cannot both pass the overlap check at the same moment.
        BrandSettings.objects.select_for_update().get(pk=BrandSettings.current().pk)
        price_list = PriceList.objects.select_for_update(of=("self",)).select_related("region").get(pk=price_list.pk)
        if price_list.status not in EDITABLE:
            raise Conflict(_("Only a draft or rejected price list can be activated."))
        _check_no_overlap(price_list)
        discount = max_discount_percent(price_list)
        request = None
        if discount > approval_discount_percent():
            request = approvals.start_approval(
                kind=PRICE_LIST_SUBJECT,
                subject_id=price_list.pk,
                title=str(_("Price list %(code)s: up to %(discount)s%% below base"))
                % {"code": price_list.code, "discount": discount},
                context={
                    "max_discount_percent": str(discount),
                    "kind": price_list.kind,
                    "price_list": price_list.code,
                },
                region=price_list.region,
                partner_id=price_list.partner_id,
                submitted_by=actor,
            )
        if request is None:
            price_list.status = PriceList.Status.ACTIVE
            price_list.approval = None
        else:
            price_list.status = PriceList.Status.PENDING_APPROVAL
            price_list.approval = request
        price_list.save()
    return price_list


def _set_status(request, status) -> None:
    price_list = PriceList.objects.filter(pk=int(request.subject_id)).first()
    if price_list is not None and price_list.status == PriceList.Status.PENDING_APPROVAL:
        price_list.status = status
        price_list.save()


def on_price_list_approved(request, actor) -> None:
    _set_status(request, PriceList.Status.ACTIVE)


def on_price_list_rejected(request, actor) -> None:
    _set_status(request, PriceList.Status.REJECTED)


def on_price_list_returned(request, actor) -> None:
    _set_status(request, PriceList.Status.DRAFT)


def register_subjects() -> None:
    approvals.register_subject(
        approvals.SubjectHandler(
            kind=PRICE_LIST_SUBJECT,
            label=_("Price list"),
            on_approved=on_price_list_approved,
            on_rejected=on_price_list_rejected,
            on_returned=on_price_list_returned,
            subject_url=lambda request: f"/pricing/price-lists/{request.subject_id}/",
            fields={
                "max_discount_percent": approvals.ContextField(
                    _("Largest discount below base"), display.percent_of_hundred_text
                ),
                "kind": approvals.ContextField(_("Audience"), display.labels(ScopeKind)),
                "price_list": approvals.ContextField(_("Price list")),
            },
            condition_fields=(
                approvals.ConditionField("max_discount_percent", _("Largest discount below base (%)"), "number"),
                approvals.ConditionField("kind", _("Audience"), "choice", ScopeKind.choices),
            ),
        )
    )


# --- floor prices ------------------------------------------------------------------------------


def _clean_floor(data: dict, instance: FloorPrice | None) -> dict:
    from qudao.catalog.models import Sku

    errors = FieldErrors()
    clean: dict = {}
    if instance is None or "sku" in data:
        sku = Sku.objects.filter(pk=data.get("sku")).first() if data.get("sku") else None
        if sku is None:
            errors.add("sku", _("Unknown SKU."))
        clean["sku"] = sku
    if instance is None or "price" in data:
        clean["price"] = _amount(data.get("price"), "price", errors)
    if instance is None or "currency" in data:
        currency = (data.get("currency") or "CNY").upper()
        if currency not in SUPPORTED_CURRENCIES:
            errors.add("currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(SUPPORTED_CURRENCIES)})
        clean["currency"] = currency
    clean["valid_from"], clean["valid_to"] = _dates(data, errors, instance)
    if errors.errors:
        raise errors
    sku = clean.get("sku") or instance.sku
    currency = clean.get("currency") or instance.currency
    others = FloorPrice.objects.filter(sku=sku, currency=currency).exclude(pk=getattr(instance, "pk", None))
    others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=clean["valid_from"]))
    if clean["valid_to"] is not None:
        others = others.filter(valid_from__lte=clean["valid_to"])
    if others.exists():
        raise FieldErrors.single("valid_from", _("Another floor price of this SKU overlaps these dates."))
    return clean


def create_floor_price(*, data: dict, actor=None) -> FloorPrice:
    clean = _clean_floor(data, None)
    with transaction.atomic():
        return FloorPrice.objects.create(**clean)


def update_floor_price(*, floor: FloorPrice, data: dict, actor=None) -> FloorPrice:
    clean = _clean_floor(data, floor)
    with transaction.atomic():
        for key, value in clean.items():
            setattr(floor, key, value)
        floor.save()
    return floor


def delete_floor_price(*, floor: FloorPrice) -> None:
    floor.delete()


# --- promotions --------------------------------------------------------------------------------


PROMOTION_INPUTS = (
    "code",
    "name",
    "kind",
    "stacking",
    "stack_group",
    "priority",
    "status",
    "tier",
    "region",
    "partner",
    "product_line",
    "sku",
    "valid_from",
    "valid_to",
    "value",
    "threshold",
    "per_each",
    "tiers",
    "buy_qty",
    "gift_qty",
    "gift_sku",
    "bundle_items",
    "partner_cap_qty",
    "budget_qty",
    "budget_amount",
)
# What may still change once a promotion has started (pause it to draft to change the rest).
EDITABLE_WHILE_ACTIVE = {"name", "valid_to", "priority", "partner_cap_qty", "budget_qty", "budget_amount"}
VALUE_KINDS = ("percent_off", "amount_off", "special_price", "limited_special", "threshold", "bundle")


def promotion_inputs(promotion: Promotion) -> dict:
    """A promotion as the input data that would create it (references as codes and ids)."""
    return {
        "code": promotion.code,
        "name": promotion.name,
        "kind": promotion.kind,
        "stacking": promotion.stacking,
        "stack_group": promotion.stack_group,
        "priority": promotion.priority,
        "status": promotion.status,
        "tier": promotion.tier.code if promotion.tier_id else None,
        "region": promotion.region.code if promotion.region_id else None,
        "partner": promotion.partner_id,
        "product_line": promotion.product_line_id,
        "sku": promotion.sku_id,
        "valid_from": promotion.valid_from,
        "valid_to": promotion.valid_to,
        "value": promotion.value,
        "threshold": promotion.threshold,
        "per_each": promotion.per_each,
        "tiers": promotion.tiers or [],
        "buy_qty": promotion.buy_qty,
        "gift_qty": promotion.gift_qty,
        "gift_sku": promotion.gift_sku_id,
        "bundle_items": promotion.bundle_items or [],
        "partner_cap_qty": promotion.partner_cap_qty,
        "budget_qty": promotion.budget_qty,
        "budget_amount": promotion.budget_amount,
    }


def _count(value, field: str, errors: FieldErrors, *, required: bool = False) -> int | None:
    """A whole number of at least 1, or None when empty (and not required)."""
    if value in (None, ""):
        if required:
            errors.add(field, _("Enter a whole number of at least 1."))
        return None
    if isinstance(value, bool):
        errors.add(field, _("Enter a whole number of at least 1."))
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.add(field, _("Enter a whole number of at least 1."))
        return None
    if number != value and str(number) != str(value).strip():
        errors.add(field, _("Enter a whole number of at least 1."))
        return None
    if number < 1 or number > 2_000_000_000:
        errors.add(field, _("Enter a whole number of at least 1."))
        return None
    return number


def _clean_promotion(data: dict, instance: Promotion | None) -> dict:
    """The cleaned values of a promotion: `data` over the current values of `instance` (PATCH).

    :raises FieldErrors: every wrong field at once.
    """
    from qudao.catalog.models import Lifecycle, ProductLine, Sku
    from qudao.catalog.scope import is_sku_allowed
    from qudao.partners.models import Partner, Tier

    errors = FieldErrors()
    if instance is not None:
        if instance.status == Promotion.Status.ENDED:
            raise Conflict(_("An ended promotion cannot be changed."))
        if instance.status != Promotion.Status.DRAFT:
            for key in data:
                if key not in EDITABLE_WHILE_ACTIVE and data[key] != promotion_inputs(instance).get(key):
                    errors.add(key, _("Pause the promotion (set it to draft) before changing this."))
            if errors.errors:
                raise errors
        merged = promotion_inputs(instance) | {key: value for key, value in data.items() if key in PROMOTION_INPUTS}
    else:
        merged = {key: data.get(key) for key in PROMOTION_INPUTS}
    clean: dict = {}
    code = (merged.get("code") or "").strip()
    if not code or not CODE_RE.match(code) or len(code) > 40:
        errors.add("code", _("Enter a code of letters, digits, - or _ (at most 40)."))
    elif Promotion.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
        errors.add("code", _("A promotion with this code exists."))
    clean["code"] = code
    clean["name"] = (merged.get("name") or "").strip()
    if not clean["name"] or len(clean["name"]) > 120:
        errors.add("name", _("Enter a name (at most 120 characters)."))
    kind = merged.get("kind")
    if kind not in Promotion.Kind.values:
        errors.add("kind", _("Choose a kind of promotion."))
    clean["kind"] = kind
    stacking = merged.get("stacking")
    if stacking not in Promotion.Stacking.values:
        errors.add("stacking", _("Choose a stacking policy: exclusive, or stackable within a group."))
    clean["stacking"] = stacking
    clean["stack_group"] = (merged.get("stack_group") or "").strip()[:40]
    if stacking == Promotion.Stacking.STACKABLE and not clean["stack_group"]:
        errors.add("stack_group", _("Name the group this promotion stacks with."))
    try:
        clean["priority"] = int(merged.get("priority") or 0)
    except (TypeError, ValueError):
        errors.add("priority", _("Enter a whole number."))
    clean["status"] = merged.get("status") or Promotion.Status.DRAFT
    if clean["status"] not in Promotion.Status.values:
        errors.add("status", _("Choose draft, active or ended."))
    for field, model, lookup in (
        ("tier", Tier, "code"),
        ("region", Region, "code"),
        ("partner", Partner, "pk"),
        ("product_line", ProductLine, "pk"),
        ("sku", Sku, "pk"),
        ("gift_sku", Sku, "pk"),
    ):
        clean[field] = None
        if merged.get(field) not in (None, ""):
            try:
                clean[field] = model.objects.filter(**{lookup: merged[field]}).first()
            except (TypeError, ValueError):
                clean[field] = None
            if clean[field] is None:
                errors.add(field, _("Unknown reference."))
    if clean["partner"] is not None and (clean["tier"] is not None or clean["region"] is not None):
        errors.add("partner", _("A partner's promotion names no tier or region."))
    if clean["product_line"] is not None and clean["sku"] is not None:
        errors.add("sku", _("Cover a product line or a SKU, not both."))
    clean["value"] = clean["threshold"] = None
    clean["tiers"] = []
    clean["per_each"] = bool(merged.get("per_each"))
    if kind in VALUE_KINDS:
        if merged.get("value") in (None, ""):
            errors.add("value", _("Enter the value of the promotion."))
        else:
            clean["value"] = _amount(merged.get("value"), "value", errors)
            if kind == "percent_off" and clean["value"] is not None and clean["value"] > HUNDRED:
                errors.add("value", _("A percentage off is at most 100."))
    if kind == "threshold":
        threshold = _amount(merged.get("threshold"), "threshold", errors)
        if threshold is not None and threshold <= 0:
            errors.add("threshold", _("Enter a threshold above zero."))
        clean["threshold"] = threshold
    if kind == "tiered_threshold":
        tiers = merged.get("tiers") or []
        parsed = []
        for index, pair in enumerate(tiers):
            try:
                spend, off = (parse_amount(part) for part in pair)
            except (ValueError, TypeError):
                errors.add(f"tiers.{index}", _("Enter [spend, amount off] as two amounts."))
                continue
            if spend <= 0 or off < 0:
                errors.add(f"tiers.{index}", _("Enter [spend, amount off] as two amounts."))
            parsed.append([str(spend), str(off)])
        if not tiers:
            errors.add("tiers", _("Enter at least one tier."))
        clean["tiers"] = parsed
    clean["buy_qty"] = clean["gift_qty"] = None
    if kind == "buy_x_get_y":
        clean["buy_qty"] = _count(merged.get("buy_qty"), "buy_qty", errors, required=True)
        clean["gift_qty"] = _count(merged.get("gift_qty"), "gift_qty", errors, required=True)
        gift = clean["gift_sku"]
        if gift is not None:
            if gift.lifecycle != Lifecycle.ON_SALE:
                errors.add("gift_sku", _("The gift SKU is not on sale."))
            elif clean["partner"] is not None and not is_sku_allowed(clean["partner"], gift):
                errors.add("gift_sku", _("This partner may not buy the gift SKU, so it cannot be given to it."))
    else:
        clean["gift_sku"] = None
    clean["bundle_items"] = []
    if kind == "bundle":
        if clean["product_line"] is not None or clean["sku"] is not None:
            errors.add("product_line", _("A bundle covers the SKUs of the bundle; name no product line or SKU."))
        items = merged.get("bundle_items") or []
        seen = set()
        if not isinstance(items, list) or not items:
            errors.add("bundle_items", _("Name the SKUs of the bundle, each with its quantity."))
            items = []
        skus = {sku.pk: sku for sku in Sku.objects.filter(pk__in=[_first(item) for item in items if _first(item)])}
        for index, item in enumerate(items):
            sku_id = _first(item)
            quantity = _count(
                item[1] if isinstance(item, (list, tuple)) and len(item) == 2 else None,
                f"bundle_items.{index}",
                errors,
                required=True,
            )
            if sku_id not in skus:
                errors.add(f"bundle_items.{index}", _("Unknown SKU."))
            elif sku_id in seen:
                errors.add(f"bundle_items.{index}", _("This SKU is already in the bundle."))
            elif quantity is not None:
                seen.add(sku_id)
                clean["bundle_items"].append([sku_id, quantity])
    clean["partner_cap_qty"] = _count(merged.get("partner_cap_qty"), "partner_cap_qty", errors)
    clean["budget_qty"] = _count(merged.get("budget_qty"), "budget_qty", errors)
    clean["budget_amount"] = None
    if merged.get("budget_amount") not in (None, ""):
        clean["budget_amount"] = _amount(merged.get("budget_amount"), "budget_amount", errors)
    if kind == "limited_special" and all(
        clean[key] is None for key in ("partner_cap_qty", "budget_qty", "budget_amount")
    ):
        errors.add("partner_cap_qty", _("A limited special needs a cap per partner or a budget."))
    if instance is not None:
        if clean["budget_qty"] is not None and clean["budget_qty"] < instance.used_qty:
            errors.add(
                "budget_qty",
                _("Orders have already used %(used)s; the budget cannot be lower.") % {"used": instance.used_qty},
            )
        if clean["budget_amount"] is not None and clean["budget_amount"] < instance.used_amount:
            errors.add(
                "budget_amount",
                _("Orders have already used %(used)s; the budget cannot be lower.")
                % {"used": f"{instance.used_amount:.2f}"},
            )
    clean["valid_from"], clean["valid_to"] = _dates(merged, errors)
    if errors.errors:
        raise errors
    return clean


def _first(item):
    """The SKU id of a bundle item [sku id, quantity], or None."""
    if isinstance(item, (list, tuple)) and item and isinstance(item[0], int) and not isinstance(item[0], bool):
        return item[0]
    return None


def create_promotion(*, data: dict, actor=None) -> Promotion:
    """Create a promotion (a draft unless data["status"] is "active").

    :raises FieldErrors: code, name, kind, stacking (required: exclusive or stackable), stack_group
        (required when stackable), value / threshold / tiers / buy_qty, gift_qty, gift_sku /
        bundle_items as the kind needs them, limits, audience and coverage references, dates.
    """
    clean = _clean_promotion(data, None)
    with transaction.atomic():
        return Promotion.objects.create(**clean)


def update_promotion(*, promotion: Promotion, data: dict, actor=None) -> Promotion:
    """Change a promotion: anything while it is a draft; once started only its name, end date,
    priority and limits (never below what orders have used); an ended promotion not at all.

    :raises FieldErrors: as create_promotion, and the fields that may not change now.
    :raises Conflict: the promotion has ended.
    """
    with transaction.atomic():
        locked = Promotion.objects.select_for_update(of=("self",)).select_related("tier", "region").get(pk=promotion.pk)
        clean = _clean_promotion(data, locked)
        for key, value in clean.items():
            setattr(locked, key, value)
        locked.save()
        return locked


def delete_promotion(*, promotion: Promotion, actor=None) -> None:
    """Delete a promotion no order has used; a used one can only be ended (its history stays).

    :raises Conflict: orders have used it.
    """
    from .models import PromotionUsage

    with transaction.atomic():
        locked = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if PromotionUsage.objects.filter(promotion=locked).exists():
            raise Conflict(_("Orders have used this promotion; end it instead of deleting it."))
        locked.delete()


def set_promotion_status(*, promotion: Promotion, status: str, actor=None) -> Promotion:
    """Start, pause or end a promotion. An ended promotion stays ended."""
    if status not in Promotion.Status.values:
        raise FieldErrors.single("status", _("Choose draft, active or ended."))
    if promotion.status == Promotion.Status.ENDED and status != Promotion.Status.ENDED:
        raise Conflict(_("An ended promotion cannot start again; create a new one."))
    promotion.status = status
    promotion.save()
    return promotion
