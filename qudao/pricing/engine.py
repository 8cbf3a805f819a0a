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
and the lines below it, or everything; a bundle covers the SKUs of the bundle). Eligible
promotions are settled in three phases, each in order of priority (higher first; then the older
promotion):

1. unit promotions, on the unit price of each covered line: percentage off, amount off per unit,
   fixed special price and limited special (the unit price becomes the special price when lower);
2. line-group promotions, on what the covered lines cost after phase 1:
   - bundle price (组合价): as many full sets as the cart holds get the difference between what the
     set's units cost now (each SKU at its average net unit price in the cart) and the bundle
     price, allocated back to the bundle's lines; an incomplete set is `bundle_incomplete` (with
     what is `missing`), a bundle dearer than its parts `no_saving`; a bundle with a SKU the
     partner may not buy is not open to it;
   - buy X get Y (买赠): for every `buy_qty` units bought of the covered SKUs (once, or for each
     full X), `gift_qty` units of the gift SKU are added as a gift line priced at zero and marked
     with the promotion; without a gift SKU the gift is the same SKU, counted SKU by SKU. A gift
     the partner may not buy (sales scope) or that has no price for it is never given:
     `gift_not_allowed`. Too few units bought is `below_threshold` with `short_by_qty`;
3. order promotions, on the sum of what the covered lines cost after phases 1 and 2: spend X get
   Y off (once, or for each full X), and tiered thresholds (only the highest tier reached
   applies). The amount is allocated back to the covered lines in proportion to their totals by
   the largest-remainder method, to the cent, so returns and rebates later see the true net.

Stacking (every promotion has a policy; there is no default): on any line, an *exclusive*
promotion never combines with another, and a *stackable* promotion combines only with promotions
of the same stacking group. Stacking is decided line by line: when two would clash on a line, the
one settled first keeps the line and the other leaves it out (a threshold then does not count that
line), reported with the reason `exclusive` or `lost_on_priority`, the promotion it lost to (`by`)
and the lines it left out (`lines`, SKU codes); a promotion left with no line, or a bundle missing
any of its lines, is not applied at all (the same reasons, without `lines`). A later phase's
promotion that clashes with an earlier phase's on a line loses that line to it. A threshold not
reached is reported as `below_threshold` with the amount still missing (`short_by`); an applied
per-each or tiered promotion says how far the next step is (`next_threshold_short_by`).

Limits (限量): any promotion may have a cap per partner (`partner_cap_qty`), a quantity budget
(`budget_qty`) and a money budget (`budget_amount`); a limited special must have one. Quantities
count what the promotion gives: units discounted (unit kinds), gift units, bundle sets, or one
use per order (thresholds); the money budget counts the discount given (gifts at their list
price). The inputs carry what is left of each limit for the partner (`remaining_qty`,
`remaining_amount`); the engine never gives more: a unit promotion reaching its limit part-way
discounts only the units still allowed (`limited_to`, the line's net unit price is then the
line total divided by the quantity); a threshold discount is cut to the money left
(`budget_cut`); nothing left is `cap_reached`. What each applied promotion took is in
`CartQuote.usage`. A quote consumes nothing: qudao.pricing.reservations reserves it when an order
is placed, under a row lock, and releases it when the order is cancelled.

No discount takes a line below its floor: a unit discount is cut to what the floor leaves
(`capped_at_floor`), and a bundle or order discount is cut to what the covered lines' floors
leave. Gift lines are not sales: they are priced at zero by definition and carry their list
price (`list_price`) so their value is known.

Order quantities: a line below the SKU's minimum order quantity, or not a multiple of its order
multiple (both in base units, after unit conversion), is refused on lines.<i>.quantity.

