"""Reads of rebates, through the scoping rule.

Policies and runs are HQ records (partner users get 403 for them); a policy's list of target
partners shows a reader only the partners in its scope (`visible_targets`). Rebate lines belong to their
partner: a partner user sees its own (and, for a distributor, its sub-dealers') lines of runs that
posted them, nothing of previews; anything else answers 404.

`sources(line, kind)` lists what a line counted - the order lines shipped, the credit note lines,
invoice lines, payments or allocations - with the same filters as the run (qudao.rebates.basis),
ordered deterministically so it pages.
"""

from __future__ import annotations

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import Forbidden, NotFound
from qudao.core.money import quantize, unit_price_text
from qudao.core.numbers import parse_id
from qudao.partners.models import Partner
from qudao.partners.scoping import partner_q, scope

from . import basis as B
from .models import BasisKind, RebateFundDeposit, RebateLine, RebatePolicy, RebateRun

SOURCE_KINDS = {
    "shipments": _("Shipped order lines"),
    "credit_notes": _("Credit notes"),
    "invoices": _("Invoice lines"),
    "payments": _("Payments"),
    "allocations": _("Payments allocated on time"),
}


def require_hq(user, permission: str = "rebates.view") -> None:
    if not (user.is_authenticated and user.is_hq and user.can(permission)):
        raise Forbidden()


def policies(user, *, status: str = "", code: str = "") -> QuerySet:
    require_hq(user)
    rows = RebatePolicy.objects.all()
    if status:
        rows = rows.filter(status=status)
    if code:
        rows = rows.filter(code=code)
    return rows.order_by("code", "-version")


def visible_targets(user, codes: list[str]) -> tuple[list[str], int]:
    """The partner codes of a policy's target list that `user` may see (the scoping rule), in the
    list's order, and how many others it holds ("and 12 partners outside your regions"): a
    regional manager reads every policy but learns no partner codes outside its regions."""
    codes = list(codes or [])
    if not codes or partner_q(user) is None:
        return codes, 0
    visible = set(scope(Partner.objects.filter(code__in=codes), user, "").values_list("code", flat=True))
    shown = [code for code in codes if code in visible]
    return shown, len(codes) - len(shown)


def get_policy(user, policy_id) -> RebatePolicy:
    require_hq(user)
    try:
        policy = RebatePolicy.objects.prefetch_related("tiers").filter(pk=int(policy_id)).first()
    except (TypeError, ValueError):
        policy = None
    if policy is None:
        raise NotFound()
    return policy


def runs(user, *, policy_id=None, status: str = "") -> QuerySet:
    require_hq(user)
    rows = RebateRun.objects.select_related("policy")
    if policy_id:
        rows = rows.filter(policy_id=policy_id)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-pk")


def get_run(user, key) -> RebateRun:
    """A run by number (pages) or id (API)."""
    require_hq(user)
    rows = RebateRun.objects.select_related("policy", "job")
    run = rows.filter(number=str(key)).first()
    if run is None and parse_id(str(key)) is not None:
        run = rows.filter(pk=parse_id(str(key))).first()
    if run is None:
        raise NotFound()
    return run


def lines(user, *, run: RebateRun | None = None, partner_id=None) -> QuerySet:
    """Rebate lines in the user's scope; partner users only see posted ones."""
    rows = scope(RebateLine.objects.select_related("run", "policy", "partner"), user)
    if not user.is_hq:
        rows = rows.filter(posted_at__isnull=False)
    if run is not None:
        rows = rows.filter(run=run)
    if partner_id:
        rows = rows.filter(partner_id=partner_id)
    return rows.order_by("-run__created_at", "partner__code", "pk")


def get_line(user, line_id, *, run: RebateRun | None = None) -> RebateLine:
    if not user.can("rebates.view"):
        raise Forbidden()
    try:
        line = lines(user, run=run).filter(pk=int(line_id)).first()
    except (TypeError, ValueError):
        line = None
    if line is None:
        raise NotFound()
    return line


def source_kinds(policy: RebatePolicy) -> list[str]:
    if policy.basis == BasisKind.PAYMENTS:
        return ["payments"]
    if policy.basis == BasisKind.PAYMENTS_ON_TIME:
        return ["allocations"]
    if policy.basis == BasisKind.NET_SALES_INVOICED:
        return ["invoices", "credit_notes"]
    return ["shipments", "credit_notes"]


