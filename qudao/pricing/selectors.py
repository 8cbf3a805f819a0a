"""Reads of the pricing context for the partner portal: the partner's catalogue (the SKUs its sales
scope lets it buy), the promotions open to it, and its own net prices.

Everything here is about one partner, the caller's own (the portal reads it through the scoping
rule before calling). Nothing returned carries another tier's or partner's list, the base price a
rule was computed from, a floor price or a cost price in a form meant for display: the views show
only the partner's own list price, the promotions applied and the net price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, Sum
from django.utils.translation import gettext as _

from qudao.catalog.models import Lifecycle, ProductImage, ProductLine, Sku
from qudao.catalog.scope import allowed_sku_q
from qudao.core.errors import FieldErrors
from qudao.core.money import quantize

from . import engine
from .models import Promotion, PromotionUsage

CURRENCY_SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "US$", "EUR": "€"}


def currency_symbol(currency: str) -> str:
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def format_amount(amount, currency: str = "CNY") -> str:
    """Decimal("5000") -> "¥5,000.00" (ROUND_HALF_UP to 0.01, the one rounding rule)."""
    return f"{currency_symbol(currency)}{quantize(Decimal(str(amount))):,.2f}"


def _number(value) -> str:
    """Decimal("10.0000") -> "10", Decimal("7.5000") -> "7.5"."""
    text = f"{Decimal(str(value)).normalize():f}"
    return text


def _ancestor_paths(path: str) -> list[str]:
    """ "/3/7/12/" -> ["/3/", "/3/7/", "/3/7/12/"] (the line and every line above it)."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: index + 1]) + "/" for index in range(len(parts))]


# --- the catalogue -------------------------------------------------------------------------------


def _buyable(partner):
    return Sku.objects.filter(allowed_sku_q(partner), lifecycle=Lifecycle.ON_SALE, product__lifecycle=Lifecycle.ON_SALE)


def catalogue_skus(partner, *, q: str = "", product_line_id=None):
    """The SKUs `partner` may buy (its sales scope; SKU and product on sale), searched by SKU code,
    SKU name, product name, product code or barcode, filtered by a product line with the lines
    below it, in product-line then code order, with what the catalogue page shows."""
    skus = _buyable(partner)
    q = (q or "").strip()
    if q:
        skus = skus.filter(
            Q(code__icontains=q)
            | Q(name__icontains=q)
            | Q(product__name__icontains=q)
            | Q(product__code__icontains=q)
            | Q(barcode__icontains=q)
        )
    if product_line_id:
        line = ProductLine.objects.filter(pk=product_line_id).only("path").first()
        if line is None:
            return skus.none()
        skus = skus.filter(product__product_line__path__startswith=line.path)
    return (
        skus.select_related("product", "product__product_line")
        .prefetch_related(
            "product__units",
            Prefetch("product__images", queryset=ProductImage.objects.order_by("sort_order", "pk")),
        )
        .order_by("product__product_line__path", "code")
    )


def catalogue_lines(partner) -> list[ProductLine]:
    """The product lines that hold SKUs `partner` may buy, with the lines above them (so a parent
    line can be chosen to see everything below it), in tree order."""
    paths = set(_buyable(partner).order_by().values_list("product__product_line__path", flat=True).distinct())
    wanted = {ancestor for path in paths for ancestor in _ancestor_paths(path)}
    return [line for line in ProductLine.objects.order_by("path") if line.path in wanted]


