"""Twelve months of trading for the demo (qudao.demo, after the catalogue, prices and stock).

Every event goes through the real services, in the order it happened, under the demo clock
(qudao.core.demo_clock): the order is placed on its day and priced at that day's lists, confirmed
hours later, allocated and shipped over the next days (the invoice is raised on the day it
leaves), delivered and completed; invoices are paid around their due dates; some deliveries open a
discrepancy case with a photo, some orders come back as returns with a credit note; the first of
each month the previous month's statements are issued and partners confirm them. What the
real time has not reached yet has not happened: so the last days' orders stand submitted,
waiting for approval, confirmed, allocated, partly shipped or shipped, just as a live system's
would. Because every write is the services' own, the ledger reconciles (`check_ledger`), stock
reservations add up and the rebate bases see real shipments.

The trading partners: the named demo partners (their users see their own history in the portal)
and the first active partners of the network (orders taken by operations on their behalf, 代客下单).
Deterministic for a given random generator and day.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core.demo_media import demo_image

HISTORY_DAYS = 365
OTHER_PARTNERS = 10  # bulk partners trading in the history besides the named ones
# orders a month per named partner code (others: 0.7)
ORDERS_PER_MONTH = {"P000001": 2.5, "P000006": 1.5, "P000002": 1.0, "P000004": 0.6, "P000005": 0.5}
OTHERS_PER_MONTH = 0.5
RECENT_DAYS = 6  # every trading partner orders once more in these last days: the live part of the demo
# one bulk partner in East China went quiet: nothing since this many days ago (a dormant partner for
# the dashboards and the "no order for 45 days" alert)
QUIET_DAYS = 120
# where those last orders stop, in turn: so the demo shows orders in every status of the lifecycle
# (rejected and cancelled too: the older history has them only by chance)
RECENT_STAGES = (
    "submitted",
    "confirmed",
    "allocated",
    "partially_shipped",
    "shipped",
    "delivered",
    "rejected",
    "cancelled",
)
CARRIERS = ("顺丰速运", "德邦物流", "京东物流")
CITIES_ON_THE_WAY = ("杭州转运中心", "南京分拨中心", "广州白云转运中心", "苏州工业园区营业部", "佛山顺德分拨中心")


def run_commit_hooks_now() -> None:
    """Run the callbacks the services left for after their commit (order news, rebate progress) now.

    The whole demo is seeded in one transaction (qudao.demo.seed_everything), so they would all run at
    its very end, under the real clock: a year of notifications dated today, progress recomputed from
    the final state hundreds of times. Run here, right after the event, they see the demo clock and
    the data as it was then, just as they would after a real commit."""
    from django.db import transaction

    connection = transaction.get_connection()
    while connection.in_atomic_block and connection.run_on_commit:
        pending, connection.run_on_commit = connection.run_on_commit, []
        for _savepoints, callback, _robust in pending:
            callback()


def _moment(day: date, rng: random.Random, start_hour: int = 9, end_hour: int = 18) -> datetime:
    clock = time(rng.randint(start_hour, end_hour - 1), rng.randint(0, 59), rng.randint(0, 59))
    return timezone.make_aware(datetime.combine(day, clock))


class _History:
    def __init__(self, rng: random.Random, clock, log):
        from qudao.accounts.models import User
        from qudao.partners.models import PartnerMember

        self.rng = rng
        self.clock = clock
        self.log = log
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.queue: list = []
        self.stops: dict[int, str] = {}  # order id -> the stage where a recent order stops
        self.planned_invoices: set[int] = set()  # invoices whose payment is planned (or not to come)
        self.sequence = itertools.count()
        self.users = {user.username: user for user in User.objects.filter(is_active=True)}
        self.operations = self.users.get("operations")
        self.finance = self.users.get("finance")
        self.members = {
            member.partner_id: member.user
            for member in PartnerMember.objects.filter(is_active=True).select_related("user").order_by("role", "pk")
        }
        self.counts = {
            "orders": 0,
            "cancelled": 0,
            "rejected": 0,
            "approved_over_limit": 0,
            "shipments": 0,
            "delivered": 0,
            "completed": 0,
            "payments": 0,
            "returns": 0,
            "cases": 0,
            "statement_months": 0,
        }

    # --- the event queue ---------------------------------------------------------------------

    def at(self, moment: datetime, action: Callable, *args) -> None:
        """Do `action(*args)` at `moment`, unless the real time has not reached it."""
        if moment <= self.now:
            heapq.heappush(self.queue, (moment, next(self.sequence), action, args))

    def run(self) -> None:
        from qudao.core.errors import DomainError

        while self.queue:
            moment, _number, action, args = heapq.heappop(self.queue)
            self.clock.set(moment)
            try:
                action(moment, *args)
            except DomainError:
                continue  # the services refused (no stock left where it was reserved, ...): it did not happen
            finally:
                run_commit_hooks_now()

    # --- orders --------------------------------------------------------------------------------

    def plan_orders(self, partners) -> None:
        from qudao.catalog.models import Lifecycle, Sku
        from qudao.catalog.scope import allowed_sku_q
        from qudao.inventory.models import StockLevel

        stocked = set(StockLevel.objects.filter(on_hand__gt=20).values_list("sku_id", flat=True))
        on_sale = Sku.objects.filter(lifecycle=Lifecycle.ON_SALE, product__lifecycle=Lifecycle.ON_SALE, pk__in=stocked)
        first = self.today - timedelta(days=HISTORY_DAYS)
        quiet = _quiet_partner(partners)
        for partner in partners:
            skus = list(on_sale.filter(allowed_sku_q(partner)).values_list("pk", "min_order_qty", "order_multiple"))
            if len(skus) < 3:
                continue
            rate = ORDERS_PER_MONTH.get(partner.code, OTHERS_PER_MONTH)
            count = max(1, round(rate * 12 * self.rng.uniform(0.8, 1.2)))
            last_day = HISTORY_DAYS - (QUIET_DAYS if partner is quiet else RECENT_DAYS)
            for number in range(count + 1):
                if number < count:
                    day = first + timedelta(days=self.rng.randint(1, last_day))
                elif partner is quiet:
                    continue  # no order in the last days either
                else:
                    day, number = self.today, f"recent-{number}"
                lines = []
                least = 2 if day >= self.today else 1  # a recent order may stop partly shipped: 2 units or more
                for pk, minimum, multiple in self.rng.sample(skus, self.rng.randint(1, min(4, len(skus)))):
                    quantity = max(minimum, least, self.rng.randint(1, 6))
                    lines.append({"sku": pk, "quantity": quantity + (-quantity % multiple)})
                moment = _moment(day, self.rng)
                if day >= self.today:
                    moment = self.now - timedelta(hours=self.rng.randint(12, RECENT_DAYS * 24))
                self.at(moment, self.place, partner, lines, number)
        self.plan_over_limit()

    def plan_over_limit(self) -> None:
        """Yesterday 羊城优品 (P000006) ordered far beyond its credit: the order waits for approval."""
        from django.db.models import F, Sum

        from qudao.catalog.models import Lifecycle, Sku
        from qudao.catalog.scope import allowed_sku_q
        from qudao.inventory.models import StockLevel
        from qudao.partners.models import Partner

        partner = Partner.objects.filter(code="P000006", status="active").first()
        if partner is None:
            return
        dear = Sku.objects.filter(
            allowed_sku_q(partner),
            lifecycle=Lifecycle.ON_SALE,
            product__lifecycle=Lifecycle.ON_SALE,
            cost_price__gte=2000,
            min_order_qty=1,
            order_multiple=1,
        )
        best = (
            StockLevel.objects.filter(sku__in=dear)
            .values("sku")
            .annotate(free=Sum(F("on_hand") - F("reserved")))
            .order_by("-free", "sku")
            .first()
        )
        if best is not None:
            quantity = max(1, min(best["free"] // 2, 60))
            lines = [{"sku": best["sku"], "quantity": quantity}]
            self.at(self.now - timedelta(days=1), self.place, partner, lines, "big")

    def place(self, moment, partner, lines, number) -> None:
        from qudao.orders import services

        actor = self.members.get(partner.pk) or self.operations
        order, _created = services.place_order(
            partner=partner,
            lines=lines,
            actor=actor,
            idempotency_key=f"demo-{partner.code}-{number}",
            on=timezone.localdate(moment),
        )
        self.counts["orders"] += 1
        roll = self.rng.random()
        if order.status == "pending_approval" and moment > self.now - timedelta(days=3):
            return  # placed in the last days: still waiting for its approvers
        if str(number).startswith("recent") and order.status == "submitted":
            stage = RECENT_STAGES[len(self.stops) % len(RECENT_STAGES)]
            self.stops[order.pk] = stage
            if stage == "rejected":
                self.at(moment + timedelta(hours=1), self.reject, order)
            elif stage == "cancelled":
                self.at(moment + timedelta(hours=1), self.cancel, order)
            elif stage != "submitted":
                self.at(moment + timedelta(hours=1), self.confirm, order)
            return
        if roll < 0.04:
            self.at(moment + timedelta(hours=self.rng.randint(1, 20)), self.cancel, order)
        elif roll < 0.07 and order.status == "submitted":
            self.at(moment + timedelta(hours=self.rng.randint(2, 8)), self.reject, order)
        elif order.status == "pending_approval":
            self.at(moment + timedelta(hours=self.rng.randint(3, 30)), self.approve_over_limit, order)
        else:
            self.at(moment + timedelta(hours=self.rng.randint(1, 8)), self.confirm, order)

    def _delay(self, order, low_hours: int, high_hours: int) -> timedelta:
        """How long the next step of `order` takes: hours to days, or an hour or two for the last
        days' orders that must reach their stage (RECENT_STAGES) by now."""
        if order.pk in self.stops:
            return timedelta(hours=self.rng.randint(1, 2))
        return timedelta(hours=self.rng.randint(low_hours, high_hours))

    def _fresh(self, order):
        order.refresh_from_db()
        return order

    def cancel(self, moment, order) -> None:
        from qudao.orders import services

        order = self._fresh(order)
        actor = self.members.get(order.partner_id) or self.operations
        services.cancel_order(order=order, actor=actor, reason="客户改单，重新下单")
        self.counts["cancelled"] += 1

    def reject(self, moment, order) -> None:
        from qudao.orders import services

        services.reject_order(order=self._fresh(order), actor=self.operations, reason="型号已停产，请改订替代型号")
        self.counts["rejected"] += 1

    def approve_over_limit(self, moment, order) -> None:
        from qudao.core import approvals

        order = self._fresh(order)
        for _step in range(4):
            request = order.approval
            if request is None or request.status != "pending" or request.current_step is None:
                break
            role = request.current_step.approver_role
            approver = next(
                (user for user in self.users.values() if not user.is_partner_user and role in user.role_codes()),
                None,
            )
            if approver is None:
                return
            approvals.decide(request_id=request.pk, actor=approver, decision="approve", comment="旺季备货，同意超额")
            order = self._fresh(order)
        if order.status == "submitted":
            self.counts["approved_over_limit"] += 1
            self.at(moment + timedelta(hours=self.rng.randint(1, 6)), self.confirm, order)

    def confirm(self, moment, order) -> None:
        from qudao.orders import services

        order = services.confirm_order(order=self._fresh(order), actor=self.operations)
        if self.stops.get(order.pk) == "confirmed":
            return
        self.at(moment + self._delay(order, 12, 40), self.allocate, order)

    def allocate(self, moment, order) -> None:
        from qudao.orders import shipping

        shipping.allocate_order(order=self._fresh(order), actor=self.operations)
        stop = self.stops.get(order.pk)
        if stop == "allocated":
            return
        # A recent order ships partly exactly when that is where it stops, whatever the hour of the seed.
        partial = stop == "partially_shipped" if stop else self.rng.random() < 0.2
        self.at(moment + self._delay(order, 4, 30), self.ship, order, partial)

    def ship(self, moment, order, partial: bool) -> None:
        from qudao.inventory.services import held_by
        from qudao.orders import shipping

        order = self._fresh(order)
        held = held_by(order.number)
        if not held:
            return
        by_warehouse: dict[int, int] = {}
        for (_sku, warehouse_id), quantity in held.items():
            by_warehouse[warehouse_id] = by_warehouse.get(warehouse_id, 0) + quantity
        warehouse_id = max(sorted(by_warehouse), key=by_warehouse.get)
        lines = []
        for line in order.lines.order_by("line_no"):
            quantity = min(line.quantity - line.shipped_quantity, held.get((line.sku_id, warehouse_id), 0))
            if quantity > 0:
                lines.append((line.pk, quantity))
        if partial and sum(quantity for _pk, quantity in lines) > 1:
            line_id, quantity = lines[0]
            lines = [(line_id, max(1, quantity // 2))] if len(lines) == 1 else lines[:1]
        if not lines:
            return
        carrier = self.rng.choice(CARRIERS)
        shipment = shipping.create_shipment(
            order=order,
            warehouse=warehouse_id,
            lines=lines,
            carrier=carrier,
            tracking_number=f"SF{order.pk:06d}{self.counts['shipments']:04d}",
            shipped_at=moment,
            actor=self.operations,
        )
        self.counts["shipments"] += 1
        order = self._fresh(order)
        self.at(moment + timedelta(hours=self.rng.randint(8, 20)), self.track, shipment, "in_transit")
        stop = self.stops.get(order.pk)
        if stop in ("partially_shipped", "shipped"):
            return
        if order.status == "partially_shipped":
            self.at(moment + self._delay(order, 48, 120), self.ship, order, False)
        elif order.status == "shipped":
            self.at(moment + self._delay(order, 48, 126), self.deliver, order)

    def track(self, moment, shipment, status) -> None:
        from qudao.orders import shipping

        shipping.add_tracking_event(
            shipment=shipment,
            status=status,
            at=moment,
            location=self.rng.choice(CITIES_ON_THE_WAY),
            actor=self.operations,
        )

    def deliver(self, moment, order) -> None:
        from qudao.orders import shipping

        order = self._fresh(order)
        actor = self.members.get(order.partner_id) or self.operations
        discrepancies = None
        shipment = order.shipments.order_by("pk").last()
        if self.rng.random() < 0.06 and shipment is not None:
            line = order.lines.order_by("line_no").first()
            photo = demo_image("DAMAGED CARTON", (150, 60, 40), 240, "JPEG")
            discrepancies = [
                {
                    "kind": "damaged",
                    "shipment": shipment.pk,
                    "lines": [(line.pk, 1)],
                    "description": "外箱破损，机身侧面有凹痕",
                    "photos": [SimpleUploadedFile("破损照片.jpg", photo, content_type="image/jpeg")],
                }
            ]
        shipping.confirm_delivery(order=order, actor=actor, discrepancies=discrepancies, note="已签收")
        self.counts["delivered"] += 1
        if self.stops.get(order.pk) == "delivered":
            return
        if discrepancies:
            self.counts["cases"] += 1
            self.at(moment + timedelta(days=self.rng.randint(2, 6)), self.resolve_cases, order)
        else:
            self.at(moment + timedelta(days=self.rng.randint(3, 10)), self.complete, order)
        if self.rng.random() < 0.07:
            self.at(moment + timedelta(days=self.rng.randint(3, 15)), self.ask_return, order)

    def resolve_cases(self, moment, order) -> None:
        from qudao.orders import shipping
        from qudao.orders.models import DiscrepancyCase

        for case in order.cases.filter(status=DiscrepancyCase.Status.OPEN):
            shipping.resolve_case(case=case, actor=self.operations, resolution="已补发一台新机，破损机由物流公司理赔")
        self.at(moment + timedelta(days=1), self.complete, order)

    def complete(self, moment, order) -> None:
        from qudao.orders import shipping

        shipping.complete_order(order=self._fresh(order), actor=self.operations)
        self.counts["completed"] += 1

    # --- returns -------------------------------------------------------------------------------

    def ask_return(self, moment, order) -> None:
        from qudao.orders import returns

        order = self._fresh(order)
        line = order.lines.filter(quantity__gt=0).order_by("-quantity", "line_no").first()
        if line is None:
            return
        actor = self.members.get(order.partner_id) or self.operations
        photo = demo_image("RETURN", (60, 90, 150), 240, "JPEG")
        rma = returns.request_return(
            order=order,
            lines=[(line.pk, 1)],
            reason=self.rng.choice(("quality", "damaged", "unwanted")),
            description="客户反馈运行噪音大，申请退货",
            photos=[SimpleUploadedFile("退货照片.jpg", photo, content_type="image/jpeg")],
            actor=actor,
        )
        self.counts["returns"] += 1
        self.at(moment + timedelta(hours=self.rng.randint(6, 40)), self.approve_return, rma)

    def approve_return(self, moment, rma) -> None:
        from qudao.orders import returns

        rma.refresh_from_db()
        rma = returns.approve_return(return_request=rma, actor=self.operations, note="同意退货，请寄回总仓")
        self.at(moment + timedelta(days=self.rng.randint(3, 7)), self.receive_return, rma)

    def receive_return(self, moment, rma) -> None:
        from qudao.inventory.models import Warehouse
        from qudao.orders import returns

        rma.refresh_from_db()
        warehouse = Warehouse.objects.get(code="HQ")
        lines = [(line.pk, line.quantity, "sellable") for line in rma.lines.all()]
        returns.receive_return(
            return_request=rma,
            warehouse=warehouse,
            lines=lines,
            actor=self.operations,
            credited_on=timezone.localdate(moment),
        )

    # --- payments and statements ---------------------------------------------------------------

    def plan_payments(self) -> None:
        """Invoices are paid around their due dates, a partner's invoices due the same week in one
        payment (a few paid late, a few part-paid, a few still open: they go overdue)."""
        from qudao.finance.models import Invoice

        batches: dict[tuple[int, date], list[tuple[int, bool]]] = {}
        for invoice in Invoice.objects.filter(status__in=("open", "partially_paid")).order_by("pk"):
            if invoice.pk in self.planned_invoices:
                continue
            self.planned_invoices.add(invoice.pk)
            roll = self.rng.random()
            if roll < 0.06:
                continue  # not paid: it goes overdue
            lateness = self.rng.randint(-10, 5) if roll < 0.85 else self.rng.randint(10, 40)
            day = max(invoice.issued_on, invoice.due_on + timedelta(days=lateness))
            week = day - timedelta(days=day.weekday())
            batches.setdefault((invoice.partner_id, week), []).append((invoice.pk, roll > 0.95))
        for (_partner, week), invoices in sorted(batches.items()):
            day = week + timedelta(days=self.rng.randint(0, 4))
            self.at(max(_moment(day, self.rng), self.clock.now()), self.pay, invoices)

    def pay(self, moment, invoices: list[tuple[int, bool]]) -> None:
        from qudao.finance import payments
        from qudao.finance.models import Invoice

        by_id = Invoice.objects.select_related("partner").in_bulk([pk for pk, _part in invoices])
        allocations = []
        for pk, part in invoices:
            outstanding = by_id[pk].outstanding
            if outstanding > 0:
                amount = (outstanding / 2).quantize(Decimal("1")) if part and outstanding > 2 else outstanding
                allocations.append((by_id[pk], amount.quantize(Decimal("0.01"))))
        if not allocations:
            return
        partner = allocations[0][0].partner
        day = timezone.localdate(moment)
        payments.record_payment(
            partner=partner,
            data={
                "amount": sum((amount for _invoice, amount in allocations), Decimal("0")),
                "received_on": day,
                "method": "acceptance_bill" if self.rng.random() < 0.15 else "bank_transfer",
                "bank_reference": f"DEMO{allocations[0][0].number}",
                "payer_name": partner.legal_name,
                "allocated_on": day,
            },
            allocations=allocations,
            actor=self.finance,
        )
        self.counts["payments"] += 1

    def plan_statements(self) -> None:
        first = (self.today - timedelta(days=HISTORY_DAYS)).replace(day=1)
        month = (first + timedelta(days=32)).replace(day=1)
        while month <= self.today:
            self.at(_moment(month, self.rng, 6, 7), self.issue_statements, month)
            month = (month + timedelta(days=32)).replace(day=1)

    def issue_statements(self, moment, month_after: date) -> None:
        from qudao.finance import statements

        start = (month_after - timedelta(days=1)).replace(day=1)
        if not statements.partners_to_generate(start):
            return
        statements.generate_month(start)
        self.counts["statement_months"] += 1
        if month_after < self.today.replace(day=1):  # the latest month waits for its partners
            self.at(moment + timedelta(days=self.rng.randint(2, 6), hours=3), self.confirm_statements, start)

    def confirm_statements(self, moment, start: date) -> None:
        from qudao.core.audit import acting_as
        from qudao.finance import statements

        for statement in statements.Statement.objects.filter(
            period_start=start, status=statements.Statement.Status.ISSUED
        ).order_by("partner__code"):
            admins = statements.partner_admins(statement.partner_id)
            if admins:
                with acting_as(admins[0]):
                    statements.confirm_statement(statement=statement, actor=admins[0])

    def dispute_latest_statement(self) -> None:
        """The latest month: one partner disputes a line, the others have not answered yet."""
        from qudao.core.audit import acting_as
        from qudao.finance import statements

        latest = statements.Statement.objects.order_by("-period_start").values_list("period_start", flat=True).first()
        if latest is None:
            return
        for statement in statements.Statement.objects.filter(
            period_start=latest, status=statements.Statement.Status.ISSUED
        ).order_by("partner__code"):
            admins = statements.partner_admins(statement.partner_id)
            line = statement.lines.order_by("position").first()
            if admins and line is not None:
                with acting_as(admins[0]):
                    statements.dispute_statement(
                        statement=statement,
                        line_ids=[line.pk],
                        comment="此笔金额与我方账面不符，请核对。",
                        actor=admins[0],
                    )
                self.counts["disputed"] = statement.number
                return


def _quiet_partner(partners):
    """The bulk trading partner (not a named one) in East China with the highest code, or None."""
    from qudao.core.regions import macro_region_of

    east = [p for p in partners if p.code not in ORDERS_PER_MONTH and macro_region_of(p.region) == "east"]
    return max(east, key=lambda partner: partner.code, default=None)


def _trading_partners():
    from qudao.partners.models import Partner

    named = list(Partner.objects.filter(code__in=ORDERS_PER_MONTH, status="active").select_related("region", "tier"))
    others = list(
        Partner.objects.filter(status="active", credit_limit__gt=0)
        .exclude(code__in=ORDERS_PER_MONTH)
        .select_related("region", "tier")
        .order_by("code")[:OTHER_PARTNERS]
    )
    return sorted(named, key=lambda partner: partner.code) + others


def seed_history(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Write the year of trading once (nothing when orders exist, or without stock). Returns counts."""
    from qudao.core.demo_clock import demo_clock
    from qudao.inventory.models import StockEntry, StockLevel
    from qudao.orders.models import Order

    if Order.objects.exists() or not StockLevel.objects.exists():
        return {}
    log("Writing twelve months of orders, shipments, invoices, payments, returns and statements ...")
    opened = timezone.now() - timedelta(days=HISTORY_DAYS + 5)
    # the opening stock and the quarantined returns were there before the year began
    StockEntry.objects.filter(reference__startswith="DEMO-").update(created_at=opened)
    with demo_clock() as clock:
        history = _History(rng, clock, log)
        if history.operations is None or history.finance is None:
            return {}
        history.plan_orders(_trading_partners())
        history.plan_statements()
        # invoices appear as orders ship: look for new ones to plan their payment every week
        week = timezone.now() - timedelta(days=HISTORY_DAYS)
        while week <= history.now:
            history.at(week, lambda moment: history.plan_payments())
            week += timedelta(days=7)
        history.run()
        clock.set(history.now)
        history.dispute_latest_statement()
    log(
        "  {orders} orders ({cancelled} cancelled, {rejected} rejected), {shipments} shipments, {delivered} "
        "deliveries, {cases} discrepancy cases, {returns} returns, {payments} payments, {statement_months} months "
        "of statements".format(**history.counts)
    )
    return history.counts
