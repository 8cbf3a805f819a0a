"""With production variables set, `manage.py check --deploy` reports nothing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    # given: the production variables (and nothing from the test run)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QUDAO_", "DJANGO_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "qudao.settings",
        "QUDAO_DEBUG": "0",
        "QUDAO_SECRET_KEY": secrets.token_urlsafe(48),  # 64 random characters
        "QUDAO_ALLOWED_HOSTS": "qudao.example.com",
        "QUDAO_HTTPS": "1",
        "QUDAO_VAR_DIR": str(tmp_path),
    }
    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then: exit 0, no warning of any kind
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr and "?: (" not in result.stderr, result.stderr


def production_env(tmp_path, **variables) -> dict:
    """Production variables without QUDAO_SECRET_KEY (and nothing from the test run)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QUDAO_", "DJANGO_"))}
    return (
        env
        | {
            "DJANGO_SETTINGS_MODULE": "qudao.settings",
            "QUDAO_DEBUG": "0",
            "QUDAO_ALLOWED_HOSTS": "qudao.example.com",
            "QUDAO_HTTPS": "1",
            "QUDAO_VAR_DIR": str(tmp_path),
        }
        | variables
    )


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_fails_without_a_secret_key_of_the_deployments_own(tmp_path):
    # given: no QUDAO_SECRET_KEY; then the key a one-machine `qudao serve` kept in QUDAO_VAR_DIR
    check = [sys.executable, "manage.py", "check", "--deploy"]
    missing = run(check, production_env(tmp_path))
    (tmp_path / "secret_key").write_text(secrets.token_urlsafe(50))
    machine_key = run(check, production_env(tmp_path))

    # then: both fail with qudao.E001
    for result in (missing, machine_key):
        assert result.returncode == 1, result.stdout + result.stderr
        assert "?: (qudao.E001) QUDAO_SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("qudao-local-development-key-not-for-production-use-0123456789", "the public development key"),
        ("short-but-random-Zq81", "too short or too simple"),
        ("a" * 60, "too short or too simple"),
    ],
)
def test_check_deploy_fails_with_a_public_or_weak_key(tmp_path, key, problem):
    result = run([sys.executable, "manage.py", "check", "--deploy"], production_env(tmp_path, QUDAO_SECRET_KEY=key))

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"?: (qudao.E002) QUDAO_SECRET_KEY is {problem}" in result.stderr


def test_the_web_application_and_the_worker_refuse_to_start_without_a_key(tmp_path):
    # when: a WSGI server loads the application, and the job worker starts, with no key
    web = run([sys.executable, "-c", "import qudao.wsgi"], production_env(tmp_path))
    worker = run([sys.executable, "-m", "qudao.cli", "worker"], production_env(tmp_path))

    # then: neither starts, and each says what to set
    assert web.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: QUDAO_SECRET_KEY is not set." in web.stderr
    assert worker.returncode == 1
    assert worker.stderr.startswith("qudao: QUDAO_SECRET_KEY is not set. Set it to 50 or more random characters")
    assert not (tmp_path / "secret_key").exists()
