from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "qudao.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from qudao.pricing.availability import register_availability

        from .services import partner_availability

        # the portal's catalogue shows a stock badge per SKU (in stock / low / out, or the count)
        register_availability(partner_availability)
        from . import workbench

        workbench.register()  # the workbench's low-stock KPI
