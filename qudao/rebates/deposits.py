"""Manual rebate fund deposits (返利资金手工入账): finance puts money into a partner's rebate fund by
hand - a goodwill credit, or a correction - with a reason, and it is posted only once approved.

- `request_deposit` (rebates.settle: finance, administrators): partner, kind (goodwill /
  correction), amount (whole cents; a goodwill credit above zero; a correction above or below zero,
  never 0; at most MAX_AMOUNT either way), reason (required, at most 500 characters). A negative
  correction may not take more than the fund has available now (balance less what open orders
  hold). It opens an approval request (subject "rebate_fund_deposit"; the default flow
  返利资金手工入账审批: an administrator approves). Manual money never bypasses approval: without a flow
  the request is refused (409). Event `rebate.fund_deposit_requested`.
- Approved (`on_deposit_approved`, inside the engine's decision, after it locked the request): the
  deposit is posted in the same transaction - a goodwill credit is a fund deposit, a correction a
  fund adjustment (signed), both with the deposit's number as reference and its reason as note, so
  the fund's entry, the rebate book of the partner ledger (through `fund.deposited` /
  `fund.adjusted`) and the audit trail are written at once, append-only. A negative correction that
  open orders made impossible since is refused with the field error (the decision is not recorded;
  the approver rejects it instead). Whoever entered a deposit may not approve it (403): four eyes.
  Event `rebate.fund_deposit_posted`.
- Rejected or returned: status rejected, nothing posted; finance enters a new one if needed.
  Event `rebate.fund_deposit_rejected`.

Locks (CONTRIBUTING.md): the approval request alone first (the engine), then the rebate fund
account (partners.funds), then finance's ledger balance (its fund event subscription).
"""

from __future__ import annotations

from contextlib import nullcontext
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from qudao.core import approvals, display
from qudao.core.audit import acting_as, current_actor, record_change, serialize_for_audit
from qudao.core.errors import Conflict, FieldErrors, Forbidden
from qudao.core.events import publish
from qudao.core.money import CENT, parse_amount
from qudao.core.notifications import notify
from qudao.core.numbering import next_number
from qudao.partners import funds
from qudao.partners.models import FundAccount, PartnerType
from qudao.partners.services import partner_name, tier_name

from .models import RebateFundDeposit

DEPOSIT_SUBJECT = "rebate_fund_deposit"
MAX_AMOUNT = Decimal("1000000.00")
REASON_LIMIT = 500


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def clean_deposit(partner, data: dict) -> dict:
    """kind, amount and reason checked, every wrong field at once.

    :raises FieldErrors: kind, amount, reason."""
    errors = FieldErrors()
    kind = str(data.get("kind") or "").strip()
    if kind not in RebateFundDeposit.Kind.values:
        errors.add("kind", _("Choose goodwill or correction."))
    raw = data.get("amount")
    amount = None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.add("amount", _("Enter the amount."))
    else:
        try:
            amount = parse_amount(raw)
        except (TypeError, ValueError):
            errors.add("amount", _("Enter an amount such as 5000.00 (a correction may be negative: -500.00)."))
    if amount is not None:
        if amount != amount.quantize(CENT):
            errors.add("amount", _("The amount has more than two decimals (whole cents only)."))
        elif amount == 0:
            errors.add("amount", _("Enter an amount other than zero."))
        elif abs(amount) > MAX_AMOUNT:
            errors.add(
                "amount", _("At most %(max)s by hand; larger sums go through a rebate run.") % {"max": "1,000,000.00"}
            )
        elif amount < 0 and kind == RebateFundDeposit.Kind.GOODWILL:
            errors.add("amount", _("A goodwill credit adds money: enter an amount above zero."))
        elif amount < 0 and kind == RebateFundDeposit.Kind.CORRECTION:
            account = FundAccount.objects.filter(partner=partner, kind=FundAccount.Kind.REBATE).first()
            available = account.available if account else Decimal("0")
            if -amount > available:
                errors.add(
                    "amount",
                    gettext("Only %(available)s is available to take (money held by open orders is not).")
                    % {"available": f"{available:,.2f}"},
                )
    reason = " ".join(str(data.get("reason") or "").split())
    if not reason:
        errors.add("reason", _("Give the reason."))
    elif len(reason) > REASON_LIMIT:
        errors.add("reason", _("At most %(limit)s characters.") % {"limit": REASON_LIMIT})
    if errors.errors:
        raise errors
    return {"kind": kind, "amount": amount.quantize(CENT), "reason": reason}


