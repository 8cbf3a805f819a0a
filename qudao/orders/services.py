"""Business rules of orders: placing (submitting) an order, approval, confirmation, rejection and
cancellation, and the partner's credit. Pricing is the pricing engine's, promotion consumption the
pricing reservations', stock the inventory's; this module puts them together in one transaction.

Placing an order, in the lock order of CONTRIBUTING.md (partner -> order -> funds -> promotion ->
stock):
1. lock the partner row: orders of one partner are placed one at a time, so the credit check and
   the idempotency check below see every earlier order (credit is the partner row's limit less its
   open orders);
2. an order with the same Idempotency-Key for this partner is returned as it is (a retry), unless
   it was placed from a different request (qudao.core.idempotency: refused, nothing placed);
3. create the order, lock the fund accounts it pays from (prepayment, rebate fund), price the
   cart and reserve its promotions (pricing.reservations.reserve, which locks the limited
   promotions), write the lines as priced (gift lines included), and hold the money: the part paid
   from the rebate fund (`rebate_amount`, at most QUDAO_REBATE_MAX_SHARE percent of the total and
   what the fund has available), and for a prepaid order the rest from the prepayment;
4. check the brand's approval rules (over the credit limit, order value, discount, first orders):
   when one applies the order waits for approval (an order over the credit limit with no approval
   flow configured is refused); otherwise it is submitted;
5. reserve the stock last (inventory.reserve_stock, which locks the stock rows): the stock rows
   are what concurrent orders for the same SKUs queue on, so they are held for the least time.
Anything refused rolls the whole transaction back: nothing is half-placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core import approvals, display, idempotency
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.events import publish
from qudao.core.models import ApprovalRequest
from qudao.core.money import CENT, parse_amount, quantize
from qudao.core.numbering import next_number
from qudao.core.validators import check_text
from qudao.partners import funds
from qudao.partners.models import PartnerType
from qudao.pricing import reservations
from qudao.pricing.engine import CartLine

from . import lifecycle
from .models import (
    OPEN_STATUSES,
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    approval_reason_text,
)

ORDER_SUBJECT = "order"
ZERO = Decimal("0")


# --- credit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credit:
    """A partner's credit (授信): the limit, what its open orders hold (their value not yet
    invoiced), and what is left. Receivables (invoiced, unpaid) come from the finance context
    through the provider it registers (`register_credit_source`)."""

    currency: str
    limit: Decimal
    open_orders: Decimal
    receivables: Decimal = ZERO

    @property
    def used(self) -> Decimal:
        return self.open_orders + self.receivables

    @property
    def available(self) -> Decimal:
        return self.limit - self.used


# A higher context (finance) tells orders what a partner owes: fn(partner, open_orders) returns
# (receivables outstanding, what the invoices of `open_orders` bill on credit, i.e. less what the
# rebate fund settled of them). Orders never imports finance.
_credit_source = None


def register_credit_source(fn) -> None:
    """Called by finance (FinanceConfig.ready): the provider of receivables for `credit_of`."""
    global _credit_source
    _credit_source = fn


def credit_of(partner, *, excluding: Order | None = None) -> Credit:
    orders = Order.objects.filter(partner=partner, status__in=OPEN_STATUSES, payment_method="credit")
    if excluding is not None:
        orders = orders.exclude(pk=excluding.pk)
    # only what the credit pays: an order's part paid from the rebate fund does not use credit
    open_total = orders.aggregate(total=Sum(F("total") - F("rebate_amount")))["total"] or ZERO
    receivables = ZERO
    if _credit_source is not None:  # invoiced value leaves the open orders for the receivables
        receivables, invoiced = _credit_source(partner, orders)
        open_total -= invoiced
    return Credit(
        currency=partner.credit_currency or "CNY",
        limit=partner.credit_limit,
        open_orders=open_total,
        receivables=receivables,
    )


# --- who may act ---------------------------------------------------------------------------------


def _check_text(key: str, value: str) -> None:
    """:raises FieldErrors: on `key` when `value` breaks the text rule (core.validators)."""
    errors = FieldErrors()
    if not check_text(errors, key, value):
        raise errors


def actor_kind(user, order: Order) -> str | None:
    """ "partner" for a user of the buyer (or of the distributor that placed it) who may place
    orders, "operations" for HQ users who manage orders, else None."""
    if user is None:
        return lifecycle.SYSTEM
    own = getattr(user, "partner", None)
    if own is not None:
        if user.can("orders.place") and own.pk in (order.partner_id, order.ordered_by_partner_id):
            return lifecycle.PARTNER
        return None
    if user.can("orders.manage"):
        return lifecycle.OPERATIONS
    return None


# Who places (or changes) an order: no user (the demo data, jobs), a partner's own user, or an HQ
# user on the partner's behalf (代客下单).
SYSTEM_PLACER, PARTNER_PLACER, ON_BEHALF = "system", "partner", "on_behalf"


def placer_of(actor, partner) -> str:
    """Who `actor` is to an order of `partner`: SYSTEM_PLACER (no user), PARTNER_PLACER (a user of
    a partner: the pages and the API resolve the buyer through the scoping rule, its own partner or
    a sub-dealer below it), or ON_BEHALF (an HQ user ordering for the partner: it must see the
    partner and hold orders.place_on_behalf).

    :raises NotFound: an HQ user who does not see the partner (someone else's partner: 404).
    :raises Forbidden: an HQ user who sees it but may not order on a partner's behalf.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return SYSTEM_PLACER
    if getattr(actor, "partner", None) is not None:
        return PARTNER_PLACER
    from qudao.partners.scoping import visible_partners

    if not visible_partners(actor).filter(pk=partner.pk).exists():
        raise NotFound()
    if not actor.can("orders.place_on_behalf"):
        raise Forbidden()
    return ON_BEHALF


def channel_for(placer: str, via: str) -> str:
    """The order's channel: the partner's own ("portal" pages, "api"), or on its behalf ("hq" pages,
    "erp": HQ through the API, as an ERP pushing the orders the brand's sales reps took)."""
    if placer == ON_BEHALF:
        return OrderChannel.ERP if via == "api" else OrderChannel.HQ
    return OrderChannel.API if via == "api" else OrderChannel.PORTAL


def user_ref(user) -> dict | None:
    """A user as the order.* events name it (placed_by, changed_by)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return {"id": user.pk, "username": user.get_username()}


def _check_on_behalf_buyer(partner) -> None:
    """HQ places orders for active partners only: an applicant is not a partner yet, and a
    suspended or terminated partner's orders are on hold by HQ's own decision.

    :raises FieldErrors: partner."""
    from qudao.partners.models import PartnerStatus

    if partner.status != PartnerStatus.ACTIVE:
        raise FieldErrors.single(
            "partner",
            gettext("%(partner)s is %(status)s: orders are placed for active partners only.")
            % {"partner": partner, "status": str(PartnerStatus(partner.status).label).lower()},
        )


def move(order: Order, to_status: str, *, actor=None, kind: str | None = None, reason: str = "") -> Order:
    """Move a locked order to `to_status` if the lifecycle allows it for this actor; record it."""
    kind = kind or actor_kind(actor, order)
    if kind is None or not lifecycle.allowed(order.status, to_status, kind):
        if kind is None:
            raise Forbidden()
        raise Conflict(
            gettext("An order that is %(status)s cannot become %(target)s.")
            % {"status": order.get_status_display(), "target": OrderStatus(to_status).label}
        )
    from_status = order.status
    if from_status == OrderStatus.PENDING_APPROVAL and order.approval_id is not None:
        # The order no longer waits: its request is withdrawn with it, so no approver decides an
        # order that is gone (nothing happens when the approvers' own decision moved it).
        approvals.withdraw(request_id=order.approval_id, actor=actor, reason=reason)
    order.status = to_status
    order.status_reason = reason[:500]
    if to_status == OrderStatus.SUBMITTED and order.submitted_at is None:
        order.submitted_at = timezone.now()
    order.save()
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason[:500],
    )
    publish(
        f"order.{to_status}",
        "order",
        order.number,
        {
            "number": order.number,
            "partner": order.partner_id,
            "status": to_status,
            "total": str(order.total),
            # how the order came in and who placed it (on the partner's behalf: 代客下单)
            "channel": order.channel,
            "on_behalf": order.on_behalf,
            "placed_by": user_ref(order.created_by),
        },
    )
    if to_status in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED):
        capture_shipped(order, actor)
    notify_status(order, from_status)
    return order


def concerned_users(order: Order, to_status: str) -> list:
    """Who hears of a move: the users of the buyer (and of the distributor that placed the
    order), its channel manager and regional owner, and operations for the moves it acts on."""
    from qudao.accounts.models import User
    from qudao.accounts.roles import HQRole

    partner_ids = [order.partner_id] + ([order.ordered_by_partner_id] if order.ordered_by_partner_id else [])
    users = list(
        User.objects.filter(is_active=True, partner_member__partner_id__in=partner_ids, partner_member__is_active=True)
    )
    partner = order.partner
    users += [user for user in (partner.channel_manager, partner.regional_owner) if user is not None and user.is_active]
    if to_status in (OrderStatus.SUBMITTED, OrderStatus.CANCELLED):
        users += list(User.objects.filter(is_active=True, role_assignments__role=HQRole.OPERATIONS).distinct())
    return users


def notify_status(order: Order, from_status: str) -> None:
    """In-app (and e-mail, where users have an address and mail is configured) news of an
    order's move to those it concerns: queued once the move is committed, so placing an order
    never waits on a mail server."""
    from .tasks import send_order_status_news  # late: tasks.py is the worker's, it imports us late too

    if order.status == OrderStatus.DRAFT:
        return
    order_id, status, reason = order.pk, order.status, order.status_reason
    transaction.on_commit(lambda: send_order_status_news(order_id, status, reason))


# --- placing -------------------------------------------------------------------------------------


def _setting(name: str, default):
    value = getattr(settings, name, default)
    return None if value in (None, "") else Decimal(str(value))


def approval_reasons(order: Order, credit: Credit, previous_orders: int) -> list[str]:
    """Why `order` needs approval under the brand's rules (empty: it does not)."""
    reasons = []
    if order.payment_method == "credit" and order.remainder > credit.available:
        reasons.append("over_credit_limit")
    above = _setting("ORDER_APPROVAL_ABOVE", None)
    if above is not None and order.total >= above:
        reasons.append("large_order")
    discount = _setting("ORDER_APPROVAL_DISCOUNT_PERCENT", None)
    if discount is not None and order.list_total > 0:
        given = (order.list_total - order.total) * 100 / order.list_total
        if given > discount:
            reasons.append("deep_discount")
    first = _setting("ORDER_APPROVAL_FIRST_ORDERS", 0)
    if first and previous_orders < first:
        reasons.append("first_orders")
    return reasons


def payment_methods() -> list[str]:
    """How partners may pay for orders (settings.ORDER_PAYMENT_METHODS: "credit", "prepayment" or
    both, the first the default)."""
    configured = str(getattr(settings, "ORDER_PAYMENT_METHODS", "credit") or "credit")
    methods = [method.strip() for method in configured.split(",") if method.strip() in ("credit", "prepayment")]
    return methods or ["credit"]


# --- the rebate fund (返利池) paying part of an order -------------------------------------------


def rebate_max_share() -> Decimal:
    """The percent of an order's value payable from the rebate fund (settings.REBATE_MAX_SHARE,
    default 30; 0: the rebate fund pays no orders)."""
    value = _setting("REBATE_MAX_SHARE", 30)
    return min(max(Decimal("30") if value is None else value, ZERO), Decimal("100"))


def rebate_limit(total: Decimal) -> Decimal:
    """The most of an order of `total` the rebate fund may pay: the max share, in whole cents
    (rounded down, so the share is never passed)."""
    return (total * rebate_max_share() / 100).quantize(CENT, rounding=ROUND_DOWN)


def rebate_available(partner) -> Decimal:
    """What the partner's rebate fund has available (its balance less what open orders hold)."""
    from qudao.partners.models import FundAccount

    account = FundAccount.objects.filter(
        partner=partner, kind=FundAccount.Kind.REBATE, currency=partner.credit_currency or "CNY"
    ).first()
    return account.available if account is not None else ZERO


def rebate_usable(partner, total: Decimal) -> Decimal:
    """The most an order of `total` may take from the partner's rebate fund now: its max share,
    at most what the fund has available."""
    return max(min(rebate_available(partner), rebate_limit(total)), ZERO)


def clean_rebate_amount(value) -> Decimal:
    """The amount to pay from the rebate fund as given (empty: 0).

    :raises FieldErrors: rebate_amount (not an amount, negative, finer than cents)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    try:
        amount = parse_amount(value)
    except (TypeError, ValueError):
        raise FieldErrors.single(
            "rebate_amount", _("Enter the amount to pay from the rebate fund, e.g. 100.00.")
        ) from None
    if amount < 0:
        raise FieldErrors.single("rebate_amount", _("The amount paid from the rebate fund cannot be negative."))
    if amount != amount.quantize(CENT):
        raise FieldErrors.single("rebate_amount", _("Enter the amount paid from the rebate fund in cents at most."))
    return amount


def _check_rebate(order: Order, amount: Decimal, available: Decimal) -> None:
    """:raises FieldErrors: rebate_amount over the share of the order's total or over what the
    rebate fund has available (both at once)."""
    if amount <= 0:
        return
    errors = FieldErrors()
    share, limit = rebate_max_share(), rebate_limit(order.total)
    if share <= 0:
        errors.add("rebate_amount", _("Orders cannot be paid from the rebate fund."))
    elif amount > limit:
        errors.add(
            "rebate_amount",
            gettext("At most %(share)s%% of the order (%(limit)s) can be paid from the rebate fund.")
            % {"share": f"{share.normalize():f}", "limit": f"{limit:,.2f}"},
        )
    if amount > available:
        errors.add(
            "rebate_amount",
            gettext("The rebate fund has %(available)s available, less than %(amount)s.")
            % {"available": f"{available:,.2f}", "amount": f"{amount:,.2f}"},
        )
    if errors.errors:
        raise errors


def lock_funds(partner, *, prepayment: bool, rebate: bool) -> dict:
    """Lock the partner's fund accounts an order pays from (the lock order: funds after the order,
    before promotions and stock; several accounts in primary-key order). Returns them by kind."""
    from qudao.partners.models import FundAccount

    kinds = ([FundAccount.Kind.PREPAYMENT] if prepayment else []) + ([FundAccount.Kind.REBATE] if rebate else [])
    if not kinds:
        return {}
    ids = [funds.account_for(partner, kind).pk for kind in kinds]
    return {
        account.kind: account for account in FundAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }


def _hold_payment(order: Order, rebate: Decimal, available: Decimal, actor) -> None:
    """Check and hold the rebate fund's part of a priced order, then (prepaid) the rest."""
    from qudao.partners.models import FundAccount

    _check_rebate(order, rebate, available)
    if rebate > 0:
        funds.hold(
            partner=order.partner, amount=rebate, reference=order.number, actor=actor, kind=FundAccount.Kind.REBATE
        )
    order.rebate_amount = rebate
    order.save(update_fields=["rebate_amount", "updated_at"])
    if order.payment_method == "prepayment":  # the money is set aside now, taken as the goods ship
        funds.hold(partner=order.partner, amount=order.remainder, reference=order.number, actor=actor)


