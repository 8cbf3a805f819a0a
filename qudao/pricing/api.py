"""API of pricing: price lists with their items and rules, floor prices (HQ: reading needs
`pricing.view`, changing `pricing.manage`), and the price quote.

POST /pricing/quote prices a cart by the one engine (qudao.pricing.engine) and answers the
waterfall. HQ names the partner (a partner it may not see answers 404); a partner user always
prices for its own partner (naming another answers 404) and never sees the floor price. Other
tiers' lists are never shown to partners: the quote names only the list that priced the line.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from ninja import Query, Router, Status

from qudao.core.api import require
from qudao.core.errors import NotFound
from qudao.core.schemas import IdParam, PageParams, amount_out, page_of, paginate, unit_price_out
from qudao.partners.scoping import get_visible_partner, scope

from . import reservations, services
from .engine import CartLine, quote
from .models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion, PromotionUsage
from .schemas import (
    CataloguePriceFilters,
    CataloguePriceOut,
    FloorFilters,
    FloorIn,
    FloorOut,
    FloorPatch,
    ItemIn,
    ItemOut,
    PriceListFilters,
    PriceListIn,
    PriceListOut,
    PriceListPatch,
    PromotionIn,
    PromotionOut,
    PromotionPatch,
    PromotionStatusIn,
    PromotionUsageOut,
    QuoteIn,
    QuoteOut,
    ReleaseOut,
    ReservationIn,
    ReservationOut,
    RuleIn,
    RuleOut,
    UsageEntryOut,
)
from .visibility import visible_price_lists, visible_promotions

router = Router(tags=["pricing"])


def ref(obj) -> dict | None:
    return {"id": obj.pk, "code": obj.code, "name": str(obj.name)} if obj is not None else None


def partner_ref(partner) -> dict:
    return {"id": partner.pk, "code": partner.code, "name": str(partner)}


def rule_out(rule: PriceListRule) -> dict:
    return {
        "id": rule.pk,
        "product_line": ref(rule.product_line),
        "method": rule.method,
        "value": f"{rule.value.normalize():f}",
        "rounding": rule.rounding,
    }


def price_list_out(price_list: PriceList) -> dict:
    return {
        "id": price_list.pk,
        "code": price_list.code,
        "name": price_list.name,
        "kind": price_list.kind,
        "tier": ref(price_list.tier),
        "region": {"code": price_list.region.code, "name": price_list.region.display_name}
        if price_list.region_id
        else None,
        "partner": partner_ref(price_list.partner) if price_list.partner_id else None,
        "currency": price_list.currency,
        "valid_from": price_list.valid_from,
        "valid_to": price_list.valid_to,
        "priority": price_list.priority,
        "status": price_list.status,
        "approval": price_list.approval_id,
        "item_count": getattr(price_list, "item_count", None) or price_list.items.count(),
        "rules": [rule_out(rule) for rule in price_list.rules.select_related("product_line")],
        "updated_at": price_list.updated_at,
    }


def item_out(item: PriceListItem) -> dict:
    return {"id": item.pk, "sku": ref(item.sku), "min_qty": item.min_qty, "price": str(item.price)}


def floor_out(floor: FloorPrice) -> dict:
    return {
        "id": floor.pk,
        "sku": ref(floor.sku),
        "price": str(floor.price),
        "currency": floor.currency,
        "valid_from": floor.valid_from,
        "valid_to": floor.valid_to,
    }


def _price_lists(user):
    return visible_price_lists(user).select_related("tier", "region", "partner").annotate(item_count=Count("items"))


def _price_list(user, price_list_id: int) -> PriceList:
    price_list = _price_lists(user).filter(pk=price_list_id).first()
    if price_list is None:
        raise NotFound()
    return price_list


# --- quote -----------------------------------------------------------------------------------


def _explained(entry: dict) -> dict:
    """A promotion's line of the waterfall, amounts as strings."""
    return {key: amount_out(value) if isinstance(value, Decimal) else value for key, value in entry.items()}


def _quoted_partner(request, payload: QuoteIn):
    """The partner a cart is priced for: a partner user's own (naming another answers 404), or
    the one HQ names among those it may see."""
    user = request.auth
    own = user.partner
    if own is not None:
        if payload.partner is not None and payload.partner != own.pk:
            raise NotFound()
        return get_visible_partner(user, own.pk)
    require(user, "pricing.view")
    if payload.partner is None:
        raise NotFound()
    return get_visible_partner(user, payload.partner)


def _cart(payload: QuoteIn) -> list[CartLine]:
    return [CartLine(sku=line.sku, quantity=line.quantity, unit=line.unit or None) for line in payload.lines]


