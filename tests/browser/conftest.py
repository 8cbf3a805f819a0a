"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
the app served by pytest-django's live_server. No browser is ever downloaded."""

import os
import shutil

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("QUDAO_CHROMIUM", "/usr/bin/chromium")

# Assertions wait up to 10 s for the page (the default 5 s is short on a busy 2-core CI machine).
expect.set_options(timeout=10_000)


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
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def phone_context_args():
    """A 375 px wide phone screen (browser language English, so the app starts in English)."""
    return {
        "viewport": {"width": 375, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "en-US",
    }


@pytest.fixture
def desktop_context_args():
    """An office screen for the HQ console."""
    return {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


@pytest.fixture
def open_page(browser, phone_context_args, desktop_context_args):
    """`open_page("phone" | "desktop")` -> a page in a fresh browser context (its own cookies: one
    person per context). Every context is closed at the end of the test."""
    contexts = []

    def make(kind: str = "phone"):
        context = browser.new_context(**(phone_context_args if kind == "phone" else desktop_context_args))
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