def _clean_lines(lines) -> list[CartLine]:
    """The cart as the engine takes it; the engine judges quantities, units and SKUs (all at once)."""
    errors = FieldErrors()
    cart = []
    if not isinstance(lines, list) or not lines:
        raise FieldErrors.single("lines", _("Add at least one line."))
    for index, line in enumerate(lines):
        sku, quantity, unit = line.get("sku"), line.get("quantity"), line.get("unit") or None
        if not isinstance(sku, int) or isinstance(sku, bool):
            errors.add(f"lines.{index}.sku", _("This SKU is not available to this partner."))
            continue
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            errors.add(f"lines.{index}.quantity", _("Enter a quantity of at least 1."))
            continue
        cart.append(CartLine(sku=sku, quantity=quantity, unit=unit))
    if errors.errors:
        raise errors
    return cart


def order_fingerprint(*, partner, cart: list[CartLine], ordered_by, note: str, payment_method: str, rebate) -> str:
    """The Idempotency-Key fingerprint of an order request, from the request as cleaned: the buyer,
    who ordered for it, the lines as given (SKU, quantity, unit; an empty unit is the base unit),
    the note, the payment method (the default spelt out or not) and the rebate amount."""
    return idempotency.fingerprint(
        {
            "partner": partner.pk,
            "ordered_by": ordered_by.pk if ordered_by is not None else None,
            "lines": [[line.sku, line.quantity, line.unit or None] for line in cart],
            "note": (note or "").strip(),
            "payment_method": payment_method,
            "rebate_amount": rebate,
        }
    )


