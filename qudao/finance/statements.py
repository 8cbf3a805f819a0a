"""Statements (对账单): a partner's month in one currency, and what the partner and finance do
with it.

- `generate_statement` builds the statement of one partner for one month (the month in the
  deployment's time zone, settings.TIME_ZONE): the opening balance of each book (the sum of its
  entries dated before the month, one grouped query), every entry of the month in date order
  (copied as lines with the book's running balance), the closing balance of each book, and the
  invoices open at the month's end (lines of kind "open_invoice": the invoice amount less what
  allocations dated (allocated_on) up to the month's end had paid of it). Generating again rebuilds an issued
  statement nobody has confirmed or disputed yet; any other is never rebuilt (409).
- `start_generation` runs the month for every partner with ledger entries as a job (progress
  reported; restartable: a partner whose statement exists is skipped). Finance starts it from the
  statements page or the API; `qudao.finance.tasks` runs it on the 1st of each month for the
  month before.
- `confirm_statement` (the partner's administrator) and `dispute_statement` (lines of this
  statement, a comment, an optional PDF or image); `resolve_dispute` (finance) with an adjustment
  (a ledger entry of kind "adjustment" that the dispute names) or an explanation. When no dispute
  is open any more the statement is resolved.
- `statement_xlsx` and `statement_pdf`: the downloads.

Events: statement.issued, statement.confirmed, statement.disputed, statement.resolved; the other
side hears of each in-app.
"""

from __future__ import annotations

import calendar
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from qudao.core import jobs
from qudao.core.audit import acting_as
from qudao.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from qudao.core.events import publish
from qudao.core.models import Job
from qudao.core.money import quantize
from qudao.core.notifications import notify
from qudao.core.numbering import next_number
from qudao.core.numbers import parse_id
from qudao.core.spreadsheets import Spreadsheet
from qudao.core.uploads import PHOTOS_AND_PDF, check_upload, stored_name
from qudao.core.validators import check_text
from qudao.partners.scoping import is_own_partner_admin, scope

from . import ledger
from .models import (
    Allocation,
    Book,
    Invoice,
    LedgerEntry,
    Statement,
    StatementDispute,
    StatementLine,
)

ZERO = Decimal("0")
BOOKS = tuple(Book.values)
OPEN_INVOICE = "open_invoice"
JOB_KIND = "finance.statements"
MESSAGE_GENERATED = N_("Statements generated")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
COMMENT_MAX = 2000
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Statements that may still be rebuilt: issued, and neither confirmed nor disputed.
REBUILDABLE = (Statement.Status.ISSUED,)


# --- months ---------------------------------------------------------------------------------------