def quote_out(partner, on, result, *, show_floor: bool) -> dict:
    """The waterfall of a quote as the API answers it (floor prices for HQ only)."""
    return {
        "partner": partner_ref(partner),
        "date": on,
        "currency": result.currency,
        "lines": [
            {
                "index": line.index,
                "sku": {"id": line.sku, "code": line.sku_code, "name": line.sku_name},
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_quantity": line.unit_quantity,
                "list_price": unit_price_out(line.list_price),
                "source": {
                    "price_list": line.source.price_list_code,
                    "kind": line.source.kind,
                    "via": line.source.via,
                    "min_qty": line.source.min_qty,
                    "base_price": amount_out(line.source.base_price),
                    "rule": line.source.rule,
                },
                "floor_price": amount_out(line.floor_price) if show_floor else None,
                "floor_applied": line.floor_applied,
                "promotions": [_explained(item) for item in line.promotions],
                "net_unit_price": unit_price_out(line.net_unit_price),
                "line_total": amount_out(line.line_total),
            }
            for line in result.lines
        ],
        "gifts": [
            {
                "promotion": gift.promotion,
                "sku": {"id": gift.sku, "code": gift.sku_code, "name": gift.sku_name},
                "quantity": gift.quantity,
                "unit": gift.unit,
                "list_price": unit_price_out(gift.list_price),
                "net_unit_price": unit_price_out(gift.net_unit_price),
                "line_total": amount_out(gift.line_total),
                "gift": True,
            }
            for gift in result.gifts
        ],
        "total": amount_out(result.total),
        "promotions_not_applied": [_explained(item) for item in result.promotions_not_applied],
    }


@router.post("/pricing/quote", response=QuoteOut)
def price_quote(request, payload: QuoteIn):
    """The price waterfall of a cart for a partner on a date: per line the list price and the list
    (and item row or rule, quantity break) it came from, the floor, each promotion applied with its
    amount, the net unit price and the line total; the gift lines (buy-X-get-Y, priced at zero);
    the order total; the promotions not applied and why. Lines the partner may not buy answer 422
    on lines.<i>.sku; a quantity below the SKU's minimum or off its multiple on lines.<i>.quantity.
    A quote consumes nothing: promotions are reserved only when an order is placed."""
    partner = _quoted_partner(request, payload)
    on = payload.date or timezone.localdate()
    result = quote(partner, _cart(payload), on)
    return quote_out(partner, on, result, show_floor=request.auth.partner is None)


@router.get("/pricing/catalogue", response=page_of(CataloguePriceOut))
def catalogue_prices(request, filters: Query[CataloguePriceFilters], page: Query[PageParams]):
    """The partner's catalogue with its own prices: the SKUs its sales scope lets it buy (searched
    and filtered like the portal's catalogue page), each priced for its smallest order, with the
    promotions open to it. Never another tier's price, the floor or the cost price."""
    from . import selectors

    user = request.auth
    if user.partner is not None:
        if filters.partner is not None and filters.partner != user.partner.pk:
            raise NotFound()
        partner = get_visible_partner(user, user.partner.pk)
    else:
        require(user, "pricing.view")
        if filters.partner is None:
            raise NotFound()
        partner = get_visible_partner(user, filters.partner)
    on = filters.date or timezone.localdate()
    skus = selectors.catalogue_skus(partner, q=filters.q, product_line_id=filters.product_line)
    count = skus.count()
    rows = list(skus[page.offset : page.offset + page.limit]) if count > page.offset else []
    prices = selectors.net_prices(partner, rows, on)
    offers = selectors.promotions_by_sku(selectors.open_promotions(partner, on, rows), rows)
    items = []
    for sku in rows:
        line = prices.get(sku.pk)
        items.append(
            {
                "sku": {"id": sku.pk, "code": sku.code, "name": sku.name},
                "product": {"id": sku.product.pk, "code": sku.product.code, "name": sku.product.name},
                "barcode": sku.barcode,
                "base_unit": sku.product.base_unit,
                "min_order_qty": sku.min_order_qty,
                "order_multiple": sku.order_multiple,
                "quantity": selectors.smallest_order(sku),
                "list_price": unit_price_out(line.list_price) if line else None,
                "net_unit_price": unit_price_out(line.net_unit_price) if line else None,
                "promotions": [
                    {
                        "code": offer.code,
                        "name": offer.name,
                        "kind": offer.promotion.kind,
                        "description": offer.description,
                        "left": offer.left,
                    }
                    for offer in offers.get(sku.pk, [])
                ],
            }
        )
    return {"count": count, "items": items}


