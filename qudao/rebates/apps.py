from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RebatesConfig(AppConfig):
    name = "qudao.rebates"
    label = "rebates"
    verbose_name = _("Rebates")

    def ready(self):
        from . import deposits, progress, services

        services.register_subjects()
        deposits.register_subjects()  # manual rebate fund deposits (qudao.rebates.deposits)
        progress.register()  # live progress kept by orders/finance events (qudao.rebates.progress)
        from . import panels

        panels.register()  # the partner 360 page's rebates panel
        from . import portal_cards

        portal_cards.register()  # the portal home's rebate progress card
