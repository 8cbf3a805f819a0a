"""Every Huey task defined anywhere under qudao/ is known to the job worker.

The worker (`manage.py run_huey`, `qudao worker`, the child of `qudao serve`) knows only the tasks
of the modules it imports: `django.setup()` and djhuey's autodiscovery of `<app>.tasks`. A task
defined elsewhere is queued by the web process and then refused by the worker ("... not found in
TaskRegistry"), so its work never happens. This test starts a fresh interpreter exactly as the
worker does, then imports every module of the package, and compares the two registries.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = r"""
import importlib, json, pkgutil, sys
import django
django.setup()
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

autodiscover_modules("tasks")  # what run_huey does after django.setup()
worker = sorted(HUEY._registry._registry)

import qudao
failed = []
for module in pkgutil.walk_packages(qudao.__path__, "qudao."):
    parts = module.name.split(".")
    if "tests" in parts or "migrations" in parts:
        continue
    try:
        importlib.import_module(module.name)
    except Exception as error:  # reported: a module that cannot be imported hides its tasks
        failed.append(f"{module.name}: {error!r}")
everywhere = sorted(HUEY._registry._registry)
print(json.dumps({"worker": worker, "everywhere": everywhere, "failed": failed}))
"""


def run_probe(extra_env: dict | None = None) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QUDAO_", "DJANGO_"))}
    # A worker in production runs with the deployment's secret key (it refuses to start without one,
    # and so does qudao.wsgi, which the probe imports with every other module).
    env |= {
        "DJANGO_SETTINGS_MODULE": "qudao.settings",
        "QUDAO_JOBS_IMMEDIATE": "0",
        "QUDAO_SECRET_KEY": "task-registry-probe-" + "k" * 50,
    } | (extra_env or {})
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_knows_every_task_in_the_worker_that_is_defined_anywhere(tmp_path):
    # given: a fresh process started as the job worker starts, then every module of qudao imported
    probe = run_probe({"QUDAO_VAR_DIR": str(tmp_path)})
    # then: every module imports, and importing them all adds no task the worker does not know
    assert probe["failed"] == []
    assert sorted(set(probe["everywhere"]) - set(probe["worker"])) == []
    # and the registry holds the tasks of every context (the probe really found them)
    worker = set(probe["worker"])
    assert {
        "qudao.orders.tasks.send_order_status_news",
        "qudao.orders.tasks.auto_confirm_deliveries",
        "qudao.finance.tasks.commit_payment_import",
        "qudao.rebates.tasks.post_rebate_run",
        "qudao.core.tasks.deliver_webhooks_now",
        "qudao.core.tasks.reap_dead_jobs",
    } <= worker
    assert len(worker) >= 17
