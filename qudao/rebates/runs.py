"""Rebate runs: compute a policy for a period (a preview that posts nothing), approve, post.

- `compute_run` writes the run and one line per partner (the partners the policy targets, and any
  partner an earlier run of the same policy and period posted to, so a true-up can take back what
  is no longer earned). The basis is set-based SQL (qudao.rebates.basis), the tiers are
  qudao.rebates.engine. A newer run of the same policy and period supersedes earlier previews.
- `approve_run` (rebates.settle): preview -> approved.
- `post_run` (rebates.settle): each partner in its own transaction, under its rebate fund's row
  lock: delta = the line's amount - what earlier runs of this policy and period posted to it
  (read again there, so a stale preview never pays twice); a positive delta is a deposit into the
  partner's rebate fund (partners.funds, kind rebate, reference "<run>/<partner code>"), a negative
  one a negative adjustment, at most what is available (money held by open orders is never taken;
  what could not be taken stays owed and the next run of the period takes it again, since every
  run compares with what was actually posted). The line records what it posted and when, in the
  same transaction, with a compare-and-set: a run interrupted half-way and posted again skips the
  partners already done and ends in the same state as one clean run. Events: `rebate.posted` per
  partner, `rebate.run_posted` at the end.
See docs/decisions/0010-rebate-runs.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core import jobs
from qudao.core.errors import Conflict, FieldErrors
from qudao.core.events import publish
from qudao.core.money import quantize
from qudao.core.numbering import next_number
from qudao.partners import funds
from qudao.partners.models import FundAccount, Partner

from . import basis as B
from . import engine, ratios
from .models import BasisKind, RebateLine, RebatePolicy, RebateRun, TierMeasure
from .services import parse_day

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def _s(value: Decimal | None) -> str | None:
    """An amount in an explanation: to the cent."""
    return None if value is None else str(quantize(value))


def _x(value: Decimal) -> str:
    """An exact intermediate amount in an explanation: to 4 places, as stored."""
    return str(value.quantize(Decimal("0.0001")))


def _u(value: Decimal) -> str:
    """Units: whole numbers without decimals."""
    return str(value.quantize(Decimal("1"))) if value == value.to_integral_value() else _x(value)


# --- the request -----------------------------------------------------------------------------------


def clean_run_request(*, policy: RebatePolicy, period, kind: str, as_of=None) -> tuple[date, date, date]:
    """The period (first, last day) and the last day counted for a run of `policy`.

    `period` is any day of the period (a custom policy has one period). An interim run counts up
    to `as_of` (default yesterday), before the period's end; a final run needs the period over.

    :raises FieldErrors: bad dates or kind. :raises Conflict: the policy or period cannot be run."""
    errors = FieldErrors()
    if kind not in RebateRun.Kind.values:
        errors.add("kind", _("Choose interim or final."))
    day = parse_day(period) if period else None
    if day is None and policy.period_kind != "custom":
        errors.add("period", _("Enter a day of the period as YYYY-MM-DD."))
    if as_of not in (None, "") and not isinstance(as_of, date):
        as_of = parse_day(as_of)
        if as_of is None:
            errors.add("as_of", _("Enter a date as YYYY-MM-DD."))
    if errors.errors:
        raise errors
    if policy.status not in (RebatePolicy.Status.ACTIVE, RebatePolicy.Status.SUPERSEDED):
        raise Conflict(gettext("Only an approved policy can be run."))
    start, end = B.period_of(policy, day or policy.custom_start)
    if end < policy.effective_from or (policy.effective_to and start > policy.effective_to):
        raise FieldErrors.single("period", _("The policy is not in effect in this period."))
    today = timezone.localdate()
    if kind == RebateRun.Kind.FINAL:
        if end >= today:
            raise FieldErrors.single(
                "kind", _("The period ends on %(day)s: settle it finally after that.") % {"day": end}
            )
        if as_of and as_of != end:
            raise FieldErrors.single("as_of", _("A final run counts the whole period."))
        as_of = end
    else:
        if not policy.allow_interim:
            raise FieldErrors.single("kind", _("This policy has no interim settlements."))
        as_of = as_of or min(today - timedelta(days=1), end - timedelta(days=1))
        if not (start <= as_of < end) or as_of >= today:
            raise FieldErrors.single(
                "as_of", _("An interim run counts up to a past day before the period's end (%(end)s).") % {"end": end}
            )
        if RebateRun.objects.filter(
            policy=policy, period_start=start, kind=RebateRun.Kind.FINAL, status=RebateRun.Status.POSTED
        ).exists():
            raise Conflict(gettext("This period is settled finally; run it again as final."))
    half_posted = (
        RebateRun.objects.filter(policy=policy, period_start=start, status=RebateRun.Status.APPROVED)
        .filter(lines__posted_at__isnull=False)
        .first()
    )
    if half_posted is not None:
        raise Conflict(
            gettext("Run %(number)s of this period is partly posted: post it to the end first.")
            % {"number": half_posted.number}
        )
    return start, end, as_of


# --- computing -------------------------------------------------------------------------------------


def posted_before(policy: RebatePolicy, period_start: date, *, excluding_run=None) -> dict[int, Decimal]:
    """{partner id: Σ what runs of this policy and period posted to it}."""
    rows = RebateLine.objects.filter(policy=policy, period_start=period_start, posted_at__isnull=False)
    if excluding_run is not None:
        rows = rows.exclude(run=excluding_run)
    return {
        row["partner_id"]: row["total"]
        for row in rows.values("partner_id").annotate(total=Sum("posted_amount")).order_by()
    }


def _conditions(policy, partners, start, as_of) -> dict[int, list[dict]]:
    """{partner id: [condition outcomes]} for every partner, set-based (one or two grouped
    queries per condition)."""
    results: dict[int, list[dict]] = {}
    ids = list(partners.values_list("pk", flat=True))
    if policy.focus_product_line:
        shares = B.focus_shares(policy, partners, start, as_of)
        for pid in ids:
            focus, total = shares.get(pid, (ZERO, ZERO))
            share = (focus * HUNDRED / total) if total > 0 else None
            met = share is not None and share >= policy.focus_min_share
            results.setdefault(pid, []).append(
                {
                    "code": "focus_share",
                    "met": met,
                    "line": policy.focus_product_line,
                    "required": str(policy.focus_min_share),
                    "actual": None if share is None else str(share.quantize(Decimal("0.01"))),
                    "focus_sales": _s(focus),
                    "all_sales": _s(total),
                }
            )
    if policy.min_payment_ratio is not None:
        ratios = B.payment_ratios(policy, partners, start, as_of)
        for pid in ids:
            payments, billed = ratios.get(pid, (ZERO, ZERO))
            ratio = (payments * HUNDRED / billed) if billed > 0 else None
            # nothing invoiced: nothing to pay, so the condition holds
            met = ratio is None or ratio >= policy.min_payment_ratio
            results.setdefault(pid, []).append(
                {
                    "code": "payment_ratio",
                    "met": met,
                    "required": str(policy.min_payment_ratio),
                    "actual": None if ratio is None else str(ratio.quantize(Decimal("0.01"))),
                    "payments": _s(payments),
                    "invoiced": _s(billed),
                }
            )
    if policy.max_overdue_days is not None:
        overdue = B.overdue_at(partners, as_of, policy.max_overdue_days)
        for pid in ids:
            amount = overdue.get(pid, ZERO)
            results.setdefault(pid, []).append(
                {
                    "code": "overdue",
                    "met": amount <= 0,
                    "days": policy.max_overdue_days,
                    "on": str(as_of),
                    "overdue": _s(amount),
                }
            )
    return results


def _run_partners(policy: RebatePolicy, start: date):
    earlier = RebateLine.objects.filter(policy=policy, period_start=start, posted_at__isnull=False).values("partner_id")
    targeted = B.target_partners(policy).values("pk")
    return Partner.objects.filter(Q(pk__in=targeted) | Q(pk__in=earlier))


def compute_lines(
    policy: RebatePolicy,
    start: date,
    as_of: date,
    *,
    tiers: list[engine.Tier] | None = None,
    partners=None,
) -> list[dict]:
    """Every partner's result for `policy` over [start, as_of], as dicts of RebateLine fields.

    A run passes a saved policy; the live preview of a policy being typed (qudao.rebates.preview)
    passes an unsaved one with its `tiers` and the `partners` to compute (nothing posted before)."""
    if partners is None:
        partners = _run_partners(policy, start)
    if tiers is None:
        tiers = [engine.Tier(t.lower_bound, t.reward, t.value) for t in policy.tiers.all()]
    now = B.basis_of(policy, partners, start, as_of)
    before = {}
    on_ratio = ratios.is_ratio(policy)
    if policy.growth or policy.tier_measure == TierMeasure.GROWTH_RATE:
        before = B.basis_of(policy, partners, B.same_day_last_year(start), B.same_day_last_year(as_of))
    targets = {}
    if policy.tier_measure == TierMeasure.ATTAINMENT:
        # the target of the whole period (an interim run measures what is counted so far against it)
        period_start, period_end = B.period_of(policy, start)
        targets = ratios.targets(policy.basis, list(partners.values_list("pk", flat=True)), period_start, period_end)
    conditions = _conditions(policy, partners, start, as_of)
    posted = posted_before(policy, start) if policy.pk is not None else {}
    lines = []
    empty = {"gross": ZERO, "returns": ZERO, "amount": ZERO, "units": ZERO}
    show = _u if policy.basis == BasisKind.QUANTITY else _s
    tiers_out = [{"lower_bound": str(t.lower_bound), "reward": t.reward, "value": str(t.value)} for t in tiers]
    for pid in partners.order_by("pk").values_list("pk", flat=True):
        counted = now.get(pid, empty)
        basis = counted["amount"]
        explanation = {
            "basis": {
                "kind": policy.basis,
                "from": str(start),
                "to": str(as_of),
                "gross": show(counted["gross"]),
                "returns": show(counted["returns"]),
                "counted": show(counted["amount"]),
                "units": _u(counted["units"]),
            },
            "style": policy.tier_style,
            "tiers": tiers_out,
        }
        if policy.growth:
            last = before.get(pid, empty)["amount"]
            basis = counted["amount"] - last
            explanation["growth"] = {
                "this_period": show(counted["amount"]),
                "last_year": show(last),
                "from": str(B.same_day_last_year(start)),
                "to": str(B.same_day_last_year(as_of)),
                "growth": show(basis),
                # growth over a zero baseline: the whole basis is growth; its rate is undefined
                "rate": None if last <= 0 else str((basis * HUNDRED / last).quantize(Decimal("0.01"))),
            }
        measured = None
        if on_ratio:
            measured = ratios.measure(
                policy, basis, target=targets.get(pid), baseline=before.get(pid, empty)["amount"] if before else None
            )
            explanation["measure"] = _measure_explained(policy, measured, start, as_of, show)
            outcome = engine.compute_on_ratio(measured.ratio, basis, tiers, policy.cap)
        else:
            outcome = engine.compute(
                basis, tiers, policy.tier_style, policy.cap, counts_units=policy.basis == BasisKind.QUANTITY
            )
        checks = conditions.get(pid, [])
        met = all(check["met"] for check in checks)
        amount = outcome.amount if met else ZERO
        already = posted.get(pid, ZERO)
        explanation.update(
            {
                "tier_reached": outcome.tier,
                "slices": [{"tier": s.tier, "size": show(s.size), "amount": _x(s.amount)} for s in outcome.slices],
                "computed": _x(outcome.exact),
                "cap": _s(policy.cap),
                "cap_applied": outcome.cap_applied,
                "next_tier_from": None
                if outcome.next_bound is None
                else (str(outcome.next_bound.quantize(Decimal("0.01"))) if on_ratio else show(outcome.next_bound)),
                "conditions": checks,
                "conditions_met": met,
                "amount": _s(amount),
                "already_posted": _s(already),
                "delta": _s(amount - already),
            }
        )
        lines.append(
            {
                "partner_id": pid,
                "basis": basis,
                "units": counted["units"],
                "tier_index": outcome.tier,
                "tier_reward": outcome.reward,
                "tier_value": outcome.value,
                "ratio": measured.ratio if measured else None,
                "target": measured.target if measured else None,
                "computed_amount": outcome.exact,
                "capped_amount": outcome.capped,
                "conditions_met": met,
                "amount": amount,
                "already_posted": already,
                "delta": amount - already,
                "explanation": explanation,
            }
        )
    return lines


def _measure_explained(policy, measured: ratios.Measured, start: date, as_of: date, show) -> dict:
    """The ratio in a line's explanation: what it is, the figures it was made of, and why there is
    none ("no_target", "no_baseline")."""
    out = {
        "kind": policy.tier_measure,
        "ratio": None if measured.ratio is None else str(measured.ratio),
        "reason": measured.reason,
    }
    if policy.tier_measure == TierMeasure.ATTAINMENT:
        out["target"] = _s(measured.target)
    else:
        out["last_year"] = None if measured.baseline is None else show(measured.baseline)
        out["last_year_from"] = str(B.same_day_last_year(start))
        out["last_year_to"] = str(B.same_day_last_year(as_of))
    return out


def compute_run(*, policy: RebatePolicy, period, kind: str, as_of=None, actor=None, job=None) -> RebateRun:
    """A preview run: the run and its lines, nothing posted. Earlier previews (and approved runs
    not yet posted) of the same policy and period are superseded.

    :raises FieldErrors, Conflict: see `clean_run_request`."""
    start, end, as_of = clean_run_request(policy=policy, period=period, kind=kind, as_of=as_of)
    number = next_number("RB")  # outside the main transaction, like orders
    with transaction.atomic():
        RebatePolicy.objects.select_for_update().get(pk=policy.pk)  # one run of a policy computed at a time
        clean_run_request(policy=policy, period=period, kind=kind, as_of=as_of if kind == "interim" else None)
        RebateRun.objects.filter(
            policy=policy,
            period_start=start,
            status__in=[RebateRun.Status.PREVIEW, RebateRun.Status.APPROVED],
        ).exclude(lines__posted_at__isnull=False).update(status=RebateRun.Status.SUPERSEDED)
        run = RebateRun.objects.create(
            number=number,
            policy=policy,
            period_start=start,
            period_end=end,
            as_of=as_of,
            kind=kind,
            job=job,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        rows = compute_lines(policy, start, as_of)
        RebateLine.objects.bulk_create(
            [RebateLine(run=run, policy=policy, period_start=start, **row) for row in rows], batch_size=1000
        )
        run.partner_count = len(rows)
        run.basis_total = sum((row["basis"] for row in rows), ZERO)
        run.amount_total = sum((row["amount"] for row in rows), ZERO)
        run.delta_total = sum((row["delta"] for row in rows), ZERO)
        run.save(update_fields=["partner_count", "basis_total", "amount_total", "delta_total"])
    return run


# --- approving and posting -------------------------------------------------------------------------


def approve_run(*, run: RebateRun, actor=None) -> RebateRun:
    """:raises Conflict: the run is not a preview (posted, approved or superseded)."""
    with transaction.atomic():
        moved = RebateRun.objects.filter(pk=run.pk, status=RebateRun.Status.PREVIEW).update(
            status=RebateRun.Status.APPROVED,
            approved_by=actor if getattr(actor, "is_authenticated", False) else None,
            approved_at=timezone.now(),
        )
        if not moved:
            raise Conflict(gettext("Only a preview can be approved."))
        run.refresh_from_db()
        publish("rebate.run_approved", "rebate_run", run.number, {"number": run.number})
    return run


def _reference(run: RebateRun, partner: Partner) -> str:
    return f"{run.number}/{partner.code}"[:64]


def post_line(line: RebateLine, *, actor=None) -> Decimal | None:
    """Post one partner's delta in its own transaction. None when it was posted already."""
    partner = line.partner
    run = line.run
    with transaction.atomic():
        account = funds.account_for(partner, FundAccount.Kind.REBATE, lock=True)
        if not RebateLine.objects.filter(pk=line.pk, posted_at__isnull=True).exists():
            return None
        already = posted_before(run.policy, run.period_start, excluding_run=run).get(partner.pk, ZERO)
        delta = line.amount - already
        reference = _reference(run, partner)
        note = gettext("Rebate %(policy)s %(start)s-%(end)s (%(run)s)") % {
            "policy": run.policy.code,
            "start": run.period_start,
            "end": run.period_end,
            "run": run.number,
        }
        posted = ZERO
        if delta > 0:
            funds.deposit(
                partner=partner,
                amount=quantize(delta),
                reference=reference,
                note=note,
                actor=actor,
                kind=FundAccount.Kind.REBATE,
            )
            posted = quantize(delta)
        elif delta < 0:
            take = min(-delta, max(account.available, ZERO))
            if take > 0:
                funds.adjust(
                    partner=partner,
                    amount=-quantize(take),
                    reference=reference,
                    note=note,
                    actor=actor,
                    kind=FundAccount.Kind.REBATE,
                )
                posted = -quantize(take)
        moved = RebateLine.objects.filter(pk=line.pk, posted_at__isnull=True).update(
            posted_at=timezone.now(),
            posted_amount=posted,
            already_posted=already,
            delta=delta,
            fund_reference=reference if posted else "",
        )
        if moved != 1:  # pragma: no cover - the fund row lock orders two posters of one partner
            raise Conflict(gettext("This rebate line was posted by someone else."))
        RebateRun.objects.filter(pk=run.pk).update(
            posted_count=F("posted_count") + 1, posted_total=F("posted_total") + posted
        )
        if posted:
            publish(
                "rebate.posted",
                "rebate_line",
                line.pk,
                {
                    "run": run.number,
                    "policy": run.policy.code,
                    "partner": partner.code,
                    "period_start": str(run.period_start),
                    "period_end": str(run.period_end),
                    "amount": str(line.amount),
                    "posted": str(posted),
                    "currency": account.currency,
                    "reference": reference,
                },
            )
    return posted