def place_order(
    *,
    partner,
    lines: list[dict],
    actor,
    idempotency_key: str | None = None,
    ordered_by=None,
    note: str = "",
    on: date | None = None,
    payment_method: str | None = None,
    rebate_amount=None,
    via: str = "web",
) -> tuple[Order, bool]:
    """Price, check and submit an order for `partner` (see the module docstring). `ordered_by` is
    the distributor placing it for one of its sub-dealers. `rebate_amount` is the part to pay from
    the partner's rebate fund (held now; the rest is paid by `payment_method`). `actor` is who
    places it: the partner's user, or an HQ user on the partner's behalf (代客下单: exactly the same
    pricing, credit, stock and approval rules; see placer_of); `via` ("web" pages or "api") with
    it gives the order's channel. Returns (order, created): a retry with the same Idempotency-Key
    and the same request returns the first order and False (the key is the buyer's, for as long as
    the order exists).

    :raises FieldErrors: lines.<i>.sku / .quantity / .unit (the pricing engine's and the stock's
        refusals), idempotency_key (too long; `idempotency_key_reused`: the key placed an order
        from a different request), note, payment_method, rebate_amount (over the share of the
        total, over what the rebate fund has available, negative, finer than cents), partner (HQ
        ordering for a partner that is not active).
    :raises NotFound: an HQ user ordering for a partner it does not see.
    :raises Forbidden: an HQ user who may not order on a partner's behalf.
    :raises Conflict: over the credit limit with no approval flow to allow it.
    """
    from qudao.partners.models import Partner

    placer = placer_of(actor, partner)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 100:
        raise FieldErrors.single("idempotency_key", _("An Idempotency-Key has at most 100 characters."))
    if len(note or "") > 500:
        raise FieldErrors.single("note", _("A note has at most 500 characters."))
    _check_text("note", note or "")
    allowed_methods = payment_methods()
    payment_method = payment_method or allowed_methods[0]
    if payment_method not in allowed_methods:
        raise FieldErrors.single(
            "payment_method",
            gettext("Choose how to pay: %(methods)s.") % {"methods": ", ".join(allowed_methods)},
        )
    rebate = clean_rebate_amount(rebate_amount)
    cart = _clean_lines(lines)
    on = on or timezone.localdate()
    request_fingerprint = order_fingerprint(
        partner=partner, cart=cart, ordered_by=ordered_by, note=note, payment_method=payment_method, rebate=rebate
    )
    # The number is taken before the order's transaction, in a short one of its own: the sequence
    # row is then not held locked while the order is priced (numbers are gap-tolerant).
    number = next_number("SO")
    with transaction.atomic():
        partner = Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)  # 1. partner, credit
        if key is not None:  # 2. a retry returns the first order; another request with its key is refused
            existing = Order.objects.filter(partner=partner, idempotency_key=key).first()
            if existing is not None:
                idempotency.check_retry(existing.idempotency_fingerprint, request_fingerprint, existing.number)
                return existing, False
        if placer == ON_BEHALF:  # after the retry: a retried push still answers the order it placed
            _check_on_behalf_buyer(partner)
        previous_orders = (
            Order.objects.filter(partner=partner)
            .exclude(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.REJECTED])
            .count()
        )
        order = Order.objects.create(  # 3. the order
            number=number,
            partner=partner,
            ordered_by_partner=ordered_by,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            currency=partner.credit_currency or "CNY",
            priced_on=on,
            note=(note or "").strip(),
            idempotency_key=key,
            idempotency_fingerprint=request_fingerprint if key is not None else "",
            payment_method=payment_method,
            channel=channel_for(placer, via),
        )
        # the lock order: funds before promotions and stock
        accounts = lock_funds(partner, prepayment=payment_method == "prepayment", rebate=rebate > 0)
        quote = reservations.reserve(partner=partner, lines=cart, on=on, reference=order.number, actor=actor)
        _write_lines(order, quote)
        rebate_account = accounts.get("rebate")
        _hold_payment(order, rebate, rebate_account.available if rebate_account else ZERO, actor)
        credit = credit_of(partner, excluding=order)
        reasons = approval_reasons(order, credit, previous_orders)  # 4. approval rules
        move(order, OrderStatus.SUBMITTED, actor=actor, kind=lifecycle.PARTNER)
        if reasons:
            request = approvals.start_approval(
                kind=ORDER_SUBJECT,
                subject_id=order.pk,
                title=str(_("Order %(number)s of %(partner)s: %(amount)s"))
                % {
                    "number": order.number,
                    "partner": partner,
                    "amount": display.money_text(order.total, order.currency),  # "CNY 6,000.00", as everywhere
                },
                context={
                    "reasons": reasons,
                    "over_credit_limit": "over_credit_limit" in reasons,
                    "total": str(order.total),
                    "rebate_amount": str(order.rebate_amount),
                    "credit_available": str(credit.available),
                    "partner_type": partner.partner_type,
                    "channel": order.channel,
                    "placed_by": actor.get_username() if placer != SYSTEM_PLACER else "",
                },
                region=partner.region,
                partner_id=partner.pk,
                submitted_by=actor,
            )
            if request is None and "over_credit_limit" in reasons:
                raise Conflict(
                    gettext("The order (%(total)s) is over the available credit (%(available)s).")
                    % {"total": f"{order.remainder:,.2f}", "available": f"{credit.available:,.2f}"}
                )
            if request is not None:
                order.approval = request
                order.approval_reasons = reasons
                move(order, OrderStatus.PENDING_APPROVAL, kind=lifecycle.SYSTEM)
        # 5. Stock last: every order that shares a SKU queues on its stock row, so the row is
        # held only from here to the commit (benchmarks/orders.py measures the difference).
        if stock_reserved_at() == "submitted":
            _reserve_stock_for(order, quote, actor)
        if placer == ON_BEHALF:
            notify_on_behalf(order, "placed", actor)
        return order, True


