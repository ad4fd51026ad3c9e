"""A per-viewer generation number that cached personal pages are keyed by.

Writes that change what a viewer should see next (a like, "not
interested", a follow) bump it; pages cached under the old number are
simply never read again. Lives at the bottom layer so any app can bump it.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(user_id: int) -> str:
    return f"viewer:{user_id}:generation"


def viewer_generation(user_id: int) -> int:
    """The viewer's current generation (0 when unknown or the cache is down)."""
    try:
        return int(cache.get(_key(user_id)) or 0)
    except Exception:
        logger.warning("cache unavailable reading a viewer generation", exc_info=True)
        return 0


def viewer_generation_bump(user_id: int) -> None:
    """Invalidate every cached personal page of this viewer."""
    try:
        cache.add(_key(user_id), 0, timeout=None)
        cache.incr(_key(user_id))
    except Exception:
        logger.warning("cache unavailable bumping a viewer generation", exc_info=True)
