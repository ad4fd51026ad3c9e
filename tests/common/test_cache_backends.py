"""A Redis outage costs speed, never a page: the fail-soft cache and sessions that outlive it."""

import logging
import socket
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from common.cache_backends import CACHE_ERRORS, FailSoftRedisCache
from tests.conftest import require
from tests.factories import UserFactory


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once it is closed


def _dead_redis_url() -> str:
    return f"redis://127.0.0.1:{_closed_port()}/0"


def _dead_cache(**options: object) -> FailSoftRedisCache:
    return FailSoftRedisCache(
        _dead_redis_url(), {"OPTIONS": {"name": "dead", "retry_seconds": 60, **options}}
    )


def test_a_dead_redis_reads_as_a_miss_and_drops_writes(caplog) -> None:
    # given: a cache whose Redis is not there
    cache = _dead_cache()
    before = CACHE_ERRORS.labels(alias="dead")._value.get()
    # when / then: every call answers, as an empty cache would
    with caplog.at_level(logging.WARNING, logger="common.cache_backends"):
        assert cache.get("k", "fallback") == "fallback"
        cache.set("k", 1, 30)
        assert cache.add("k", 1, 30) is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set_many({"a": 1}, 30) == []
        assert "k" not in cache
        assert cache.delete("k") is False
        cache.delete_many(["a"])
        assert cache.incr("counter") == 1  # limits built on counters fail open
        assert cache.get_or_set("k", 5, 30) == 5
        cache.clear()
    # and the outage is logged once, not once per call
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert "dead" in warnings[0].getMessage()
    # and one error counted: the breaker stops trying until retry_seconds pass
    assert CACHE_ERRORS.labels(alias="dead")._value.get() == before + 1


def test_the_breaker_tries_again_after_retry_seconds(monkeypatch) -> None:
    cache = _dead_cache(retry_seconds=0)
    before = CACHE_ERRORS.labels(alias="dead")._value.get()
    cache.get("a")
    cache.get("b")
    assert CACHE_ERRORS.labels(alias="dead")._value.get() == before + 2


def test_ping_reports_the_real_state() -> None:
    with pytest.raises(RedisConnectionError):
        _dead_cache().ping()


def _client(cache: FailSoftRedisCache) -> Any:
    """Django's RedisCacheClient behind the backend (django-stubs do not declare it)."""
    backend: Any = cache
    return backend._cache


def _redis_url() -> str:
    require(bool(django_settings.REDIS_URL), "REDIS_URL is not set")
    return str(django_settings.CACHES["default"]["LOCATION"])


def test_the_sessions_cache_is_emptied_when_redis_comes_back(monkeypatch) -> None:
    # given: a sessions cache (on this test process's own Redis database) holding a session
    cache = FailSoftRedisCache(
        _redis_url(), {"OPTIONS": {"name": "sessions", "flush_after_outage": True}}
    )
    cache.set("session:1", {"user": 1}, 60)
    real_get = _client(cache).get

    def down(*args: object, **kwargs: object) -> object:
        raise RedisConnectionError("down")

    # when: Redis goes away (a logout during it cannot reach the cache) and comes back
    monkeypatch.setattr(_client(cache), "get", down)
    assert cache.get("session:1") is None
    monkeypatch.setattr(_client(cache), "get", real_get)
    cache._down_until = 0.0
    # then: the first call after the outage finds the cache emptied, so the
    # database answers and the stale session cannot come back
    assert cache.get("session:1") is None
    cache.set("session:1", {"user": 1}, 60)
    assert cache.get("session:1") == {"user": 1}


def test_a_plain_cache_keeps_its_values_after_an_outage(monkeypatch) -> None:
    cache = FailSoftRedisCache(_redis_url(), {"OPTIONS": {"name": "cache"}})
    cache.set("page", "kept", 60)
    real_get = _client(cache).get

    def down(*args: object, **kwargs: object) -> object:
        raise RedisConnectionError("down")

    monkeypatch.setattr(_client(cache), "get", down)
    assert cache.get("page") is None
    monkeypatch.setattr(_client(cache), "get", real_get)
    cache._down_until = 0.0
    assert cache.get("page") == "kept"


@pytest.mark.django_db
def test_logged_in_pages_and_the_api_answer_while_redis_is_down(settings) -> None:
    # given: a viewer logged in while the cache was up
    viewer = UserFactory.create()
    client = Client()
    client.force_login(viewer)
    # when: the cache and session Redis are down
    dead = {
        "BACKEND": "common.cache_backends.FailSoftRedisCache",
        "LOCATION": _dead_redis_url(),
        "OPTIONS": {"retry_seconds": 60},
    }
    settings.CACHES = {"default": dead, "sessions": {**dead, "OPTIONS": {"retry_seconds": 60}}}
    settings.SESSION_CACHE_ALIAS = "sessions"
    # then: pages and the API still know who is asking (sessions come from the database)
    for path in ("/", "/feed/", "/me/", "/me/notifications/", "/search/?q=python"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.wsgi_request.user.pk == viewer.pk
    assert client.get("/api/v1/me/notifications").status_code == 200
    assert client.get("/api/v1/recommendations/feed").status_code == 200
    # and a new login works too
    other = UserFactory.create()
    fresh = Client()
    response = fresh.post(
        "/accounts/login/", {"username": other.username, "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert fresh.get("/me/").wsgi_request.user.pk == other.pk
    assert isinstance(caches["sessions"], FailSoftRedisCache)