def notify_on_behalf(order: Order, action: str, actor) -> None:
    """Tell the buyer's users that HQ placed ("placed") or changed ("changed") an order for them,
    once it is committed."""
    from .tasks import send_on_behalf_news  # late: tasks.py is the worker's, it imports us late too

    order_id, actor_id = order.pk, actor.pk
    transaction.on_commit(lambda: send_on_behalf_news(order_id, action, actor_id))


def stock_reserved_at() -> str:
    """When an order's stock is reserved: at submission (default) or at confirmation
    (settings.ORDER_RESERVE_STOCK_AT)."""
    return "confirmed" if getattr(settings, "ORDER_RESERVE_STOCK_AT", "submitted") == "confirmed" else "submitted"


def _reserve_stock_for(order: Order, quote, actor) -> None:
    """Reserve the stock of the order's lines (gifts included) from the warehouses nearest to the
    partner's region first (ADR 0014); with backorders allowed
    (settings.ORDER_ALLOW_BACKORDERS) a line takes what there is and waits for the rest."""
    from qudao.inventory.services import reserve_stock

    stock_lines, first_index = _stock_lines(quote)
    try:
        reserve_stock(
            reference=order.number,
            lines=stock_lines,
            near=order.partner.region,
            actor=actor,
            allow_backorder=bool(getattr(settings, "ORDER_ALLOW_BACKORDERS", False)),
        )
    except FieldErrors as error:
        raise _cart_errors(error, first_index) from None


