"""Demo receivables for `manage.py seed`: a good share of the confirmed demo orders is allocated and
shipped through the real orders services (some in part, a few then delivered), so finance raises
their invoices the way it does in production (QUDAO_INVOICE_ON), prepaid ones settled at once.

The demo orders are dated back up to four months (orders.demo); each leaves within a few days
after it was placed (`shipped_at`, which create_shipment accepts for a shipment recorded late,
never before its order), so the invoices are issued on those days and fall due after each
partner's payment terms: the aging buckets get a realistic spread, some invoices overdue. Nothing
else is back-dated by hand: every invoice, entry and allocation is what the services wrote."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from qudao.core.errors import DomainError

from .models import Invoice


def seed_finance(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Ship and invoice demo orders once (does nothing if invoices exist). Returns counts."""
    from qudao.accounts.models import User
    from qudao.accounts.roles import HQRole
    from qudao.inventory.services import held_by
    from qudao.orders import shipping
    from qudao.orders.models import Order, OrderStatus
    from qudao.partners.models import PartnerMember

    if Invoice.objects.exists():
        return {"invoices": Invoice.objects.count(), "created": False}
    operations = User.objects.filter(role_assignments__role=HQRole.OPERATIONS, is_active=True).first()
    if operations is None:
        return {"invoices": 0, "created": False}
    log("Shipping and invoicing demo orders ...")
    members = {member.partner_id: member.user for member in PartnerMember.objects.filter(is_active=True)}
    now = timezone.now()
    shipped = delivered = 0
    for order in Order.objects.filter(status=OrderStatus.CONFIRMED).select_related("partner").order_by("pk"):
        if rng.random() > 0.75:
            continue  # a quarter stays confirmed, waiting to ship
        try:
            shipping.allocate_order(order=order, actor=operations)
            held = held_by(order.number)
            warehouse_id = max(
                {wh for _sku, wh in held}, key=lambda wh: sum(q for (s, w), q in held.items() if w == wh)
            )
            lines = []
            for line in order.lines.order_by("line_no"):
                reserved = held.get((line.sku_id, warehouse_id), 0)
                quantity = min(line.quantity - line.shipped_quantity, reserved)
                if quantity > 0:
                    lines.append((line.pk, quantity))
            partial = rng.random() < 0.3 and sum(q for _pk, q in lines) > 1
            if partial:  # ship part now: the first line, or half of it
                line_id, quantity = lines[0]
                lines = [(line_id, max(1, quantity // 2))] if len(lines) == 1 else lines[:1]
            if not lines:
                continue
            shipping.create_shipment(
                order=order,
                warehouse=warehouse_id,
                lines=lines,
                carrier=rng.choice(("顺丰速运", "德邦物流", "京东物流")),
                tracking_number=f"DEMO{order.pk:08d}",
                shipped_at=min(now, order.submitted_at + timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 12))),
                actor=operations,
            )
            shipped += 1
            order.refresh_from_db()
            if order.status == OrderStatus.SHIPPED and members.get(order.partner_id) and rng.random() < 0.3:
                shipping.confirm_delivery(order=order, actor=members[order.partner_id])
                delivered += 1
        except DomainError:
            continue  # not enough stock where it is reserved, or the like: it stays as it is
    return {"invoices": Invoice.objects.count(), "shipped": shipped, "delivered": delivered, "created": True}
