"""Demo orders for `manage.py seed`: partners with demo users and a credit limit place a few
orders through the real service (priced, promotions and stock reserved); the other partners' orders
are taken by operations on their behalf (代客下单, as by phone); operations confirms some, one is
cancelled, one over its credit waits for approval. As a history, each order is then dated back up
to HISTORY_DAYS days (when it was placed, and its timeline with it), so that the demo shipments
(finance.demo) can leave on the days after each order, never before it."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from qudao.catalog.models import Sku
from qudao.catalog.scope import allowed_sku_q
from qudao.core.errors import DomainError

from .models import Order, OrderStatusChange

HISTORY_DAYS = 125


def date_back(order: Order, days: int, hours: int = 0) -> None:
    """Date a demo order `days` (and `hours`) back: when it was created and placed, and each move
    of its timeline by as much (a demo history; its prices stay today's)."""
    from django.db.models import F
    from django.utils import timezone

    delta = timedelta(days=days, hours=hours)
    placed = timezone.now() - delta
    Order.objects.filter(pk=order.pk).update(created_at=placed, submitted_at=placed)
    OrderStatusChange.objects.filter(order=order).update(at=F("at") - delta)


def seed_orders(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Place the demo orders once (does nothing if orders exist, or without stock). Returns counts."""
    from qudao.accounts.models import User
    from qudao.accounts.roles import HQRole
    from qudao.inventory.models import StockLevel
    from qudao.partners.models import Partner, PartnerMember

    from . import services

    if Order.objects.exists() or not StockLevel.objects.exists():
        return {"orders": Order.objects.count(), "created": False}
    log("Placing the demo orders ...")
    operations = User.objects.filter(role_assignments__role=HQRole.OPERATIONS, is_active=True).first()
    members = {member.partner_id: member.user for member in PartnerMember.objects.filter(is_active=True)}
    stocked = set(StockLevel.objects.filter(on_hand__gt=20).values_list("sku_id", flat=True))
    placed = 0
    # the partners with demo users first, then others (their orders taken by operations on their
    # behalf, as by phone)
    partners = list(Partner.objects.filter(pk__in=members, status="active").order_by("pk"))
    partners += list(Partner.objects.filter(status="active").exclude(pk__in=members).order_by("pk")[:30])
    for partner in partners:
        if partner.credit_limit <= 0:
            Partner.objects.filter(pk=partner.pk).update(credit_limit=Decimal("300000"))
            partner.refresh_from_db()
        skus = list(
            Sku.objects.filter(allowed_sku_q(partner), pk__in=stocked).values_list(
                "pk", "min_order_qty", "order_multiple"
            )
        )
        if len(skus) < 3:
            continue
        for number in range(rng.randint(2, 4)):
            lines = []
            for pk, minimum, multiple in rng.sample(skus, rng.randint(1, min(4, len(skus)))):
                quantity = max(minimum, rng.randint(1, 5))
                lines.append({"sku": pk, "quantity": quantity + (-quantity % multiple)})
            try:
                order, _created = services.place_order(
                    partner=partner,
                    lines=lines,
                    actor=members.get(partner.pk) or operations,
                    idempotency_key=f"demo-{partner.pk}-{number}",
                )
            except DomainError:
                continue  # no price, not enough stock or credit for this cart: no order
            placed += 1
            date_back(order, rng.randint(0, HISTORY_DAYS), rng.randint(0, 12))
            roll = rng.random()
            try:
                if roll < 0.5 and order.status == "submitted" and operations is not None:
                    services.confirm_order(order=order, actor=operations)
                elif roll < 0.6 and order.status == "submitted":
                    services.cancel_order(order=order, actor=operations, reason="演示：客户改单")
            except DomainError:
                pass
    return {"orders": placed, "created": True}
