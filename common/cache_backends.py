"""A Redis cache whose outage costs speed, never a page.

Django's ``RedisCache`` raises ``redis.ConnectionError`` from every call
when Redis is down, so every logged-in request (sessions read and write
the cache) became a 500. ``FailSoftRedisCache`` answers as if the cache
were empty instead: reads miss, writes are dropped, each logged once per
outage as a warning. After a failure it stops trying for
``retry_seconds`` (a per-process circuit breaker), so a dead or hung Redis
costs one connection timeout every few seconds, not one per call.

``flush_after_outage`` (for the sessions cache, whose truth is in the
database): the first call that succeeds after an outage empties the cache
database, because writes dropped during the outage (a logout, a changed
session) would otherwise come back stale with Redis.

``ping()`` reports the real state for readiness checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from prometheus_client import Counter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_ERRORS = Counter(
    "kf_cache_errors",
    "Cache calls that failed and were answered as a miss (or dropped).",
    ["alias"],
)


def _display_location(server: str) -> str:
    """host:port/db of a Redis URL, without credentials (for logs and metric labels)."""
    parts = urlsplit(str(server).split(",")[0])
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


class FailSoftRedisCache(RedisCache):
    """``RedisCache`` that degrades to "always a miss" while Redis is unreachable.

    Extra ``OPTIONS`` (taken out before the rest go to redis-py):
    ``retry_seconds`` (default 5), ``flush_after_outage`` (default False) and
    ``name`` (how logs and the ``kf_cache_errors_total`` metric call it).
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self._retry_seconds = float(options.pop("retry_seconds", 5.0))
        self._flush_after_outage = bool(options.pop("flush_after_outage", False))
        self._alias = str(options.pop("name", "") or _display_location(server))
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0  # time.monotonic() before which no call is tried
        self._outage = False

    # --- the guard every call goes through -------------------------------

    def _guard(self, call: Callable[[], T], fallback: T) -> T:
        if self._outage and not self._recover():
            return fallback
        try:
            return call()
        except RedisError as exc:
            self._failed(exc)
            return fallback

    def _failed(self, exc: RedisError) -> None:
        self._down_until = time.monotonic() + self._retry_seconds
        self._drop_connections()
        CACHE_ERRORS.labels(alias=self._alias).inc()
        if not self._outage:
            logger.warning(
                "cache %s unavailable (%s); serving without it, retrying every %.0f s",
                self._alias,
                exc,
                self._retry_seconds,
            )
        self._outage = True

    def _recover(self) -> bool:
        """After ``retry_seconds``, see whether Redis is back (emptying it first if asked)."""
        if time.monotonic() < self._down_until:
            return False
        try:
            if self._flush_after_outage:
                super().clear()
            else:
                self.ping()
        except RedisError as exc:
            self._failed(exc)
            return False
        self._outage = False
        logger.warning(
            "cache %s is back%s",
            self._alias,
            " (emptied: writes were dropped meanwhile)" if self._flush_after_outage else "",
        )
        return True

    def _drop_connections(self) -> None:
        """Forget pooled connections: after a failure they may point at a Redis that
        restarted, and each would fail once more before the pool tried a new one."""
        backend: Any = self  # django-stubs do not declare RedisCache._cache
        for pool in backend._cache._pools.values():
            pool.disconnect()

    def ping(self) -> None:
        """Raise unless Redis answers now (readiness); ignores the circuit breaker."""
        backend: Any = self
        backend._cache.get_client(write=True).ping()

    # --- Django's cache API ----------------------------------------------

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard(
            lambda: super(FailSoftRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._guard(lambda: super(FailSoftRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard(lambda: super(FailSoftRedisCache, self).has_key(key, version), False)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._guard(lambda: super(FailSoftRedisCache, self).set(key, value, timeout, version), None)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._guard(
            lambda: super(FailSoftRedisCache, self).add(key, value, timeout, version), False
        )

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self._guard(
            lambda: super(FailSoftRedisCache, self).set_many(data, timeout, version), []
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._guard(
            lambda: super(FailSoftRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard(lambda: super(FailSoftRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guard(lambda: super(FailSoftRedisCache, self).delete_many(keys, version), None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """While Redis is down a counter reads as a fresh one (limits built on it fail open)."""
        return self._guard(lambda: super(FailSoftRedisCache, self).incr(key, delta, version), delta)

    def clear(self) -> None:
        self._guard(lambda: super(FailSoftRedisCache, self).clear(), None)