def _write_lines(order: Order, quote) -> None:
    rows = []
    for line in quote.lines:
        rows.append(
            OrderLine(
                order=order,
                line_no=len(rows) + 1,
                sku_id=line.sku,
                unit=line.unit,
                unit_quantity=line.unit_quantity,
                quantity=line.quantity,
                list_price=line.list_price,
                price_source={
                    "price_list": line.source.price_list_code,
                    "kind": line.source.kind,
                    "via": line.source.via,
                    "min_qty": line.source.min_qty,
                },
                promotions=[
                    {key: str(value) if isinstance(value, Decimal) else value for key, value in item.items()}
                    for item in line.promotions
                ],
                net_unit_price=line.net_unit_price,
                line_total=line.line_total,
            )
        )
    for gift in quote.gifts:
        rows.append(
            OrderLine(
                order=order,
                line_no=len(rows) + 1,
                sku_id=gift.sku,
                unit=gift.unit,
                unit_quantity=gift.quantity,
                quantity=gift.quantity,
                list_price=gift.list_price,
                net_unit_price=ZERO,
                line_total=ZERO,
                gift_promotion=gift.promotion,
            )
        )
    OrderLine.objects.bulk_create(rows)
    order.list_total = quantize(sum((line.list_price * line.quantity for line in quote.lines), ZERO))
    order.total = quote.total
    order.save(update_fields=["list_total", "total", "updated_at"])


def _stock_lines(quote) -> tuple[list[tuple[int, int]], list[int | None]]:
    """The stock to reserve, one row per SKU (cart lines and gifts together), and for each row the
    cart line it came from first (None for a gift-only SKU), to report errors on the right line."""
    quantities: dict[int, int] = {}
    first: dict[int, int | None] = {}
    for line in quote.lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
        first.setdefault(line.sku, line.index)
    for gift in quote.gifts:
        quantities[gift.sku] = quantities.get(gift.sku, 0) + gift.quantity
        first.setdefault(gift.sku, None)
    skus = list(quantities)
    return [(sku, quantities[sku]) for sku in skus], [first[sku] for sku in skus]


def _cart_errors(error: FieldErrors, first_index: list[int | None]) -> FieldErrors:
    """The stock's errors (lines.<j> of the stock rows) on the cart's lines (gifts: `gifts`)."""
    mapped = FieldErrors()
    for field, messages in error.errors.items():
        parts = field.split(".")
        target = field
        if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(first_index):
            index = first_index[int(parts[1])]
            target = f"lines.{index}.quantity" if index is not None else "gifts"
        for message in messages:
            mapped.add(target, message)
    return mapped


