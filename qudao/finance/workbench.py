"""Finance on the workbench (qudao.core.workbench): the to-dos "payments to confirm" (announced
by partners, waiting for finance) and "statement disputes" (statements a partner disputed), and
the KPI "overdue receivables", each read through the scoping rule, set-based."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core.display import money_text
from qudao.core.money import quantize
from qudao.core.workbench import Kpi, KpiFormat, KpiValue, Todo, register_kpi, register_todo

from . import payments, selectors, statements
from .models import Payment, Statement

DEFAULT_CURRENCY = "CNY"


def payments_to_confirm(user) -> int:
    """Exactly the payment list filtered by the status "announced"."""
    return payments.payment_list(user, {"status": Payment.Status.ANNOUNCED}).count()


def statement_disputes(user) -> int:
    """Exactly the statement list filtered by the status "disputed"."""
    return statements.statement_list(user, status=Statement.Status.DISPUTED).count()


def overdue_by_currency(user, today) -> dict[str, Decimal]:
    """Outstanding amounts of the open invoices past their due date in the user's scope, per
    currency, rounded half up to the cent (the invoice list's "overdue" filter, summed)."""
    rows = (
        selectors.invoices(user, {"overdue": True}, today=today)
        .order_by()
        .values("currency")
        .annotate(total=Coalesce(Sum(selectors.OUTSTANDING), selectors.ZERO, output_field=selectors.MONEY))
    )
    return {row["currency"]: quantize(row["total"]) for row in rows if row["total"]}


def overdue_kpi(user, today) -> KpiValue:
    totals = overdue_by_currency(user, today)
    currency = DEFAULT_CURRENCY if DEFAULT_CURRENCY in totals or not totals else sorted(totals)[0]
    others = "; ".join(money_text(amount, code) for code, amount in sorted(totals.items()) if code != currency)
    hint = gettext("Open invoices past their due date.")
    if others:
        hint += " " + gettext("Also %(amounts)s.") % {"amounts": others}
    return KpiValue(
        totals.get(currency, Decimal("0.00")),
        KpiFormat.MONEY,
        hint=hint,
        currency=currency,
        url=reverse("finance:invoices") + "?overdue=1",
    )


def register() -> None:
    register_todo(
        Todo(
            "finance.payments_to_confirm",
            _("Payments to confirm"),
            lambda user: reverse("finance_payments:list") + "?status=" + Payment.Status.ANNOUNCED,
            payments_to_confirm,
            visible=lambda user: user.can("finance.manage"),
            order=30,
        )
    )
    register_todo(
        Todo(
            "finance.statement_disputes",
            _("Statement disputes"),
            lambda user: reverse("finance_statements:list") + "?status=" + Statement.Status.DISPUTED,
            statement_disputes,
            visible=lambda user: user.can("finance.manage"),
            order=40,
        )
    )
    register_kpi(
        Kpi(
            "finance.overdue",
            _("Overdue receivables"),
            overdue_kpi,
            visible=lambda user: user.can("finance.view"),
            order=40,
        )
    )
