"""Live rebate progress (返利进度): for every active policy that applies to a partner, the basis so
far this period, the tier reached, what it has earned so far, what the next tier needs and pays,
and what a cart would add - read from `RebateProgress` rows, never recomputed on a page load.

Maintenance, incremental, in the publisher's transaction (subscribed in apps.py):

- `shipment.created`: net sales shipped, quantity and amount bases - Σ the shipment's lines with
  the filters basis.py uses (`basis.shipped` with `extra` = this shipment): product scope,
  excluded promotions, gift lines aside, the partner among the policy's targets.
- `return.credited`: the credit note's lines (`basis.credited`, extra = this note) are taken off
  every net sales basis (shipped, invoiced, quantity, amount), in the period the policy counts a
  return in (`returns_count_in`: the sale's period by default - then a return of goods shipped last
  quarter leaves this quarter's row alone - or the credit note's).
- `invoice.raised`: net sales invoiced (`basis.invoiced`, extra = this invoice).
- `payment.received` / `payment.reversed`: payments collected, +/- the payment's amount when its
  received date falls in the period (a reversed payment was confirmed before, so it counted).
- Payments on time depend on the allocations (which invoice the money paid), which
  `record_payment` makes after it publishes `payment.received`: those policies' rows are
  recomputed for that partner only - after the commit for `payment.received`, at once for
  `payment.reversed` (its allocations are already undone then) and `payment.allocated` (money
  left unallocated earlier, allocated later: on time when it arrived by the due date).
- `rebate_policy.activated`: the policy's current period is computed for all its partners.

Each delta is an `UPDATE ... SET basis = basis + delta` (F expressions, no read-modify-write). When
the row does not exist yet, it is computed in full for that partner (one set-based pass, which
already includes the event's own rows), so a row is exact from its first use whatever happened
before it existed (a policy activated mid-period, a shipment dated back into an earlier period).
For `payment.received` that first computation waits for the commit: `confirm_payment` publishes
the event before it marks the payment confirmed.

Locks: the UPDATE holds the progress row's lock to the commit; it comes after the publisher's own
locks (an order's shipment already holds the partner's ledger balance through finance's handler,
so one partner's events serialise there first).

Growth policies: the tiers apply to basis - baseline, the baseline being the same period of the
previous year, the whole period (the figure to beat); it is computed when the row is created (or
rebuilt by `recompute`), cached on the row, and computed again whenever last year's data changes:
an event dated inside a row's last-year window (an ERP backfilling last year's shipments, credit
notes, invoices or payments) refreshes that row's baseline from the same SQL, for that partner.

`recompute(policy, period_start, partners)` rebuilds rows from `basis.basis_of` in one set-based
pass; `check(policy)` lists the partners whose row differs from a full recomputation - basis,
units and, for a growth policy, the baseline (the nightly task `recompute_rebate_progress` and
`manage.py check_rebate_progress`, whose `--repair` rebuilds exactly the rows that differ).

Tiers on a ratio (qudao.rebates.ratios): the rows keep the basis so far as for any policy; the
partner's target for the period (attainment, from the registered target source) and the basis of
the same days last year (growth rate, up to the day shown) are read when the progress is shown, one
call or one grouped query per such policy, and the ratio chooses the tier, paid on the whole basis.

What the partner sees (`progress_for`) does not evaluate the policy's conditions (focus share,
payment ratio, overdue receivables): "earned so far" is what the tiers give the basis so far; the
run at the period's end applies the conditions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from qudao.core.money import quantize
from qudao.partners.models import Partner, PartnerStatus

from . import basis as B
from . import engine, ratios
from .models import BasisKind, PeriodKind, RebatePolicy, RebateProgress, TierMeasure

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
SHIPPED_BASES = (BasisKind.NET_SALES_SHIPPED, BasisKind.QUANTITY, BasisKind.AMOUNT)
NET_BASES = (*SHIPPED_BASES, BasisKind.NET_SALES_INVOICED)
PAYMENT_BASES = (BasisKind.PAYMENTS, BasisKind.PAYMENTS_ON_TIME)
SYMBOLS = {"CNY": "¥", "HKD": "HK$", "TWD": "NT$", "USD": "$", "EUR": "€"}


# --- periods and rows ------------------------------------------------------------------------------


def period_for(policy: RebatePolicy, day: date) -> tuple[date, date] | None:
    """The policy's period containing `day`, or None when the policy does not run then (a custom
    period elsewhere, or a period outside its effective dates - the rule runs use)."""
    start, end = B.period_of(policy, day)
    if start is None or end is None or not (start <= day <= end):
        return None
    if end < policy.effective_from or (policy.effective_to and start > policy.effective_to):
        return None
    return start, end


def _last_year(start: date, end: date) -> tuple[date, date]:
    return B.same_day_last_year(start), B.same_day_last_year(end)


def _active(bases, day: date) -> list[tuple[RebatePolicy, date, date]]:
    out = []
    for policy in RebatePolicy.objects.filter(status=RebatePolicy.Status.ACTIVE, basis__in=bases).order_by("pk"):
        period = period_for(policy, day)
        if period is not None:
            out.append((policy, *period))
    return out


def _ids(partners) -> list[int]:
    return [partner if isinstance(partner, int) else partner.pk for partner in partners]


def recompute(policy: RebatePolicy, period_start: date | None = None, partners=None) -> int:
    """Rebuild the progress rows of `policy` for the period containing `period_start` (default
    today) from `basis.basis_of`, in one set-based pass: every partner the policy targets (or those
    of `partners` it targets) gets a row, zeros included; rows of partners no longer targeted go.
    Returns the number of rows written."""
    start, end = B.period_of(policy, period_start or timezone.localdate())
    targets = B.target_partners(policy)
    if partners is not None:
        targets = targets.filter(pk__in=_ids(partners))
    figures = B.basis_of(policy, targets, start, end)
    baselines = B.basis_of(policy, targets, *_last_year(start, end)) if policy.growth else {}
    ids = list(targets.order_by("pk").values_list("pk", flat=True))
    rows = []
    for pid in ids:
        counted = figures.get(pid, {"amount": ZERO, "units": ZERO})
        rows.append(
            RebateProgress(
                policy=policy,
                period_start=start,
                period_end=end,
                partner_id=pid,
                basis=counted["amount"],
                units=counted["units"],
                baseline=baselines.get(pid, {"amount": ZERO})["amount"] if policy.growth else None,
            )
        )
    with transaction.atomic():
        stale = RebateProgress.objects.filter(policy=policy, period_start=start)
        if partners is not None:
            stale = stale.filter(partner_id__in=_ids(partners))
        stale.delete()
        RebateProgress.objects.bulk_create(rows)
    return len(rows)


def check(policy: RebatePolicy, period_start: date | None = None) -> list[dict]:
    """The partners whose progress row differs from a full recomputation of the period containing
    `period_start` (default today): [{"partner_id", "stored": (basis, units), "full": (basis,
    units)}], with "stored_baseline" and "full_baseline" for a growth policy (its baseline is
    compared too). A targeted partner without a row counts as zero; a row of a partner no longer
    targeted differs unless it is zero."""
    start, end = B.period_of(policy, period_start or timezone.localdate())
    targets = B.target_partners(policy)
    figures = B.basis_of(policy, targets, start, end)
    baselines = B.basis_of(policy, targets, *_last_year(start, end)) if policy.growth else {}
    targeted = set(targets.values_list("pk", flat=True))
    stored = {
        row["partner_id"]: ((row["basis"], row["units"]), row["baseline"])
        for row in RebateProgress.objects.filter(policy=policy, period_start=start).values(
            "partner_id", "basis", "units", "baseline"
        )
    }
    drift = []
    for pid in sorted(targeted | set(stored)):
        counted = figures.get(pid) if pid in targeted else None
        full = (counted["amount"], counted["units"]) if counted else (ZERO, ZERO)
        have, have_baseline = stored.get(pid, ((ZERO, ZERO), None))
        if not policy.growth:
            if have != full:
                drift.append({"partner_id": pid, "stored": have, "full": full})
            continue
        full_baseline = baselines.get(pid, {"amount": ZERO})["amount"] if pid in targeted else ZERO
        if have != full or (have_baseline or ZERO) != full_baseline:
            drift.append(
                {
                    "partner_id": pid,
                    "stored": have,
                    "full": full,
                    "stored_baseline": have_baseline or ZERO,
                    "full_baseline": full_baseline,
                }
            )
    return drift


def drift_text(drift: dict) -> str:
    """One row's drift as the log and the command say it: "<partner id> <stored> != <recomputed>",
    and for a growth policy " baseline <stored> != <recomputed>" when the baseline differs."""
    text = f"{drift['partner_id']} {quantize(drift['stored'][0])} != {quantize(drift['full'][0])}"
    if "full_baseline" in drift and drift["stored_baseline"] != drift["full_baseline"]:
        text += f" baseline {quantize(drift['stored_baseline'])} != {quantize(drift['full_baseline'])}"
    return text


def check_all(*, repair: bool = False, on: date | None = None) -> dict[str, list[dict]]:
    """`check` for every active policy's current period: {policy code: drift}, the drift logged;
    with `repair` exactly the rows that differ are rebuilt (the others keep their figures and
    their `updated_at`)."""
    day = on or timezone.localdate()
    out = {}
    for policy in RebatePolicy.objects.filter(status=RebatePolicy.Status.ACTIVE).order_by("code"):
        if period_for(policy, day) is None:
            continue
        drift = check(policy, day)
        out[policy.code] = drift
        if drift:
            logger.warning(
                "rebate progress drift: policy %s, %s partner(s): %s",
                policy.code,
                len(drift),
                ", ".join(drift_text(d) for d in drift[:20]),
            )
        if repair and drift:
            recompute(policy, day, partners=[d["partner_id"] for d in drift])
    return out


def _add(
    policy: RebatePolicy, start: date, partner_id: int, amount: Decimal, units: Decimal, *, later: bool = False
) -> None:
    """basis += the delta (units for a quantity basis) as one UPDATE with F expressions; the first
    time, the row is computed in full for this partner instead (it includes the event) - after the
    commit with `later` (the event's document is not in its final state yet when it is published)."""
    delta = units if policy.basis == BasisKind.QUANTITY else amount
    rows = RebateProgress.objects.filter(policy=policy, period_start=start, partner_id=partner_id)
    if rows.update(basis=F("basis") + delta, units=F("units") + units, updated_at=timezone.now()):
        return
    if later:
        transaction.on_commit(lambda: recompute(policy, start, partners=[partner_id]))
        return
    try:
        with transaction.atomic():
            recompute(policy, start, partners=[partner_id])
    except IntegrityError:  # another transaction created it meanwhile: add to it
        rows.update(basis=F("basis") + delta, units=F("units") + units, updated_at=timezone.now())


def _apply_sales(bases, day: date, partner_id: int, source, extra: Q) -> None:
    for policy, start, end in _active(bases, day):
        partners = B.target_partners(policy).filter(pk=partner_id)
        counted = source(policy, partners, start, end, extra=extra)
        if partner_id in counted:
            amount, units = counted[partner_id]
            sign = -1 if source is B.credited else 1
            _add(policy, start, partner_id, sign * amount, sign * units)


def refresh_baselines(bases, days, partner_id: int, *, later: bool = False) -> None:
    """Last year's data of a partner changed on `days`: the growth policies' rows (of `bases`) whose
    last-year window holds one of those days get their baseline computed again, from the same SQL
    as the runs - after the commit with `later` (the event's document is not final yet)."""
    if later:
        transaction.on_commit(lambda: refresh_baselines(bases, days, partner_id))
        return
    days = set(days)
    rows = RebateProgress.objects.filter(
        partner_id=partner_id, policy__status=RebatePolicy.Status.ACTIVE, policy__growth=True, policy__basis__in=bases
    ).select_related("policy")
    for row in rows:
        low, high = _last_year(row.period_start, row.period_end)
        if not any(low <= day <= high for day in days):
            continue
        partners = B.target_partners(row.policy).filter(pk=partner_id)
        baseline = B.basis_of(row.policy, partners, low, high).get(partner_id, {"amount": ZERO})["amount"]
        RebateProgress.objects.filter(pk=row.pk).update(baseline=baseline, updated_at=timezone.now())


# --- event handlers (subscribed in apps.py) ------------------------------------------------------


def on_shipment_created(event) -> None:
    from qudao.orders.models import Shipment

    shipment = Shipment.objects.values("pk", "shipped_at", "order__partner_id").get(number=event.payload["shipment"])
    day = timezone.localdate(shipment["shipped_at"])
    _apply_sales(SHIPPED_BASES, day, shipment["order__partner_id"], B.shipped, Q(shipment_id=shipment["pk"]))
    refresh_baselines(SHIPPED_BASES, {day}, shipment["order__partner_id"])


def _sale_days(note_id: int) -> set[date]:
    """The local days of the sales a credit note's lines reverse (their latest shipment, and the
    latest invoice of their order line): the periods a policy counting returns by the sale's period
    may have to reduce (`basis.credited_rows` decides, line by line)."""
    from qudao.orders.models import CreditNoteLine

    rows = CreditNoteLine.objects.filter(credit_note_id=note_id).annotate(
        sale_at=B.sale_shipped_at(), sale_day=B.sale_invoiced_on()
    )
    days: set[date] = set()
    for sale_at, sale_day in rows.values_list("sale_at", "sale_day"):
        if sale_at is not None:
            days.add(timezone.localdate(sale_at))
        if sale_day is not None:
            days.add(sale_day)
    return days


def on_return_credited(event) -> None:
    """The credit note's lines are taken off every net sales basis, in the period each policy counts
    them in (`returns_count_in`): the credit note's own period, or the period of the sale each line
    reverses - which may be a period already over (its row, if any, is reduced; the current one is
    not)."""
    from qudao.orders.models import CreditNote

    note = CreditNote.objects.values("pk", "issued_on", "partner_id").get(number=event.payload["credit_note"])
    pid, extra = note["partner_id"], Q(credit_note_id=note["pk"])
    days = {note["issued_on"], *_sale_days(note["pk"])}
    for policy in RebatePolicy.objects.filter(status=RebatePolicy.Status.ACTIVE, basis__in=NET_BASES).order_by("pk"):
        periods = {period for day in days for period in [period_for(policy, day)] if period is not None}
        for start, end in sorted(periods):
            partners = B.target_partners(policy).filter(pk=pid)
            counted = B.credited(policy, partners, start, end, extra=extra)
            if pid in counted:
                amount, units = counted[pid]
                _add(policy, start, pid, -amount, -units)
    refresh_baselines(NET_BASES, days, pid)


def on_invoice_raised(event) -> None:
    from qudao.finance.models import Invoice

    invoice = Invoice.objects.values("pk", "issued_on", "partner_id").get(number=event.aggregate_id)
    _apply_sales(
        (BasisKind.NET_SALES_INVOICED,),
        invoice["issued_on"],
        invoice["partner_id"],
        B.invoiced,
        Q(invoice_id=invoice["pk"]),
    )
    refresh_baselines((BasisKind.NET_SALES_INVOICED,), {invoice["issued_on"]}, invoice["partner_id"])


def _on_payment(event, sign: int) -> None:
    from qudao.finance.models import Payment

    payment = Payment.objects.values("pk", "amount", "received_on", "partner_id").get(pk=event.aggregate_id)
    pid = payment["partner_id"]
    for policy, start, _end in _active(PAYMENT_BASES, payment["received_on"]):
        if not B.target_partners(policy).filter(pk=pid).exists():
            continue
        if policy.basis == BasisKind.PAYMENTS:
            # confirm_payment publishes payment.received before it marks the payment confirmed:
            # a first use recomputes once the payment has committed
            _add(policy, start, pid, sign * payment["amount"], ZERO, later=sign > 0)
        elif sign > 0:  # allocated after the event: once the payment has committed
            transaction.on_commit(lambda policy=policy, start=start: recompute(policy, start, partners=[pid]))
        else:
            recompute(policy, start, partners=[pid])
    # the payment is confirmed (received) or its allocations undone (reversed) by the commit
    refresh_baselines(PAYMENT_BASES, {payment["received_on"]}, pid, later=sign > 0)


def on_payment_received(event) -> None:
    _on_payment(event, 1)


def on_payment_allocated(event) -> None:
    """Money allocated after it was booked: the on-time policies of the period it arrived in are
    recomputed for that partner (the allocations are written already, in this transaction)."""
    from qudao.finance.models import Payment

    payment = Payment.objects.values("received_on", "partner_id").get(pk=event.aggregate_id)
    pid = payment["partner_id"]
    for policy, start, _end in _active((BasisKind.PAYMENTS_ON_TIME,), payment["received_on"]):
        if B.target_partners(policy).filter(pk=pid).exists():
            recompute(policy, start, partners=[pid])
    refresh_baselines((BasisKind.PAYMENTS_ON_TIME,), {payment["received_on"]}, pid)


def on_payment_reversed(event) -> None:
    _on_payment(event, -1)


def on_policy_activated(event) -> None:
    policy = RebatePolicy.objects.get(pk=event.aggregate_id)
    day = timezone.localdate()
    if period_for(policy, day) is not None:
        recompute(policy, day)


def cart_panel_context(request, cart: dict) -> dict:
    """The portal cart's rebate panel (core.panels "portal_cart"): what the priced cart adds to each
    policy of the partner ordered for. `cart` is {"partner", "result"} (a pricing CartQuote)."""
    partner, result = cart.get("partner"), cart.get("result")
    if partner is None or result is None:
        return {"items": []}
    return {"items": progress_for(partner, cart=result)}


def register() -> None:
    from qudao.core.events import subscribe
    from qudao.core.panels import Panel, register_panel

    register_panel(
        "portal_cart",
        Panel(
            "rebate_progress",
            gettext_lazy("Rebates"),
            "rebates/portal/_cart_progress.html",
            cart_panel_context,
            order=50,
            visible=lambda request, cart: request.user.can("rebates.view"),
        ),
    )

    subscribe("shipment.created", on_shipment_created)
    subscribe("return.credited", on_return_credited)
    subscribe("invoice.raised", on_invoice_raised)
    subscribe("payment.received", on_payment_received)
    subscribe("payment.reversed", on_payment_reversed)
    subscribe("payment.allocated", on_payment_allocated)
    subscribe("rebate_policy.activated", on_policy_activated)


# --- what the partner sees -----------------------------------------------------------------------


def money_text(amount: Decimal, currency: str = "CNY") -> str:
    """¥12,300 (cents only when there are any), rounded to the cent."""
    value = quantize(amount)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.0f}" if value == value.to_integral_value() else f"{abs(value):,.2f}"
    return f"{sign}{symbol}{text}"


