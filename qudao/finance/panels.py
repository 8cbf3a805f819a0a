"""Finance's panel on the partner 360 page (registered in FinanceConfig.ready): what the partner
owes and has paid ahead - credit used and available, receivables outstanding and overdue, the
ledger's books."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from qudao.core.panels import Panel, register_panel


def account_panel(request, partner) -> dict:
    from qudao.orders.services import credit_of

    from . import selectors

    return {"account": selectors.balances(request.user, partner.pk), "credit": credit_of(partner)}


def register() -> None:
    register_panel(
        "partner",
        Panel(
            "finance",
            pgettext_lazy("money account", "Account"),
            "finance/panels/account.html",
            account_panel,
            45,
            visible=lambda request, partner: request.user.can("finance.view"),
        ),
    )
