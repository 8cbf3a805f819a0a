"""The targets' card on the portal's home page (qudao.partners.portal_home, order 20): the
partner's own approved targets of the current year, quarter and month, each with the actual, the
attainment, the time elapsed and ahead / on track / behind - the figures of /portal/targets/
(targets.attainment_rows), linked to it."""

from __future__ import annotations

from django.utils import timezone

from qudao.partners.portal_home import PortalCard, register_card

from . import actuals
from . import targets as svc
from .models import COUNT_METRICS, Target, TargetLevel, TargetPlan

SHOWN_PLANS = 3  # the card stays short on a phone; /portal/targets/ has the rest


def attainment_card(request, today=None) -> dict | None:
    """The partner's approved targets whose period holds today, by plan (newest year first); None
    for a user who may not see targets, or with no such target. Only `request.partner`'s own
    targets: a partner never sees another's (nor its sub-dealers')."""
    if not request.user.can("targets.view_own"):
        return None
    today = today or timezone.localdate()
    current = Target.objects.filter(
        approved=True,
        plan__status=TargetPlan.Status.APPROVED,
        level=TargetLevel.PARTNER,
        partner=request.partner,
        period_start__lte=today,
        period_end__gte=today,
    )
    plan_ids = list(current.order_by().values_list("plan_id", flat=True).distinct())
    if not plan_ids:
        return None
    plans = TargetPlan.objects.filter(pk__in=plan_ids).select_related("product_line").order_by("-year", "code")
    items = []
    for plan in plans[:SHOWN_PLANS]:  # at most three plans
        rows = [_row(plan, target, request.partner.pk, today) for target in current.filter(plan=plan)]
        rows.sort(key=lambda row: (svc.KIND_ORDER[row.target.period_kind], row.target.period_start))
        items.append({"plan": plan, "rows": rows, "counts": plan.metric in COUNT_METRICS})
    return {"items": items, "more": max(len(plan_ids) - SHOWN_PLANS, 0), "today": today}


def _row(plan: TargetPlan, target: Target, partner_id: int, today) -> svc.Row:
    """The figures of targets.attainment_rows for one partner target, reading this partner's actual
    only (the home page is the portal's most opened page: not every partner's, as the plan's page
    does): one grouped query per period (year, quarter, month)."""
    line = plan.product_line.path if plan.product_line_id else None
    actual = actuals.partner_actuals(
        plan.metric, [partner_id], target.period_start, target.period_end, product_line_path=line
    ).get(partner_id, svc.ZERO)
    attained = svc.attainment_percent(actual, target.amount)
    elapsed = svc.elapsed_percent(target.period_start, target.period_end, today)
    status = svc.status_of(attained, elapsed, started=True)  # the period holds today: it has started
    return svc.Row(target, actual, attained, elapsed, status, plan.metric in COUNT_METRICS)


def register() -> None:
    register_card(
        PortalCard("analytics.attainment", "analytics/portal/home_attainment.html", attainment_card, order=20)
    )