def units_text(units: Decimal) -> str:
    text = f"{units:,.0f}" if units == units.to_integral_value() else f"{units.normalize():,f}"
    return _("%(count)s units") % {"count": text}


def _this_period(kind: str) -> str:
    return {
        PeriodKind.MONTH: _("this month"),
        PeriodKind.QUARTER: _("this quarter"),
        PeriodKind.HALF: _("this half year"),
        PeriodKind.YEAR: _("this year"),
    }.get(kind, _("this period"))


def _period_noun(kind: str) -> str:
    return {
        PeriodKind.MONTH: pgettext("rebate period", "month"),
        PeriodKind.QUARTER: pgettext("rebate period", "quarter"),
        PeriodKind.HALF: pgettext("rebate period", "half year"),
        PeriodKind.YEAR: pgettext("rebate period", "year"),
    }.get(kind, pgettext("rebate period", "period"))


def tier_text(tier: engine.Tier, currency: str = "CNY") -> str:
    """3% / ¥5,000 / ¥3 a unit."""
    if tier.reward == engine.RATE:
        return f"{tier.value.normalize():f}%"
    if tier.reward == engine.PER_UNIT:
        return _("%(amount)s a unit") % {"amount": money_text(tier.value, currency)}
    return money_text(tier.value, currency)


