"""Reuse the Playwright browser fixtures of tests/e2e for the dashboard journey."""

from tests.e2e.conftest import browser, page  # noqa: F401
