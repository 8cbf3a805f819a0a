"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
the app served by pytest-django's live_server. No browser is ever downloaded."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("QUDAO_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.browser)
        if not shutil.which(CHROMIUM):
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed (make test installs it)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }


@pytest.fixture
def phone_context_args():
    """A 375 px wide phone screen."""
    return {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