@dataclass
class Progress:
    """One policy's progress for a partner (and what a cart would add)."""

    policy: RebatePolicy
    period_start: date
    period_end: date
    counted: Decimal  # the basis so far (units for a quantity basis)
    baseline: Decimal | None  # growth: the same period last year
    basis: Decimal  # what the tiers apply to (counted - baseline for growth)
    units: Decimal
    tier: int | None
    tier_label: str
    earned: Decimal
    next_tier: int | None = None
    next_bound: Decimal | None = None
    next_label: str = ""
    missing: Decimal | None = None
    next_total: Decimal | None = None
    next_increase: Decimal | None = None
    sentence: str = ""
    percent: int = 0
    cart: dict | None = field(default=None)
    closed: bool = False  # the period is over: computed as the runs compute it
    posted: Decimal | None = None  # a closed period: what runs posted for it to the partner's rebate fund
    # tiers on a ratio (qudao.rebates.ratios): the ratio so far (None: no ratio, `reason` says why),
    # the partner's target for the period (attainment), last year's same window so far (growth rate)
    ratio: Decimal | None = None
    target: Decimal | None = None
    last_year: Decimal | None = None
    reason: str = ""
    ratio_summary: str = ""

    @property
    def measure(self) -> str:
        return self.policy.tier_measure

    @property
    def on_ratio(self) -> bool:
        return ratios.is_ratio(self.policy)

    @property
    def counts_units(self) -> bool:
        return self.policy.basis == BasisKind.QUANTITY

    def show(self, value: Decimal | None) -> str:
        if value is None:
            return ""
        return units_text(value) if self.counts_units else money_text(value, self.policy.currency)

    @property
    def basis_text(self) -> str:
        return self.show(self.basis)

    @property
    def earned_text(self) -> str:
        return f"{SYMBOLS.get(self.policy.currency, self.policy.currency + ' ')}{quantize(self.earned):,.2f}"