def request_deposit(*, partner, data: dict, actor) -> RebateFundDeposit:
    """Enter a manual deposit into `partner`'s rebate fund and send it for approval.

    :raises Forbidden: the actor may not settle rebates.
    :raises FieldErrors: kind, amount, reason; nothing is written.
    :raises Conflict: no approval flow applies (manual money is never posted without one)."""
    if not actor.can("rebates.settle"):
        raise Forbidden()
    cleaned = clean_deposit(partner, data)
    number = next_number("RF")  # outside the transaction, like orders
    acting = acting_as(actor) if _actor(actor) and current_actor() is None else nullcontext()
    with acting, transaction.atomic():
        deposit = RebateFundDeposit.objects.create(
            number=number,
            partner=partner,
            currency=partner.credit_currency or "CNY",
            requested_by=_actor(actor),
            **cleaned,
        )
        approval = approvals.start_approval(
            kind=DEPOSIT_SUBJECT,
            subject_id=deposit.pk,
            title=gettext("Rebate fund of %(partner)s: %(amount)s (%(kind)s)")
            % {
                "partner": partner,
                "amount": display.money_text(deposit.amount, deposit.currency),
                "kind": deposit.get_kind_display(),
            },
            context=deposit_approval_context(deposit, partner),
            region=partner.region,
            partner_id=partner.pk,
            submitted_by=actor,
        )
        if approval is None:
            raise Conflict(
                gettext("No approval flow is configured for manual rebate fund deposits. Ask an administrator.")
            )
        deposit.approval = approval
        deposit.save(update_fields=["approval"])
        publish("rebate.fund_deposit_requested", "partner", partner.pk, _payload(deposit))
    return deposit


def _payload(deposit: RebateFundDeposit, **extra) -> dict:
    return {
        "number": deposit.number,
        "partner": deposit.partner.code,
        "kind": deposit.kind,
        "amount": str(deposit.amount),
        "currency": deposit.currency,
        "reason": deposit.reason,
        **extra,
    }


def post_deposit(deposit: RebateFundDeposit, *, actor) -> RebateFundDeposit:
    """Post an approved deposit into the rebate fund, once (compare-and-set on its status).

    :raises FieldErrors: amount - a negative correction larger than what is available now.
    :raises Conflict: the deposit is no longer waiting."""
    with transaction.atomic():
        note = f"{deposit.get_kind_display()}: {deposit.reason}"
        if deposit.kind == RebateFundDeposit.Kind.GOODWILL:
            entry = funds.deposit(
                partner=deposit.partner,
                amount=deposit.amount.quantize(CENT),
                reference=deposit.number,
                note=note,
                actor=actor,
                kind=FundAccount.Kind.REBATE,
            )
        else:
            entry = funds.adjust(
                partner=deposit.partner,
                amount=deposit.amount.quantize(CENT),
                reference=deposit.number,
                note=note,
                actor=actor,
                kind=FundAccount.Kind.REBATE,
            )
        before = serialize_for_audit(deposit)
        moved = RebateFundDeposit.objects.filter(
            pk=deposit.pk, status=RebateFundDeposit.Status.PENDING_APPROVAL
        ).update(
            status=RebateFundDeposit.Status.POSTED,
            decided_by=_actor(actor),
            decided_at=timezone.now(),
            fund_entry=entry,
        )
        if moved != 1:
            raise Conflict(gettext("This deposit was decided by someone else. Reload it."))
        deposit.refresh_from_db()
        _record(deposit, before, actor)
        publish("rebate.fund_deposit_posted", "partner", deposit.partner_id, _payload(deposit, entry=entry.pk))
    return deposit


def _record(deposit: RebateFundDeposit, before: dict, actor) -> None:
    """The status change in the audit trail (an UPDATE by compare-and-set bypasses save())."""
    with acting_as(actor) if _actor(actor) and current_actor() is None else nullcontext():
        record_change(deposit, "update", before, serialize_for_audit(deposit), deposit.reason)


def _subject(request) -> RebateFundDeposit:
    return RebateFundDeposit.objects.select_related("partner", "requested_by").get(pk=int(request.subject_id))


