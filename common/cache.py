"""Cache reads and writes that survive a cache outage, and per-viewer generations.

A cache (Redis in production) speeds pages up but must never take them
down: reads that fail count as misses and writes that fail are dropped.
Personal pages carry a viewer's generation number; writes that change
what the viewer should see next (a like, "not interested", a follow) bump
it, so old pages no longer match and are recomputed. Lives at the
bottom layer so every app can use it.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get(key: str) -> Any:
    """The cached value, or None on a miss or an outage."""
    try:
        return cache.get(key)
    except Exception:
        logger.warning("cache unavailable reading %s", key, exc_info=True)
        return None


def cache_set(key: str, value: Any, *, timeout: int) -> None:
    """Store a value; an outage only costs the next reader a recomputation."""
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache unavailable writing %s", key, exc_info=True)


def cache_read_through(key: str, load: Callable[[], Any], *, timeout: int) -> Any:
    """The cached value, else ``load()`` stored for ``timeout`` seconds.

    ``load`` must not return None (that reads as a miss every time): cache a
    sentinel such as 0 or ``()`` for "nothing". An outage degrades to ``load``.
    """
    value = cache_get(key)
    if value is None:
        value = load()
        cache_set(key, value, timeout=timeout)
    return value


def cache_get_many(keys: list[str]) -> dict[str, Any]:
    """The cached values found, in one round trip; nothing on an outage."""
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("cache unavailable reading %s", keys, exc_info=True)
        return {}


def cache_count_hit(key: str, *, window_seconds: int | None) -> int:
    """Count one more hit in a fixed window that starts at the first hit (``None``:
    no end); return the count.

    ``add`` then ``incr`` is atomic on Redis and locmem, so parallel requests
    cannot all read the same count. A cache outage returns 1 (limits built on
    this fail open: the actions they guard matter more than the limit).
    """
    try:
        cache.add(key, 0, timeout=window_seconds)
        return int(cache.incr(key))
    except Exception:
        logger.warning("cache unavailable counting %s", key, exc_info=True)
        return 1


def viewer_generation_key(user_id: int) -> str:
    """Cache key of the viewer's generation (an int; absent means 0)."""
    return f"viewer:{user_id}:generation"


def viewer_generation_bump(user_id: int) -> None:
    """Invalidate every cached personal page of this viewer."""
    cache_count_hit(viewer_generation_key(user_id), window_seconds=None)


def cache_delete_many(keys: list[str]) -> None:
    """Forget values; an outage leaves them to expire on their own."""
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("cache unavailable deleting %s", keys[:5], exc_info=True)


def cache_set_many(values: dict[str, Any], *, timeout: int) -> None:
    """Store several values in one round trip; an outage costs a recomputation."""
    try:
        cache.set_many(values, timeout)
    except Exception:
        logger.warning("cache unavailable writing %s", list(values)[:5], exc_info=True)
