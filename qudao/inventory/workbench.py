"""Inventory on the workbench (qudao.core.workbench): the KPI "low stock", the stock levels at or
below their safety stock, exactly the stock list filtered by "low" (its link). Stock belongs to
the brand, not to partners: no scoping rule applies."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qudao.core.workbench import Kpi, KpiFormat, KpiValue, register_kpi

from . import selectors
from .exports import stock_filters


def low_stock_count() -> int:
    return selectors.stock_list(stock_filters({"low": "on"})).count()


def low_stock_kpi(user, today) -> KpiValue:
    return KpiValue(
        low_stock_count(),
        KpiFormat.COUNT,
        hint=gettext("Stock levels at or below their safety stock, now."),
        url=reverse("inventory:stock") + "?low=on",
    )


def register() -> None:
    register_kpi(
        Kpi(
            "inventory.low_stock",
            _("Low stock"),
            low_stock_kpi,
            visible=lambda user: user.can("inventory.view"),
            order=60,
        )
    )
