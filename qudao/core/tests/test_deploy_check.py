"""With production variables set, `manage.py check --deploy` reports nothing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

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