# --- after submission ----------------------------------------------------------------------------


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("partner").get(pk=order.pk)


def _lock_approval_first(order: Order):
    """The lock order puts an approval request first and alone: an order that may be waiting for
    approval has its request locked before the partner and the order, so that withdrawing it
    (`move`) never waits for a decision that itself waits for this order. Returns the request."""
    approval_id = Order.objects.filter(pk=order.pk).values_list("approval_id", flat=True).first()
    return approvals.lock_request(approval_id)


def _check_approval_locked(order: Order, request) -> None:
    """:raises Conflict: the locked order waits on another request than the one locked first (it
    was changed in between)."""
    if order.status == OrderStatus.PENDING_APPROVAL and order.approval_id != (request.pk if request else None):
        raise Conflict(gettext("The order changed meanwhile. Reload it and try again."))


def _release(order: Order, actor) -> None:
    """Give back what the order holds, in the lock order: funds, promotions, stock."""
    from qudao.inventory.services import release_stock
    from qudao.partners.models import FundAccount

    lock_funds(order.partner, prepayment=order.payment_method == "prepayment", rebate=order.rebate_amount > 0)
    if order.payment_method == "prepayment":
        funds.release(partner=order.partner, reference=order.number, actor=actor)
    if order.rebate_amount > 0:
        funds.release(partner=order.partner, reference=order.number, actor=actor, kind=FundAccount.Kind.REBATE)
    reservations.release(reference=order.number, actor=actor)
    release_stock(reference=order.number, actor=actor)


def capture_shipped(order: Order, actor=None) -> None:
    """An order's held money is taken as its goods ship.

    The rebate fund's part share by share: each shipment takes rebate_amount x (its net value /
    the order total), rounded to the cent, and the shipment that completes the order takes the
    exact rest, so the shares add up to rebate_amount. A prepaid order's prepayment: the net value
    of what has shipped so far less the rebate fund's shares and less what was taken before
    (everything still held once the order is shipped)."""
    from qudao.partners.models import FundAccount

    prepaid, rebate = order.payment_method == "prepayment", order.rebate_amount
    if not prepaid and rebate <= 0:
        return
    complete = order.status == OrderStatus.SHIPPED
    rebate_due = ZERO
    if rebate > 0:
        rebate_due = rebate if complete else _rebate_shares(order)
        taken = _captured(funds.account_for(order.partner, FundAccount.Kind.REBATE), order.number)
        if rebate_due > taken:
            funds.capture(
                partner=order.partner,
                reference=order.number,
                amount=rebate_due - taken,
                actor=actor,
                kind=FundAccount.Kind.REBATE,
            )
    if not prepaid:
        return
    if complete:
        funds.capture(partner=order.partner, reference=order.number, actor=actor)
        return
    captured = _captured(funds.account_for(order.partner), order.number)
    shipped = quantize(
        sum((line.net_unit_price * line.shipped_quantity for line in order.lines.all() if not line.is_gift), ZERO)
    )
    if shipped - rebate_due > captured:
        funds.capture(
            partner=order.partner, reference=order.number, amount=shipped - rebate_due - captured, actor=actor
        )


def _captured(account, reference: str) -> Decimal:
    """What the captures of `reference` took from `account` so far."""
    return -sum((entry.balance_delta for entry in account.entries.filter(reference=reference, kind="capture")), ZERO)


def _rebate_shares(order: Order) -> Decimal:
    """The rebate fund's shares of the order's shipments so far: per shipment, rebate_amount x its
    net value / the order total, rounded to the cent (never more than rebate_amount in all)."""
    from .models import ShipmentLine

    values: dict[int, Decimal] = {}
    rows = ShipmentLine.objects.filter(shipment__order=order, order_line__gift_promotion="").values_list(
        "shipment_id", "order_line__net_unit_price", "quantity"
    )
    for shipment_id, price, quantity in rows:
        values[shipment_id] = values.get(shipment_id, ZERO) + price * quantity
    if order.total <= 0:
        return ZERO
    shares = sum((quantize(order.rebate_amount * quantize(value) / order.total) for value in values.values()), ZERO)
    return min(shares, order.rebate_amount)


def cancel_order(*, order: Order, actor, reason: str) -> Order:
    """Cancel an order before it is allocated; everything it held (stock, promotion consumption,
    credit) is released, and the approval request of an order waiting for approval is withdrawn.
    :raises FieldErrors: reason (required)."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors.single("reason", _("Say why the order is cancelled."))
    _check_text("reason", reason)
    from qudao.partners.models import Partner

    with transaction.atomic():
        request = _lock_approval_first(order)
        Partner.objects.select_for_update(of=("self",)).get(pk=order.partner_id)
        order = _locked(order)
        _check_approval_locked(order, request)
        move(order, OrderStatus.CANCELLED, actor=actor, reason=reason)
        _release(order, actor)
    return order


def reject_order(*, order: Order, actor, reason: str) -> Order:
    """Operations refuses a submitted order, or one waiting for approval (its request is then
    withdrawn), with the reason; everything it held is released."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors.single("reason", _("Say why the order is rejected."))
    _check_text("reason", reason)
    from qudao.partners.models import Partner

    with transaction.atomic():
        request = _lock_approval_first(order)
        Partner.objects.select_for_update(of=("self",)).get(pk=order.partner_id)
        order = _locked(order)
        _check_approval_locked(order, request)
        move(order, OrderStatus.REJECTED, actor=actor, reason=reason)
        _release(order, actor)
    return order


