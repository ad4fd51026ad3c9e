"""Shared fixtures: API client, users, a real clip on disk, and service gates.

A test that needs PostgreSQL, Redis or a browser skips when they are not
configured, unless KF_REQUIRE_SERVICES=1 (CI), where it fails instead.
"""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from kfplatform.demo.clips import ClipSpec, render_clip

from .factories import UserFactory

REQUIRE_SERVICES = os.environ.get("KF_REQUIRE_SERVICES") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; fail in CI."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"KF_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def make_clip() -> Callable[..., str]:
    """Render a real H.264 clip under MEDIA_ROOT; returns its media name."""

    def make(name: str = "videos/test/real.mp4", seconds: float = 2.0) -> str:
        path = Path(settings.MEDIA_ROOT) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            render_clip(ClipSpec(caption="test", hue=0.4, seconds=seconds), path)
        return name

    return make


@pytest.fixture
def postgres(db) -> None:
    require(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "DATABASE_URL is not PostgreSQL",
    )


@pytest.fixture
def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    require(bool(url), "CELERY_BROKER_URL is not set")
    return url


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    broker = os.environ.get("CELERY_BROKER_URL") or "none (eager)"
    return [f"kfplatform: database={db['ENGINE'].rsplit('.', 1)[-1]} broker={broker}"]
