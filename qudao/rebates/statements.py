"""A partner's rebate statement (返利对账单) for a span of days: the rebate fund's balance at the
start, every movement of its balance in the span (rebates posted, money used for orders, true-up
adjustments, expiry), the balance at the end, and the rebate lines posted in the span with how each
was earned (policy, period, basis, tier, rate). Shown in the portal and HQ, and downloaded as .xlsx
or PDF (qudao.core.documents).

Holds and releases are not in it: they set money aside for open orders without moving the balance
(the fund's `held` says how much is set aside now).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qudao.core.errors import FieldErrors
from qudao.core.money import quantize

from .models import RebateLine
from .services import parse_day

ZERO = Decimal("0")
MAX_DAYS = 3 * 366

# what a balance movement of the rebate fund is, in the partner's words
MOVEMENT_LABELS = {
    "deposit": gettext_lazy("Rebate posted"),
    "capture": gettext_lazy("Used for an order"),
    "adjustment": gettext_lazy("Adjustment"),
    "expiry": gettext_lazy("Expired"),
}


@dataclass
class RebateStatement:
    partner: object
    currency: str
    start: date
    end: date
    opening: Decimal = ZERO
    closing: Decimal = ZERO
    held: Decimal = ZERO  # set aside for open orders now
    movements: list = field(default_factory=list)  # FundEntry rows that moved the balance
    lines: list = field(default_factory=list)  # RebateLine rows posted in the span
    totals: dict = field(default_factory=dict)  # {kind: Σ balance_delta}


def clean_span(raw_from, raw_to, today: date | None = None) -> tuple[date, date]:
    """The span asked for (YYYY-MM-DD; default: this year up to today).

    :raises FieldErrors: from / to not dates, to before from, longer than three years."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    start = parse_day(raw_from) if raw_from else today.replace(month=1, day=1)
    end = parse_day(raw_to) if raw_to else today
    if start is None:
        errors.add("from", _("Enter a date as YYYY-MM-DD."))
    if end is None:
        errors.add("to", _("Enter a date as YYYY-MM-DD."))
    if start and end and end < start:
        errors.add("to", _("The last day comes before the first."))
    elif start and end and (end - start).days > MAX_DAYS:
        errors.add("to", _("A statement covers at most three years."))
    if errors.errors:
        raise errors
    return start, end


def _instant(day: date):
    return timezone.make_aware(datetime.combine(day, time.min))


def rebate_statement(partner, start: date, end: date) -> RebateStatement:
    """The statement of `partner`'s rebate fund from `start` to `end` (whole days, local time)."""
    from qudao.partners.models import FundAccount, FundEntry

    account = FundAccount.objects.filter(partner=partner, kind=FundAccount.Kind.REBATE).first()
    currency = account.currency if account else (partner.credit_currency or "CNY")
    statement = RebateStatement(partner=partner, currency=currency, start=start, end=end)
    begin, finish = _instant(start), _instant(end + timedelta(days=1))
    if account is not None:
        moving = FundEntry.objects.filter(account=account).exclude(balance_delta=0)
        statement.opening = moving.filter(created_at__lt=begin).aggregate(total=Sum("balance_delta"))["total"] or ZERO
        statement.movements = list(
            moving.filter(created_at__gte=begin, created_at__lt=finish).order_by("created_at", "pk")
        )
        statement.held = account.held
    for entry in statement.movements:
        statement.totals[entry.kind] = statement.totals.get(entry.kind, ZERO) + entry.balance_delta
    statement.closing = statement.opening + sum((entry.balance_delta for entry in statement.movements), ZERO)
    statement.lines = list(
        RebateLine.objects.filter(partner=partner, posted_at__gte=begin, posted_at__lt=finish)
        .exclude(Q(posted_amount__isnull=True) | Q(posted_amount=0))
        .select_related("policy", "run")
        .order_by("posted_at", "pk")
    )
    return statement


def movement_label(kind: str) -> str:
    return str(MOVEMENT_LABELS.get(kind, kind))


