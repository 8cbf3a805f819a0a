from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "qudao.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from qudao.core import choices

        from .pickers import product_line_choices

        # the partner form offers these without importing the catalogue (core.choices)
        choices.register("product_lines", product_line_choices)