Only SKUs on sale are priced (the SKU and its product both on sale, catalog.models.sale_state): a
draft or discontinued SKU in the partner's sales scope is refused on lines.<i>.sku, naming it and
why ("HOOD-B is not on sale: discontinued."); one outside the scope reads as unknown, whatever its
lifecycle. An order placed before its SKU went off sale stays valid: when it is changed, the
engine is given what the order holds (`keep`), and a line may keep up to that quantity.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from qudao.core.errors import FieldErrors
from qudao.core.money import CENT, quantize
from qudao.core.numbers import MAX_QUANTITY

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
    min_order_qty: int = 1  # base units
    order_multiple: int = 1  # base units
    sale_state: str = "on_sale"  # catalog.models.sale_state: "on_sale", "draft" or "discontinued"


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


UNIT_KINDS = ("percent_off", "amount_off", "special_price", "limited_special")
GROUP_KINDS = ("bundle", "buy_x_get_y")
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
    buy_qty: int | None = None  # buy_x_get_y
    gift_qty: int | None = None
    gift_sku_id: int | None = None  # None: the same SKU as the qualifying line
    bundle: tuple[tuple[int, int], ...] = ()  # (sku id, quantity per set)
    # What is left of the promotion's limits for this partner (None: no limit). See Promotion.
    remaining_qty: int | None = None
    remaining_amount: Decimal | None = None

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def covers(self, sku: SkuInfo) -> bool:
        if self.kind == "bundle":
            return any(sku.id == sku_id for sku_id, _qty in self.bundle)
        if self.sku_id is not None:
            return sku.id == self.sku_id
        return self.line_path is None or sku.line_path.startswith(self.line_path)

    @property
    def limited(self) -> bool:
        return self.remaining_qty is not None or self.remaining_amount is not None


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
class PromotionUse:
    """What one applied promotion took from its limits in this quote: `quantity` counts units
    discounted (unit kinds), gift units (buy_x_get_y), sets (bundle) or 1 use (thresholds);
    `amount` is the discount given, gifts at their list price."""

    promotion_id: int
    promotion: str
    quantity: int
    amount: Decimal
    limited: bool = False


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
    usage: tuple[PromotionUse, ...] = ()  # what each applied promotion consumed (for reservations)


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


PROMOTION_FIELDS = (
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
    "buy_qty",
    "gift_qty",
    "gift_sku_id",
    "bundle_items",
    "partner_cap_qty",
    "budget_qty",
    "budget_amount",
    "used_qty",
    "used_amount",
)


