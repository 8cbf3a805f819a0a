"""The partner 360 page's own panels. Later contexts (orders, finance, rebates) register theirs
with `qudao.core.panels.register_panel("partner", Panel(...))` the same way."""

from django.utils.translation import gettext_lazy as _

from qudao.core.panels import Panel, register_panel

from . import selectors

register_panel("partner", Panel("profile", _("Profile"), "partners/panels/profile.html", selectors.profile_panel, 10))
register_panel(
    "partner", Panel("hierarchy", _("Hierarchy"), "partners/panels/hierarchy.html", selectors.hierarchy_panel, 20)
)
register_panel(
    "partner", Panel("contacts", _("Contacts"), "partners/panels/contacts.html", selectors.contacts_panel, 30)
)
register_panel("partner", Panel("credit", _("Credit terms"), "partners/panels/credit.html", selectors.credit_panel, 40))
register_panel(
    "partner", Panel("approvals", _("Approvals"), "partners/panels/approvals.html", selectors.approvals_panel, 50)
)
register_panel(
    "partner",
    Panel(
        "audit",
        _("Audit trail"),
        "partners/panels/audit.html",
        selectors.audit_panel,
        90,
        visible=lambda request, partner: request.user.can("audit.view"),
    ),
)