def parse_month(value, field: str = "month") -> date:
    """ "2026-10" (or a date) -> the month's first day.

    :raises FieldErrors: on `field` when it is not a month."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(day=1)
    match = MONTH_PATTERN.match(str(value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise FieldErrors.single(field, _("Enter a month as YYYY-MM, e.g. 2026-10."))
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_end(start: date) -> date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def month_label(start: date) -> str:
    return start.strftime("%Y-%m")


def last_full_month(today: date | None = None) -> date:
    """The first day of the month before `today` (the deployment's local date)."""
    today = today or timezone.localdate()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


# --- building a statement -------------------------------------------------------------------------


def opening_balances(keys, start: date) -> dict[tuple[int, str], dict[str, Decimal]]:
    """{(partner_id, currency): {book: sum of the entries dated before `start`}} for the given
    (partner_id, currency) pairs, in one grouped query whatever their number."""
    keys = set(keys)
    found = {key: dict.fromkeys(BOOKS, ZERO) for key in keys}
    if not keys:
        return found
    rows = (
        LedgerEntry.objects.filter(partner_id__in={partner_id for partner_id, _currency in keys}, occurred_on__lt=start)
        .values("partner_id", "currency", "book")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in rows:
        key = (row["partner_id"], row["currency"])
        if key in found:
            found[key][row["book"]] = row["total"] or ZERO
    return found


def open_invoices_at(partner, currency: str, end: date) -> list[tuple[Invoice, Decimal]]:
    """The partner's invoices issued by `end` with something outstanding at the end of that day:
    amount less what allocations dated (their business date, `allocated_on`) up to then had settled
    (later payments do not count; an ERP's settlement dated back does)."""
    settled_then = (
        Allocation.objects.filter(invoice=OuterRef("pk"), allocated_on__lte=end)
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=20, decimal_places=4)
    invoices = (
        Invoice.objects.filter(partner=partner, currency=currency, issued_on__lte=end)
        .exclude(status=Invoice.Status.VOID)
        .annotate(settled_then=Coalesce(Subquery(settled_then, output_field=money), Value(ZERO), output_field=money))
        .order_by("issued_on", "pk")
    )
    return [
        (invoice, invoice.amount - invoice.settled_then)
        for invoice in invoices
        if invoice.amount > invoice.settled_then
    ]


def _money(value: Decimal) -> str:
    return str(quantize(value))


def _build_lines(statement: Statement, opening: dict[str, Decimal]) -> tuple[list[StatementLine], dict]:
    """The statement's lines (not saved yet) and its balances {book: {"opening", "closing"}}."""
    start, end = statement.period_start, statement.period_end
    running = {book: opening.get(book, ZERO) for book in BOOKS}
    lines = []
    entries = LedgerEntry.objects.filter(
        partner_id=statement.partner_id, currency=statement.currency, occurred_on__gte=start, occurred_on__lte=end
    ).order_by("occurred_on", "pk")
    for entry in entries.iterator(chunk_size=2000):
        running[entry.book] += entry.amount
        lines.append(
            StatementLine(
                statement=statement,
                position=len(lines) + 1,
                entry=entry,
                kind=entry.kind,
                book=entry.book,
                occurred_on=entry.occurred_on,
                reference=entry.reference,
                description=entry.note,
                amount=entry.amount,
                balance_after=running[entry.book],
            )
        )
    for invoice, outstanding in open_invoices_at(statement.partner, statement.currency, end):
        lines.append(
            StatementLine(
                statement=statement,
                position=len(lines) + 1,
                invoice=invoice,
                kind=OPEN_INVOICE,
                book=Book.RECEIVABLE,
                occurred_on=invoice.issued_on,
                reference=invoice.number,
                description=invoice.due_on.isoformat(),
                amount=outstanding,
            )
        )
    balances = {book: {"opening": _money(opening.get(book, ZERO)), "closing": _money(running[book])} for book in BOOKS}
    return lines, balances


def partner_admins(partner_id: int) -> list:
    from qudao.accounts.models import User

    return list(
        User.objects.filter(
            is_active=True,
            partner_member__partner_id=partner_id,
            partner_member__is_active=True,
            partner_member__role="partner_admin",
        )
    )


def _finance_users() -> list:
    from qudao.accounts.models import User
    from qudao.accounts.roles import HQRole

    return list(User.objects.filter(is_active=True, role_assignments__role=HQRole.FINANCE).distinct())


def _portal_url(statement: Statement) -> str:
    return f"/portal/finance/statements/{statement.number}/"


def _hq_url(statement: Statement) -> str:
    return f"/finance/statements/{statement.number}/"


def _payload(statement: Statement, **extra) -> dict:
    return {
        "number": statement.number,
        "partner_id": statement.partner_id,
        "currency": statement.currency,
        "month": month_label(statement.period_start),
        "status": statement.status,
        **extra,
    }


def can_rebuild(statement: Statement) -> bool:
    """Issued, and neither confirmed nor disputed: it may be generated again."""
    return statement.status in REBUILDABLE and not statement.disputes.exists()


def _refuse_rebuild(statement: Statement) -> None:
    if not can_rebuild(statement):
        raise Conflict(
            _("Statement %(number)s is %(status)s and cannot be generated again.")
            % {"number": statement.number, "status": statement.get_status_display()}
        )


def generate_statement(
    *, partner, month, actor=None, currency: str | None = None, opening: dict[str, Decimal] | None = None
) -> Statement:
    """The partner's statement of `month` ("2026-10" or a date in it), built from the ledger.

    An issued statement nobody has confirmed or disputed is rebuilt in place (same number).
    `opening` may carry the opening balances computed for many partners at once (the job).

    :raises FieldErrors: on "month" when it is not a month, or not over yet.
    :raises Conflict: the month's statement is confirmed, disputed or resolved.
    """
    start = parse_month(month)
    end = month_end(start)
    if end >= timezone.localdate():
        raise FieldErrors.single("month", _("Statements are generated for months that are over."))
    currency = currency or getattr(partner, "credit_currency", None) or "CNY"
    existing = Statement.objects.filter(partner=partner, currency=currency, period_start=start).first()
    if existing is not None:
        _refuse_rebuild(existing)
    # The number is taken outside the main transaction (like orders): a gap is harmless.
    number = existing.number if existing is not None else next_number("ST")
    try:
        with transaction.atomic():
            if existing is not None:
                statement = Statement.objects.select_for_update().get(pk=existing.pk)
                _refuse_rebuild(statement)
                statement.lines.all().delete()
            else:
                statement = Statement(number=number, partner=partner, currency=currency, period_start=start)
            if opening is None:
                opening = opening_balances([(partner.pk, currency)], start)[(partner.pk, currency)]
            statement.period_end = end
            statement.status = Statement.Status.ISSUED
            statement.issued_at = timezone.now()
            lines, statement.balances = _build_lines(statement, opening)
            statement.save()
            for line in lines:
                line.statement = statement
            StatementLine.objects.bulk_create(lines, batch_size=1000)
            publish(
                "statement.issued",
                "statement",
                statement.pk,
                _payload(statement, balances=statement.balances, rebuilt=existing is not None),
            )
            notify(
                partner_admins(partner.pk),
                kind="statement.issued",
                title=gettext_lazy("Statement %(number)s for %(month)s is ready"),
                body=gettext_lazy("Check it and confirm it, or dispute the lines that are wrong."),
                params={"number": statement.number, "month": month_label(start)},
                url=_portal_url(statement),
            )
    except IntegrityError:
        # Another generation created this month's statement first.
        raise Conflict(_("The statement of this month was generated at the same time. Reload and try again.")) from None
    return statement


# --- the monthly job ------------------------------------------------------------------------------


def partners_to_generate(start: date, partner_id: int | None = None) -> list[tuple[int, str]]:
    """(partner_id, currency) of every partner with ledger entries up to the month's end and no
    statement of that month yet - two set-based queries."""
    end = month_end(start)
    entries = LedgerEntry.objects.filter(occurred_on__lte=end)
    if partner_id is not None:
        entries = entries.filter(partner_id=partner_id)
    wanted = set(entries.values_list("partner_id", "currency").distinct().order_by())
    done = set(Statement.objects.filter(period_start=start).values_list("partner_id", "currency"))
    return sorted(wanted - done)


def start_generation(*, user, month, partner_id: int | None = None) -> Job:
    """Start the job that generates `month` for every partner with ledger entries (or only
    `partner_id`, whose issued statement is then rebuilt).

    :raises Forbidden: the user may not manage finance.
    :raises FieldErrors: "month" is not a month that is over; "partner" is unknown.
    :raises Conflict: `partner_id`'s statement of the month may not be rebuilt.
    """
    from qudao.partners.models import Partner

    from .tasks import generate_statements_task

    if not user.can("finance.manage"):
        raise Forbidden(_("You are not allowed to generate statements."))
    start = parse_month(month)
    errors = FieldErrors()
    if month_end(start) >= timezone.localdate():
        errors.add("month", _("Statements are generated for months that are over."))
    partner = None
    if partner_id is not None:
        partner = Partner.objects.filter(pk=partner_id).first()
        if partner is None:
            errors.add("partner", _("No such partner."))
    if errors.errors:
        raise errors
    if partner is not None:
        existing = Statement.objects.filter(partner=partner, period_start=start, currency=partner.credit_currency)
        if existing.exists():
            _refuse_rebuild(existing.get())
    job = jobs.create_job(kind=JOB_KIND, user=user, total=0)
    job.result = {"month": month_label(start), "partner": partner_id}
    job.save(update_fields=["result"])
    jobs.run_task(generate_statements_task, job)
    job.refresh_from_db()
    return job


def run_generation(job_id: int) -> None:
    """The job's work (called by the Huey task)."""
    jobs.execute(job_id, _generation_work, success_message=MESSAGE_GENERATED)


def run_scheduled_generation(today: date | None = None) -> dict:
    """The periodic task: last month's statements (in settings.TIME_ZONE) as a job, when some
    partner still lacks one; {} when every partner is done."""
    start = last_full_month(today)
    if not partners_to_generate(start):
        return {}
    job = jobs.create_job(kind=JOB_KIND, total=0)
    job.result = {"month": month_label(start), "partner": None}
    job.save(update_fields=["result"])
    finished = jobs.execute(job.pk, _generation_work, success_message=MESSAGE_GENERATED)
    return {"job": job.pk, "status": finished.status if finished else None}


def _generation_work(job: Job) -> dict:
    params = job.result or {}
    start = parse_month(params.get("month"))
    only = params.get("partner")
    result = generate_month(start, job_id=job.pk, actor=job.created_by, partner_id=only)
    return {"month": month_label(start), "partner": only} | result


def generate_month(start: date, *, job_id: int | None = None, actor=None, partner_id: int | None = None) -> dict:
    """Generate `start`'s month for every partner with entries and no statement yet (a rebuild
    for `partner_id` when given). Each partner commits on its own, so a job stopped half-way
    and started again carries on where it stopped. Returns counts and the statement numbers."""
    from qudao.partners.models import Partner

    pending = partners_to_generate(start, partner_id)
    if partner_id is not None and not pending:
        partner = Partner.objects.filter(pk=partner_id).first()
        if (
            partner is not None
            and LedgerEntry.objects.filter(partner=partner, occurred_on__lte=month_end(start)).exists()
        ):
            pending = [(partner.pk, partner.credit_currency)]
    total = len(pending)
    if job_id is not None:
        jobs.advance(job_id, 0, total=total)
    partners = Partner.objects.in_bulk([partner_id for partner_id, _currency in pending])
    openings = opening_balances(pending, start)
    numbers, refused = [], []
    with acting_as(actor):
        for done, (pid, currency) in enumerate(pending, start=1):
            try:
                statement = generate_statement(
                    partner=partners[pid],
                    month=start,
                    currency=currency,
                    actor=actor,
                    opening=openings[(pid, currency)],
                )
                numbers.append(statement.number)
            except Conflict:
                refused.append(partners[pid].code)
            if job_id is not None and (done % 20 == 0 or done == total):
                jobs.advance(job_id, done)
    return {"generated": len(numbers), "refused": refused[:200], "numbers": numbers[:200], "total": total}


# --- reads ------------------------------------------------------------------------------------------


def statement_list(user, *, month=None, partner=None, status: str = ""):
    """Statements the user may see (finance.view, through the scoping rule), newest month first.

    :raises Forbidden: the user may not see finance.
    :raises FieldErrors: "month" is not a month."""
    if not user.can("finance.view"):
        raise Forbidden()
    rows = scope(Statement.objects.select_related("partner"), user)
    if month:
        rows = rows.filter(period_start=parse_month(month))
    if partner:
        partner_id = parse_id(str(partner))
        rows = rows.filter(Q(partner_id=partner_id) if partner_id else Q(partner__code=partner))
    if status in Statement.Status.values:
        rows = rows.filter(status=status)
    return rows.order_by("-period_start", "partner__code", "pk")


def get_statement(user, key) -> Statement:
    """A statement by id or number, if the user may see it.

    :raises Forbidden: the user may not see finance.
    :raises NotFound: no such statement, or another partner's."""
    if not user.can("finance.view"):
        raise Forbidden()
    rows = scope(Statement.objects.select_related("partner", "confirmed_by"), user)
    text = str(key)
    statement_id = parse_id(text)
    statement = rows.filter(pk=statement_id).first() if statement_id else rows.filter(number=text).first()
    if statement is None:
        raise NotFound()
    return statement


def get_dispute(user, dispute_id) -> StatementDispute:
    """:raises NotFound: no such dispute, or one of a statement the user may not see."""
    if not user.can("finance.view"):
        raise Forbidden()
    try:
        dispute_id = int(dispute_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    dispute = (
        StatementDispute.objects.filter(pk=dispute_id, statement__in=scope(Statement.objects.all(), user))
        .select_related("statement__partner", "adjustment", "raised_by", "resolved_by")
        .first()
    )
    if dispute is None:
        raise NotFound()
    return dispute


def statement_lines(statement: Statement):
    return list(statement.lines.select_related("invoice").order_by("position"))


def statement_disputes(statement: Statement):
    return list(
        statement.disputes.select_related("adjustment", "raised_by", "resolved_by")
        .prefetch_related("lines")
        .order_by("raised_at", "pk")
    )


def status_history(statement: Statement) -> list[dict]:
    """The statement's moves from the audit trail: [{at, actor, status, label}], oldest first
    (a rebuild shows as issued again)."""
    from django.contrib.contenttypes.models import ContentType

    from qudao.core.models import ObjectChange

    labels = dict(Statement.Status.choices)
    changes = (
        ObjectChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Statement), object_id=str(statement.pk)
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    # the person's name as people know it (actor_name is the login name kept for a deleted user)
    return [
        {
            "at": change.at,
            "actor": str(change.actor) if change.actor_id else change.actor_name,
            "status": status,
            "label": labels.get(status, status),
        }
        for change in changes
        if (status := (change.after or {}).get("status"))
    ]


def book_rows(statement: Statement) -> list[dict]:
    """[{book, label, opening, closing}] in book order."""
    labels = dict(Book.choices)
    return [
        {
            "book": book,
            "label": labels[book],
            "opening": Decimal(statement.balances.get(book, {}).get("opening", "0")),
            "closing": Decimal(statement.balances.get(book, {}).get("closing", "0")),
        }
        for book in BOOKS
    ]


# --- the partner: confirm or dispute -----------------------------------------------------------------


def _require_partner_admin(statement: Statement, actor) -> None:
    if not actor.can("finance.confirm_statement") or not is_own_partner_admin(actor, statement.partner):
        raise Forbidden(_("Only the partner's administrator confirms or disputes its statements."))


def confirm_statement(*, statement: Statement, actor) -> Statement:
    """The partner's administrator confirms the statement (issued or resolved).

    :raises Forbidden: not the administrator of the statement's partner.
    :raises Conflict: already confirmed, or disputed with a dispute still open."""
    _require_partner_admin(statement, actor)
    with transaction.atomic():
        statement = Statement.objects.select_for_update().select_related("partner").get(pk=statement.pk)
        if statement.status not in (Statement.Status.ISSUED, Statement.Status.RESOLVED):
            raise Conflict(
                _("Statement %(number)s is %(status)s and cannot be confirmed.")
                % {"number": statement.number, "status": statement.get_status_display()}
            )
        statement.status = Statement.Status.CONFIRMED
        statement.confirmed_by = actor
        statement.confirmed_at = timezone.now()
        statement.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        publish("statement.confirmed", "statement", statement.pk, _payload(statement, confirmed_by=actor.pk))
        notify(
            _finance_users(),
            kind="statement.confirmed",
            title=gettext_lazy("%(partner)s confirmed statement %(number)s"),
            params={"partner": str(statement.partner), "number": statement.number},
            url=_hq_url(statement),
        )
    return statement


def validate_attachment(upload, errors: FieldErrors, key: str = "attachment") -> None:
    """A PDF or a JPG, PNG or WebP image, by extension and content, at most 5 MB, not empty."""
    check_upload(
        upload,
        errors,
        key,
        kinds=PHOTOS_AND_PDF,
        max_bytes=ATTACHMENT_MAX_BYTES,
        wrong_kind=_("Attach a PDF or a JPG, PNG or WebP image."),
        not_genuine=_("The file is not a real PDF or image."),
    )


def dispute_statement(*, statement: Statement, line_ids, comment: str, actor, attachment=None) -> StatementDispute:
    """The partner's administrator disputes lines of the statement with a comment (and an optional
    PDF or image). The statement becomes disputed until finance resolves every dispute.

    :raises Forbidden: not the administrator of the statement's partner.
    :raises FieldErrors: "lines" (none, or not lines of this statement), "comment", "attachment".
    :raises Conflict: the statement is confirmed."""
    _require_partner_admin(statement, actor)
    errors = FieldErrors()
    ids = []
    for value in line_ids or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            errors.add("lines", _("%(value)s is not a line of this statement.") % {"value": value})
    ids = sorted(set(ids))
    if not ids and "lines" not in errors.errors:
        errors.add("lines", _("Choose the lines you dispute."))
    found = set(StatementLine.objects.filter(statement=statement, pk__in=ids).values_list("pk", flat=True))
    for missing in [line_id for line_id in ids if line_id not in found]:
        errors.add("lines", _("%(value)s is not a line of this statement.") % {"value": missing})
    comment = (comment or "").strip()
    if not comment:
        errors.add("comment", _("Say what is wrong."))
    elif len(comment) > COMMENT_MAX:
        errors.add("comment", _("At most %(max)d characters.") % {"max": COMMENT_MAX})
    else:
        check_text(errors, "comment", comment)
    if attachment is not None:
        validate_attachment(attachment, errors)
    if statement.status == Statement.Status.CONFIRMED:
        raise Conflict(_("Statement %(number)s is confirmed and cannot be disputed.") % {"number": statement.number})
    if errors.errors:
        raise errors
    with transaction.atomic():
        statement = Statement.objects.select_for_update().select_related("partner").get(pk=statement.pk)
        if statement.status == Statement.Status.CONFIRMED:
            raise Conflict(
                _("Statement %(number)s is confirmed and cannot be disputed.") % {"number": statement.number}
            )
        if StatementLine.objects.filter(statement=statement, pk__in=ids).count() != len(ids):
            # the statement was rebuilt meanwhile: its lines are new
            raise Conflict(_("Statement %(number)s was generated again. Reload it.") % {"number": statement.number})
        dispute = StatementDispute(statement=statement, comment=comment, raised_by=actor)
        if attachment is not None:
            dispute.attachment.save(stored_name(attachment, "attachment"), attachment, save=False)
        dispute.save()
        dispute.lines.set(ids)
        if statement.status != Statement.Status.DISPUTED:
            statement.status = Statement.Status.DISPUTED
            statement.save(update_fields=["status"])
        publish(
            "statement.disputed",
            "statement",
            statement.pk,
            _payload(statement, dispute_id=dispute.pk, lines=ids, comment=comment),
        )
        notify(
            _finance_users(),
            kind="statement.disputed",
            title=gettext_lazy("%(partner)s disputes statement %(number)s"),
            body="%(comment)s",  # the partner's own words
            params={"partner": str(statement.partner), "number": statement.number, "comment": comment[:500]},
            url=_hq_url(statement),
        )
    return dispute


# --- finance: resolve a dispute --------------------------------------------------------------------


def resolve_dispute(
    *, dispute: StatementDispute, actor, resolution: str = "", amount=None, book: str = ""
) -> StatementDispute:
    """Finance resolves an open dispute: with an adjustment (`amount`, signed in the book's
    direction, to `book`, posted to the ledger today as kind "adjustment" and named by the
    dispute) or with an explanation (`resolution`, required without an adjustment). When no
    dispute of the statement is open any more, the statement is resolved.

    :raises Forbidden: the user may not manage finance.
    :raises FieldErrors: "amount", "book", "resolution".
    :raises Conflict: the dispute is resolved already."""
    from qudao.core.money import parse_amount

    if not actor.can("finance.manage"):
        raise Forbidden(_("You are not allowed to resolve disputes."))
    errors = FieldErrors()
    resolution = (resolution or "").strip()
    check_text(errors, "resolution", resolution)
    value = None
    if amount not in (None, ""):
        try:
            value = parse_amount(amount)
        except ValueError:
            errors.add("amount", _("Enter a number."))
        else:
            if value == 0:
                errors.add("amount", _("An adjustment moves money: enter an amount other than 0."))
            elif value != value.quantize(Decimal("0.01")):
                errors.add("amount", _("At most 2 decimal places."))
        if book not in BOOKS:
            errors.add("book", _("Choose the book the adjustment goes to."))
    elif book:
        errors.add("amount", _("Enter the amount of the adjustment."))
    elif not resolution:
        errors.add("resolution", _("Explain the lines, or enter an adjustment."))
    if len(resolution) > COMMENT_MAX:
        errors.add("resolution", _("At most %(max)d characters.") % {"max": COMMENT_MAX})
    if errors.errors:
        raise errors
    with transaction.atomic():
        dispute = StatementDispute.objects.select_for_update().get(pk=dispute.pk)
        statement = dispute.statement
        if dispute.status != StatementDispute.Status.OPEN:
            raise Conflict(_("This dispute is resolved already."))
        if value is not None:
            dispute.adjustment = ledger.post(
                partner=statement.partner_id,
                book=book,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=value,
                reference=statement.number,
                note=(resolution or _("Adjustment of statement %(number)s") % {"number": statement.number})[:300],
                actor=actor,
                currency=statement.currency,
            )
            dispute.status = StatementDispute.Status.ADJUSTED
        else:
            dispute.status = StatementDispute.Status.EXPLAINED
        dispute.resolution = resolution
        dispute.resolved_by = actor
        dispute.resolved_at = timezone.now()
        dispute.save()
        statement = Statement.objects.select_for_update().select_related("partner").get(pk=statement.pk)
        if not statement.disputes.filter(status=StatementDispute.Status.OPEN).exists():
            statement.status = Statement.Status.RESOLVED
            statement.save(update_fields=["status"])
            publish(
                "statement.resolved",
                "statement",
                statement.pk,
                _payload(statement, dispute_id=dispute.pk, adjustment_id=dispute.adjustment_id),
            )
        notify(
            partner_admins(statement.partner_id),
            kind="statement.resolved"
            if statement.status == Statement.Status.RESOLVED
            else "statement.dispute_resolved",
            title=gettext_lazy("Your dispute of statement %(number)s is resolved"),
            body="%(resolution)s",  # finance's own words
            params={"number": statement.number, "resolution": resolution[:500]},
            url=_portal_url(statement),
        )
    return dispute


# --- downloads ----------------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    if kind == OPEN_INVOICE:
        return _("Open invoice")
    return str(dict(LedgerEntry.Kind.choices).get(kind, kind))


def book_label(book: str) -> str:
    return str(dict(Book.choices).get(book, book))


def download_name(statement: Statement, extension: str) -> str:
    return f"{statement.number}-{statement.partner.code}-{month_label(statement.period_start)}.{extension}"


def statement_xlsx(statement: Statement) -> bytes:
    """The statement as a workbook: a header, the balances of each book, the month's entries and
    the invoices open at its end. Amounts are numbers with 2 decimal places; texts (references,
    descriptions, the partner's name) are text, never formulas (core.spreadsheets)."""
    amount, day = "#,##0.00", "yyyy-mm-dd"
    workbook = Spreadsheet()
    sheet = workbook.sheet(_("Statement"))
    sheet.append([_("Statement"), statement.number])
    sheet.append([_("Partner"), f"{statement.partner.legal_name} ({statement.partner.code})"])
    sheet.append([_("Period"), f"{statement.period_start.isoformat()} - {statement.period_end.isoformat()}"])
    sheet.append([_("Currency"), statement.currency])
    sheet.append([_("Status"), str(statement.get_status_display())])
    sheet.append([])
    sheet.append([_("Book"), _("Opening balance"), _("Closing balance")], bold=True)
    for row in book_rows(statement):
        sheet.append(
            [str(row["label"]), quantize(row["opening"]), quantize(row["closing"])], formats={1: amount, 2: amount}
        )
    lines = statement_lines(statement)
    sheet.append([])
    sheet.append([_("Entries")], bold=True)
    sheet.append(
        ["#", _("Date"), _("Book"), _("Kind"), _("Reference"), _("Description"), _("Amount"), _("Balance")], bold=True
    )
    for line in lines:
        if line.kind == OPEN_INVOICE:
            continue
        sheet.append(
            [
                line.position,
                line.occurred_on,
                book_label(line.book),
                kind_label(line.kind),
                line.reference,
                line.description,
                quantize(line.amount),
                quantize(line.balance_after) if line.balance_after is not None else None,
            ],
            formats={1: day, 6: amount, 7: amount},
        )
    sheet.append([])
    sheet.append([_("Invoices open at the end of the month")], bold=True)
    sheet.append(["#", _("Issued"), _("Invoice"), _("Due"), _("Outstanding")], bold=True)
    for line in lines:
        if line.kind != OPEN_INVOICE:
            continue
        sheet.append(
            [line.position, line.occurred_on, line.reference, line.description, quantize(line.amount)],
            formats={1: day, 4: amount},
        )
    sheet.widths((14, 14, 14, 16, 20, 30, 14, 14))
    return workbook.to_bytes()


def statement_pdf(statement: Statement) -> bytes:
    """The statement as an A4 PDF (reportlab): the brand's header, then the statement, its text in
    the document font that qudao.core.documents embeds (a subset of WenQuanYi Micro Hei)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from qudao.core.documents import brand_header, cell_text, paragraph_text
    from qudao.core.documents import font as document_font

    font = document_font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    text_style = ParagraphStyle("text", fontName=font, fontSize=9, leading=12)
    heading_style = ParagraphStyle("heading", fontName=font, fontSize=11, leading=16, spaceBefore=6)
    table_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("ALIGN", (-2, 1), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    def money(value):
        return "" if value is None else f"{quantize(value):,.2f}"

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{_('Statement')} {statement.number}",
    )
    partner = statement.partner
    story = [
        *brand_header(font),
        Paragraph(paragraph_text(f"{_('Statement')} {statement.number}"), title_style),
        Paragraph(paragraph_text(f"{partner.legal_name} ({partner.code})"), text_style),
        Paragraph(
            f"{_('Period')}: {statement.period_start.isoformat()} - {statement.period_end.isoformat()} · "
            f"{_('Currency')}: {statement.currency} · {_('Status')}: {statement.get_status_display()}",
            text_style,
        ),
        Spacer(1, 4 * mm),
    ]
    balances = [[_("Book"), _("Opening balance"), _("Closing balance")]] + [
        [str(row["label"]), money(row["opening"]), money(row["closing"])] for row in book_rows(statement)
    ]
    story.append(Table(balances, colWidths=[60 * mm, 40 * mm, 40 * mm], style=table_style))
    lines = statement_lines(statement)
    entries = [[_("Date"), _("Book"), _("Kind"), _("Reference"), _("Description"), _("Amount"), _("Balance")]]
    for line in lines:
        if line.kind != OPEN_INVOICE:
            entries.append(
                [
                    line.occurred_on.isoformat(),
                    book_label(line.book),
                    kind_label(line.kind),
                    cell_text(line.reference),
                    Paragraph(paragraph_text(line.description), text_style) if line.description else "",
                    money(line.amount),
                    money(line.balance_after),
                ]
            )
    story += [Paragraph(_("Entries"), heading_style)]
    if len(entries) > 1:
        widths = [20 * mm, 20 * mm, 22 * mm, 30 * mm, 42 * mm, 22 * mm, 24 * mm]
        story.append(Table(entries, colWidths=widths, style=table_style, repeatRows=1))
    else:
        story.append(Paragraph(_("No entries this month."), text_style))
    open_rows = [[_("Issued"), _("Invoice"), _("Due"), _("Outstanding")]] + [
        [line.occurred_on.isoformat(), cell_text(line.reference), cell_text(line.description), money(line.amount)]
        for line in lines
        if line.kind == OPEN_INVOICE
    ]
    story += [Paragraph(_("Invoices open at the end of the month"), heading_style)]
    if len(open_rows) > 1:
        story.append(Table(open_rows, colWidths=[30 * mm, 40 * mm, 30 * mm, 30 * mm], style=table_style, repeatRows=1))
    else:
        story.append(Paragraph(_("No open invoices."), text_style))
    document.build(story)
    return buffer.getvalue()
