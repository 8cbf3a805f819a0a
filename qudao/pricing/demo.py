"""Demo price policies on top of the demo catalogue (qudao.catalog.demo): a base list at cost plus
35 % rounded to the yuan, tier lists as line rules (strategic 90 %, gold 94 %, silver 97 % of base),
a Jiangsu regional list for 空调, a gold-in-Guangdong list, a partner's contract prices with a
quantity break, a scheduled base-price rise for 冰洗 next month, and floor prices at cost plus 5 %.
Promotions of every kind, with consumption reserved by a few demo orders (until orders exist,
reservations under DEMO-SO-... references)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from qudao.catalog.models import Lifecycle, ProductLine, Sku
from qudao.core.models import Region
from qudao.partners.models import Partner, Tier

from .models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion

TIER_RULES = (("strategic", 90), ("gold", 95), ("silver", 97))  # gold 95 %: the README's example


def _yuan(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def seed_pricing(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Build the demo price policies once (does nothing if price lists exist). Returns counts."""
    if PriceList.objects.exists():
        return {"price_lists": PriceList.objects.count(), "created": False}
    skus = list(Sku.objects.filter(cost_price__isnull=False).select_related("product__product_line"))
    root = ProductLine.objects.filter(parent__isnull=True).order_by("path").first()
    if not skus or root is None:
        return {"price_lists": 0, "created": False}
    log("Creating the demo price policies ...")
    start = (timezone.localdate() - timedelta(days=400)).replace(day=1)  # before the demo's year of orders
    next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    lines = {line.code: line for line in ProductLine.objects.all()}
    with transaction.atomic():
        base = PriceList.objects.create(code="base", name="全国统一价", valid_from=start, status="active")
        base_prices = {}
        items, floors = [], []
        for sku in skus:
            price = _yuan(sku.cost_price * Decimal("1.35"))
            base_prices[sku.pk] = price
            items.append(PriceListItem(price_list=base, sku=sku, price=price))
            floors.append(FloorPrice(sku=sku, price=_yuan(sku.cost_price * Decimal("1.05")), valid_from=start))
        PriceListItem.objects.bulk_create(items)
        FloorPrice.objects.bulk_create(floors)
        for tier_code, percent in TIER_RULES:
            tier = Tier.objects.filter(code=tier_code).first()
            if tier is None:
                continue
            tier_list = PriceList.objects.create(
                code=f"tier-{tier_code}", name=f"{tier.name}经销价", tier=tier, valid_from=start, status="active"
            )
            PriceListRule.objects.create(
                price_list=tier_list, product_line=root, method="percent_of_base", value=percent, rounding="1"
            )
        jiangsu = Region.objects.filter(code="320000").first()
        if jiangsu is not None and "aircon" in lines:
            regional = PriceList.objects.create(
                code="js-aircon", name="江苏空调旺季价", region=jiangsu, valid_from=start, status="active"
            )
            PriceListRule.objects.create(
                price_list=regional,
                product_line=lines["aircon"],
                method="fixed_discount",
                value=Decimal("100"),
                rounding="1",
            )
            hood = next((sku for sku in skus if sku.code == "HOOD-A"), None)
            if hood is not None:  # the README's example: the Jiangsu list prices HOOD-A at 1,250.00
                kitchen = PriceList.objects.create(
                    code="js-kitchen",
                    name="江苏厨电区域价",
                    region=jiangsu,
                    valid_from=start,
                    priority=1,
                    status="active",
                )
                PriceListItem.objects.create(price_list=kitchen, sku=hood, price=Decimal("1250.00"))
        guangdong = Region.objects.filter(code="440000").first()
        gold = Tier.objects.filter(code="gold").first()
        if guangdong is not None and gold is not None:
            gd = PriceList.objects.create(
                code="gold-gd", name="广东金牌价", tier=gold, region=guangdong, valid_from=start, status="active"
            )
            PriceListRule.objects.create(
                price_list=gd, product_line=root, method="percent_of_base", value=92, rounding="1"
            )
        partner = Partner.objects.filter(partner_type="distributor").order_by("pk").first()
        if partner is not None:
            contract = PriceList.objects.create(
                code=f"contract-{partner.code}".lower()[:40],
                name=f"{partner}合同价",
                partner=partner,
                valid_from=start,
                status="active",
            )
            for sku in rng.sample(skus, min(8, len(skus))):
                price = max(_yuan(base_prices[sku.pk] * Decimal("0.9")), _yuan(sku.cost_price * Decimal("1.05")))
                PriceListItem.objects.create(price_list=contract, sku=sku, price=price)
                PriceListItem.objects.create(
                    price_list=contract,
                    sku=sku,
                    min_qty=20,
                    price=max(_yuan(price * Decimal("0.97")), _yuan(sku.cost_price * Decimal("1.05"))),
                )
        rising = [sku for sku in skus if sku.product.product_line.code == "laundry-cold"]
        if rising:
            future = PriceList.objects.create(
                code="base-rise", name="冰洗调价", valid_from=next_month, priority=1, status="active"
            )
            PriceListItem.objects.bulk_create(
                PriceListItem(price_list=future, sku=sku, price=_yuan(base_prices[sku.pk] * Decimal("1.03")))
                for sku in rising
            )
        _seed_promotions(rng, skus, lines, start, base_prices)
        _seed_pending_clearance(skus, base_prices)
    _seed_consumption(rng)
    on_sale = sum(1 for sku in skus if sku.lifecycle == Lifecycle.ON_SALE)
    return {"price_lists": PriceList.objects.count(), "skus": len(skus), "on_sale": on_sale, "created": True}