def _tiers(policy: RebatePolicy) -> list[engine.Tier]:
    return sorted(
        (engine.Tier(t.lower_bound, t.reward, t.value) for t in policy.tiers.all()), key=lambda t: t.lower_bound
    )


def _applies(policy: RebatePolicy, partner: Partner, region_paths: dict[str, str]) -> bool:
    """`basis.target_partners` for one partner, in Python (no query per policy)."""
    if partner.status not in (PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED):
        return False
    if policy.target_partners and partner.code in policy.target_partners:
        return True
    if not (policy.target_tiers or policy.target_partner_types or policy.target_regions):
        return False
    if policy.target_tiers and (partner.tier is None or partner.tier.code not in policy.target_tiers):
        return False
    if policy.target_partner_types and partner.partner_type not in policy.target_partner_types:
        return False
    if policy.target_regions:
        path = partner.region.path if partner.region_id else ""
        paths = [region_paths[code] for code in policy.target_regions if code in region_paths]
        if not any(path.startswith(prefix) for prefix in paths):
            return False
    return True


def _outcome(basis: Decimal, tiers, policy) -> engine.Outcome:
    return engine.compute(basis, tiers, policy.tier_style, policy.cap, counts_units=policy.basis == BasisKind.QUANTITY)


def _measured(item: Progress, basis: Decimal, policy) -> ratios.Measured:
    return ratios.measure(policy, basis, target=item.target, baseline=item.last_year)


