"""Promotion consumption: reserving what an order takes from its promotions, and releasing it.

Pricing never consumes anything: a quote can be asked for a thousand times. Placing an order does:
`reserve` prices the cart and, in the same transaction, records what each applied promotion gave
in the ledger `PromotionUsage` (append-only) and adds it to the counters of the limited
promotions. Cancelling the order calls `release`, which appends the opposite entries and takes the
amounts back off the counters. The order's number is the `reference` (until orders exist, any
reference the caller chooses).

Why limits are never exceeded, however many orders arrive at once:
1. `reserve` locks the limited promotions that cover a SKU of the cart (SELECT ... FOR UPDATE, in
   primary key order, so two reservations never wait on each other in a cycle) *before* it reads
   what is left of them, so reservations of the same promotion run one after the other and each
   sees what the previous one took (READ COMMITTED re-reads at every statement); orders that share
   no limited promotion do not wait on each other;
2. the counters move with a conditional UPDATE (`used_qty + n <= budget_qty`): should anything still
   get past step 1, the update matches no row and the reservation fails as a whole;
3. the database refuses a counter above its budget (check constraints on Promotion).
A per-partner cap is checked against the ledger under the same lock.

Lock order (CONTRIBUTING.md): partner -> order -> funds -> promotion -> stock.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import Conflict, FieldErrors

from .engine import CartLine, CartQuote, fetch_pricing_inputs, price_cart
from .models import Promotion, PromotionUsage

LIMITED_Q = Q(partner_cap_qty__isnull=False) | Q(budget_qty__isnull=False) | Q(budget_amount__isnull=False)
MAX_REFERENCE = 64


def _clean_reference(reference) -> str:
    reference = (reference or "").strip() if isinstance(reference, str) else ""
    if not reference or len(reference) > MAX_REFERENCE:
        raise FieldErrors.single("reference", _("Enter the order's reference (at most 64 characters)."))
    return reference


def reserve(
    *, partner, lines: list[CartLine], on: date, reference: str, actor=None, keep: dict[int, int] | None = None
) -> CartQuote:
    """Price `lines` for `partner` on `on` and reserve what the applied promotions give, under
    `reference`. Returns the quote that was reserved (limits already reached are reflected in it:
    a promotion with nothing left is `cap_reached`, one with a little left applies to what is left).
    `keep`: what an order being changed holds of SKUs no longer on sale (engine.price_cart).

    :raises FieldErrors: the cart is wrong (see engine.price_cart), or the reference is empty.
    :raises Conflict: this reference has already reserved promotions.
    """
    reference = _clean_reference(reference)
    with transaction.atomic():
        last = _last_round(reference)
        if last is not None and not _released(reference, last):
            raise Conflict(_("This order has already reserved its promotions."))
        round_ = 0 if last is None else last + 1
        # Step 1 of the module docstring: lock before reading what is left. Only the limited
        # promotions that cover a SKU of this cart are locked, so orders that share no limited
        # promotion never wait on each other.
        sku_ids = [line.sku for line in lines if isinstance(line.sku, int)]
        inputs = fetch_pricing_inputs(partner, sku_ids, on)
        cart_skus = [inputs.skus[sku_id] for sku_id in sku_ids if sku_id in inputs.skus]
        relevant = sorted(
            promo.id for promo in inputs.promotions if promo.limited and any(promo.covers(sku) for sku in cart_skus)
        )
        if relevant:
            locked = set(
                Promotion.objects.select_for_update(of=("self",))
                .filter(pk__in=relevant)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            inputs = fetch_pricing_inputs(partner, sku_ids, on)  # what is left, read under the lock
        else:
            locked = set()
        result = price_cart(inputs, lines, on, keep)
        if any(use.limited and use.promotion_id not in locked for use in result.usage):
            # a limited promotion started meanwhile: price again rather than use it unlocked
            raise Conflict(_("The promotions changed while the order was priced; place it again."))
        for use in result.usage:
            if use.quantity == 0 and use.amount == 0:
                continue
            try:
                with transaction.atomic():
                    PromotionUsage.objects.create(
                        promotion_id=use.promotion_id,
                        partner_id=partner.pk,
                        reference=reference,
                        entry=PromotionUsage.Entry.RESERVE,
                        round=round_,
                        quantity=use.quantity,
                        amount=use.amount,
                    )
            except IntegrityError as error:  # the same reference, reserved at the same moment
                raise Conflict(_("This order has already reserved its promotions.")) from error
            if use.limited:
                _take(use.promotion_id, use.quantity, use.amount)
        return result


def _last_round(reference: str) -> int | None:
    """The latest round `reference` reserved in (None: it never reserved anything)."""
    rows = PromotionUsage.objects.filter(reference=reference, entry=PromotionUsage.Entry.RESERVE)
    return rows.order_by("-round").values_list("round", flat=True).first()


def _released(reference: str, round_: int) -> bool:
    rows = PromotionUsage.objects.filter(reference=reference, round=round_)
    return (
        rows.filter(entry=PromotionUsage.Entry.RESERVE).count()
        == rows.filter(entry=PromotionUsage.Entry.RELEASE).count()
    )


def _take(promotion_id: int, quantity: int, amount: Decimal) -> None:
    """Step 2: the conditional update; no row matched means a budget would be exceeded."""
    within = (Q(budget_qty__isnull=True) | Q(used_qty__lte=F("budget_qty") - quantity)) & (
        Q(budget_amount__isnull=True) | Q(used_amount__lte=F("budget_amount") - amount)
    )
    updated = Promotion.objects.filter(within, pk=promotion_id).update(
        used_qty=F("used_qty") + quantity, used_amount=F("used_amount") + amount
    )
    if not updated:
        raise Conflict(_("A promotion's budget has just run out; price the order again."))


def release(*, reference: str, actor=None) -> list[PromotionUsage]:
    """Give back what `reference` reserved (its order was cancelled): one `release` entry per
    promotion, with the opposite amounts. Releasing twice releases once. Returns the new entries."""
    reference = _clean_reference(reference)
    with transaction.atomic():
        round_ = _last_round(reference)
        if round_ is None:
            return []
        promotion_ids = sorted(
            set(
                PromotionUsage.objects.filter(
                    reference=reference, entry=PromotionUsage.Entry.RESERVE, round=round_
                ).values_list("promotion_id", flat=True)
            )
        )
        limited = set(
            Promotion.objects.select_for_update(of=("self",))
            .filter(LIMITED_Q, pk__in=promotion_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        released = set(
            PromotionUsage.objects.filter(
                reference=reference, entry=PromotionUsage.Entry.RELEASE, round=round_
            ).values_list("promotion_id", flat=True)
        )
        entries = []
        for usage in PromotionUsage.objects.filter(
            reference=reference, entry=PromotionUsage.Entry.RESERVE, round=round_, promotion_id__in=promotion_ids
        ).order_by("promotion_id"):
            if usage.promotion_id in released:
                continue
            entries.append(
                PromotionUsage.objects.create(
                    promotion_id=usage.promotion_id,
                    partner_id=usage.partner_id,
                    reference=reference,
                    entry=PromotionUsage.Entry.RELEASE,
                    round=round_,
                    quantity=-usage.quantity,
                    amount=-usage.amount,
                )
            )
            if usage.promotion_id in limited:
                Promotion.objects.filter(pk=usage.promotion_id).update(
                    used_qty=F("used_qty") - usage.quantity, used_amount=F("used_amount") - usage.amount
                )
        return entries


def consumption(promotion: Promotion) -> dict:
    """What orders have taken from `promotion` and not given back: quantity, amount, orders."""
    totals = PromotionUsage.objects.filter(promotion=promotion).aggregate(
        quantity=Sum("quantity"), amount=Sum("amount")
    )
    reserved = PromotionUsage.objects.filter(promotion=promotion, entry=PromotionUsage.Entry.RESERVE)
    released = PromotionUsage.objects.filter(promotion=promotion, entry=PromotionUsage.Entry.RELEASE)
    return {
        "quantity": totals["quantity"] or 0,
        "amount": totals["amount"] or Decimal("0"),
        "orders": reserved.count() - released.count(),
        "partners": reserved.exclude(reference__in=released.values("reference")).values("partner").distinct().count(),
    }
