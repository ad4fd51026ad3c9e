"""Browser tests: Playwright on Debian's Chromium against pytest-django's live server.

Every browser test lives in this folder (``make test`` runs it with the rest;
``make test-e2e`` runs it alone). One Chromium per test process, a fresh
context per test; tests log in by cookie (``log_in``) unless the login page is
what they test, and wait with ``wait_for_js`` (see its docstring for why not
Playwright's ``wait_for_function``).
"""

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.conftest import require, wait_until
from tests.security.conftest import prod_settings  # noqa: F401  (a fixture, for test_csp_e2e.py)

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


def wait_for_js(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Wait until the JavaScript ``expression`` is truthy in ``page``, polled from here.

    Playwright's ``wait_for_function`` runs its predicate through ``eval`` inside
    the page, which the Content-Security-Policy refuses (no 'unsafe-eval');
    ``page.evaluate`` goes through the browser's debugging protocol instead.
    """
    if not wait_until(lambda: bool(page.evaluate(expression)), timeout):
        raise AssertionError(f"timed out after {timeout} s waiting for: {expression}")


def log_in(page: Any, live_server: Any, user: Any) -> None:
    """Give ``page`` a session of ``user`` on ``live_server``, without the login form."""
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(executable), "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    # Leave the page first and let its unload beacons land while the test's
    # database is still there; then nothing is in flight during teardown.
    page.goto("about:blank")
    page.wait_for_timeout(500)
    context.close()
