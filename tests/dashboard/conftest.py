"""Dashboard tests use the shared Playwright fixtures of tests/conftest.py."""