def post_run(*, run: RebateRun, actor=None, progress: Callable[[int, int], None] | None = None) -> RebateRun:
    """Post an approved run, partner by partner (see the module docstring). Posting a posted run
    does nothing; posting a run interrupted half-way posts the partners left.

    :raises Conflict: the run is not approved."""
    run = RebateRun.objects.select_related("policy").get(pk=run.pk)
    if run.status == RebateRun.Status.POSTED:
        return run
    if run.status != RebateRun.Status.APPROVED:
        raise Conflict(gettext("Only an approved run can be posted."))
    lines = list(RebateLine.objects.filter(run=run, posted_at__isnull=True).select_related("partner").order_by("pk"))
    total = run.partner_count
    done = total - len(lines)
    for line in lines:
        line.run = run
        post_line(line, actor=actor)
        done += 1
        if progress is not None:
            progress(done, total)
    with transaction.atomic():
        moved = RebateRun.objects.filter(pk=run.pk, status=RebateRun.Status.APPROVED).update(
            status=RebateRun.Status.POSTED,
            posted_at=timezone.now(),
            posted_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        run.refresh_from_db()
        if moved:
            publish(
                "rebate.run_posted",
                "rebate_run",
                run.number,
                {
                    "number": run.number,
                    "policy": run.policy.code,
                    "period_start": str(run.period_start),
                    "period_end": str(run.period_end),
                    "kind": run.kind,
                    "partners": run.partner_count,
                    "posted": str(run.posted_total),
                },
            )
    return run


# --- jobs ------------------------------------------------------------------------------------------


def start_compute(*, policy: RebatePolicy, period, kind: str, as_of=None, user=None):
    """Check the request, then compute the run as a job. Returns the job (finished already when
    jobs run in-process)."""
    start, _end, as_of = clean_run_request(policy=policy, period=period, kind=kind, as_of=as_of)
    job = jobs.create_job(kind="rebate_run", user=user, total=1)
    job.result = {
        "policy_id": policy.pk,
        "period": str(start),
        "kind": kind,
        "as_of": str(as_of) if kind == RebateRun.Kind.INTERIM else None,
    }
    job.save(update_fields=["result"])
    from .tasks import compute_rebate_run

    jobs.run_task(compute_rebate_run, job)
    job.refresh_from_db()
    return job


def run_compute_job(job_id: int) -> None:
    def work(job):
        params = job.result or {}
        policy = RebatePolicy.objects.get(pk=params["policy_id"])
        run = compute_run(
            policy=policy,
            period=params["period"],
            kind=params["kind"],
            as_of=params.get("as_of"),
            actor=job.created_by,
            job=job,
        )
        jobs.advance(job.pk, 1)
        return {**params, "run": run.number, "run_id": run.pk}

    jobs.execute(job_id, work)


def start_post(*, run: RebateRun, user=None):
    """Post an approved run as a job with progress (one step per partner).

    :raises Conflict: the run is not approved."""
    if run.status != RebateRun.Status.APPROVED:
        raise Conflict(gettext("Only an approved run can be posted."))
    job = jobs.create_job(kind="rebate_post", user=user, total=run.partner_count)
    job.result = {"run": run.number, "run_id": run.pk}
    job.save(update_fields=["result"])
    RebateRun.objects.filter(pk=run.pk).update(job=job)
    from .tasks import post_rebate_run

    jobs.run_task(post_rebate_run, job)
    job.refresh_from_db()
    return job


def run_post_job(job_id: int) -> None:
    def work(job):
        params = job.result or {}
        run = RebateRun.objects.get(pk=params["run_id"])
        run = post_run(
            run=run, actor=job.created_by, progress=lambda done, total: jobs.advance(job.pk, done, total=total)
        )
        return {**params, "posted": str(run.posted_total), "partners": run.posted_count}

    jobs.execute(job_id, work)
