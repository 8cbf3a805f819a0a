"""In-app notifications (and e-mail where asked), each rendered in its recipient's language."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation

from . import branding
from .models import Notification


def _render(text, params: dict | None) -> str:
    text = str(text)
    return text % params if params else text


def notify(
    users: Iterable,
    *,
    kind: str,
    title,
    body="",
    params: dict | None = None,
    url: str = "",
    email: bool = False,
) -> list[Notification]:
    """Create one Notification per user. `title`/`body` are lazy translations with %(name)s
    placeholders filled from `params`, rendered in each user's own language."""
    created = []
    for user in {user.pk: user for user in users}.values():
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            rendered_title = _render(title, params)
            rendered_body = _render(body, params)
        created.append(Notification(user=user, kind=kind, title=rendered_title[:200], body=rendered_body, url=url))
        if email and user.email:
            send_mail(rendered_title, rendered_body, branding.sender(), [user.email], fail_silently=True)
    return Notification.objects.bulk_create(created)