CHANGEABLE = (OrderStatus.SUBMITTED, OrderStatus.PENDING_APPROVAL)


def kept_quantities(order: Order) -> dict[int, int]:
    """What the order holds of each SKU on its own lines (not gifts), in base units: a change may
    keep up to this much of a SKU that went off sale after the order was placed (the brand still
    delivers what it accepted), never more, and never add such a SKU anew."""
    held: dict[int, int] = {}
    for sku_id, quantity in order.lines.filter(gift_promotion="").values_list("sku_id", "quantity"):
        held[sku_id] = held.get(sku_id, 0) + quantity
    return held


def change_order(*, order: Order, lines: list[dict], actor, on: date | None = None, rebate_amount=None) -> Order:
    """Change the lines of an order until it is confirmed (the buyer's users, operations, or an HQ
    user on the partner's behalf, as placer_of allows): what it held is released, and it is priced,
    reserved (promotions, stock, rebate fund, prepayment) and checked (credit, approval rules)
    again, all in one transaction. `rebate_amount` is the new part paid from the rebate fund,
    checked like place_order's; None keeps the order's, lowered to the share of the new total if it
    is now above it. A SKU gone off sale since the order was placed may stay up to what the order
    holds of it (`kept_quantities`), never more, and is never added. The lines before and after,
    and who changed them (on the partner's behalf when an HQ user did), are in the `order.changed`
    event; the buyer's users are told of an HQ change.

    :raises FieldErrors: as place_order. :raises Conflict: the order is confirmed or later.
    :raises NotFound: an HQ user who does not see the order's partner. :raises Forbidden: others.
    """
    from qudao.partners.models import Partner

    wanted_rebate = None if rebate_amount is None else clean_rebate_amount(rebate_amount)
    cart = _clean_lines(lines)
    on = on or timezone.localdate()
    with transaction.atomic():
        approval = _lock_approval_first(order)
        partner = Partner.objects.select_for_update(of=("self",)).get(pk=order.partner_id)
        order = _locked(order)
        kind = actor_kind(actor, order)
        if kind not in (lifecycle.PARTNER, lifecycle.OPERATIONS):
            if kind == lifecycle.SYSTEM or getattr(actor, "partner", None) is not None:
                raise Forbidden()
            placer_of(actor, partner)  # an HQ user on the partner's behalf (raises NotFound, Forbidden)
        # operations and HQ users on the partner's behalf: an HQ user's change is made for the partner
        on_behalf = getattr(actor, "partner", None) is None
        if order.status not in CHANGEABLE:
            raise Conflict(gettext("An order can be changed only until it is confirmed."))
        _check_approval_locked(order, approval)
        before = [
            {"sku": line.sku_id, "quantity": line.quantity, "line_total": str(line.line_total)}
            for line in order.lines.all()
        ]
        previous_rebate = order.rebate_amount
        keep = kept_quantities(order)
        accounts = lock_funds(
            partner,
            prepayment=order.payment_method == "prepayment",
            rebate=previous_rebate > 0 or bool(wanted_rebate),
        )
        _release(order, actor)
        order.rebate_amount = ZERO  # held again below, once the new total is known
        order.save(update_fields=["rebate_amount", "updated_at"])
        order.lines.all().delete()
        order.priced_on = on
        quote = reservations.reserve(partner=partner, lines=cart, on=on, reference=order.number, actor=actor, keep=keep)
        _write_lines(order, quote)
        available = ZERO
        if "rebate" in accounts:
            accounts["rebate"].refresh_from_db()
            available = accounts["rebate"].available
        rebate = wanted_rebate
        if rebate is None:
            rebate = min(previous_rebate, rebate_limit(order.total), available)
        _hold_payment(order, rebate, available, actor)
        if stock_reserved_at() == "submitted":
            _reserve_stock_for(order, quote, actor)
        credit = credit_of(partner, excluding=order)
        previous = (
            Order.objects.filter(partner=partner)
            .exclude(pk=order.pk)
            .exclude(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.REJECTED])
        )
        reasons = approval_reasons(order, credit, previous.count())
        if order.status == OrderStatus.PENDING_APPROVAL:
            # The approvers were asked about the order before this change: their request is
            # withdrawn, and a new one (below) asks about the order as it is now, if it still needs one.
            approvals.withdraw(request_id=order.approval_id, actor=actor, reason=gettext("The order was changed."))
            order.approval, order.approval_reasons = None, []
        request = None
        if reasons:
            request = approvals.start_approval(
                kind=ORDER_SUBJECT,
                subject_id=order.pk,
                title=str(_("Order %(number)s of %(partner)s: %(amount)s"))
                % {
                    "number": order.number,
                    "partner": partner,
                    "amount": display.money_text(order.total, order.currency),  # "CNY 6,000.00", as everywhere
                },
                context={
                    "reasons": reasons,
                    "over_credit_limit": "over_credit_limit" in reasons,
                    "total": str(order.total),
                    "rebate_amount": str(order.rebate_amount),
                },
                region=partner.region,
                partner_id=partner.pk,
                submitted_by=actor,
            )
            if request is None and "over_credit_limit" in reasons:
                raise Conflict(
                    gettext("The order (%(total)s) is over the available credit (%(available)s).")
                    % {"total": f"{order.remainder:,.2f}", "available": f"{credit.available:,.2f}"}
                )
            if request is not None:
                order.approval, order.approval_reasons = request, reasons
                if order.status == OrderStatus.SUBMITTED:
                    move(order, OrderStatus.PENDING_APPROVAL, kind=lifecycle.SYSTEM)
        if request is None and order.status == OrderStatus.PENDING_APPROVAL:
            move(order, OrderStatus.SUBMITTED, kind=lifecycle.SYSTEM, reason=gettext("Changed: no approval needed"))
        order.save()
        after = [
            {"sku": line.sku_id, "quantity": line.quantity, "line_total": str(line.line_total)}
            for line in order.lines.all()
        ]
        publish(
            "order.changed",
            "order",
            order.number,
            {
                "number": order.number,
                "before": before,
                "after": after,
                "channel": order.channel,
                "changed_by": user_ref(actor),
                "on_behalf": on_behalf,
            },
        )
        if on_behalf:
            notify_on_behalf(order, "changed", actor)
    return order