def eligible_promotions_q(partner, on: date) -> Q:
    """The promotions open to `partner` on `on` (a Q over Promotion): active, valid, its audience."""
    return (
        audience_q(partner) & Q(status="active", valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    )


def load_promotions(partner, on: date) -> tuple[PromoInfo, ...]:
    """The promotions open to `partner` on `on`, with what is left of their limits for it."""
    from django.db.models import Sum

    from .models import Promotion, PromotionUsage

    rows = [
        dict(zip(PROMOTION_FIELDS, row, strict=True))
        for row in Promotion.objects.filter(eligible_promotions_q(partner, on)).values_list(*PROMOTION_FIELDS)
    ]
    capped = [row["pk"] for row in rows if row["partner_cap_qty"] is not None]
    partner_used = (
        dict(
            PromotionUsage.objects.filter(promotion_id__in=capped, partner_id=partner.pk)
            .values("promotion_id")
            .annotate(total=Sum("quantity"))
            .values_list("promotion_id", "total")
        )
        if capped
        else {}
    )
    promotions = []
    for row in rows:
        left = [
            limit - used
            for limit, used in (
                (row["budget_qty"], row["used_qty"]),
                (row["partner_cap_qty"], partner_used.get(row["pk"]) or 0),
            )
            if limit is not None
        ]
        promotions.append(
            PromoInfo(
                id=row["pk"],
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                priority=row["priority"],
                stacking=row["stacking"],
                group=row["stack_group"],
                valid_from=row["valid_from"],
                valid_to=row["valid_to"],
                line_path=row["product_line__path"],
                sku_id=row["sku_id"],
                value=row["value"],
                threshold=row["threshold"],
                per_each=row["per_each"],
                tiers=tuple(sorted((Decimal(str(spend)), Decimal(str(off))) for spend, off in row["tiers"] or ())),
                buy_qty=row["buy_qty"],
                gift_qty=row["gift_qty"],
                gift_sku_id=row["gift_sku_id"],
                bundle=tuple((int(sku_id), int(quantity)) for sku_id, quantity in row["bundle_items"] or ()),
                remaining_qty=max(min(left), 0) if left else None,
                remaining_amount=(
                    max(row["budget_amount"] - row["used_amount"], ZERO) if row["budget_amount"] is not None else None
                ),
            )
        )
    return tuple(promotions)


def fetch_pricing_inputs(partner, sku_ids, on: date) -> PricingInputs:
    """Everything needed to price `sku_ids` for `partner` on `on`, in a fixed number of queries
    (the SKUs of the cart, and the gift and bundle SKUs of the promotions open to the partner)."""
    from qudao.catalog.models import Sku, UnitConversion, sale_state
    from qudao.catalog.scope import allowed_sku_q

    from .models import FloorPrice, PriceList, PriceListItem, PriceListRule

    promotions = load_promotions(partner, on)
    sku_fields = (
        "pk",
        "code",
        "name",
        "product__product_line__path",
        "product_id",
        "product__base_unit",
        "min_order_qty",
        "order_multiple",
        "lifecycle",
        "product__lifecycle",
    )
    cart_ids = {int(sku_id) for sku_id in sku_ids}
    rows = list(Sku.objects.filter(pk__in=cart_ids).values_list(*sku_fields))
    # The gift and bundle SKUs of the promotions that cover a SKU of the cart (a bundle covers its
    # own SKUs), loaded too: gifts need their price and scope, bundles the names of missing SKUs.
    covering = [
        promo
        for promo in promotions
        if promo.kind in GROUP_KINDS
        and any(promo.covers(SkuInfo(row[0], row[1], row[2], row[3], allowed=True)) for row in rows)
    ]
    extra_ids = {promo.gift_sku_id for promo in covering if promo.gift_sku_id is not None}
    extra_ids |= {sku_id for promo in covering for sku_id, _qty in promo.bundle}
    extra_ids -= cart_ids
    if extra_ids:
        rows += list(Sku.objects.filter(pk__in=extra_ids).values_list(*sku_fields))
    sku_ids = sorted(cart_ids | extra_ids)
    currency = partner_currency(partner)
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
            min_order_qty=min_order_qty,
            order_multiple=order_multiple,
            sale_state=sale_state(lifecycle, product_lifecycle),
        )
        for (
            pk,
            code,
            name,
            line_path,
            product_id,
            base_unit,
            min_order_qty,
            order_multiple,
            lifecycle,
            product_lifecycle,
        ) in rows
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


def not_on_sale_message(code: str, state: str) -> str:
    """Why a SKU not on sale is refused on a line, naming it (see catalog.models.sale_state)."""
    if state == "discontinued":
        return _("%(sku)s is not on sale: discontinued.") % {"sku": code}
    return _("%(sku)s is not on sale: not released yet.") % {"sku": code}