def _ratio_outcome(item: Progress, basis: Decimal, tiers, policy) -> tuple[ratios.Measured, engine.Outcome]:
    measured = _measured(item, basis, policy)
    return measured, engine.compute_on_ratio(measured.ratio, basis, tiers, policy.cap)


def _describe_ratio(item: Progress, tiers, policy) -> None:
    """Progress on tiers measured on a ratio: the ratio so far, the tier it reaches (paid on the
    whole basis so far), and the basis the next tier's ratio needs ("再完成 ¥x 达到 100%")."""
    measured, outcome = _ratio_outcome(item, item.basis, tiers, policy)
    item.ratio, item.reason = measured.ratio, measured.reason
    item.tier, item.earned = outcome.tier, outcome.amount
    item.tier_label = tier_text(tiers[outcome.tier - 1], policy.currency) if outcome.tier else ""
    attainment = policy.tier_measure == TierMeasure.ATTAINMENT
    if measured.ratio is None:
        item.percent = 0
        item.sentence = (
            _("No target for this period: attainment cannot be measured, no tier.")
            if attainment
            else _("Nothing in the same days last year: the growth rate cannot be measured, no tier.")
        )
        return
    if attainment:
        item.ratio_summary = _("Attainment so far: %(ratio)s of the target %(target)s") % {
            "ratio": ratios.percent_text(measured.ratio),
            "target": ratios._money_cents(item.target, policy.currency),
        }
    else:
        item.ratio_summary = _("Growth so far: %(ratio)s against %(last)s in the same days last year") % {
            "ratio": ratios.percent_text(measured.ratio),
            "last": item.show(item.last_year),
        }
    bound = outcome.next_bound
    if bound is None:
        item.percent = 100
        item.sentence = (
            _("This period is over: you reached the top tier (%(tier)s).")
            if item.closed
            else _("You have reached the top tier (%(tier)s).")
        ) % {"tier": item.tier_label}
        return
    index = next(i for i, tier in enumerate(tiers) if tier.lower_bound == bound)
    needed = ratios.basis_needed(policy, bound, measured)
    step = Decimal("1") if item.counts_units else Decimal("0.01")
    missing = max(needed - item.basis, step)
    _m, at_next = _ratio_outcome(item, item.basis + missing, tiers, policy)
    item.next_tier, item.next_bound = index + 1, bound
    item.next_label = tier_text(tiers[index], policy.currency)
    item.missing = missing
    item.next_total = at_next.amount
    item.next_increase = at_next.amount - outcome.amount
    item.percent = max(0, min(100, int(item.basis * 100 / needed))) if needed > 0 else 0
    values = {
        "missing": item.show(missing),
        "period": _this_period(policy.period_kind),
        "bound": ratios.percent_text(bound),
        "tier": item.next_label,
        "increase": money_text(item.next_increase, policy.currency),
    }
    if item.closed:
        item.sentence = (
            _("This period is over: %(missing)s more would have reached %(bound)s (%(tier)s, +%(increase)s).")
            if attainment
            else _("This period is over: %(missing)s more would have grown you %(bound)s (%(tier)s, +%(increase)s).")
        ) % values
        return
    item.sentence = (
        _("%(missing)s more %(period)s reaches %(bound)s of your target: %(tier)s on the whole basis, +%(increase)s")
        if attainment
        else _("%(missing)s more %(period)s reaches a growth of %(bound)s: %(tier)s on the whole basis, +%(increase)s")
    ) % values