# --- promotions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenPromotion:
    """A promotion open to the partner, with the offer in words and what is left of its limits."""

    promotion: Promotion
    description: str  # the offer ("10% off", "spend ¥5,000.00 get ¥200.00 off", ...)
    limit: str = ""  # "limited: 3 left for you", or ""
    left: int | None = None  # what the partner may still get under the quantity limits, if any
    line_path: str | None = None

    @property
    def code(self) -> str:
        return self.promotion.code

    @property
    def name(self) -> str:
        return self.promotion.name

    @property
    def text(self) -> str:
        """The badge: the offer, and the limit if there is one."""
        return f"{self.description} · {self.limit}" if self.limit else self.description

    def covers(self, sku) -> bool:
        """`sku` needs its product and product line loaded."""
        promotion = self.promotion
        if promotion.kind == Promotion.Kind.BUNDLE:
            return any(str(sku_id) == str(sku.pk) for sku_id, _quantity in promotion.bundle_items or ())
        if promotion.sku_id is not None:
            return promotion.sku_id == sku.pk
        if self.line_path is None:
            return True
        return sku.product.product_line.path.startswith(self.line_path)


def describe(promotion: Promotion, currency: str = "CNY") -> str:
    """The offer of `promotion` in a few words, in the partner's currency."""

    def money(amount):
        return format_amount(amount or 0, currency)

    kind = promotion.kind
    kinds = Promotion.Kind
    if kind == kinds.PERCENT_OFF:
        return _("%(percent)s%% off") % {"percent": _number(promotion.value or 0)}
    if kind == kinds.AMOUNT_OFF:
        return _("%(amount)s off per unit") % {"amount": money(promotion.value)}
    if kind in (kinds.SPECIAL_PRICE, kinds.LIMITED_SPECIAL):
        return _("special price %(price)s") % {"price": money(promotion.value)}
    if kind == kinds.THRESHOLD:
        values = {"spend": money(promotion.threshold), "off": money(promotion.value)}
        if promotion.per_each:
            return _("%(off)s off for every %(spend)s spent") % values
        return _("spend %(spend)s get %(off)s off") % values
    if kind == kinds.TIERED:
        steps = sorted((Decimal(str(spend)), Decimal(str(off))) for spend, off in promotion.tiers or ())
        if not steps:
            return str(promotion.get_kind_display())
        first, *rest = steps
        text = _("spend %(spend)s get %(off)s off") % {"spend": money(first[0]), "off": money(first[1])}
        for spend, off in rest:
            text += _(", %(spend)s get %(off)s off") % {"spend": money(spend), "off": money(off)}
        return text
    if kind == kinds.BUY_X_GET_Y:
        values = {"buy": promotion.buy_qty or 0, "gift": promotion.gift_qty or 0}
        if promotion.gift_sku_id is not None:
            values["name"] = promotion.gift_sku.name
            return _("buy %(buy)s get %(gift)s × %(name)s free") % values
        return _("buy %(buy)s get %(gift)s free") % values
    if kind == kinds.BUNDLE:
        return _("bundle %(price)s") % {"price": money(promotion.value)}
    return str(promotion.get_kind_display())


def _partner_used(partner, promotion_ids) -> dict[int, int]:
    """Per promotion, what `partner` holds reserved and not released: the sum of the PromotionUsage
    ledger (a release row carries the reserved quantity negated)."""
    if not promotion_ids:
        return {}
    rows = (
        PromotionUsage.objects.filter(partner=partner, promotion_id__in=promotion_ids)
        .values("promotion_id")
        .annotate(total=Sum("quantity"))
        .values_list("promotion_id", "total")
    )
    return {promotion_id: total or 0 for promotion_id, total in rows}


def _within_scope(partner, promotions: list[Promotion]) -> list[Promotion]:
    """Drop the bundles with a SKU `partner` may not buy and the gifts it may not be given: they
    are not open to it (the engine never applies them), and they would name SKUs it may not see."""
    needed = {promotion.gift_sku_id for promotion in promotions if promotion.gift_sku_id is not None}
    for promotion in promotions:
        if promotion.kind == Promotion.Kind.BUNDLE:
            needed |= {_sku_id(sku_id) for sku_id, _quantity in promotion.bundle_items or ()}
    if not needed:
        return promotions
    allowed = set(Sku.objects.filter(allowed_sku_q(partner), pk__in=needed - {None}).values_list("pk", flat=True))

    def open_to_partner(promotion) -> bool:
        if promotion.kind == Promotion.Kind.BUNDLE:
            return all(_sku_id(sku_id) in allowed for sku_id, _quantity in promotion.bundle_items or ())
        if promotion.kind == Promotion.Kind.BUY_X_GET_Y and promotion.gift_sku_id is not None:
            return promotion.gift_sku_id in allowed
        return True

    return [promotion for promotion in promotions if open_to_partner(promotion)]