def price_cart(
    inputs: PricingInputs, lines: list[CartLine], on: date, keep: Mapping[int, int] | None = None
) -> CartQuote:
    """Price `lines` for the partner of `inputs` on `on` (see the module docstring).

    `keep` is what an order being changed already holds of each SKU ({sku id: base units}): a SKU
    no longer on sale may stay on the order up to that quantity (all its lines together), never
    more; without `keep` a SKU not on sale is refused.

    :raises FieldErrors: lines.<i>.quantity (zero, negative, or more than core.numbers.MAX_QUANTITY
        units, as typed or in the base unit), lines.<i>.sku (unknown, not in the
        partner's sales scope, not on sale, no price on the date), lines.<i>.unit (a unit that does
        not convert).
    """
    errors = FieldErrors()
    if not lines:
        errors.add("lines", _("Add at least one line."))
    work = []
    candidates = ranked_lists(inputs, on)
    keepable = dict(keep or {})  # what is left of `keep` for the lines still to come
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
        if line.quantity > MAX_QUANTITY or quantity > MAX_QUANTITY:
            # Every path that orders (quotes, orders, changes, imports, templates) is priced here, so
            # the bound is kept here: a quantity the integer columns cannot hold is bad input.
            errors.add(
                f"lines.{index}.quantity",
                _("Enter a quantity of at most %(limit)s units.") % {"limit": f"{MAX_QUANTITY:,}"},
            )
            continue
        if sku.sale_state != "on_sale":
            # Checked after the sales scope, so a SKU the partner may not buy never tells its lifecycle.
            held = keepable.get(sku.id, 0)
            if held <= 0:
                errors.add(f"lines.{index}.sku", not_on_sale_message(sku.code, sku.sale_state))
                continue
            if quantity > held:
                errors.add(
                    f"lines.{index}.sku",
                    _("%(sku)s is no longer on sale: this order may keep at most %(quantity)d %(unit)s of it.")
                    % {"sku": sku.code, "quantity": held, "unit": sku.base_unit},
                )
                continue
            keepable[sku.id] = held - quantity
        if quantity < sku.min_order_qty:
            errors.add(
                f"lines.{index}.quantity",
                _("Order at least %(minimum)d %(unit)s of %(sku)s.")
                % {"minimum": sku.min_order_qty, "unit": sku.base_unit, "sku": sku.code},
            )
            continue
        if quantity % sku.order_multiple:
            errors.add(
                f"lines.{index}.quantity",
                _("Order %(sku)s in multiples of %(multiple)d %(unit)s.")
                % {"multiple": sku.order_multiple, "unit": sku.base_unit, "sku": sku.code},
            )
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
                "partial": [],  # (units, off each) of limited promotions that reached their limit
                "promotions": [],
                "total": None,
            }
        )
    if errors.errors:
        raise errors

    settlement = _Settlement(inputs, work, on, candidates)
    promotions = sorted(
        (promo for promo in inputs.promotions if promo.valid_on(on)), key=lambda promo: (-promo.priority, promo.id)
    )
    for phase in (UNIT_KINDS, GROUP_KINDS, ORDER_KINDS):
        if phase is GROUP_KINDS:
            for entry in work:
                entry["total"] = entry["unit"] * entry["quantity"] - sum(
                    (count * off for count, off in entry["partial"]), ZERO
                )
        for promo in promotions:
            if promo.kind in phase:
                settlement.settle(promo)

    quotes = []
    for entry in work:
        blended = any(item.get("allocated") or item.get("limited_to") for item in entry["promotions"])
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
                net_unit_price=(total / entry["quantity"]).quantize(Decimal("0.0001")) if blended else entry["unit"],
                line_total=total,
            )
        )
    return CartQuote(
        partner_id=inputs.partner_id,
        on=on,
        currency=inputs.currency,
        lines=tuple(quotes),
        total=sum((quote.line_total for quote in quotes), ZERO),
        promotions_not_applied=tuple(settlement.not_applied),
        gifts=tuple(settlement.gifts),
        usage=tuple(
            PromotionUse(promo.id, promo.code, quantity, quantize(amount), promo.limited)
            for promo, (quantity, amount) in sorted(settlement.usage.items(), key=lambda item: item[0].id)
        ),
    )


def _line_key(entry: dict) -> tuple:
    """A key of a cart line that does not depend on where the line sits in the cart."""
    return (entry["sku"].id, entry["quantity"], entry["line"].unit or "", entry["index"])


