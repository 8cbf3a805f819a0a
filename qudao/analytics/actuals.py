"""What partners actually did in a window, for attainment (达成率): set-based, in the
transactional database, one grouped query per source and window, never a loop over partners.

Every function answers {partner id: Decimal} for the partners of `partner_ids` (None: every
partner) over the local days [start, end]:

- net_sales_shipped / net_sales_invoiced / payments: rebates' own bases (qudao.rebates.basis),
  without a product scope, returns reducing the period of the sale they reverse - the same figures
  a rebate policy of that basis counts.
- line_units / line_amount: net shipped units / net shipped amount of the SKUs under a product
  line (and the lines below it).
- new_partners: 1 for a partner created - that is, approved: an application's approval creates
  the partner - in the window.
- active_partners: 1 for a partner that placed an order (submitted in the window, drafts,
  cancelled and rejected orders aside).

A region's or an owner's actual is the sum of its partners' as they are assigned now (a partner
that moved region counts in its new one: acceptable for the transactional version; the analytics
store gives the history-correct one later).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from qudao.orders.models import Order, OrderStatus
from qudao.partners.models import Partner
from qudao.rebates import basis
from qudao.rebates.models import BasisKind, RebatePolicy, ReturnsPeriod

from .models import TargetMetric

ZERO = Decimal("0")
ONE = Decimal("1")
NOT_PLACED = (OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.REJECTED)


def _partners(partner_ids) -> QuerySet:
    partners = Partner.objects.all()
    return partners if partner_ids is None else partners.filter(pk__in=list(partner_ids))


def _counting_policy(kind: str) -> RebatePolicy:
    """An unsaved policy that tells basis.py how to count: no product scope, no promotions left
    out, returns in the period of their sale."""
    return RebatePolicy(basis=kind, returns_count_in=ReturnsPeriod.SHIPMENT_PERIOD)


def partner_actuals(
    metric: str, partner_ids, start: date, end: date, *, product_line_path: str | None = None
) -> dict[int, Decimal]:
    """{partner id: actual} for one metric and window (partners with nothing are absent)."""
    partners = _partners(partner_ids)
    if metric in (TargetMetric.NET_SALES_SHIPPED, TargetMetric.NET_SALES_INVOICED):
        invoiced = metric == TargetMetric.NET_SALES_INVOICED
        _gross, _returns, net = basis.net_sales(
            _counting_policy(metric), partners, start, end, invoiced_basis=invoiced, scoped=False
        )
        return {pid: amount for pid, (amount, _units) in net.items() if amount}
    if metric == TargetMetric.PAYMENTS:
        return {pid: amount for pid, (amount, _units) in basis.paid(partners, start, end).items() if amount}
    if metric in (TargetMetric.LINE_UNITS, TargetMetric.LINE_AMOUNT):
        if not product_line_path:
            return {}
        _gross, _returns, net = basis.net_sales(
            _counting_policy(BasisKind.AMOUNT),
            partners,
            start,
            end,
            invoiced_basis=False,
            scoped=False,
            extra_sku=[product_line_path],
        )
        index = 1 if metric == TargetMetric.LINE_UNITS else 0
        return {pid: values[index] for pid, values in net.items() if values[index]}
    if metric == TargetMetric.NEW_PARTNERS:
        low, high = basis.bounds(start, end)
        rows = partners.filter(created_at__gte=low, created_at__lt=high).values_list("pk", flat=True)
        return dict.fromkeys(rows, ONE)
    if metric == TargetMetric.ACTIVE_PARTNERS:
        low, high = basis.bounds(start, end)
        rows = (
            Order.objects.filter(
                Q(submitted_at__gte=low, submitted_at__lt=high),
                partner_id__in=partners.values("pk"),
            )
            .exclude(status__in=NOT_PLACED)
            .values_list("partner_id", flat=True)
            .distinct()
            .order_by()
        )
        return dict.fromkeys(rows, ONE)
    raise ValueError(f"unknown metric {metric!r}")
