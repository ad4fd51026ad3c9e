"""Playwright fixtures live in tests/conftest.py so every folder shares one browser."""