class _Settlement:
    """The promotions of one quote being settled in order (price_cart's second half): which have
    been applied to which lines (`chosen`), which not and why, the gift lines, and what each
    applied promotion consumed of its limits."""

    def __init__(self, inputs: PricingInputs, work: list, on: date, candidates: list):
        self.inputs = inputs
        self.work = work
        self.on = on
        self.candidates = candidates
        self.ordered = sorted(work, key=_line_key)  # the lines in an order that does not depend on the cart's
        self.chosen: list = []
        self.on_line: dict = {}  # line index -> the promotions applied to it, in the order applied
        self.not_applied: list = []
        self.gifts: list[GiftLine] = []
        self.usage: dict = {}  # PromoInfo -> [quantity, amount]
        self.remaining: dict = {}  # promotion id -> [quantity or None, amount or None]

    # -- limits --

    def _left(self, promo: PromoInfo) -> list:
        return self.remaining.setdefault(promo.id, [promo.remaining_qty, promo.remaining_amount])

    def allowance(self, promo: PromoInfo, wanted: int, each: Decimal) -> int:
        """How many of `wanted` units (each worth `each` of discount) the promotion's limits allow."""
        quantity, amount = self._left(promo)
        allowed = wanted
        if quantity is not None:
            allowed = min(allowed, quantity)
        if amount is not None and each > 0:
            allowed = min(allowed, int(amount // each))
        return max(allowed, 0)

    def exhausted(self, promo: PromoInfo) -> bool:
        quantity, amount = self._left(promo)
        return (quantity is not None and quantity <= 0) or (amount is not None and amount <= 0)

    def consume(self, promo: PromoInfo, quantity: int, amount: Decimal) -> None:
        left = self._left(promo)
        if left[0] is not None:
            left[0] -= quantity
        if left[1] is not None:
            left[1] -= amount
        used = self.usage.setdefault(promo, [0, ZERO])
        used[0] += quantity
        used[1] += amount

    def refuse(self, promo: PromoInfo, reason: str, **detail) -> bool:
        self.not_applied.append({"promotion": promo.code, "reason": reason, **detail})
        return False

    # -- settling --

    def settle(self, promo: PromoInfo) -> None:
        entries = [entry for entry in self.ordered if promo.covers(entry["sku"])]
        if not entries:
            return
        if promo.kind == "bundle" and not all(
            sku_id in self.inputs.skus and self.inputs.skus[sku_id].allowed for sku_id, _qty in promo.bundle
        ):
            return  # a bundle the partner cannot complete is not open to it (and names no SKU it may not see)
        # Stacking is decided line by line: the promotion leaves out the lines where it would combine
        # with a promotion it may not combine with (e.g. a threshold does not count the lines of an
        # exclusive special price), and is not applied at all when no line is left, or when it is
        # a bundle (a set needs all its lines).
        clear = [entry for entry in entries if not self._clashes_on(promo, entry["index"])]
        if len(clear) < len(entries):
            clash = _conflict(promo, {entry["index"] for entry in entries}, self.chosen)
            if not clear or promo.kind == "bundle":
                self.refuse(promo, clash[0], by=clash[1].code)
                return
            kept = {entry["index"] for entry in clear}
            left_out = sorted({entry["sku"].code for entry in entries if entry["index"] not in kept})
            self.refuse(promo, clash[0], by=clash[1].code, lines=left_out)
            entries = clear
        if promo.limited and self.exhausted(promo):
            self.refuse(promo, "cap_reached")
            return
        handler = {
            "bundle": self._bundle,
            "buy_x_get_y": self._gift,
            "threshold": self._threshold,
            "tiered_threshold": self._threshold,
        }.get(promo.kind, self._unit)
        if handler(promo, entries):
            self.chosen.append((promo, {entry["index"] for entry in entries}))
            for entry in entries:
                self.on_line.setdefault(entry["index"], []).append(promo)

    def _clashes_on(self, promo: PromoInfo, index: int) -> bool:
        """Whether `promo` may not join the promotions already applied to line `index`."""
        return any(
            promo.stacking == "exclusive" or other.stacking == "exclusive" or promo.group != other.group
            for other in self.on_line.get(index, ())
        )

    def _unit(self, promo: PromoInfo, entries: list) -> bool:
        """Percentage off, amount off, (limited) special price: on the unit price of each line; a
        limit reached part-way discounts only the units it still allows."""
        applied = limited_out = False
        for entry in entries:
            unit = entry["unit"]
            if promo.kind == "percent_off":
                wanted = quantize(unit * promo.value / HUNDRED)
            elif promo.kind == "amount_off":
                wanted = quantize(promo.value)
            else:  # special_price, limited_special: the unit price becomes the special price, if lower
                wanted = max(unit - quantize(promo.value), ZERO)
            # a unit already discounted part-way (by a limited promotion) must stay above the floor too
            headroom = unit - entry["lowest"] - max((off for _count, off in entry["partial"]), default=ZERO)
            off = max(min(wanted, headroom), ZERO)
            count = entry["quantity"]
            if promo.limited:
                count = self.allowance(promo, count, off) if off > 0 else 0
                if count < entry["quantity"]:
                    limited_out = True
                if count == 0:
                    continue
            if count == entry["quantity"]:
                entry["unit"] = unit - off
            else:
                entry["partial"].append((count, off))
            if off < wanted:
                entry["floor_applied"] = True
            applied_here = {
                "promotion": promo.code,
                "kind": promo.kind,
                "unit_amount": off,
                "amount": off * count,
                "capped_at_floor": off < wanted,
            }
            if count < entry["quantity"]:
                applied_here["limited_to"] = count  # the units the limit still allowed
            entry["promotions"].append(applied_here)
            self.consume(promo, count, off * count)
            applied = True
        if not applied and limited_out:
            return self.refuse(promo, "cap_reached")
        return applied

    def _allocate(self, promo: PromoInfo, entries: list, wanted: Decimal, **detail) -> int:
        """Take `wanted` off `entries` in proportion to their totals (largest remainder, to the
        cent), no line below its floor; returns the cents actually taken."""
        caps = [_cents(entry["total"] - entry["lowest"] * entry["quantity"]) for entry in entries]
        cents = min(_cents(wanted), sum(caps))
        shares = allocate(
            cents,
            [_cents(entry["total"]) for entry in entries],
            caps,
            [(entry["sku"].id, entry["quantity"], entry["total"]) for entry in entries],
        )
        capped = cents < _cents(wanted)
        for entry, share in zip(entries, shares, strict=True):
            amount = Decimal(share) / 100
            entry["total"] -= amount
            entry["promotions"].append(
                {
                    "promotion": promo.code,
                    "kind": promo.kind,
                    "amount": amount.quantize(CENT),
                    "allocated": True,
                    "order_amount": (Decimal(cents) / 100).quantize(CENT),
                    "capped_at_floor": capped,
                    **detail,
                }
            )
            if capped:
                entry["floor_applied"] = True
        return cents

    def _threshold(self, promo: PromoInfo, entries: list) -> bool:
        """Spend X get Y off (once or for each X), tiered thresholds (the highest reached): on what
        the covered lines cost now, allocated back to them. A use counts 1 against a quantity limit;
        a money budget caps the amount."""
        subtotal = sum((entry["total"] for entry in entries), ZERO)
        next_short_by = None
        if promo.kind == "threshold":
            if subtotal < promo.threshold:
                return self.refuse(promo, "below_threshold", short_by=promo.threshold - subtotal)
            times = int(subtotal // promo.threshold) if promo.per_each and promo.threshold > 0 else 1
            wanted = quantize(promo.value * times)
            if promo.per_each:
                next_short_by = promo.threshold * (times + 1) - subtotal
        else:
            reached = [off for spend, off in promo.tiers if subtotal >= spend]
            higher = [spend for spend, _off in promo.tiers if subtotal < spend]
            if not reached:
                return self.refuse(promo, "below_threshold", short_by=promo.tiers[0][0] - subtotal)
            wanted = quantize(reached[-1])
            next_short_by = higher[0] - subtotal if higher else None
        budget_cut = False
        if promo.limited:
            amount_left = self._left(promo)[1]
            if amount_left is not None and wanted > amount_left:
                wanted, budget_cut = amount_left.quantize(CENT, rounding=ROUND_FLOOR), True
        detail = {"next_threshold_short_by": next_short_by}
        if budget_cut:
            detail["budget_cut"] = True  # the money budget left was less than the discount
        cents = self._allocate(promo, entries, wanted, **detail)
        self.consume(promo, 1, Decimal(cents) / 100)
        return True

    def _bundle(self, promo: PromoInfo, entries: list) -> bool:
        """A set of SKUs (in given quantities) for one price: as many full sets as the cart holds
        (and the limits allow) get the difference between what the set's units cost now and the
        bundle price, allocated back to the bundle's lines."""
        quantities: dict[int, int] = {}
        totals: dict[int, Decimal] = {}
        for entry in entries:
            quantities[entry["sku"].id] = quantities.get(entry["sku"].id, 0) + entry["quantity"]
            totals[entry["sku"].id] = totals.get(entry["sku"].id, ZERO) + entry["total"]
        sets = min(quantities.get(sku_id, 0) // per_set for sku_id, per_set in promo.bundle)
        if sets == 0:
            missing = [
                [self._code(sku_id), per_set - quantities.get(sku_id, 0)]
                for sku_id, per_set in promo.bundle
                if quantities.get(sku_id, 0) < per_set
            ]
            return self.refuse(promo, "bundle_incomplete", missing=missing)
        set_value = sum((totals[sku_id] / quantities[sku_id] * per_set for sku_id, per_set in promo.bundle), ZERO)
        saving = quantize(set_value - promo.value)
        if saving <= 0:
            return self.refuse(promo, "no_saving")
        if promo.limited:
            sets = self.allowance(promo, sets, saving)
            if sets == 0:
                return self.refuse(promo, "cap_reached")
        cents = self._allocate(promo, entries, saving * sets, sets=sets)
        self.consume(promo, sets, Decimal(cents) / 100)
        return True

    def _gift(self, promo: PromoInfo, entries: list) -> bool:
        """Buy X get Y: for every `buy_qty` units of the covered SKUs (each SKU counted on its own
        when the gift is the same SKU), `gift_qty` units of the gift SKU as a free line."""
        if promo.gift_sku_id is None:
            groups: dict[int, list] = {}
            for entry in entries:
                groups.setdefault(entry["sku"].id, []).append(entry)
            plan = [(sku_id, group) for sku_id, group in sorted(groups.items())]
        else:
            plan = [(promo.gift_sku_id, entries)]
        given = 0
        short_by_qty = None
        limited_out = False
        for gift_sku_id, group in plan:
            bought = sum(entry["quantity"] for entry in group)
            times = bought // promo.buy_qty if promo.per_each else int(bought >= promo.buy_qty)
            if times == 0:
                missing = promo.buy_qty - bought
                short_by_qty = missing if short_by_qty is None else min(short_by_qty, missing)
                continue
            gift = self.inputs.skus.get(gift_sku_id)
            found = list_price(self.inputs, gift, times * promo.gift_qty, self.on, self.candidates) if gift else None
            if gift is None or not gift.allowed or found is None:
                # a gift the partner may not buy is never given (nor one without a price for it); the
                # reason does not name the SKU, which the partner may not know of
                return self.refuse(promo, "gift_not_allowed")
            each = quantize(found[0])
            count = times * promo.gift_qty
            if promo.limited:
                count = self.allowance(promo, count, each)
                limited_out = limited_out or count < times * promo.gift_qty
                if count == 0:
                    continue
            self.gifts.append(
                GiftLine(
                    promotion=promo.code,
                    sku=gift.id,
                    sku_code=gift.code,
                    sku_name=gift.name,
                    quantity=count,
                    unit=gift.base_unit,
                    list_price=each,
                    for_index=min(entry["index"] for entry in group) if promo.gift_sku_id is None else None,
                )
            )
            self.consume(promo, count, each * count)
            given += count
        if given:
            return True
        if limited_out:
            return self.refuse(promo, "cap_reached")
        return self.refuse(promo, "below_threshold", short_by_qty=short_by_qty)

    def _code(self, sku_id: int) -> str:
        sku = self.inputs.skus.get(sku_id)
        return sku.code if sku else str(sku_id)


def quote(partner, lines: list[CartLine], on: date, keep: Mapping[int, int] | None = None) -> CartQuote:
    """Load the inputs for `lines` and price them (the impure convenience around the pure engine);
    `keep` as price_cart's."""
    inputs = fetch_pricing_inputs(partner, [line.sku for line in lines if isinstance(line.sku, int)], on)
    return price_cart(inputs, lines, on, keep)