def _describe(item: Progress, tiers, policy) -> None:
    if ratios.is_ratio(policy):
        _describe_ratio(item, tiers, policy)
        return
    outcome = _outcome(item.basis, tiers, policy)
    item.tier, item.earned = outcome.tier, outcome.amount
    item.tier_label = tier_text(tiers[outcome.tier - 1], policy.currency) if outcome.tier else ""
    bound = outcome.next_bound
    if bound is None:
        item.percent = 100
        item.sentence = (
            _("This period is over: you reached the top tier (%(tier)s).")
            if item.closed
            else _("You have reached the top tier (%(tier)s).")
        ) % {"tier": item.tier_label}
        return
    index = next(i for i, tier in enumerate(tiers) if tier.lower_bound == bound)
    at_next = _outcome(bound, tiers, policy)
    item.next_tier, item.next_bound = index + 1, bound
    item.next_label = tier_text(tiers[index], policy.currency)
    item.missing = bound - item.basis
    item.next_total = at_next.amount
    item.next_increase = at_next.amount - outcome.amount
    item.percent = max(0, min(100, int(item.basis * 100 / bound))) if bound > 0 else 0
    if item.closed:
        item.sentence = _(
            "This period is over: %(missing)s more would have lifted you to %(tier)s (+%(increase)s)."
        ) % {
            "missing": item.show(item.missing),
            "tier": item.next_label,
            "increase": money_text(item.next_increase, policy.currency),
        }
        return
    item.sentence = _("%(missing)s more %(period)s lifts you to %(tier)s: +%(increase)s") % {
        "missing": item.show(item.missing),
        "period": _this_period(policy.period_kind),
        "tier": item.next_label,
        "increase": money_text(item.next_increase, policy.currency),
    }