def _usage_out(usage) -> dict:
    return {"promotion": usage.promotion, "quantity": usage.quantity, "amount": amount_out(usage.amount)}


@router.post("/pricing/reservations", response={201: ReservationOut})
def reservation_create(request, payload: ReservationIn):
    """Price a cart and reserve what its promotions give, under the order's reference (what placing
    an order does; HQ with `pricing.manage`). Limits already reached show in the quote
    (`cap_reached`); a reference reserves once (409 the second time)."""
    require(request.auth, "pricing.manage")
    partner = _quoted_partner(request, payload)
    on = payload.date or timezone.localdate()
    result = reservations.reserve(partner=partner, lines=_cart(payload), on=on, reference=payload.reference)
    body = quote_out(partner, on, result, show_floor=True)
    body["reference"] = payload.reference.strip()
    body["usage"] = [_usage_out(use) for use in result.usage if use.quantity or use.amount]
    return Status(201, body)


@router.post("/pricing/reservations/{reference}/release", response=ReleaseOut)
def reservation_release(request, reference: str):
    """Give back what an order reserved (it was cancelled). Releasing again changes nothing."""
    require(request.auth, "pricing.manage")
    entries = reservations.release(reference=reference, actor=request.auth)
    codes = dict(Promotion.objects.filter(pk__in=[entry.promotion_id for entry in entries]).values_list("pk", "code"))
    return {
        "reference": reference,
        "released": [
            {"promotion": codes[entry.promotion_id], "quantity": -entry.quantity, "amount": amount_out(-entry.amount)}
            for entry in entries
        ],
    }


# --- price lists -----------------------------------------------------------------------------


@router.get("/pricing/price-lists", response=page_of(PriceListOut))
def price_list_list(request, filters: Query[PriceListFilters], page: Query[PageParams]):
    require(request.auth, "pricing.view")
    lists = _price_lists(request.auth)
    if filters.status:
        lists = lists.filter(status=filters.status)
    if filters.kind:
        lists = lists.filter(kind=filters.kind)
    if filters.valid_on:
        lists = lists.filter(valid_from__lte=filters.valid_on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=filters.valid_on)
        )
    if filters.q:
        lists = lists.filter(Q(code__icontains=filters.q.strip()) | Q(name__icontains=filters.q.strip()))
    return paginate(lists.order_by("code"), page, price_list_out)


@router.post("/pricing/price-lists", response={201: PriceListOut})
def price_list_create(request, payload: PriceListIn):
    require(request.auth, "pricing.manage")
    price_list = services.create_price_list(data=payload.model_dump(), actor=request.auth)
    return Status(201, price_list_out(_price_list(request.auth, price_list.pk)))


@router.get("/pricing/price-lists/{price_list_id}", response=PriceListOut)
def price_list_detail(request, price_list_id: IdParam):
    require(request.auth, "pricing.view")
    return price_list_out(_price_list(request.auth, price_list_id))


@router.patch("/pricing/price-lists/{price_list_id}", response=PriceListOut)
def price_list_update(request, price_list_id: IdParam, payload: PriceListPatch):
    require(request.auth, "pricing.manage")
    price_list = _price_list(request.auth, price_list_id)
    services.update_price_list(price_list=price_list, data=payload.model_dump(exclude_unset=True), actor=request.auth)
    return price_list_out(_price_list(request.auth, price_list_id))


@router.delete("/pricing/price-lists/{price_list_id}", response={204: None})
def price_list_delete(request, price_list_id: IdParam):
    require(request.auth, "pricing.manage")
    services.delete_price_list(price_list=_price_list(request.auth, price_list_id))
    return Status(204, None)


@router.post("/pricing/price-lists/{price_list_id}/activate", response=PriceListOut)
def price_list_activate(request, price_list_id: IdParam):
    """Put the list into force, or submit it to the price-list approval flow when its prices go
    more than the configured percentage (default 15 %) below the base list."""
    require(request.auth, "pricing.manage")
    services.activate_price_list(price_list=_price_list(request.auth, price_list_id), actor=request.auth)
    return price_list_out(_price_list(request.auth, price_list_id))


@router.get("/pricing/price-lists/{price_list_id}/items", response=page_of(ItemOut))
def price_list_items(request, price_list_id: IdParam, page: Query[PageParams]):
    require(request.auth, "pricing.view")
    price_list = _price_list(request.auth, price_list_id)
    items = price_list.items.select_related("sku").order_by("sku__code", "min_qty")
    return paginate(items, page, item_out)