def on_deposit_approved(request, actor) -> None:
    deposit = _subject(request)
    if deposit.requested_by_id is not None and getattr(actor, "pk", None) == deposit.requested_by_id:
        raise Forbidden(gettext("You entered this deposit: someone else must approve it."))
    if deposit.status != RebateFundDeposit.Status.PENDING_APPROVAL:
        return
    post_deposit(deposit, actor=actor)
    _tell_requester(deposit, approved=True)


def on_deposit_not_approved(request, actor) -> None:
    deposit = _subject(request)
    before = serialize_for_audit(deposit)
    moved = RebateFundDeposit.objects.filter(pk=deposit.pk, status=RebateFundDeposit.Status.PENDING_APPROVAL).update(
        status=RebateFundDeposit.Status.REJECTED, decided_by=_actor(actor), decided_at=timezone.now()
    )
    if not moved:
        return
    deposit.refresh_from_db()
    _record(deposit, before, actor)
    publish("rebate.fund_deposit_rejected", "partner", deposit.partner_id, _payload(deposit))
    _tell_requester(deposit, approved=False)


def _tell_requester(deposit: RebateFundDeposit, *, approved: bool) -> None:
    if deposit.requested_by is None:
        return
    notify(
        [deposit.requested_by],
        kind="rebate.fund_deposit_posted" if approved else "rebate.fund_deposit_rejected",
        title=_("Rebate fund deposit %(number)s posted")
        if approved
        else _("Rebate fund deposit %(number)s not approved"),
        body=_("%(amount)s %(currency)s for %(partner)s: %(reason)s"),
        params={
            "number": deposit.number,
            "amount": f"{deposit.amount:,.2f}",
            "currency": deposit.currency,
            "partner": str(deposit.partner),
            "reason": deposit.reason,
        },
        url=f"/rebates/partners/{deposit.partner_id}/fund/",
    )


def deposit_approval_context(deposit: RebateFundDeposit, partner) -> dict:
    """What a deposit's approval flows may test (DEPOSIT_CONDITION_FIELDS) and approvers read."""
    from qudao.core.regions import province_code

    return {
        "kind": deposit.kind,
        "amount": str(deposit.amount),
        "partner": partner.code,
        "partner_type": partner.partner_type,
        "tier": partner.tier.code if partner.tier_id else "",
        "province": (province_code(partner.region) or "") if partner.region_id else "",
    }


def _tier_choices() -> list[tuple[str, str]]:
    from qudao.partners.models import Tier

    return [(tier.code, tier.name) for tier in Tier.objects.order_by("rank")]


DEPOSIT_FIELDS_FOR_PEOPLE = {
    "kind": approvals.ContextField(_("Kind"), display.labels(RebateFundDeposit.Kind)),
    "amount": approvals.ContextField(_("Amount"), display.money_text),
    "partner": approvals.ContextField(_("Partner"), partner_name),
    "partner_type": approvals.ContextField(_("Partner type"), display.labels(PartnerType)),
    "tier": approvals.ContextField(pgettext_lazy("partner tier", "Tier"), tier_name),
    "province": approvals.ContextField(_("Province"), display.region_name),
}
DEPOSIT_CONDITION_FIELDS = (
    approvals.ConditionField("amount", _("Amount"), "amount"),
    approvals.ConditionField("kind", _("Kind"), "choice", RebateFundDeposit.Kind.choices),
    approvals.ConditionField("partner_type", _("Partner type"), "choice", PartnerType.choices),
    approvals.ConditionField("tier", pgettext_lazy("partner tier", "Tier"), "choice", _tier_choices),
    approvals.ConditionField("province", _("Province"), "region"),
)


def register_subjects() -> None:
    approvals.register_subject(
        approvals.SubjectHandler(
            kind=DEPOSIT_SUBJECT,
            label=_("Manual rebate fund deposit"),
            on_approved=on_deposit_approved,
            on_rejected=on_deposit_not_approved,
            # returned like rejected: finance enters a new deposit if it is still due
            on_returned=on_deposit_not_approved,
            subject_url=lambda request: f"/rebates/partners/{request.partner_id}/fund/",
            fields=DEPOSIT_FIELDS_FOR_PEOPLE,
            condition_fields=DEPOSIT_CONDITION_FIELDS,
        )
    )
