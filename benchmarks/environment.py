"""The environment of a benchmark on a throw-away PostgreSQL database (a helper module: no
`__main__`, so benchmarks/quick.py does not run it)."""

from __future__ import annotations

import os
from pathlib import Path


def prepare_postgres(postgres_url: str, database: str, workdir: Path) -> str:
    """Settings for a quiet, in-process run (jobs immediate, no e-mail, var dir `workdir`) on a
    fresh database `database` beside `postgres_url`'s, dropped first if it exists; its URL."""
    import psycopg

    os.environ["DJANGO_SETTINGS_MODULE"] = "qudao.settings"
    os.environ["QUDAO_VAR_DIR"] = str(workdir)
    os.environ["QUDAO_LOG_LEVEL"] = "WARNING"
    os.environ["QUDAO_JOBS_IMMEDIATE"] = "1"
    os.environ["QUDAO_EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ.pop("DATABASE_URL", None)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {database}")
    url = postgres_url.rsplit("/", 1)[0] + f"/{database}"
    os.environ["QUDAO_DATABASE_URL"] = url
    return url
