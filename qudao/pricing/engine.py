"""The pricing engine: one pure function prices a cart for a partner on a date.

`fetch_pricing_inputs(partner, sku_ids, on)` reads everything the engine needs at once (a handful
of queries whatever the size of the cart) into frozen dataclasses; `price_cart(inputs, lines, on)`
then computes the quote without touching the database, so the same inputs always give the same
answer.

The precedence rule (the one rule)
----------------------------------
A price list *applies* to a SKU for a partner on a date when:

1. it is active (approved where approval was needed) and valid on the date:
   valid_from <= date and (valid_to is empty or date <= valid_to). An expired or future list never
   applies. Scheduled price changes therefore take effect by themselves on their date: a list
   valid from 1 July is ignored on 30 June and applies on 1 July, with no job to run;
2. its audience includes the partner: the partner itself; its tier in its region; its tier; its
   region (the partner's region or any region above it, by Region.path prefix); or everyone (the
   base list);
3. it prices the SKU: it has an item row for the SKU whose `min_qty` is at most the quantity, or a
   rule covering the SKU's product line (the line or any line above it; the deepest covering rule
   of the list is used) and the SKU has a base price.

Among the applying lists the most specific audience wins:
partner (4) > tier+region (3) > tier (2) > region (1) > base (0).
At equal specificity the higher `priority` wins. Ties cannot happen: two lists of the same
audience kind and priority whose audiences can both contain a partner (same tier/partner, and one
region equal to or inside the other) and whose validity overlaps are refused when they are saved
or activated. (As a last, defensive key the deeper region, then the newer list, would win.)

Within the winning list an item row beats a rule; among item rows the quantity break is the row
with the largest `min_qty` <= quantity (quantities in the SKU's base unit, after unit conversion).

The base price (what rules are computed from) is the price the winning *base* list gives for the
same quantity. A rule `percent_of_base` gives base × value / 100, `fixed_discount` gives
base − value (never below zero), each rounded ROUND_HALF_UP to the rule's step (0.01, 0.1 or 1).
Example: base 1,299.00 at 95 % rounded to 1 yuan = 1,234.05 -> 1,234.00.

Only lists and floor prices in the partner's currency (Partner.credit_currency, CNY by default)
are considered; amounts of different currencies are never mixed.

Floor prices (最低限价)
----------------------
The floor of a SKU on the date is the floor price valid on the date (the highest, should several
be valid). No list price may take the net unit price below it: the engine raises the price to
the floor and says so (`floor_applied`). Item rows below the floor are refused when saved.

Promotions (促销) and stacking
----------------------------
A promotion is *eligible* when it is active, valid on the date, its audience includes the partner
(the same audiences as price lists) and it covers at least one line (its SKU, its product line
and the lines below it, or everything). Eligible promotions are settled in two phases, each in
order of priority (higher first; then the older promotion):

1. unit promotions, on the unit price of each covered line: percentage off, amount off per unit,
   fixed special price (the unit price becomes the special price when lower);
2. order promotions, on the sum of what the covered lines cost after phase 1: spend X get Y off
   (once, or for each full X), and tiered thresholds (only the highest tier reached applies).
   The amount is allocated back to the covered lines in proportion to their totals by the
   largest-remainder method, to the cent, so returns and rebates later see the true net.

Stacking (every promotion has a policy; there is no default): on any line, an *exclusive*
promotion never combines with another, and a *stackable* promotion combines only with promotions
of the same stacking group. When two would clash on a shared line, the one settled first keeps the
line and the other is not applied, with the reason: `exclusive` or `lost_on_priority` (and the
promotion it lost to). Unit promotions are settled before order promotions, so an order promotion
that clashes with a unit promotion on a shared line loses to it. A threshold not reached is
reported as `below_threshold` with the amount still missing (`short_by`); an applied per-each or
tiered promotion says how far the next step is (`next_threshold_short_by`).

No discount takes a line below its floor: a unit discount is cut to what the floor leaves
(`capped_at_floor`), and an order discount is cut to what the covered lines' floors leave.

Rounding (the one rule of qudao.core.money: ROUND_HALF_UP to 0.01)
-------------------------------------------------------------------
- list prices keep their stored 4 decimals until the unit price is fixed: it is rounded once, to
  0.01 (should that take it below a floor price stored with 4 decimals, the floor rounded up to
  the cent is used instead);
- each unit discount is rounded to 0.01 when it is computed, so the net unit price stays in cents;
- line total = net unit price × quantity (exact), less the line's share of order discounts (whole
  cents); where an order discount was allocated the net unit price shown is the line total divided
  by the quantity, to 4 decimals (the line total is the amount that counts);
- order total = the sum of the line totals, so the lines add up to the total to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from qudao.core.errors import FieldErrors
from qudao.core.money import CENT, quantize

ZERO = Decimal("0")
HUNDRED = Decimal("100")

KIND_SPECIFICITY = {"base": 0, "region": 1, "tier": 2, "tier_region": 3, "partner": 4}


# --- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkuInfo:
    id: int
    code: str
    name: str
    line_path: str  # the SKU's product line path ("/3/7/12/")
    allowed: bool  # the sales scope lets the partner buy it
    units: tuple[tuple[str, int], ...] = ()  # (unit, base units per unit), besides the base unit
    base_unit: str = ""


@dataclass(frozen=True)
class RuleInfo:
    line_path: str
    line_depth: int
    method: str
    value: Decimal
    rounding: Decimal


@dataclass(frozen=True)
class ListInfo:
    id: int
    code: str
    name: str
    kind: str
    priority: int
    valid_from: date
    valid_to: date | None
    region_depth: int = 0
    items: dict = field(default_factory=dict)  # sku id -> tuple of (min_qty, price), ascending min_qty
    rules: tuple[RuleInfo, ...] = ()

    @property
    def specificity(self) -> int:
        return KIND_SPECIFICITY[self.kind]

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def rank(self) -> tuple:
        return (self.specificity, self.priority, self.region_depth, self.id)


@dataclass(frozen=True)
class FloorInfo:
    price: Decimal
    valid_from: date
    valid_to: date | None

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


UNIT_KINDS = ("percent_off", "amount_off", "special_price")
ORDER_KINDS = ("threshold", "tiered_threshold")


@dataclass(frozen=True)
class PromoInfo:
    id: int
    code: str
    name: str
    kind: str
    priority: int
    stacking: str  # "exclusive" or "stackable"
    group: str
    valid_from: date
    valid_to: date | None
    line_path: str | None = None  # covers this line and the lines below it
    sku_id: int | None = None  # covers this SKU only
    value: Decimal | None = None
    threshold: Decimal | None = None
    per_each: bool = False
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (spend at least, amount off), ascending

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def covers(self, sku: SkuInfo) -> bool:
        if self.sku_id is not None:
            return sku.id == self.sku_id
        return self.line_path is None or sku.line_path.startswith(self.line_path)


@dataclass(frozen=True)
class PricingInputs:
    partner_id: int
    currency: str
    skus: dict  # sku id -> SkuInfo
    lists: tuple[ListInfo, ...]  # every list whose audience includes the partner (any validity)
    floors: dict  # sku id -> tuple of FloorInfo
    promotions: tuple[PromoInfo, ...] = ()  # active promotions whose audience includes the partner


@dataclass(frozen=True)
class CartLine:
    sku: int
    quantity: int
    unit: str | None = None


# --- outputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceSource:
    price_list_id: int
    price_list_code: str
    kind: str  # audience kind of the winning list
    via: str  # "item" or "rule"
    min_qty: int | None = None  # the quantity break used (item rows)
    base_price: Decimal | None = None  # what a rule was computed from
    rule: str = ""  # e.g. "percent_of_base 95 rounded to 1"


@dataclass(frozen=True)
class LineQuote:
    index: int
    sku: int
    sku_code: str
    sku_name: str
    quantity: int  # in base units
    unit: str
    unit_quantity: int  # as ordered, in `unit`
    list_price: Decimal
    source: PriceSource
    floor_price: Decimal | None
    floor_applied: bool
    promotions: tuple = ()
    net_unit_price: Decimal = ZERO
    line_total: Decimal = ZERO


@dataclass(frozen=True)
class GiftLine:
    """A free line added by a buy-X-get-Y promotion: priced at zero, worth `list_price` each."""

    promotion: str  # the promotion's code
    sku: int
    sku_code: str
    sku_name: str
    quantity: int  # base units
    unit: str
    list_price: Decimal  # what each unit would have cost (the promotion's amount is this × quantity)
    for_index: int | None = None  # the cart line it was given for (same-SKU gifts), else None
    net_unit_price: Decimal = ZERO
    line_total: Decimal = ZERO


@dataclass(frozen=True)
class CartQuote:
    partner_id: int
    on: date
    currency: str
    lines: tuple[LineQuote, ...]
    total: Decimal
    promotions_not_applied: tuple = ()
    gifts: tuple[GiftLine, ...] = ()


# --- loading -------------------------------------------------------------------------------------


def _ancestor_paths(path: str, separator: str = "/") -> list[str]:
    """ "CN/320000/320100/" -> ["CN/", "CN/320000/", "CN/320000/320100/"]."""
    parts = [part for part in path.split(separator) if part]
    prefix = separator if path.startswith(separator) else ""
    return [prefix + separator.join(parts[: index + 1]) + separator for index in range(len(parts))]


def audience_q(partner) -> Q:
    """The price lists whose audience includes `partner` (a Q over PriceList)."""
    region_paths = _ancestor_paths(partner.region.path)
    in_region = Q(region__path__in=region_paths)
    return (
        Q(partner_id=partner.pk)
        | (Q(partner__isnull=True, tier_id=partner.tier_id) & (Q(region__isnull=True) | in_region))
        | (Q(partner__isnull=True, tier__isnull=True) & (Q(region__isnull=True) | in_region))
    )


def partner_currency(partner) -> str:
    """A partner is priced in its account currency (Partner.credit_currency, CNY by default): lists
    and floor prices in other currencies never apply to it, so amounts are never mixed."""
    return getattr(partner, "credit_currency", None) or "CNY"


def fetch_pricing_inputs(partner, sku_ids, on: date) -> PricingInputs:
    """Everything needed to price `sku_ids` for `partner` on `on`, in a fixed number of queries."""
    from qudao.catalog.models import Sku, UnitConversion
    from qudao.catalog.scope import allowed_sku_q

    from .models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion

    sku_ids = sorted({int(sku_id) for sku_id in sku_ids})
    currency = partner_currency(partner)
    rows = list(
        Sku.objects.filter(pk__in=sku_ids).values_list(
            "pk", "code", "name", "product__product_line__path", "product_id", "product__base_unit"
        )
    )
    allowed = set(Sku.objects.filter(allowed_sku_q(partner), pk__in=sku_ids).values_list("pk", flat=True))
    product_ids = {row[4] for row in rows}
    units: dict[int, list] = {}
    for product_id, unit, factor in UnitConversion.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "unit", "factor"
    ):
        units.setdefault(product_id, []).append((unit, factor))
    skus = {
        pk: SkuInfo(
            id=pk,
            code=code,
            name=name,
            line_path=line_path,
            allowed=pk in allowed,
            units=tuple(units.get(product_id, ())),
            base_unit=base_unit,
        )
        for pk, code, name, line_path, product_id, base_unit in rows
    }

    lists_qs = (
        PriceList.objects.filter(
            audience_q(partner), status=PriceList.Status.ACTIVE, currency=currency, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("pk", "code", "name", "kind", "priority", "valid_from", "valid_to", "region__path", "currency")
    )
    list_rows = list(lists_qs)
    list_ids = [row[0] for row in list_rows]
    items: dict[int, dict[int, list]] = {}
    for list_id, sku_id, min_qty, price in PriceListItem.objects.filter(
        price_list_id__in=list_ids, sku_id__in=sku_ids
    ).values_list("price_list_id", "sku_id", "min_qty", "price"):
        items.setdefault(list_id, {}).setdefault(sku_id, []).append((min_qty, price))
    rules: dict[int, list] = {}
    for list_id, line_path, line_depth, method, value, rounding in PriceListRule.objects.filter(
        price_list_id__in=list_ids
    ).values_list("price_list_id", "product_line__path", "product_line__depth", "method", "value", "rounding"):
        rules.setdefault(list_id, []).append(RuleInfo(line_path, line_depth, method, value, Decimal(rounding)))
    lists = tuple(
        ListInfo(
            id=pk,
            code=code,
            name=name,
            kind=kind,
            priority=priority,
            valid_from=valid_from,
            valid_to=valid_to,
            region_depth=len(_ancestor_paths(region_path)) if region_path else 0,
            items={sku_id: tuple(sorted(breaks)) for sku_id, breaks in items.get(pk, {}).items()},
            rules=tuple(rules.get(pk, ())),
        )
        for pk, code, name, kind, priority, valid_from, valid_to, region_path, _currency in list_rows
    )
    floors: dict[int, list] = {}
    for sku_id, price, valid_from, valid_to in (
        FloorPrice.objects.filter(sku_id__in=sku_ids, currency=currency, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("sku_id", "price", "valid_from", "valid_to")
    ):
        floors.setdefault(sku_id, []).append(FloorInfo(price, valid_from, valid_to))
    promo_rows = (
        Promotion.objects.filter(audience_q(partner), status=Promotion.Status.ACTIVE, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list(
            "pk",
            "code",
            "name",
            "kind",
            "priority",
            "stacking",
            "stack_group",
            "valid_from",
            "valid_to",
            "product_line__path",
            "sku_id",
            "value",
            "threshold",
            "per_each",
            "tiers",
        )
    )
    promotions = tuple(
        PromoInfo(
            id=pk,
            code=code,
            name=name,
            kind=kind,
            priority=priority,
            stacking=stacking,
            group=group,
            valid_from=valid_from,
            valid_to=valid_to,
            line_path=line_path,
            sku_id=sku_id,
            value=value,
            threshold=threshold,
            per_each=per_each,
            tiers=tuple(sorted((Decimal(str(spend)), Decimal(str(off))) for spend, off in tiers or ())),
        )
        for (
            pk,
            code,
            name,
            kind,
            priority,
            stacking,
            group,
            valid_from,
            valid_to,
            line_path,
            sku_id,
            value,
            threshold,
            per_each,
            tiers,
        ) in promo_rows
    )
    return PricingInputs(
        partner_id=partner.pk,
        currency=currency,
        skus=skus,
        lists=lists,
        floors={sku_id: tuple(values) for sku_id, values in floors.items()},
        promotions=promotions,
    )


# --- the pure part -------------------------------------------------------------------------------


def _break_price(breaks, quantity: int):
    """The item row with the largest min_qty <= quantity: (min_qty, price), or None."""
    chosen = None
    for min_qty, price in breaks:
        if min_qty <= quantity:
            chosen = (min_qty, price)
    return chosen


def _round_to(amount: Decimal, step: Decimal) -> Decimal:
    return (amount / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step


def _rule_for(price_list: ListInfo, line_path: str) -> RuleInfo | None:
    covering = [rule for rule in price_list.rules if line_path.startswith(rule.line_path)]
    return max(covering, key=lambda rule: rule.line_depth) if covering else None


def rule_price(rule: RuleInfo, base: Decimal) -> Decimal:
    if rule.method == "percent_of_base":
        raw = base * rule.value / HUNDRED
    else:
        raw = max(base - rule.value, ZERO)
    return max(_round_to(raw, rule.rounding), ZERO)


def base_price(inputs: PricingInputs, sku_id: int, quantity: int, on: date) -> Decimal | None:
    bases = [item for item in inputs.lists if item.kind == "base" and item.valid_on(on) and sku_id in item.items]
    for price_list in sorted(bases, key=ListInfo.rank, reverse=True):
        found = _break_price(price_list.items[sku_id], quantity)
        if found is not None:
            return found[1]
    return None


def ranked_lists(inputs: PricingInputs, on: date) -> list[ListInfo]:
    """The lists valid on `on`, most specific (then highest priority) first."""
    return sorted((item for item in inputs.lists if item.valid_on(on)), key=ListInfo.rank, reverse=True)


def list_price(
    inputs: PricingInputs, sku: SkuInfo, quantity: int, on: date, candidates: list[ListInfo] | None = None
) -> tuple[Decimal, PriceSource] | None:
    """The list price of `quantity` base units of `sku` by the precedence rule, or None."""
    if candidates is None:
        candidates = ranked_lists(inputs, on)
    base = None
    base_known = False
    for price_list in candidates:
        found = _break_price(price_list.items.get(sku.id, ()), quantity)
        if found is not None:
            return found[1], PriceSource(price_list.id, price_list.code, price_list.kind, "item", min_qty=found[0])
        rule = _rule_for(price_list, sku.line_path)
        if rule is None:
            continue
        if not base_known:
            base, base_known = base_price(inputs, sku.id, quantity, on), True
        if base is None:
            continue
        return rule_price(rule, base), PriceSource(
            price_list.id,
            price_list.code,
            price_list.kind,
            "rule",
            base_price=base,
            rule=f"{rule.method} {rule.value.normalize():f} rounded to {rule.rounding.normalize():f}",
        )
    return None


def floor_on(inputs: PricingInputs, sku_id: int, on: date) -> Decimal | None:
    valid = [floor.price for floor in inputs.floors.get(sku_id, ()) if floor.valid_on(on)]
    return max(valid) if valid else None


def _base_quantity(sku: SkuInfo, line: CartLine) -> int | None:
    if not line.unit or line.unit == sku.base_unit:
        return line.quantity
    for unit, factor in sku.units:
        if unit == line.unit:
            return line.quantity * factor
    return None


def allocate(cents: int, weights: list[int], caps: list[int], keys: list | None = None) -> list[int]:
    """Split `cents` over lines in proportion to `weights` by the largest-remainder method, no line
    getting more than its cap (what is left over goes to the others, again by largest remainder).
    The shares add up to `cents` exactly (the caller keeps `cents` <= sum(caps)); equal remainders
    go to the line with the smaller key (the engine passes (SKU id, quantity, amount), so the
    answer does not depend on the order of the cart lines), else to the earlier line."""
    keys = keys if keys is not None else list(range(len(weights)))
    result = [0] * len(weights)
    remaining = cents
    active = [index for index, cap in enumerate(caps) if cap > 0]
    while remaining > 0 and active:
        total_weight = sum(weights[index] for index in active)
        shares = {}
        for index in active:
            weight = weights[index] if total_weight else 1
            shares[index] = divmod(remaining * weight, total_weight or len(active))
        given = {index: quotient for index, (quotient, _rest) in shares.items()}
        left = remaining - sum(given.values())
        for index in sorted(active, key=lambda index: (-shares[index][1], keys[index], index))[:left]:
            given[index] += 1
        for index in active:
            result[index] += min(given[index], caps[index] - result[index])
        remaining = cents - sum(result)
        active = [index for index in active if result[index] < caps[index]]
    return result


def _cents(amount: Decimal) -> int:
    return int(quantize(amount) * 100)


def _conflict(promo: PromoInfo, lines: set, chosen: list) -> tuple[str, PromoInfo] | None:
    """Why `promo` may not join the promotions already chosen on any of `lines`, or None."""
    for other, other_lines in chosen:
        if not lines & other_lines:
            continue
        if promo.stacking == "exclusive" or other.stacking == "exclusive":
            return "exclusive", other
        if promo.group != other.group:
            return "lost_on_priority", other
    return None


def price_cart(inputs: PricingInputs, lines: list[CartLine], on: date) -> CartQuote:
    """Price `lines` for the partner of `inputs` on `on` (see the module docstring).

    :raises FieldErrors: lines.<i>.quantity (zero or negative), lines.<i>.sku (unknown, not in the
        partner's sales scope, no price on the date), lines.<i>.unit (a unit that does not convert).
    """
    errors = FieldErrors()
    if not lines:
        errors.add("lines", _("Add at least one line."))
    work = []
    candidates = ranked_lists(inputs, on)
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            errors.add(f"lines.{index}.quantity", _("Enter a quantity of at least 1."))
            continue
        sku = inputs.skus.get(line.sku)
        if sku is None or not sku.allowed:
            # Unknown and not authorised read the same: a partner learns nothing about other SKUs.
            errors.add(f"lines.{index}.sku", _("This SKU is not available to this partner."))
            continue
        quantity = _base_quantity(sku, line)
        if quantity is None:
            errors.add(f"lines.{index}.unit", _("This unit does not convert for this product."))
            continue
        found = list_price(inputs, sku, quantity, on, candidates)
        if found is None:
            errors.add(f"lines.{index}.sku", _("This SKU has no price for this partner on this date."))
            continue
        price, source = found
        floor = floor_on(inputs, sku.id, on)
        # the lowest net unit price allowed: the floor rounded up to the cent (or zero)
        lowest = floor.quantize(CENT, rounding=ROUND_CEILING) if floor is not None else ZERO
        unit = max(quantize(price), lowest)
        work.append(
            {
                "index": index,
                "sku": sku,
                "line": line,
                "quantity": quantity,
                "price": price,
                "source": source,
                "floor": floor,
                "lowest": lowest,
                "floor_applied": floor is not None and (price < floor or unit > quantize(price)),
                "unit": unit,
                "promotions": [],
                "total": None,
            }
        )
    if errors.errors:
        raise errors

    chosen: list = []
    not_applied: list = []
    promotions = sorted(
        (promo for promo in inputs.promotions if promo.valid_on(on)), key=lambda promo: (-promo.priority, promo.id)
    )
    # Phase 1: unit promotions, in priority order, on the unit price.
    for promo in promotions:
        if promo.kind not in UNIT_KINDS:
            continue
        covered = {entry["index"] for entry in work if promo.covers(entry["sku"])}
        if not covered:
            continue
        clash = _conflict(promo, covered, chosen)
        if clash is not None:
            not_applied.append({"promotion": promo.code, "reason": clash[0], "by": clash[1].code})
            continue
        chosen.append((promo, covered))
        for entry in work:
            if entry["index"] not in covered:
                continue
            unit = entry["unit"]
            if promo.kind == "percent_off":
                wanted = quantize(unit * promo.value / HUNDRED)
            elif promo.kind == "amount_off":
                wanted = quantize(promo.value)
            else:  # special_price: the unit price becomes the special price, if lower
                wanted = max(unit - quantize(promo.value), ZERO)
            off = max(min(wanted, unit - entry["lowest"]), ZERO)
            entry["unit"] = unit - off
            if off < wanted:
                entry["floor_applied"] = True
            entry["promotions"].append(
                {
                    "promotion": promo.code,
                    "kind": promo.kind,
                    "unit_amount": off,
                    "amount": off * entry["quantity"],
                    "capped_at_floor": off < wanted,
                }
            )
    for entry in work:
        entry["total"] = entry["unit"] * entry["quantity"]
    # Phase 2: order promotions (thresholds), in priority order, on what the covered lines cost now.
    for promo in promotions:
        if promo.kind not in ORDER_KINDS:
            continue
        covered_entries = [entry for entry in work if promo.covers(entry["sku"])]
        covered = {entry["index"] for entry in covered_entries}
        if not covered:
            continue
        clash = _conflict(promo, covered, chosen)
        if clash is not None:
            not_applied.append({"promotion": promo.code, "reason": clash[0], "by": clash[1].code})
            continue
        subtotal = sum((entry["total"] for entry in covered_entries), ZERO)
        next_short_by = None
        if promo.kind == "threshold":
            if subtotal < promo.threshold:
                not_applied.append(
                    {"promotion": promo.code, "reason": "below_threshold", "short_by": promo.threshold - subtotal}
                )
                continue
            times = int(subtotal // promo.threshold) if promo.per_each and promo.threshold > 0 else 1
            wanted = quantize(promo.value * times)
            if promo.per_each:
                next_short_by = promo.threshold * (times + 1) - subtotal
        else:
            reached = [off for spend, off in promo.tiers if subtotal >= spend]
            higher = [spend for spend, _off in promo.tiers if subtotal < spend]
            if not reached:
                not_applied.append(
                    {"promotion": promo.code, "reason": "below_threshold", "short_by": promo.tiers[0][0] - subtotal}
                )
                continue
            wanted = quantize(reached[-1])
            next_short_by = higher[0] - subtotal if higher else None
        caps = [_cents(entry["total"] - entry["lowest"] * entry["quantity"]) for entry in covered_entries]
        cents = min(_cents(wanted), sum(caps))
        shares = allocate(
            cents,
            [_cents(entry["total"]) for entry in covered_entries],
            caps,
            [(entry["sku"].id, entry["quantity"], entry["total"]) for entry in covered_entries],
        )
        chosen.append((promo, covered))
        for entry, share in zip(covered_entries, shares, strict=True):
            amount = Decimal(share) / 100
            entry["total"] -= amount
            entry["promotions"].append(
                {
                    "promotion": promo.code,
                    "kind": promo.kind,
                    "amount": amount.quantize(CENT),
                    "allocated": True,
                    "order_amount": (Decimal(cents) / 100).quantize(CENT),
                    "capped_at_floor": cents < _cents(wanted),
                    "next_threshold_short_by": next_short_by,
                }
            )
            if cents < _cents(wanted):
                entry["floor_applied"] = True

    quotes = []
    for entry in work:
        allocated = any(item.get("allocated") for item in entry["promotions"])
        total = entry["total"].quantize(CENT)
        quotes.append(
            LineQuote(
                index=entry["index"],
                sku=entry["sku"].id,
                sku_code=entry["sku"].code,
                sku_name=entry["sku"].name,
                quantity=entry["quantity"],
                unit=entry["line"].unit or entry["sku"].base_unit,
                unit_quantity=entry["line"].quantity,
                list_price=entry["price"],
                source=entry["source"],
                floor_price=entry["floor"],
                floor_applied=entry["floor_applied"],
                promotions=tuple(entry["promotions"]),
                net_unit_price=(total / entry["quantity"]).quantize(Decimal("0.0001")) if allocated else entry["unit"],
                line_total=total,
            )
        )
    return CartQuote(
        partner_id=inputs.partner_id,
        on=on,
        currency=inputs.currency,
        lines=tuple(quotes),
        total=sum((quote.line_total for quote in quotes), ZERO),
        promotions_not_applied=tuple(not_applied),
    )


def quote(partner, lines: list[CartLine], on: date) -> CartQuote:
    """Load the inputs for `lines` and price them (the impure convenience around the pure engine)."""
    inputs = fetch_pricing_inputs(partner, [line.sku for line in lines if isinstance(line.sku, int)], on)
    return price_cart(inputs, lines, on)
