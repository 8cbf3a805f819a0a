"""Settings for the test suite: the production settings with in-process jobs, in-memory mail and
a fast password hasher (Argon2 is slow on purpose; the suite creates hundreds of users)."""

from .settings import *  # noqa: F403
from .settings import HUEY

HUEY = {**HUEY, "immediate": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