@router.post("/pricing/price-lists/{price_list_id}/items", response={201: ItemOut})
def price_list_item_set(request, price_list_id: IdParam, payload: ItemIn):
    """Add or replace the price of a SKU from a quantity (draft or rejected lists only)."""
    require(request.auth, "pricing.manage")
    item = services.set_item(
        price_list=_price_list(request.auth, price_list_id), data=payload.model_dump(), actor=request.auth
    )
    return Status(201, item_out(PriceListItem.objects.select_related("sku").get(pk=item.pk)))


@router.delete("/pricing/price-lists/{price_list_id}/items/{price_item_id}", response={204: None})
def price_list_item_delete(request, price_list_id: IdParam, price_item_id: IdParam):
    require(request.auth, "pricing.manage")
    item = (
        PriceListItem.objects.select_related("price_list").filter(pk=price_item_id, price_list_id=price_list_id).first()
    )
    if item is None:
        raise NotFound()
    services.delete_item(item=item)
    return Status(204, None)


@router.post("/pricing/price-lists/{price_list_id}/rules", response={201: RuleOut})
def price_list_rule_set(request, price_list_id: IdParam, payload: RuleIn):
    """Price a product line (and every line below it) from the base price."""
    require(request.auth, "pricing.manage")
    rule = services.set_rule(
        price_list=_price_list(request.auth, price_list_id), data=payload.model_dump(), actor=request.auth
    )
    return Status(201, rule_out(PriceListRule.objects.select_related("product_line").get(pk=rule.pk)))


@router.delete("/pricing/price-lists/{price_list_id}/rules/{price_rule_id}", response={204: None})
def price_list_rule_delete(request, price_list_id: IdParam, price_rule_id: IdParam):
    require(request.auth, "pricing.manage")
    rule = (
        PriceListRule.objects.select_related("price_list").filter(pk=price_rule_id, price_list_id=price_list_id).first()
    )
    if rule is None:
        raise NotFound()
    services.delete_rule(rule=rule)
    return Status(204, None)


# --- floor prices ----------------------------------------------------------------------------


def _floor(floor_price_id: int) -> FloorPrice:
    floor = FloorPrice.objects.select_related("sku").filter(pk=floor_price_id).first()
    if floor is None:
        raise NotFound()
    return floor


@router.get("/pricing/floor-prices", response=page_of(FloorOut))
def floor_list(request, filters: Query[FloorFilters], page: Query[PageParams]):
    require(request.auth, "pricing.view")
    floors = FloorPrice.objects.select_related("sku")
    if filters.sku:
        floors = floors.filter(sku_id=filters.sku)
    return paginate(floors.order_by("sku__code", "valid_from", "pk"), page, floor_out)


@router.post("/pricing/floor-prices", response={201: FloorOut})
def floor_create(request, payload: FloorIn):
    require(request.auth, "pricing.manage")
    floor = services.create_floor_price(data=payload.model_dump(), actor=request.auth)
    return Status(201, floor_out(_floor(floor.pk)))


@router.patch("/pricing/floor-prices/{floor_price_id}", response=FloorOut)
def floor_update(request, floor_price_id: IdParam, payload: FloorPatch):
    require(request.auth, "pricing.manage")
    floor = services.update_floor_price(
        floor=_floor(floor_price_id), data=payload.model_dump(exclude_unset=True), actor=request.auth
    )
    return floor_out(_floor(floor.pk))


@router.delete("/pricing/floor-prices/{floor_price_id}", response={204: None})
def floor_delete(request, floor_price_id: IdParam):
    require(request.auth, "pricing.manage")
    services.delete_floor_price(floor=_floor(floor_price_id))
    return Status(204, None)


# --- promotions ------------------------------------------------------------------------------


def promotion_out(promo: Promotion) -> dict:
    return {
        "id": promo.pk,
        "code": promo.code,
        "name": promo.name,
        "kind": promo.kind,
        "status": promo.status,
        "stacking": promo.stacking,
        "stack_group": promo.stack_group,
        "priority": promo.priority,
        "tier": promo.tier.code if promo.tier_id else None,
        "region": promo.region.code if promo.region_id else None,
        "partner": promo.partner_id,
        "product_line": promo.product_line_id,
        "sku": promo.sku_id,
        "valid_from": promo.valid_from,
        "valid_to": promo.valid_to,
        "value": None if promo.value is None else str(promo.value),
        "threshold": None if promo.threshold is None else str(promo.threshold),
        "per_each": promo.per_each,
        "tiers": promo.tiers or [],
        "buy_qty": promo.buy_qty,
        "gift_qty": promo.gift_qty,
        "gift_sku": promo.gift_sku_id,
        "bundle_items": promo.bundle_items or [],
        "partner_cap_qty": promo.partner_cap_qty,
        "budget_qty": promo.budget_qty,
        "budget_amount": amount_out(promo.budget_amount),
        "used_qty": promo.used_qty,
        "used_amount": amount_out(promo.used_amount),
    }


