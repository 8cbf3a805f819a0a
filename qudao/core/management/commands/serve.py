"""`manage.py serve` (and `qudao serve`): run Qudao on this machine in one command.

Migrates the database, seeds the demo data when there are no partners yet, starts the job worker
(the Huey consumer, `manage.py worker`) as a child process, and serves the WSGI application with
waitress on 127.0.0.1:8000. Static files are served by the application itself (WhiteNoise reads
them straight from the apps: nothing to collect). Ctrl+C or SIGTERM stops both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from qudao.core.secret_key import configured_key, local_key


class Command(BaseCommand):
    help = "Migrate, seed the demo data if the database is empty, start the job worker and serve Qudao."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--threads", type=int, default=8, help="Request threads (default 8).")
        parser.add_argument("--no-seed", action="store_true", help="Never seed demo data, even on an empty database.")
        parser.add_argument(
            "--demo-partners", type=int, default=None, help="How many demo partners to seed on an empty database."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the job worker: jobs wait in the queue until one runs (`qudao worker`).",
        )

    def handle(self, *args, host, port, threads, no_seed, demo_partners, no_worker, **options):
        from waitress import create_server

        from qudao.partners import demo

        if not os.environ.get("QUDAO_SITE_URL"):
            # Links in e-mails and pages (set-password, recruiting) point at where we serve, unless
            # the deployment names its public address; the worker process inherits it too.
            shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            os.environ["QUDAO_SITE_URL"] = settings.SITE_URL = f"http://{shown_host}:{port}"
        # WhiteNoise serves the apps' static files directly; it only wants STATIC_ROOT to exist.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        if not configured_key():
            # One machine, no QUDAO_SECRET_KEY: a random key of this machine's own, kept in VAR_DIR,
            # which the worker (and any later process here) reads too. Never a key from the source.
            settings.SECRET_KEY = local_key(settings.VAR_DIR)
            self.stdout.write(
                f"No QUDAO_SECRET_KEY: using this machine's own key ({Path(settings.VAR_DIR) / 'secret_key'})."
            )
        from qudao.wsgi import application

        self.stdout.write("Preparing the database ...")
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            self.seed_if_empty(demo_partners=demo_partners)

        try:
            server = create_server(application, host=host, port=port, threads=threads, ident="Qudao")
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror or error}") from None

        worker = None
        if settings.HUEY.get("immediate"):
            self.stdout.write("Jobs run in the web process (QUDAO_JOBS_IMMEDIATE): no separate worker.")
        elif no_worker:
            # Jobs are queued (SqliteHuey or Redis) and nothing here runs them: say so, and how.
            self.stdout.write(
                "No job worker started (--no-worker): jobs wait in the queue until one runs (`qudao worker`)."
            )
        else:
            # The consumer is a child process with the same settings and environment.
            worker = subprocess.Popen(
                [sys.executable, "-m", "django", "worker", "--settings", os.environ["DJANGO_SETTINGS_MODULE"]],
                env=os.environ.copy(),
            )
            self.stdout.write(f"Job worker started (pid {worker.pid}).")

        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        url = f"http://{shown_host}:{port}/"
        logins = demo.demo_logins()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Qudao is running at {url}  (Ctrl+C to stop)"))
        self.stdout.write(f"API: {url}api/v1/docs  (OpenAPI: {url}api/v1/openapi.json)")
        if host not in ("127.0.0.1", "localhost"):
            self.stdout.write(
                f"Listening on {host}: set QUDAO_ALLOWED_HOSTS to the host names people use to reach this machine."
            )
        if logins:
            self.stdout.write("")
            self.stdout.write("Demo logins:")
            self.stdout.write(demo.format_logins(logins))
        self.stdout.flush()

        def stop(signum, frame):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.close()
            if worker is not None:
                _stop(worker)
            self.stdout.write("Qudao stopped.")

    def seed_if_empty(self, *, demo_partners: int | None = None):
        """On a database without partners, seed the whole demo (qudao.demo.seed_everything: the same
        as `qudao seed`), so the first run shows the whole product. Returns its report, or None."""
        from qudao.demo import DEFAULT_PARTNERS, seed_everything
        from qudao.partners.models import Partner

        if Partner.objects.exists():
            return None
        self.stdout.write("The database is empty: seeding the demo data (partners, catalogue, a year of orders) ...")
        report = seed_everything(partners=DEFAULT_PARTNERS if demo_partners is None else demo_partners)
        self.stdout.write(f"Seeded {report.partners} partners and a year of their trade in {report.seconds:.1f} s.")
        return report


def _stop(process: subprocess.Popen) -> None:
    """Ask the worker to stop (SIGINT: finish running jobs), then insist."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