def _cart_lines(cart) -> list:
    lines = getattr(cart, "lines", cart) or []
    return [line for line in lines if getattr(line, "line_total", None) is not None]


def _cart_addition(item: Progress, tiers, policy, lines, skus: dict, line_paths: dict) -> dict:
    """What the cart's lines add to the basis (the lines the policy counts) and to the rebate."""
    added = ZERO
    if policy.basis not in PAYMENT_BASES:
        scope_paths = [line_paths[code] for code in policy.product_lines if code in line_paths]
        scoped = bool(policy.product_lines or policy.skus)
        for line in lines:
            code, path = skus.get(line.sku, ("", ""))
            if scoped and code not in policy.skus and not any(path.startswith(p) for p in scope_paths):
                continue
            if code in policy.excluded_skus:
                continue
            promotions = {entry.get("promotion") for entry in (line.promotions or ()) if isinstance(entry, dict)}
            if promotions & set(policy.excluded_promotions):
                continue
            added += Decimal(line.quantity) if item.counts_units else line.line_total
    missing_after = None
    if ratios.is_ratio(policy):
        measured_after, after = _ratio_outcome(item, item.basis + added, tiers, policy)
        lifted = after.tier is not None and (item.tier is None or after.tier > item.tier)
        if after.next_bound is not None and measured_after.ratio is not None:
            missing_after = ratios.basis_needed(policy, after.next_bound, measured_after) - item.basis - added
    else:
        after = _outcome(item.basis + added, tiers, policy)
        lifted = item.next_bound is not None and item.basis + added >= item.next_bound
        if after.next_bound is not None:
            missing_after = after.next_bound - item.basis - added
    increase = after.amount - item.earned
    values = {
        "added": item.show(added),
        "period": _period_noun(policy.period_kind),
        "increase": money_text(increase, policy.currency),
    }
    if ratios.is_ratio(policy) and item.ratio is None:
        sentence = item.sentence  # no target, or nothing last year: no tier, whatever the cart adds
    elif added <= 0:
        sentence = (
            _("Payments count when they are received, not when you order.")
            if policy.basis in PAYMENT_BASES
            else _("This order adds nothing to this policy.")
        )
    elif lifted:
        values["tier"] = tier_text(tiers[after.tier - 1], policy.currency)
        sentence = _("This order adds %(added)s to your %(period)s and lifts you to %(tier)s: +%(increase)s") % values
    elif missing_after is not None and missing_after > 0:
        values["missing"] = item.show(missing_after)
        index = next(i for i, tier in enumerate(tiers) if tier.lower_bound == after.next_bound)
        values["tier"] = tier_text(tiers[index], policy.currency)
        sentence = _("This order adds %(added)s to your %(period)s: %(missing)s more lifts you to %(tier)s") % values
    else:
        sentence = _("This order adds %(added)s to your %(period)s: +%(increase)s rebate") % values
    return {
        "added": added,
        "basis_after": item.basis + added,
        "tier_after": after.tier,
        "earned_after": after.amount,
        "rebate_added": increase,
        "sentence": sentence,
    }


def clean_progress_day(value) -> date:
    """The day whose periods a progress read shows (`?on=`): empty = today; a past day picks the
    periods containing it (a period already over is shown as it closed).

    :raises FieldErrors: on: not a YYYY-MM-DD date, or in the future."""
    from qudao.core.errors import FieldErrors

    from .services import parse_day

    today = timezone.localdate()
    if value in (None, ""):
        return today
    day = parse_day(value)
    if day is None:
        raise FieldErrors.single("on", gettext_lazy("Enter a date as YYYY-MM-DD."))
    if day > today:
        raise FieldErrors.single("on", gettext_lazy("Choose today or a day in the past."))
    return day