def confirm_order(*, order: Order, actor) -> Order:
    """Operations confirms a submitted order. Credit is checked again (other orders may have been
    placed since), unless an approver already allowed this order over the limit.

    :raises Conflict: the order is over the available credit now.
    """
    from qudao.partners.models import Partner

    with transaction.atomic():
        partner = Partner.objects.select_for_update(of=("self",)).get(pk=order.partner_id)
        order = _locked(order)
        approved_over = (
            "over_credit_limit" in (order.approval_reasons or [])
            and order.approval is not None
            and order.approval.status == ApprovalRequest.Status.APPROVED
        )
        credit = credit_of(partner, excluding=order)
        if not approved_over and order.remainder > credit.available:
            raise Conflict(
                gettext("The order (%(total)s) is over the available credit (%(available)s).")
                % {"total": f"{order.remainder:,.2f}", "available": f"{credit.available:,.2f}"}
            )
        if stock_reserved_at() == "confirmed":
            _reserve_stock_for(order, _quote_of(order), actor)
        move(order, OrderStatus.CONFIRMED, actor=actor)
    return order


def _quote_of(order: Order):
    """The order's lines in the shape the stock reservation reads (a priced quote's lines/gifts)."""
    from types import SimpleNamespace

    lines, gifts = [], []
    for index, line in enumerate(order.lines.all()):
        row = SimpleNamespace(sku=line.sku_id, quantity=line.quantity, index=index)
        (gifts if line.is_gift else lines).append(row)
    return SimpleNamespace(lines=lines, gifts=gifts)


# --- approval ------------------------------------------------------------------------------------


def _approval_subject(request) -> Order | None:
    return Order.objects.filter(pk=int(request.subject_id)).first()


def on_order_approved(request, actor) -> None:
    order = _approval_subject(request)
    if order is not None and order.status == OrderStatus.PENDING_APPROVAL:
        move(_locked(order), OrderStatus.SUBMITTED, kind=lifecycle.SYSTEM, reason=gettext("Approved"))


def on_order_rejected(request, actor) -> None:
    order = _approval_subject(request)
    if order is not None and order.status == OrderStatus.PENDING_APPROVAL:
        order = _locked(order)
        move(order, OrderStatus.REJECTED, kind=lifecycle.SYSTEM, reason=gettext("Not approved"))
        _release(order, actor)


def _user_name(username) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first() if username else None
    return str(user) if user else str(username or "")


def _order_url(request) -> str:
    number = Order.objects.filter(pk=request.subject_id).values_list("number", flat=True).first()
    return reverse("orders:detail", args=[number]) if number else ""


ORDER_FIELDS = {
    "reasons": approvals.ContextField(_("Why it needs approval"), approval_reason_text),
    "over_credit_limit": approvals.ContextField(_("Over the available credit"), display.yes_no, hidden=True),
    "total": approvals.ContextField(_("Total"), display.money_text),
    "rebate_amount": approvals.ContextField(_("From the rebate fund"), display.money_text),
    "credit_available": approvals.ContextField(_("Credit available"), display.money_text),
    "partner_type": approvals.ContextField(_("Partner type"), display.labels(PartnerType)),
    "channel": approvals.ContextField(_("Channel"), display.labels(OrderChannel)),
    "placed_by": approvals.ContextField(_("Placed by"), _user_name),
}


def _order_condition_fields() -> tuple:
    """What an order's approval context holds that flows may test (the flow form's builder)."""
    from qudao.partners.models import PartnerType

    return (
        approvals.ConditionField("total", _("Order total"), "amount"),
        approvals.ConditionField("rebate_amount", _("Rebate used"), "amount"),
        approvals.ConditionField("credit_available", _("Credit available"), "amount"),
        approvals.ConditionField("over_credit_limit", _("Over the credit limit"), "boolean"),
        approvals.ConditionField("partner_type", _("Partner type"), "choice", PartnerType.choices),
        approvals.ConditionField("channel", _("Order channel"), "choice", OrderChannel.choices),
    )


def register_subjects() -> None:
    approvals.register_subject(
        approvals.SubjectHandler(
            kind=ORDER_SUBJECT,
            label=_("Order"),
            on_approved=on_order_approved,
            on_rejected=on_order_rejected,
            on_returned=on_order_rejected,
            subject_url=_order_url,
            fields=ORDER_FIELDS,
            condition_fields=_order_condition_fields(),
        )
    )
