"""Settings for the test suite: the production settings with in-process jobs, in-memory mail and
a fast password hasher (Argon2 is slow on purpose; the suite creates hundreds of users)."""

from .settings import *  # noqa: F403
from .settings import HUEY

HUEY = {**HUEY, "immediate": True}
# A key of the test suite's own (the suite runs with debug off and no QUDAO_SECRET_KEY).
SECRET_KEY = "qudao-test-suite-signing-key-used-by-tests-only-7Hq2xV9pLm4RtZ8"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The webhook tests' receiver listens on 127.0.0.1, an internal address a deployment must allow.
WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Each test run gets its own PostgreSQL test database, so parallel runs on one server never
# drop each other's database (pytest-django destroys it at the end of the run).
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    import os as _os

    DATABASES["default"]["TEST"] = {"NAME": f"test_qudao_{_os.getpid()}"}  # noqa: F405

# Tests compare exact messages in English (the source language); the zh-hans default and the
# translations are tested explicitly in qudao/core/tests/test_i18n.py.
LANGUAGE_CODE = "en"