def _seed_pending_clearance(skus, base_prices) -> None:
    """A year-end clearance list for 彩电 in Guangdong at 80 % of base, sent for approval (more than
    the configured discount below base): it waits in the approvers' inbox."""
    from qudao.accounts.models import User

    from . import services

    tvs = [sku for sku in skus if sku.product.product_line.code == "tv"]
    if not tvs:
        return
    today = timezone.localdate()
    clearance = PriceList.objects.create(
        code="tv-clearance",
        name="广东彩电年末清仓价",
        region=Region.objects.filter(code="440000").first(),
        valid_from=today + timedelta(days=7),
        valid_to=today + timedelta(days=37),
        priority=2,
        status="draft",
    )
    PriceListItem.objects.bulk_create(
        PriceListItem(
            price_list=clearance,
            sku=sku,
            price=max(_yuan(base_prices[sku.pk] * Decimal("0.8")), _yuan(sku.cost_price * Decimal("1.05"))),
        )
        for sku in tvs
    )
    # proposed by the administrator: the channel manager (step one) decides it
    services.activate_price_list(price_list=clearance, actor=User.objects.filter(username="admin").first())


def _first_sku(skus, product_code):
    return next((sku for sku in skus if sku.product.code == product_code), None)


def _seed_promotions(rng: random.Random, skus, lines, start, base_prices) -> None:
    """A promotion of each kind, with different stacking policies and limits."""
    common = {"status": "active", "valid_from": start}
    if "kitchen" in lines:
        Promotion.objects.create(
            code="kitchen-95",
            name="厨电季度九五折",
            kind="percent_off",
            value=5,
            product_line=lines["kitchen"],
            stacking="stackable",
            stack_group="季度",
            priority=10,
            **common,
        )
        Promotion.objects.create(
            code="kitchen-5000-300",
            name="厨电每满5000减300",
            kind="threshold",
            threshold=5000,
            value=300,
            per_each=True,
            product_line=lines["kitchen"],
            stacking="stackable",
            stack_group="季度",
            priority=5,
            **common,
        )
    Promotion.objects.create(
        code="order-tiers",
        name="整单阶梯满减",
        kind="tiered_threshold",
        tiers=[["20000", "300"], ["50000", "1000"], ["100000", "2500"]],
        stacking="stackable",
        stack_group="整单",
        priority=1,
        **common,
    )
    special = rng.choice(skus)
    Promotion.objects.create(
        code="special-1",
        name=f"{special.name}限时特价",
        kind="special_price",
        value=(special.cost_price * Decimal("1.15")).quantize(Decimal("1")),
        sku=special,
        stacking="exclusive",
        priority=20,
        **common,
    )
    if "tv" in lines:
        Promotion.objects.create(
            code="tv-200",
            name="彩电每台立减200",
            kind="amount_off",
            value=200,
            product_line=lines["tv"],
            stacking="exclusive",
            priority=12,
            **common,
        )
    hood, stove = _first_sku(skus, "CXW-200"), _first_sku(skus, "JZT-Q5")
    if hood is not None and stove is not None:
        # 15 % off the two base prices for the set, in the kitchen quarter's stacking group
        Promotion.objects.create(
            code="hood-stove-set",
            name="烟灶套餐价",
            kind="bundle",
            value=_yuan((base_prices[hood.pk] + base_prices[stove.pk]) * Decimal("0.85")),
            bundle_items=[[hood.pk, 1], [stove.pk, 1]],
            stacking="stackable",
            stack_group="季度",
            priority=8,
            **common,
        )
    purifier, cartridge = _first_sku(skus, "JSJ-600"), _first_sku(skus, "LX-01")
    if purifier is not None and cartridge is not None:
        Promotion.objects.create(
            code="purifier-gift",
            name="净水器买一赠二滤芯",
            kind="buy_x_get_y",
            sku=purifier,
            buy_qty=1,
            gift_qty=2,
            gift_sku=cartridge,
            per_each=True,
            stacking="exclusive",
            priority=15,
            budget_qty=400,
            **common,
        )
    aircon = _first_sku(skus, "KFR-35G")
    if aircon is not None:
        Promotion.objects.create(
            code="aircon-flash",
            name=f"{aircon.name}限量特价",
            kind="limited_special",
            value=_yuan(aircon.cost_price * Decimal("1.12")),
            sku=aircon,
            partner_cap_qty=5,
            budget_qty=200,
            stacking="exclusive",
            priority=30,
            **common,
        )


