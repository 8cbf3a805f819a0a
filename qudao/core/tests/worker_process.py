"""A real job worker for tests: a `manage.py run_huey` child process (as `qudao worker` and
`qudao serve` start it) on the database and job queue the test uses.

`WorkerWorld(tmp_path)` is used by a `django_db(transaction=True)` test once its data is committed:
- the database is shared: on PostgreSQL the child connects to the test database itself; on
  SQLite (an in-memory test database no other process can open) the database is copied into a
  file and this process's connection is moved onto that file until the test ends;
- the job queue is shared: this process stops running jobs in-process (the test settings'
  immediate mode) and queues them in a SqliteHuey file the child consumes;
- e-mails the child sends are written as files (`mails()` reads them).
"""

from __future__ import annotations

import email
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


class WorkerWorld:
    def __init__(self, tmp_path: Path, *, lease_seconds: float | None = None, step_seconds: float = 0):
        self.tmp_path = tmp_path
        self.lease_seconds = lease_seconds
        self.step_seconds = step_seconds
        self.mail_dir = tmp_path / "mail"
        self.workers: list[subprocess.Popen] = []
        self._saved_connection = None
        self._saved_name = None
        self._saved_storage = None
        self.sqlite_path: Path | None = None

    # --- sharing ----------------------------------------------------------------------------

    def __enter__(self):
        from huey.contrib.djhuey import HUEY
        from huey.storage import SqliteStorage

        if connection.vendor == "sqlite":
            path = self.tmp_path / "shared.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()
            self._saved_name = connection.settings_dict["NAME"]
            self._saved_connection = connection.connection
            connection.connection = None  # an in-memory database dies with its last connection: keep it
            connection.settings_dict["NAME"] = str(path)
            self.database_url = f"sqlite:///{path}"
            self.sqlite_path = path
        else:
            db = connection.settings_dict
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            self.database_url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        self._saved_storage = (HUEY.storage, HUEY._immediate)
        HUEY.storage = SqliteStorage(name=HUEY.name, filename=str(self.tmp_path / "jobs.sqlite3"))
        HUEY._immediate = False
        return self

    def __exit__(self, *exc_info):
        from huey.contrib.djhuey import HUEY

        for worker in self.workers:
            self.kill(worker)
        HUEY.storage, HUEY._immediate = self._saved_storage
        if self._saved_connection is not None:
            connection.close()
            connection.settings_dict["NAME"] = self._saved_name
            connection.connection = self._saved_connection

    # --- the worker -------------------------------------------------------------------------

    def env(self, *, step_seconds: float | None = None) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("QUDAO_", "DJANGO_"))}
        env |= {
            "DJANGO_SETTINGS_MODULE": "qudao.settings",
            "QUDAO_DATABASE_URL": self.database_url,
            "QUDAO_VAR_DIR": str(self.tmp_path),  # the job queue: VAR_DIR/jobs.sqlite3
            "QUDAO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "QUDAO_JOBS_IMMEDIATE": "0",
            "QUDAO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "QUDAO_EMAIL_FILE_PATH": str(self.mail_dir),
            "QUDAO_SITE_URL": "http://testserver",
            "PYTHONUNBUFFERED": "1",
        }
        if self.lease_seconds is not None:
            env["QUDAO_JOB_LEASE_SECONDS"] = str(self.lease_seconds)
        step_seconds = self.step_seconds if step_seconds is None else step_seconds
        if step_seconds:
            env["QUDAO_TEST_JOB_STEP_SECONDS"] = str(step_seconds)
        return env

    def start_worker(self, *, step_seconds: float | None = None) -> subprocess.Popen:
        """A worker; `step_seconds` slows each progress step of its jobs (QUDAO_TEST_JOB_STEP_SECONDS)."""
        log = open(self.tmp_path / f"worker-{len(self.workers) + 1}.log", "w")  # noqa: SIM115 - the child writes it
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "run_huey", "--workers", "2"],
            cwd=ROOT,
            env=self.env(step_seconds=step_seconds),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.workers.append(worker)
        return worker

    def log(self) -> str:
        return "".join(path.read_text() for path in sorted(self.tmp_path.glob("worker-*.log")))

    @staticmethod
    def kill(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
        if worker.poll() is None:
            worker.send_signal(sig)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    # --- waiting ----------------------------------------------------------------------------

    def wait_for(self, condition, *, timeout: float = 60, what: str = "the worker"):
        """Poll `condition()` (reading through this process's connection) until it is truthy. The
        bound covers a worker's start-up on a loaded machine (seconds each); it passes at once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"{what}: nothing after {timeout} s. Worker log:\n{self.log()}")

    def sqlite_write_locked(self) -> bool:
        """Some process holds the SQLite database's write transaction open (SQLite shows nobody
        else what it wrote until it commits, but the lock shows that it writes)."""
        probe = sqlite3.connect(self.sqlite_path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()

    def mails(self) -> list[email.message.Message]:
        if not self.mail_dir.exists():
            return []
        messages = []
        for path in sorted(self.mail_dir.iterdir()):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk))
        return messages
