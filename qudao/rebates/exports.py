"""Rebate lines as .xlsx / .csv (qudao.core.exports): a run's lines on its page (HQ, in the user's
scope), and a partner's posted lines in its portal."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qudao.core.exports import ExportColumn, ListExport

from . import selectors
from .models import RebateRun, RebateTier

REWARDS = dict(RebateTier.Reward.choices)


def _yes_no(value: bool) -> str:
    from django.utils.translation import gettext

    return gettext("yes") if value else gettext("no")


LINE_COLUMNS = (
    ExportColumn(_("Run number"), lambda line: line.run.number),
    ExportColumn(_("Policy code"), lambda line: line.policy.code),
    ExportColumn(_("Policy"), lambda line: line.policy.name),
    ExportColumn(_("Partner code"), lambda line: line.partner.code),
    ExportColumn(_("Partner"), lambda line: line.partner.legal_name),
    ExportColumn(_("Period from"), lambda line: line.period_start, "date"),
    ExportColumn(_("Period to"), lambda line: line.run.period_end, "date"),
    ExportColumn(_("Basis"), lambda line: line.basis, "money"),
    ExportColumn(_("Units"), lambda line: line.units, "price"),
    ExportColumn(_("Rebate tier reached"), lambda line: line.tier_index, "quantity"),
    ExportColumn(_("Reward"), lambda line: str(REWARDS.get(line.tier_reward, line.tier_reward or ""))),
    ExportColumn(_("Rate or value"), lambda line: line.tier_value, "price"),
    # tiers on a ratio (attainment, growth rate): the ratio the tier was chosen on and the target
    ExportColumn(_("Ratio (%)"), lambda line: line.ratio, "price"),
    ExportColumn(_("Target"), lambda line: line.target, "money"),
    ExportColumn(_("Computed"), lambda line: line.computed_amount, "money"),
    ExportColumn(_("After the cap"), lambda line: line.capped_amount, "money"),
    ExportColumn(_("Conditions met"), lambda line: _yes_no(line.conditions_met)),
    ExportColumn(_("Rebate"), lambda line: line.amount, "money"),
    ExportColumn(_("Posted before"), lambda line: line.already_posted, "money"),
    ExportColumn(_("To post"), lambda line: line.delta, "money"),
    ExportColumn(_("Posted"), lambda line: line.posted_amount, "money"),
    ExportColumn(_("Posted at"), lambda line: line.posted_at, "datetime"),
    ExportColumn(_("Fund reference"), lambda line: line.fund_reference),
)


def _run_lines(user, params):
    run = RebateRun.objects.filter(number=str(params.get("run") or "")).first()
    if run is None:
        return selectors.lines(user).none()
    return selectors.lines(user, run=run)


def _portal_lines(user, params):
    partner = user.partner
    return selectors.lines(user, partner_id=partner.pk if partner else -1)


RUN_LINES = ListExport(
    "rebates.run_lines", _("Rebate lines"), "rebate-lines", LINE_COLUMNS, _run_lines, permission="rebates.view"
)
PORTAL_LINES = ListExport("rebates.portal_lines", _("Rebate lines"), "rebate-lines", LINE_COLUMNS, _portal_lines)