MONEY = DecimalField(max_digits=24, decimal_places=4)


def sources(line: RebateLine, kind: str) -> QuerySet:
    """What `line` counted of one kind (see SOURCE_KINDS), as dicts, in a stable order.

    :raises NotFound: a kind the line's basis does not count."""
    policy, run = line.policy, line.run
    if kind not in source_kinds(policy):
        raise NotFound()
    partners = Partner.objects.filter(pk=line.partner_id)
    start, end = run.period_start, run.as_of
    if kind == "shipments":
        return (
            B.shipped_rows(policy, partners, start, end)
            .annotate(amount=ExpressionWrapper(F("quantity") * F("order_line__net_unit_price"), output_field=MONEY))
            .values(
                "pk",
                "quantity",
                "amount",
                at=F("shipment__shipped_at"),
                document=F("shipment__number"),
                order=F("shipment__order__number"),
                line_no=F("order_line__line_no"),
                sku=F("order_line__sku__code"),
                unit_price=F("order_line__net_unit_price"),
            )
            .order_by("shipment__shipped_at", "pk")
        )
    if kind == "credit_notes":
        return (
            B.credited_rows(policy, partners, start, end)
            .values(
                "pk",
                "quantity",
                "amount",
                "unit_price",
                at=F("credit_note__issued_on"),
                document=F("credit_note__number"),
                order=F("order_line__order__number"),
                line_no=F("order_line__line_no"),
                sku=F("order_line__sku__code"),
            )
            .order_by("credit_note__issued_on", "pk")
        )
    if kind == "invoices":
        return (
            B.invoiced_rows(policy, partners, start, end)
            .values(
                "pk",
                "quantity",
                "amount",
                "unit_price",
                at=F("invoice__issued_on"),
                document=F("invoice__number"),
                order=F("order_line__order__number"),
                line_no=F("order_line__line_no"),
                sku=F("sku__code"),
            )
            .order_by("invoice__issued_on", "pk")
        )
    if kind == "payments":
        return (
            B.paid_rows(partners, start, end)
            .values("pk", "amount", at=F("received_on"), document=F("number"))
            .order_by("received_on", "pk")
        )
    return (
        B.on_time_rows(partners, start, end)
        .values(
            "pk",
            "amount",
            at=F("created_at"),
            document=F("payment__number"),
            invoice=F("invoice__number"),
            due_on=F("invoice__due_on"),
        )
        .order_by("created_at", "pk")
    )


def source_out(row: dict, kind: str) -> dict:
    """A source row as the API and the page show it (amounts to the cent; credit notes count
    negative)."""
    amount = quantize(row["amount"])
    if kind == "credit_notes":
        amount = -amount
    return {
        "id": row["pk"],
        "kind": kind,
        "document": row["document"],
        "at": row["at"],
        "order": row.get("order"),
        "line_no": row.get("line_no"),
        "sku": row.get("sku"),
        "quantity": row.get("quantity"),
        "unit_price": None if row.get("unit_price") is None else unit_price_text(row["unit_price"]),
        "invoice": row.get("invoice"),
        "due_on": row.get("due_on"),
        "amount": str(amount),
    }


def fund_balance(partner):
    """The partner's rebate fund (balance, held, available), or None before anything was posted."""
    from qudao.partners.models import FundAccount

    return FundAccount.objects.filter(partner=partner, kind=FundAccount.Kind.REBATE).first()


def fund_deposits(user, *, partner_id=None, status: str = "") -> QuerySet:
    """Manual rebate fund deposits of the partners `user` sees (HQ records: partner users 403)."""
    require_hq(user)
    rows = scope(RebateFundDeposit.objects.select_related("partner", "requested_by", "decided_by"), user)
    if partner_id:
        rows = rows.filter(partner_id=partner_id)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-requested_at", "-pk")


def get_fund_deposit(user, deposit_id) -> RebateFundDeposit:
    """:raises NotFound: no such deposit, or of a partner `user` does not see."""
    try:
        deposit = fund_deposits(user).filter(pk=int(deposit_id)).first()
    except (TypeError, ValueError):
        deposit = None
    if deposit is None:
        raise NotFound()
    return deposit
