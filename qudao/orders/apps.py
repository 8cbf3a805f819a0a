from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "qudao.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from qudao.inventory.selectors import register_reference_owner

        from . import selectors, services

        services.register_subjects()
        from . import panels

        panels.register()  # the partner 360 page's orders, returns, cases and sales trend
        from . import workbench

        workbench.register()  # the workbench's orders to confirm, active partners, orders per day
        from . import portal_cards

        portal_cards.register()  # the portal home's month, reorder, on-the-way and credit cards
        # the stock ledger hides the numbers of orders and returns outside a reader's scope
        register_reference_owner(selectors.stock_reference_owners)
