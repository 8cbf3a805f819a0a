"""The HQ main navigation: the menu groups, their items, and who sees which.

One table, read by the `main_nav` template tag (qudao/templates/partials/nav.html) and by the
navigation walk test (tests/test_navigation.py), which holds it to the URL conf: every list page a
role may open must be reachable from the menu (directly, or through the tabs of a page it reaches).

An item names a URL (by its URL name: core never imports the apps above it, it only reverses
their names), the permission that shows it, and the path prefixes that make it the current page.
A group is shown when at least one of its items is; a group of one item is shown as a plain link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class NavItem:
    label: Promise
    url_name: str
    # shown when the user holds any of these permissions (empty: every HQ user)
    permissions: tuple[str, ...] = ()
    # the current page is this item when the path starts with one of these (default: its URL)
    prefixes: tuple[str, ...] = ()
    # ... and with none of these
    excludes: tuple[str, ...] = ()
    testid: str = ""

    def visible_to(self, user) -> bool:
        return not self.permissions or any(user.can(permission) for permission in self.permissions)

    def url(self) -> str:
        return reverse(self.url_name)

    def is_current(self, path: str) -> bool:
        prefixes = self.prefixes or (self.url(),)
        return any(path.startswith(p) for p in prefixes) and not any(path.startswith(p) for p in self.excludes)


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: Promise
    items: tuple[NavItem, ...] = field(default_factory=tuple)


ORDER_SUBPAGES = ("/orders/returns/", "/orders/cases/")

HQ_NAV: tuple[NavGroup, ...] = (
    # the workbench (工作台), where HQ users land: a plain link; the figures are in "analytics" below
    NavGroup(
        "workbench",
        pgettext_lazy("navigation", "Workbench"),
        (NavItem(_("Workbench"), "analytics:workbench", ("workbench.view",), ("/workbench/",), (), "nav-workbench"),),
    ),
    # the channel's figures: dashboards, pivot, targets, return on Qudao, reports, alerts (qudao/analytics)
    NavGroup(
        "analytics",
        pgettext_lazy("navigation", "Analytics"),
        (
            NavItem(
                _("Dashboards"),
                "analytics:dashboard",
                ("analytics.dashboards",),
                ("/analytics/dashboard/",),
                (),
                "nav-dashboards",
            ),
            NavItem(_("Pivot"), "analytics:pivot", ("analytics.dashboards",), ("/analytics/pivot/",), (), "nav-pivot"),
            NavItem(
                _("Targets"), "analytics:target_plans", ("targets.view",), ("/analytics/targets/",), (), "nav-targets"
            ),
            NavItem(_("Return on Qudao"), "analytics:roi", ("analytics.roi",), ("/analytics/roi/",), (), "nav-roi"),
            NavItem(
                _("Reports"), "analytics:reports", ("analytics.reports",), ("/analytics/reports/",), (), "nav-reports"
            ),
            NavItem(_("Alerts"), "analytics:alerts", ("alerts.view",), ("/analytics/alerts/",), (), "nav-alerts"),
        ),
    ),
    NavGroup(
        "channel",
        pgettext_lazy("navigation", "Channel"),
        (
            NavItem(_("Partners"), "partners:list", ("partners.view",), ("/partners/",), ("/partners/import/",)),
            NavItem(_("Applications"), "partners:applications", ("applications.review",), ("/applications/",)),
        ),
    ),
    NavGroup(
        "products",
        pgettext_lazy("navigation", "Products & prices"),
        (
            NavItem(_("Catalogue"), "catalog:products", ("catalog.view",), ("/catalog/",), ("/catalog/import/",)),
            NavItem(
                _("Price lists"),
                "pricing:price_lists",
                ("pricing.view",),
                ("/pricing/",),
                ("/pricing/promotions/",),
            ),
            NavItem(_("Promotions"), "pricing:promotions", ("pricing.view",), ("/pricing/promotions/",)),
            NavItem(_("Stock"), "inventory:stock", ("inventory.view",), ("/inventory/",), ("/inventory/import/",)),
        ),
    ),
    NavGroup(
        "orders",
        pgettext_lazy("navigation", "Orders"),
        (
            NavItem(_("Orders"), "orders:list", ("orders.view",), ("/orders/",), ORDER_SUBPAGES, "nav-orders"),
            NavItem(_("Returns"), "returns:list", ("orders.view",), ("/orders/returns/",), (), "nav-returns"),
            NavItem(
                _("Discrepancy cases"), "orders_shipping:cases", ("orders.view",), ("/orders/cases/",), (), "nav-cases"
            ),
        ),
    ),
    NavGroup(
        "finance",
        pgettext_lazy("navigation", "Finance"),
        (
            NavItem(
                _("Invoices"),
                "finance:invoices",
                ("finance.view",),
                ("/finance/invoices/",),
                (),
                "nav-finance",
            ),
            NavItem(
                _("Payments"),
                "finance_payments:list",
                ("finance.view",),
                ("/finance/payments/",),
                ("/finance/payments/import/",),
            ),
            NavItem(_("Statements"), "finance_statements:list", ("finance.view",), ("/finance/statements/",)),
            NavItem(_("Aging"), "finance:aging", ("finance.view",), ("/finance/aging/",)),
        ),
    ),
    NavGroup(
        "rebates",
        pgettext_lazy("navigation", "Rebates"),
        (
            NavItem(
                _("Rebate policies"), "rebates:policies", ("rebates.view",), ("/rebates/policies/",), (), "nav-rebates"
            ),
            NavItem(_("Rebate runs"), "rebates:runs", ("rebates.view",), ("/rebates/runs/",)),
        ),
    ),
    NavGroup(
        "approvals",
        pgettext_lazy("navigation", "Approvals"),
        (NavItem(_("Approvals"), "core:approvals", ("approvals.view",), ("/approvals/",), (), "nav-approvals"),),
    ),
    NavGroup(
        "settings",
        pgettext_lazy("navigation", "Settings & imports"),
        (
            NavItem(
                _("Settings"),
                "core:settings",
                ("settings.manage", "tiers.manage", "users.manage", "approvals.view"),
                ("/settings/",),
                ("/settings/webhooks/",),
            ),
            NavItem(_("Webhooks"), "core:webhooks", ("webhooks.manage",), ("/settings/webhooks/",)),
            NavItem(_("Import partners"), "partner_imports:upload", ("partners.import",), ("/partners/import/",)),
            NavItem(
                pgettext_lazy("navigation", "Import products"),
                "catalog:import",
                ("catalog.manage",),
                ("/catalog/import/",),
            ),
            NavItem(
                pgettext_lazy("navigation", "Import stock"),
                "inventory:import",
                ("inventory.manage",),
                ("/inventory/import/",),
            ),
            NavItem(
                _("Import payments"), "finance_payments:import", ("finance.manage",), ("/finance/payments/import/",)
            ),
        ),
    ),
)


def hq_menu(user, path: str) -> list[dict]:
    """The groups and items `user` sees, each with its URL and whether it is the current page."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_hq", False)):
        return []
    menu = []
    for group in HQ_NAV:
        items = [
            {"label": item.label, "url": item.url(), "current": item.is_current(path), "testid": item.testid}
            for item in group.items
            if item.visible_to(user)
        ]
        if items:
            menu.append(
                {
                    "key": group.key,
                    "label": group.label,
                    "items": items,
                    "current": any(item["current"] for item in items),
                }
            )
    return menu
