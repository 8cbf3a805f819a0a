from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "qudao.partners"
    label = "partners"
    verbose_name = _("Partners")

    def ready(self):
        from . import approvals_subjects, panels  # noqa: F401  (registers approval subjects and 360 panels)