def line_description(line: RebateLine) -> str:
    """How a posted line was earned, in one line: the tier and its reward (for tiers on a ratio,
    the ratio first: "达成率 104.2%（目标 ¥1,200,000.00）→ 3%")."""
    from .ratios import line_text

    ratio = line_text(line)
    if ratio:
        return ratio + ("" if line.conditions_met else " · " + _("conditions not met"))
    if line.tier_index is None:
        return _("No tier reached")
    if line.tier_reward == "rate":
        reward = f"{line.tier_value.normalize():f}%"
    else:
        reward = f"{quantize(line.tier_value or ZERO):,.2f}"
    text = _("Tier %(tier)s: %(reward)s") % {"tier": line.tier_index, "reward": reward}
    if not line.conditions_met:
        text += " · " + _("conditions not met")
    return text


def _money(value) -> str:
    return f"{quantize(value or ZERO):,.2f}"


def _title(statement: RebateStatement) -> str:
    return _("Rebate statement of %(partner)s, %(start)s to %(end)s") % {
        "partner": statement.partner.legal_name,
        "start": statement.start.isoformat(),
        "end": statement.end.isoformat(),
    }


def summary_rows(statement: RebateStatement) -> list[list[str]]:
    rows = [[_("Balance at the start"), _money(statement.opening)]]
    rows += [[movement_label(kind), _money(total)] for kind, total in sorted(statement.totals.items())]
    rows.append([_("Balance at the end"), _money(statement.closing)])
    rows.append([_("Set aside for open orders now"), _money(statement.held)])
    return rows


def _movement_rows(statement: RebateStatement) -> list[list[str]]:
    header = [_("Date"), _("Movement"), _("Reference"), _("Note"), _("Amount")]
    return [header] + [
        [
            timezone.localtime(entry.created_at).date().isoformat(),
            movement_label(entry.kind),
            entry.reference,
            entry.note,
            _money(entry.balance_delta),
        ]
        for entry in statement.movements
    ]


def _line_rows(statement: RebateStatement) -> list[list[str]]:
    header = [_("Posted"), _("Policy"), _("Period"), _("Basis"), _("How it was earned"), _("Rebate"), _("Posted")]
    return [header] + [
        [
            timezone.localtime(line.posted_at).date().isoformat(),
            f"{line.policy.name} ({line.policy.code})",
            f"{line.run.period_start.isoformat()} - {line.run.period_end.isoformat()}",
            _money(line.basis),
            line_description(line),
            _money(line.amount),
            _money(line.posted_amount),
        ]
        for line in statement.lines
    ]


def statement_xlsx(statement: RebateStatement) -> bytes:
    """The statement as an .xlsx workbook: a summary, the fund's movements and the posted rebates.
    Amounts are numbers; texts are text, never formulas (core.spreadsheets)."""
    from qudao.core.spreadsheets import Spreadsheet

    workbook = Spreadsheet()
    sheet = workbook.sheet(_("Rebate statement"))
    sheet.append([_title(statement)], bold=True, size=13)
    sheet.append([_("Partner code"), statement.partner.code, _("Currency"), statement.currency])
    sheet.append([])
    for label, value in summary_rows(statement):
        sheet.append([label, Decimal(value.replace(",", ""))])
    for title, rows, amounts in (
        (_("Movements of the rebate fund"), _movement_rows(statement), {4}),
        (_("Rebates posted"), _line_rows(statement), {3, 5, 6}),
    ):
        sheet.append([])
        sheet.append([title], bold=True)
        sheet.append(rows[0], bold=True)
        for row in rows[1:]:
            sheet.append(
                [Decimal(value.replace(",", "")) if index in amounts else value for index, value in enumerate(row)]
            )
    sheet.widths((14, 30, 24, 20, 30, 14, 14))
    return workbook.to_bytes()


def statement_pdf(statement: RebateStatement) -> bytes:
    """The statement as an A4 PDF."""
    from qudao.core import documents

    blocks = [
        documents.Title(_title(statement)),
        documents.Text(
            f"{statement.partner.legal_name} ({statement.partner.code}) · {_('Currency')}: {statement.currency}"
        ),
        documents.Grid(summary_rows(statement), widths=(70, 40), header=False, numeric_from=1),
        documents.Heading(_("Movements of the rebate fund")),
        documents.Grid(_movement_rows(statement), widths=(22, 30, 40, 60, 28), numeric_from=4)
        if statement.movements
        else documents.Text(_("No movements in these days.")),
        documents.Heading(_("Rebates posted")),
        documents.Grid(_line_rows(statement), widths=(20, 38, 34, 22, 36, 15, 15), numeric_from=5)
        if statement.lines
        else documents.Text(_("No rebates posted in these days.")),
    ]
    return documents.pdf(_title(statement), blocks)
