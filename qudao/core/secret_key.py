"""The key that signs sessions, CSRF tokens and password links (Django's SECRET_KEY).

Production sets QUDAO_SECRET_KEY (50 or more random characters, the same for every web process
and worker). Without it, only the one-machine paths run: `qudao serve` (the README's `make run`)
and QUDAO_DEBUG=1 create a random key once in $QUDAO_VAR_DIR/secret_key (readable by its owner
only) and use it, as does every later process on that machine, so a fresh clone runs with one
command and no key of the source code ever signs anything. Anywhere else the web application and
the job worker refuse to start (`require_secret_key`), and `qudao check --deploy` fails unless the
key comes from QUDAO_SECRET_KEY and is strong (`weakness`; qudao.core.checks).

No Django import at module level: settings.py uses it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"
# The key earlier releases fell back to: public in the source code, so never accepted.
PUBLIC_DEVELOPMENT_KEY = "qudao-local-development-key-not-for-production-use-0123456789"
NOT_SET = (
    "QUDAO_SECRET_KEY is not set. Set it to 50 or more random characters, the same for every web "
    'process and worker: python -c "import secrets; print(secrets.token_urlsafe(50))". '
    "(Without it only `qudao serve` runs, with a key of its own kept in QUDAO_VAR_DIR.)"
)


def read_local_key(var_dir: Path) -> str:
    """The key `qudao serve` or debug mode created on this machine, or ""."""
    try:
        return (Path(var_dir) / KEY_FILE).read_text().strip()
    except FileNotFoundError:
        return ""


def local_key(var_dir: Path) -> str:
    """This machine's own key: read, or created once (random, readable by its owner only)."""
    path = Path(var_dir) / KEY_FILE
    key = read_local_key(var_dir)
    if key:
        return key
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return read_local_key(var_dir)
    key = secrets.token_urlsafe(50)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def weakness(key: str) -> str | None:
    """What is wrong with `key` as a production key, or None."""
    if not key:
        return "not set"
    if key == PUBLIC_DEVELOPMENT_KEY:
        return "the public development key of the source code"
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        return "too short or too simple (50 or more random characters)"
    return None


def configured_key() -> str:
    """settings.SECRET_KEY, or "" when it is empty (Django refuses to read an empty one)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return settings.SECRET_KEY or ""
    except ImproperlyConfigured:
        return ""


def require_secret_key() -> None:
    """Refuse to start a web process or a job worker without a key.

    :raises django.core.exceptions.ImproperlyConfigured: with what to do.
    """
    from django.core.exceptions import ImproperlyConfigured

    if not configured_key():
        raise ImproperlyConfigured(NOT_SET)