CONSUMERS = 24  # partners whose demo orders consume the limited promotions


def _seed_consumption(rng: random.Random) -> None:
    """A few demo orders reserve what the limited promotions give, so their consumption shows."""
    from qudao.catalog.scope import allowed_sku_q
    from qudao.core.errors import DomainError

    from .engine import CartLine
    from .models import PromotionUsage
    from .reservations import reserve

    if PromotionUsage.objects.exists():
        return
    carts = []  # the SKU ids of each kind of demo order
    for code in ("aircon-flash", "purifier-gift"):
        promo = Promotion.objects.filter(code=code).first()
        if promo is not None:
            carts.append([promo.sku_id])
    bundle = Promotion.objects.filter(code="hood-stove-set").first()
    if bundle is not None:
        carts.append([sku_id for sku_id, _quantity in bundle.bundle_items])
    skus = Sku.objects.in_bulk({sku_id for cart in carts for sku_id in cart})
    today = timezone.localdate()
    number = 0
    # the first active partners: enough to show consumption; each reservation prices its cart in
    # full (the engine), so more partners only cost seeding time (60 took a quarter of the pricing step)
    for partner in Partner.objects.filter(status="active").select_related("region", "tier").order_by("pk")[:CONSUMERS]:
        allowed = set(Sku.objects.filter(allowed_sku_q(partner), pk__in=list(skus)).values_list("pk", flat=True))
        for cart in carts:
            if not set(cart) <= allowed:
                continue
            lines = []
            for sku_id in cart:
                sku = skus[sku_id]
                quantity = max(sku.min_order_qty, rng.randint(1, 4))
                lines.append(CartLine(sku_id, quantity + -quantity % sku.order_multiple))
            number += 1
            try:
                reserve(partner=partner, lines=lines, on=today, reference=f"DEMO-SO-{number:04d}")
            except DomainError:
                continue  # no price for this partner: no order
