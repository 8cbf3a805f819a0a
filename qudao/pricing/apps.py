from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "qudao.pricing"
    label = "pricing"
    verbose_name = _("Pricing")

    def ready(self):
        from . import services

        services.register_subjects()
        from . import portal_cards

        portal_cards.register()  # the portal home's open promotions card
