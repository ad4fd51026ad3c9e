"""Playwright drives Debian's Chromium against the live test server."""

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import require

# Playwright's sync API runs an event loop; Django refuses ORM calls under one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(executable), "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    # Leave the page first and let its unload beacons land while the test's
    # database is still there; then nothing is in flight during teardown.
    page.goto("about:blank")
    page.wait_for_timeout(500)
    context.close()