def _sku_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def open_promotions(partner, on: date, skus=None) -> list[OpenPromotion]:
    """The promotions open to `partner` on `on` (active, valid on the date, for an audience that
    includes it), optionally only those covering one of `skus` (the SKU itself, its line or a line
    above it, or everything), in the order the engine settles them, each described in words."""
    promotions = (
        Promotion.objects.filter(engine.audience_q(partner), status=Promotion.Status.ACTIVE, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("product_line", "gift_sku")
        .order_by("-priority", "pk")
    )
    if skus is not None:
        skus = list(skus)
        sku_ids = [sku.pk for sku in skus]
        line_paths = {path for sku in skus for path in _ancestor_paths(sku.product.product_line.path)}
        promotions = promotions.filter(
            Q(sku_id__in=sku_ids)
            | Q(sku__isnull=True, product_line__path__in=sorted(line_paths))
            | Q(sku__isnull=True, product_line__isnull=True)
        )
    promotions = _within_scope(partner, list(promotions))
    used = _partner_used(partner, [p.pk for p in promotions if p.partner_cap_qty is not None])
    currency = engine.partner_currency(partner)
    result = []
    for promotion in promotions:
        limits = []
        if promotion.partner_cap_qty is not None:
            limits.append(max(promotion.partner_cap_qty - used.get(promotion.pk, 0), 0))
        if promotion.budget_qty is not None:
            limits.append(max(promotion.budget_qty - promotion.used_qty, 0))
        left = min(limits) if limits else None
        limit = ""
        if left is not None:
            if promotion.partner_cap_qty is not None:
                limit = _("limited: %(left)s left for you") % {"left": left}
            else:
                limit = _("limited: %(left)s left") % {"left": left}
        result.append(
            OpenPromotion(
                promotion=promotion,
                description=describe(promotion, currency),
                limit=limit,
                left=left,
                line_path=promotion.product_line.path if promotion.product_line_id else None,
            )
        )
    return result


def promotions_by_sku(promotions: list[OpenPromotion], skus) -> dict[int, list[OpenPromotion]]:
    return {sku.pk: [promotion for promotion in promotions if promotion.covers(sku)] for sku in skus}


# --- net prices ----------------------------------------------------------------------------------


def smallest_order(sku) -> int:
    """The minimum order quantity, raised to the order multiple when it is not one (base units)."""
    minimum, multiple = max(sku.min_order_qty, 1), max(sku.order_multiple, 1)
    return -(-minimum // multiple) * multiple


def net_prices(partner, skus, on: date) -> dict[int, engine.LineQuote | None]:
    """For a page of SKUs, the partner's own quote of one line of each SKU's minimum order quantity
    (base unit), or None where it has no price ("price on request"). One load of the pricing
    inputs for the whole page, so the number of queries does not grow with the page."""
    skus = list(skus)
    if not skus:
        return {}
    inputs = engine.fetch_pricing_inputs(partner, [sku.pk for sku in skus], on)
    prices: dict[int, engine.LineQuote | None] = {}
    for sku in skus:
        try:
            quote = engine.price_cart(inputs, [engine.CartLine(sku=sku.pk, quantity=smallest_order(sku))], on)
        except FieldErrors:
            prices[sku.pk] = None
        else:
            prices[sku.pk] = quote.lines[0]
    return prices
