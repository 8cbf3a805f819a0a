from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "qudao.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self):
        from qudao.core.events import subscribe
        from qudao.orders.services import register_credit_source

        from . import selectors, services

        # invoices from shipments / delivered orders, credit notes from returns, fund movements in
        # the ledger: in the publisher's transaction (qudao.core.events)
        subscribe("shipment.created", services.on_shipment_created)
        subscribe("order.delivered", services.on_order_delivered)
        subscribe("return.credited", services.on_return_credited)
        for event_type in ("fund.deposited", "fund.captured", "fund.expired", "fund.adjusted"):
            subscribe(event_type, services.on_fund_movement)
        register_credit_source(selectors.credit_source)
        from . import panels

        panels.register()  # the partner 360 page's account panel
        from . import workbench

        workbench.register()  # the workbench's payments to confirm, statement disputes, overdue
        from . import audit_sentences

        audit_sentences.register()  # "何丽 确认了 2026年11月对账单" in the audit trail
