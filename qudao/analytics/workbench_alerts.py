"""The alerts' to-do on the workbench (工作台): open alerts the user has not acknowledged yet,
linking to the alerts page filtered to exactly those (?state=pending). Registered in the app's
ready()."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qudao.core.workbench import Todo, register_todo


def alerts_to_acknowledge(user) -> int:
    from .alerts import visible_alerts

    return visible_alerts(user, state="pending").count()


def register() -> None:
    register_todo(
        Todo(
            "analytics.alerts_to_acknowledge",
            _("Alerts to acknowledge"),
            lambda user: reverse("analytics:alerts") + "?state=pending",
            alerts_to_acknowledge,
            visible=lambda user: user.is_hq and user.can("alerts.view"),
            order=15,
        )
    )
