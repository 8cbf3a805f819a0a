"""Roles and what each may do. One table, read by pages, API and services alike.

HQ roles are held through RoleAssignment (a user may hold several). Partner roles belong to the
user's membership of exactly one partner (partners.PartnerMember).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HQRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    FINANCE = "finance", _("Finance")
    OPERATIONS = "operations", _("Operations")
    SALES = "sales", _("Sales")


class PartnerRole(models.TextChoices):
    ADMIN = "partner_admin", _("Partner administrator")
    STAFF = "partner_staff", _("Partner staff")


ALL_ROLE_LABELS = dict(HQRole.choices) | dict(PartnerRole.choices)

ADMIN = HQRole.ADMIN
CHANNEL = HQRole.CHANNEL_MANAGER
REGIONAL = HQRole.REGIONAL_MANAGER
FINANCE = HQRole.FINANCE
OPERATIONS = HQRole.OPERATIONS
SALES = HQRole.SALES
PARTNER_ADMIN = PartnerRole.ADMIN
PARTNER_STAFF = PartnerRole.STAFF

HQ_ALL = frozenset(HQRole.values)

# permission -> roles that hold it. Partner-owned data is further narrowed by the scoping rule
# (partners.scoping): holding "partners.view" lets a regional manager see its regions only.
PERMISSIONS: dict[str, frozenset[str]] = {
    "partners.view": HQ_ALL | {PARTNER_ADMIN, PARTNER_STAFF},
    "partners.change": frozenset({ADMIN, CHANNEL, REGIONAL}),
    "partners.create": frozenset({ADMIN, CHANNEL}),
    "partners.change_status": frozenset({ADMIN, CHANNEL}),
    "partners.change_tier": frozenset({ADMIN, CHANNEL}),
    "partners.import": frozenset({ADMIN, CHANNEL}),
    # A distributor's administrator exports its own network (scoped like everything else).
    "partners.export": frozenset({ADMIN, CHANNEL, REGIONAL, FINANCE, SALES, PARTNER_ADMIN}),
    "partners.change_credit": frozenset({FINANCE}),
    "partners.manage_own_users": frozenset({PARTNER_ADMIN}),
    "partners.manage_own_profile": frozenset({PARTNER_ADMIN}),
    "tiers.manage": frozenset({ADMIN, CHANNEL}),
    "applications.review": frozenset({ADMIN, CHANNEL, REGIONAL}),
    "approvals.view": HQ_ALL,
    # the workbench (工作台): every HQ role lands on it; what it shows is filtered by each entry's
    # own permission (qudao.core.workbench)
    "workbench.view": HQ_ALL,
    "approvals.configure": frozenset({ADMIN}),
    "audit.view": HQ_ALL | {PARTNER_ADMIN},
    "settings.manage": frozenset({ADMIN}),
    "users.manage": frozenset({ADMIN}),
    "catalog.view": HQ_ALL,
    "catalog.manage": frozenset({ADMIN, CHANNEL}),
    "pricing.view": HQ_ALL,
    "pricing.manage": frozenset({ADMIN, CHANNEL}),
    # inventory: warehouses and stock (operations runs the warehouses)
    "inventory.view": HQ_ALL,
    "inventory.manage": frozenset({ADMIN, OPERATIONS}),
    # orders: partners order for themselves (and a distributor for its sub-dealers); operations
    # reviews, confirms, allocates and ships; finance and channel managers see and approve
    "orders.view": HQ_ALL | {PARTNER_ADMIN, PARTNER_STAFF},
    "orders.place": frozenset({PARTNER_ADMIN, PARTNER_STAFF}),
    "orders.manage": frozenset({ADMIN, OPERATIONS}),
    # ordering on a partner's behalf (代客下单: orders taken by phone or WeChat, or pushed by the
    # ERP for the brand's sales reps), for the partners the user sees: operations (inside sales),
    # regional managers and sales. Not channel managers and finance: they decide the approvals
    # such orders may need (over credit, deep discounts), so placing and approving stay apart.
    "orders.place_on_behalf": frozenset({ADMIN, OPERATIONS, REGIONAL, SALES}),
    # a partner's administrator cancels its partner's return; its staff may ask for returns but
    # not take one back (operations cancels any with orders.manage)
    "orders.cancel_return": frozenset({PARTNER_ADMIN}),
    # finance: invoices (receivables), payments, the partner ledger and statements. Finance
    # records and allocates; a partner's users see their own account and announce payments; its
    # administrator confirms or disputes statements.
    "finance.view": frozenset({ADMIN, CHANNEL, REGIONAL, FINANCE, SALES, PARTNER_ADMIN, PARTNER_STAFF}),
    "finance.manage": frozenset({ADMIN, FINANCE}),
    "finance.announce_payment": frozenset({PARTNER_ADMIN, PARTNER_STAFF}),
    "finance.confirm_statement": frozenset({PARTNER_ADMIN}),
    # rebates: channel managers write policies (approved through the approval engine); finance
    # runs, approves and posts settlements; partners watch their own progress
    "rebates.view": HQ_ALL | {PARTNER_ADMIN, PARTNER_STAFF},
    "rebates.manage": frozenset({ADMIN, CHANNEL}),
    "rebates.settle": frozenset({ADMIN, FINANCE}),
    # targets (目标): every HQ role reads plans (regional managers and sales their regions' and
    # partners' targets only); channel managers and admins write and break them down (approved
    # through the approval engine); partner users see their own targets in the portal
    "targets.view": HQ_ALL,
    "targets.manage": frozenset({ADMIN, CHANNEL}),
    "targets.view_own": frozenset({PARTNER_ADMIN, PARTNER_STAFF}),
    # outgoing webhooks for ERP and other systems
    "webhooks.manage": frozenset({ADMIN}),
    # analytics: figures of the semantic layer (qudao.analytics.semantic), each user's own scope
    # (a regional manager its regions, a partner itself and its sub-dealers); figures built on
    # cost prices (gross margin) only for the roles that see cost prices (catalog.selectors)
    "analytics.view": HQ_ALL | {PARTNER_ADMIN, PARTNER_STAFF},
    "analytics.view_cost": frozenset({ADMIN, CHANNEL, FINANCE}),
    # the channel dashboards and pivot (qudao.analytics.dashboards), figures in each user's scope;
    # the brand's return on Qudao (order cycle, self-service share, statement confirmation, DSO)
    "analytics.dashboards": HQ_ALL,
    "analytics.roi": frozenset({ADMIN, CHANNEL, FINANCE}),
    # the report builder (拖拽报表): HQ users build, save, share (with HQ roles), pin and schedule
    # reports; a report always runs as its viewer (that viewer's scope and metric permissions)
    "analytics.reports": HQ_ALL,
    # alerts (预警, qudao.analytics.alerts): every HQ user sees the alerts of its own rules and those
    # it was sent; administrators and channel managers manage rules over everything, regional
    # managers over their regions, finance (overdue, 回款) and operations (stock cover) over the
    # partners they see (a rule is evaluated in its owner's scope)
    "alerts.view": HQ_ALL,
    "alerts.manage": frozenset({ADMIN, CHANNEL, REGIONAL, FINANCE, OPERATIONS}),
}


def roles_with(permission: str) -> frozenset[str]:
    return PERMISSIONS.get(permission, frozenset())
