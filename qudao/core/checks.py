"""Qudao's own system checks (`qudao check`, `manage.py check`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from .secret_key import configured_key, weakness

HINT = (
    "Set QUDAO_SECRET_KEY to 50 or more random characters, the same for every web process and worker: "
    'python -c "import secrets; print(secrets.token_urlsafe(50))"'
)


@register(Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs):
    """Production signs with a key of its own from QUDAO_SECRET_KEY: never none, never the key a
    one-machine `qudao serve` made for itself, never the public development key, never a weak one."""
    if not getattr(settings, "SECRET_KEY_FROM_ENVIRONMENT", False):
        return [
            Error(
                "QUDAO_SECRET_KEY is not set: sessions, CSRF tokens and password links would be signed "
                "with no key, or with the key `qudao serve` keeps for one machine.",
                hint=HINT,
                id="qudao.E001",
            )
        ]
    problem = weakness(configured_key())
    if problem:
        return [Error(f"QUDAO_SECRET_KEY is {problem}.", hint=HINT, id="qudao.E002")]
    return []