def progress_for(partner: Partner, on: date | None = None, cart=None) -> list[Progress]:
    """Every policy that applies to `partner` on `on` (default today), with its progress; with
    `cart` (a pricing CartQuote, or its LineQuotes) what the cart would add.

    A period still running (it holds today) is read from the `RebateProgress` rows: the policies
    active now. A period already over (`on` in the past) is computed from the runs' SQL
    (`basis.basis_of`, the growth baseline too) for the versions of the policies in effect then,
    with what runs posted for it (`posted`), and is marked `closed`; a cart adds nothing to it.
    Reads: the policies with their tiers (2 queries), the target regions' paths (when any policy
    names regions), the partner's progress rows (1), for a closed period the basis per policy and
    the posted lines (1), and for a cart its SKUs and the product lines."""
    from qudao.catalog.models import ProductLine, Sku
    from qudao.core.models import Region

    from .models import RebateLine

    today = timezone.localdate()
    day = on or today
    statuses = [RebatePolicy.Status.ACTIVE]
    if day < today:
        statuses += [RebatePolicy.Status.SUPERSEDED, RebatePolicy.Status.RETIRED]
    policies = [
        (policy, period)
        for policy in RebatePolicy.objects.filter(status__in=statuses)
        .prefetch_related("tiers")
        .order_by("code", "version")
        for period in [period_for(policy, day)]
        if period is not None and (policy.status == RebatePolicy.Status.ACTIVE or period[1] < today)
    ]
    codes = {code for policy, _p in policies for code in policy.target_regions}
    region_paths = dict(Region.objects.filter(code__in=codes).values_list("code", "path")) if codes else {}
    closed = [(policy, period) for policy, period in policies if period[1] < today]
    posted = {}
    if closed:
        posted = {
            (row["policy_id"], row["period_start"]): row["total"]
            for row in RebateLine.objects.filter(
                partner=partner,
                posted_at__isnull=False,
                policy_id__in=[policy.pk for policy, _p in closed],
                period_start__in={period[0] for _policy, period in closed},
            )
            .values("policy_id", "period_start")
            .annotate(total=Sum("posted_amount"))
            .order_by()
        }
    # a closed period also shows a partner the runs settled then, even if the policy no longer targets it
    policies = [
        (policy, period)
        for policy, period in policies
        if _applies(policy, partner, region_paths) or (policy.pk, period[0]) in posted
    ]
    if not policies:
        return []
    rows = {
        (row.policy_id, row.period_start): row
        for row in RebateProgress.objects.filter(
            partner=partner,
            policy_id__in=[policy.pk for policy, _p in policies],
            period_start__in={period[0] for _policy, period in policies},
        )
    }
    lines = _cart_lines(cart) if cart is not None else []
    skus, line_paths = {}, {}
    if lines:
        skus = {
            pk: (code, path or "")
            for pk, code, path in Sku.objects.filter(pk__in={line.sku for line in lines}).values_list(
                "pk", "code", "product__product_line__path"
            )
        }
        wanted = {code for policy, _p in policies for code in policy.product_lines}
        if wanted:
            line_paths = dict(ProductLine.objects.filter(code__in=wanted).values_list("code", "path"))
    one = Partner.objects.filter(pk=partner.pk)
    empty = {"amount": ZERO, "units": ZERO}
    out = []
    for policy, (start, end) in policies:
        tiers = _tiers(policy)
        if not tiers:
            continue
        is_closed = end < today
        baseline = None
        if is_closed:  # computed as the runs compute it
            figures = B.basis_of(policy, one, start, end).get(partner.pk, empty)
            counted, units = figures["amount"], figures["units"]
            if policy.growth:
                baseline = B.basis_of(policy, one, *_last_year(start, end)).get(partner.pk, empty)["amount"]
        else:
            row = rows.get((policy.pk, start))
            counted, units = (row.basis, row.units) if row else (ZERO, ZERO)
            if policy.growth:
                if row is not None and row.baseline is not None:
                    baseline = row.baseline
                else:  # no row yet (nothing counted so far): the baseline read once, set-based
                    baseline = B.basis_of(policy, one, *_last_year(start, end)).get(partner.pk, empty)["amount"]
        item = Progress(
            policy=policy,
            period_start=start,
            period_end=end,
            counted=counted,
            baseline=baseline,
            basis=counted - baseline if baseline is not None else counted,
            units=units,
            tier=None,
            tier_label="",
            earned=ZERO,
            closed=is_closed,
            posted=posted.get((policy.pk, start), ZERO) if is_closed else None,
        )
        if policy.tier_measure == TierMeasure.ATTAINMENT:  # the period's target, read once per policy
            item.target = ratios.targets(policy.basis, [partner.pk], start, end).get(partner.pk)
        elif policy.tier_measure == TierMeasure.GROWTH_RATE:
            # the same days last year: the whole period once it is over, up to the same day while it runs
            counted_to = end if is_closed else min(day, end)
            item.last_year = B.basis_of(policy, one, *_last_year(start, counted_to)).get(partner.pk, empty)["amount"]
        _describe(item, tiers, policy)
        if cart is not None and not is_closed:
            item.cart = _cart_addition(item, tiers, policy, lines, skus, line_paths)
        out.append(item)
    return out
