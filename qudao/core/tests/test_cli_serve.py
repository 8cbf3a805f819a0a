"""`qudao serve` end to end, in a child process on a fresh SQLite database: it migrates, seeds,
starts the job worker, serves the app, and on SIGTERM stops both."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_until(process, pattern: str, lines: list[str], timeout: float = 300) -> re.Match:
    # generous: the first start seeds the whole demo (a year of trade), on a machine running the suite
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise AssertionError("serve exited early:\n" + "".join(lines))
            continue
        lines.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no {pattern!r} in time:\n" + "".join(lines))


def test_serve_migrates_seeds_runs_a_worker_and_stops_cleanly(tmp_path):
    # given: a fresh database and a free port
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QUDAO_", "DJANGO_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "qudao.settings",
        "QUDAO_VAR_DIR": str(tmp_path),
        "QUDAO_DATABASE_URL": f"sqlite:///{tmp_path / 'qudao.sqlite3'}",
        "QUDAO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    }
    # when: serving
    process = subprocess.Popen(
        [sys.executable, "-m", "qudao.cli", "serve", "--port", str(port), "--demo-partners", "20"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        worker_pid = int(read_until(process, r"Job worker started \(pid (\d+)\)", lines).group(1))
        read_until(process, r"Qudao is running at http://127\.0\.0\.1:\d+/", lines)
        read_until(process, r"^dealer_admin\s", lines)
        # then: the API answers, and the demo admin can get a token
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=30) as response:
            assert (response.status, json.load(response)["info"]["title"]) == (200, "Qudao API")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/auth/tokens",
            data=json.dumps({"name": "serve test", "username": "admin", "password": "qudao-demo-2026"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
        assert os.path.exists(f"/proc/{worker_pid}")
    finally:
        # when: stopped
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    lines.append(output)
    # then: both the server and its worker are gone
    assert process.returncode == 0, "".join(lines)
    assert "Qudao stopped." in output
    assert not os.path.exists(f"/proc/{worker_pid}") or "zombie" in Path(f"/proc/{worker_pid}/status").read_text()
    assert "Seeded 20 partners and a year of their trade" in "".join(lines)
    # and: with no QUDAO_SECRET_KEY it signed with a random key of this machine's own, kept for the
    # worker and the next start, readable by its owner only (never a key from the source code)
    key_file = tmp_path / "secret_key"
    assert f"No QUDAO_SECRET_KEY: using this machine's own key ({key_file})." in "".join(lines)
    assert (key_file.stat().st_mode & 0o777, len(key_file.read_text().strip())) == (0o600, 67)


def test_serve_without_a_worker_says_jobs_wait_in_the_queue(tmp_path):
    # given: a fresh database, jobs queued for a worker (not run in-process)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QUDAO_", "DJANGO_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "qudao.settings",
        "QUDAO_VAR_DIR": str(tmp_path),
        "QUDAO_DATABASE_URL": f"sqlite:///{tmp_path / 'qudao.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    # when: serving without the worker
    process = subprocess.Popen(
        [sys.executable, "-m", "qudao.cli", "serve", "--port", str(port), "--no-seed", "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        read_until(process, r"Qudao is running at", lines)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    said = "".join(lines) + output
    # then: it says where jobs go, truthfully
    assert "No job worker started (--no-worker): jobs wait in the queue until one runs (`qudao worker`)." in said
    assert "Jobs run in the web process" not in said
    assert "Job worker started" not in said
