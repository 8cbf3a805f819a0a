from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qudao.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from . import audit, checks, todos  # noqa: F401  (connects audit signals, registers system checks)

        todos.register()  # the workbench's approvals and failed-jobs to-dos

        # Every process knows every task (web, shell, worker): a job is queued by one process,
        # run by another, and retried by a third, each looking its task up by name or kind.
        autodiscover_modules("tasks")