def _promotion(user, promotion_id: int) -> Promotion:
    promo = visible_promotions(user).select_related("tier", "region").filter(pk=promotion_id).first()
    if promo is None:
        raise NotFound()
    return promo


@router.get("/pricing/promotions", response=page_of(PromotionOut))
def promotion_list(request, page: Query[PageParams]):
    require(request.auth, "pricing.view")
    return paginate(
        visible_promotions(request.auth).select_related("tier", "region").order_by("code"), page, promotion_out
    )


@router.post("/pricing/promotions", response={201: PromotionOut})
def promotion_create(request, payload: PromotionIn):
    """A promotion (a draft). Every promotion needs a stacking policy: exclusive, or stackable
    within a named group."""
    require(request.auth, "pricing.manage")
    promo = services.create_promotion(data=payload.model_dump(), actor=request.auth)
    return Status(201, promotion_out(_promotion(request.auth, promo.pk)))


@router.get("/pricing/promotions/{promotion_id}", response=PromotionOut)
def promotion_detail(request, promotion_id: IdParam):
    require(request.auth, "pricing.view")
    return promotion_out(_promotion(request.auth, promotion_id))


@router.post("/pricing/promotions/{promotion_id}/status", response=PromotionOut)
def promotion_status(request, promotion_id: IdParam, payload: PromotionStatusIn):
    """Start (active), pause (draft) or end a promotion."""
    require(request.auth, "pricing.manage")
    services.set_promotion_status(
        promotion=_promotion(request.auth, promotion_id), status=payload.status, actor=request.auth
    )
    return promotion_out(_promotion(request.auth, promotion_id))


@router.patch("/pricing/promotions/{promotion_id}", response=PromotionOut)
def promotion_update(request, promotion_id: IdParam, payload: PromotionPatch):
    """Change a promotion: anything while it is a draft; once started only name, valid_to,
    priority and its limits (never below what orders used); an ended one not at all (409)."""
    require(request.auth, "pricing.manage")
    services.update_promotion(
        promotion=_promotion(request.auth, promotion_id),
        data=payload.model_dump(exclude_unset=True),
        actor=request.auth,
    )
    return promotion_out(_promotion(request.auth, promotion_id))


@router.delete("/pricing/promotions/{promotion_id}", response={204: None})
def promotion_delete(request, promotion_id: IdParam):
    """Delete a promotion no order has used (409 otherwise: end it instead)."""
    require(request.auth, "pricing.manage")
    services.delete_promotion(promotion=_promotion(request.auth, promotion_id), actor=request.auth)
    return Status(204, None)


@router.get("/pricing/promotions/{promotion_id}/usage", response=PromotionUsageOut)
def promotion_usage(request, promotion_id: IdParam):
    """A promotion's consumption: what orders took and have not given back, against its limits."""
    require(request.auth, "pricing.view")
    promo = _promotion(request.auth, promotion_id)
    used = reservations.consumption(promo)
    return {
        "promotion": promo.code,
        "quantity": used["quantity"],
        "amount": amount_out(used["amount"]),
        "orders": used["orders"],
        "partners": used["partners"],
        "partner_cap_qty": promo.partner_cap_qty,
        "budget_qty": promo.budget_qty,
        "budget_amount": amount_out(promo.budget_amount),
    }


@router.get("/pricing/promotions/{promotion_id}/orders", response=page_of(UsageEntryOut))
def promotion_orders(request, promotion_id: IdParam, page: Query[PageParams]):
    """The orders that used a promotion: the ledger of reservations and releases, newest first."""
    require(request.auth, "pricing.view")
    promo = _promotion(request.auth, promotion_id)
    rows = (
        scope(PromotionUsage.objects.filter(promotion=promo), request.auth)
        .select_related("partner")
        .order_by("-created_at", "-pk")
    )
    return paginate(
        rows,
        page,
        lambda usage: {
            "reference": usage.reference,
            "partner": partner_ref(usage.partner),
            "entry": usage.entry,
            "quantity": usage.quantity,
            "amount": amount_out(usage.amount),
            "at": usage.created_at,
        },
    )
