"""Serve precomputed recommendations: filter, explore, diversify, explain.

Reads the active version's top-N (cache first, then the database), drops
what the viewer has seen, owns, created or hid since training, mixes in a
share of fresh items, re-ranks from the session's last interactions,
keeps at most two items in a row from one creator and attaches a reason.
Falls back to trending when nothing is stored or the cache is down.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone

from accounts.selectors import followed_creator_ids
from common.cache import cache_get_many, cache_read_through, cache_set, viewer_generation_key
from courses.selectors import (
    course_list_published,
    video_list_for_tab,
    video_list_published,
    viewer_signals,
)
from recommendations.engine.exploration import ThompsonExplorer

from .experiments import RUNNING_CACHE_KEY, running_experiment, version_for
from .models import ModelVersion
from .selectors import (
    fresh_video_outcomes,
    stored_neighbours,
    stored_up_next,
    stored_user_items,
)

logger = logging.getLogger(__name__)

ACTIVE_VERSION_CACHE_KEY = "rec:active-version"
SESSION_WINDOW = timedelta(minutes=30)
MAX_RUN_PER_CREATOR = 2
FRESH_WINDOW = timedelta(days=7)
FRESH_CANDIDATES = 50
EXPLORATION_STATE_CACHE_KEY = "rec:explore-state"
# 2,000 posterior draws per slot: a propensity's standard error is at most 0.011,
# and a page's slots cost a few milliseconds.
EXPLORER = ThompsonExplorer(propensity_draws=2000)


@dataclass(frozen=True)
class Served:
    """One recommended item with why it is there."""

    key: str  # "v12" or "c3"
    score: float
    reason: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "video" if self.key[0] == "v" else "course"

    @property
    def id(self) -> int:
        return int(self.key[1:])

    @property
    def propensity(self) -> float:
        """The probability serving had of putting this item here: below 1 only for an
        exploration pick (logged on its impression for off-policy evaluation)."""
        return float(self.reason.get("propensity", 1.0))


@dataclass(frozen=True)
class ServedPage:
    items: list[Served]
    version_id: int | None  # None: the trending fallback served


@dataclass(frozen=True)
class PageSlot:
    """A served page's place in the cache, and the state it must have been built in."""

    key: str
    version: int  # the viewer's model version (active or A/B treatment), 0 for none
    generation: int  # the viewer's generation
    rendered: bytes | None  # the page, if one built in this very state is stored


def page_slot(*, user_id: int, kind: str, limit: int, offset: int) -> PageSlot:
    """Look a served page up in one cache round trip.

    The active version, the viewer's generation and the stored page come in
    one MGET; the page is stored with the version and generation it was
    built under, and counts only while both are still current. So a new
    model or a like, hide or follow (which bumps the generation) makes the
    next request recompute, as when both were part of the key.
    """
    key = f"rec:page:{user_id}:{kind}:{offset}:{limit}"
    generation_key = viewer_generation_key(user_id)
    found = cache_get_many([ACTIVE_VERSION_CACHE_KEY, RUNNING_CACHE_KEY, generation_key, key])
    active = found.get(ACTIVE_VERSION_CACHE_KEY)
    if active is None:  # expired (30 s) or flipped: read through as before
        active = active_version_id() or 0
    experiment = found.get(RUNNING_CACHE_KEY)
    if experiment is None:
        experiment = running_experiment()
    version = (
        version_for(user_id=user_id, active_version_id=active, experiment=experiment or None) or 0
    )
    generation = int(found.get(generation_key) or 0)
    stored = found.get(key)
    rendered = None
    if isinstance(stored, tuple) and stored[:2] == (version, generation):
        rendered = stored[2]
    return PageSlot(key, version, generation, rendered)


def page_store(slot: PageSlot, rendered: bytes, *, timeout: int) -> None:
    cache_set(slot.key, (slot.version, slot.generation, rendered), timeout=timeout)


def active_version_id() -> int | None:
    version = cache_read_through(
        ACTIVE_VERSION_CACHE_KEY,
        lambda: (
            ModelVersion.objects.filter(status="active").values_list("pk", flat=True).first() or 0
        ),
        timeout=30,
    )
    return version or None


def viewer_version_id(*, user_id: int) -> int | None:
    """The version a viewer is served: the active one, or their A/B test's treatment."""
    return version_for(
        user_id=user_id, active_version_id=active_version_id(), experiment=running_experiment()
    )


def user_candidates(*, version_id: int, user_id: int) -> list[list[Any]]:
    return cache_read_through(
        f"rec:{version_id}:u:{user_id}",
        lambda: stored_user_items(version_id=version_id, user_id=user_id) or [],
        timeout=3600,
    )


def neighbours_of(*, version_id: int, item_key: str) -> list[list[Any]]:
    return cache_read_through(
        f"rec:{version_id}:i:{item_key}",
        lambda: stored_neighbours(version_id=version_id, item_keys=[item_key]).get(item_key, []),
        timeout=3600,
    )


@dataclass(frozen=True)
class ViewerContext:
    """What the viewer did since training: to filter and to re-rank by."""

    hidden: set[str]  # seen, owned or refused: never recommended
    refused: set[str]  # owned or "not interested": not even in fallbacks
    recent_positive: list[str]  # this session's likes and watches, newest first
    history: list[str]  # the last videos watched, any time
    followed_creators: set[int]


def viewer_context(*, user_id: int) -> ViewerContext:
    """Seen, owned and hidden items plus this session's signals, in four queries."""
    since = timezone.now() - SESSION_WINDOW
    signals = viewer_signals(user_id=user_id, since=since)
    watched = signals.watched
    refused = {f"v{v}" for v in signals.not_interested} | {f"c{c}" for c in signals.owned}
    recent = [f"v{v}" for v in signals.liked_since] + [f"v{v}" for v, at in watched if at >= since]
    followed = followed_creator_ids(user_id=user_id)
    return ViewerContext(
        hidden=refused | {f"v{v}" for v, _ in watched},
        refused=refused,
        recent_positive=list(dict.fromkeys(recent))[:10],
        history=[f"v{v}" for v, _ in watched[:10]],
        followed_creators=followed,
    )


def recommend_for_user(*, user_id: int, kind: str, limit: int, offset: int = 0) -> ServedPage:
    """A page of videos (``kind="video"``) or courses for a viewer, best first."""
    version_id = viewer_version_id(user_id=user_id)
    stored = user_candidates(version_id=version_id, user_id=user_id) if version_id else []
    prefix = "v" if kind == "video" else "c"
    context = viewer_context(user_id=user_id)
    candidates = [
        Served(key, float(score))
        for key, score in stored
        if key[0] == prefix and key not in context.hidden
    ]
    if version_id is None or not candidates:
        fallback = trending(kind=kind, limit=limit, offset=offset, exclude=context.hidden)
        if not fallback and offset == 0:  # seen everything: rewatching beats an empty feed
            fallback = trending(kind=kind, limit=limit, exclude=context.refused)
        return ServedPage(items=fallback, version_id=None)
    candidates = _session_rerank(candidates, version_id, context)
    candidates = _explore(
        candidates,
        kind=kind,
        exclude=context.hidden,
        share=settings.RECOMMENDATIONS_EXPLORATION_SHARE,
        window=offset + limit + 20,
    )
    window = candidates[: offset + limit + 20]
    creators = _creators_of(window, kind)
    ranked = _diversify(window, creators)[offset : offset + limit]
    return ServedPage(items=_explain(ranked, version_id, context, creators), version_id=version_id)


def similar_items(
    *, version_id: int, item_key: str, user_id: int | None, limit: int
) -> list[Served]:
    """An item's stored neighbours; for a logged-in viewer, minus what the feed
    would not show them either: seen, owned, refused, or their own."""
    reason = {"kind": "because_you_watched", "item": item_key}
    items = [
        Served(key, float(score), reason)
        for key, score in neighbours_of(version_id=version_id, item_key=item_key)
        if key != item_key
    ]
    return _for_viewer(items, user_id)[:limit]


def up_next_of(*, version_id: int, item_key: str, user_id: int | None) -> list[list[Any]] | None:
    """The stored "up next" list after ``item_key`` for this viewer (see
    ``selectors.stored_up_next``), cached per version, item and viewer."""
    stored = cache_read_through(
        f"rec:{version_id}:n:{item_key}:{user_id or 0}",
        # () caches "no sequence lists" (None would read as a miss every time)
        lambda: stored_up_next(version_id=version_id, item_key=item_key, user_id=user_id) or (),
        timeout=3600,
    )
    return list(stored) if stored else None


def up_next(*, version_id: int, item_key: str, user_id: int | None, limit: int) -> list[Served]:
    """What to play after ``item_key``: the sequence model's list, best first.

    For a viewer whose history at training ended with ``item_key`` the list
    reads that whole history; otherwise it is the list after ``item_key``
    alone. A version without sequence lists (torch absent, model off)
    falls back to the item's similar items. Filtered like
    :func:`similar_items`.
    """
    stored = up_next_of(version_id=version_id, item_key=item_key, user_id=user_id)
    if stored is None:
        return similar_items(version_id=version_id, item_key=item_key, user_id=user_id, limit=limit)
    reason = {"kind": "up_next", "item": item_key}
    items = [Served(key, float(score), reason) for key, score in stored if key != item_key]
    return _for_viewer(items, user_id)[:limit]


def _for_viewer(items: list[Served], user_id: int | None) -> list[Served]:
    """Drop what a logged-in viewer saw, owns, refused or made."""
    if user_id is None:
        return items
    hidden = viewer_context(user_id=user_id).hidden
    items = [s for s in items if s.key not in hidden]
    creators = {
        **_creators_of([s for s in items if s.kind == "video"], "video"),
        **_creators_of([s for s in items if s.kind == "course"], "course"),
    }
    return [s for s in items if creators.get(s.key, user_id) != user_id]


def trending(
    *, kind: str, limit: int, offset: int = 0, exclude: Iterable[str] = ()
) -> list[Served]:
    """The non-personalised list: by trending score (videos) or enrollments (courses)."""
    skip = set(exclude)
    ranked = (
        video_list_for_tab(sort="trending")
        if kind == "video"
        else course_list_published().order_by("-enrollment_count", "-id")
    )
    ids = ranked.values_list("pk", flat=True)
    prefix = "v" if kind == "video" else "c"
    keys = [f"{prefix}{i}" for i in ids[: offset + limit + len(skip)] if f"{prefix}{i}" not in skip]
    return [Served(key, 0.0, {"kind": "trending"}) for key in keys[offset : offset + limit]]


def _session_rerank(
    candidates: list[Served], version_id: int, context: ViewerContext
) -> list[Served]:
    """Lift neighbours of what the viewer just liked or watched: fresh intent, no retrain."""
    boost: dict[str, float] = {}
    for source in context.recent_positive:
        for key, score in neighbours_of(version_id=version_id, item_key=source):
            boost[key] = max(boost.get(key, 0.0), float(score))
    if not boost:
        return candidates
    top = max((c.score for c in candidates), default=1.0) or 1.0
    rescored = [
        Served(c.key, c.score + top * 0.5 * boost.get(c.key, 0.0), c.reason) for c in candidates
    ]
    return sorted(rescored, key=lambda c: -c.score)


def _explore(
    candidates: list[Served], *, kind: str, exclude: set[str], share: float, window: int
) -> list[Served]:
    """Put a fresh video at every 1/share-th place, chosen by Thompson sampling.

    Each fresh video's click-through rate has a Beta posterior from its
    impressions and plays of the last week (``exploration_state``); a slot
    serves the largest posterior draw, or with probability 0.1 a uniform
    pick (``engine.exploration.ThompsonExplorer``). The pick's propensity
    and the number of candidates go in its reason, for the impression.
    Only the slots within the first ``window`` places are drawn.
    """
    if share <= 0 or kind != "video":
        return candidates
    taken = {c.key for c in candidates} | exclude
    state = exploration_state()
    fresh = [(video, n, c) for video, n, c in state if f"v{video}" not in taken]
    step = max(round(1 / share), 2)
    slots = min(len(candidates), window) // (step - 1)
    if not fresh or slots == 0:
        return candidates
    videos, shown, played = (np.asarray(column) for column in zip(*fresh, strict=True))
    picks = EXPLORER.choose(
        videos.astype(np.int64),
        shown.astype(np.float64),
        played.astype(np.float64),
        slots,
        np.random.default_rng(),
    )
    explored = [
        Served(
            f"v{pick.item}",
            0.0,
            {"kind": "fresh", "propensity": round(pick.propensity, 4), "candidates": len(fresh)},
        )
        for pick in picks
    ]
    result: list[Served] = []
    for position, item in enumerate(candidates, start=1):
        result.append(item)
        if position % (step - 1) == 0 and explored:
            result.append(explored.pop(0))
    return result


def exploration_state() -> list[tuple[int, int, int]]:
    """``(video id, impressions, plays)`` of the newest published videos of the
    last week, cached for a minute (two queries on a miss)."""

    def load() -> list[tuple[int, int, int]]:
        since = timezone.now() - FRESH_WINDOW
        ids = list(
            video_list_published()
            .filter(published_at__gte=since)
            .values_list("pk", flat=True)[:FRESH_CANDIDATES]
        )
        outcomes = fresh_video_outcomes(video_ids=ids, since=since) if ids else {}
        return [(i, *outcomes.get(i, (0, 0))) for i in ids]

    return cache_read_through(EXPLORATION_STATE_CACHE_KEY, load, timeout=60)


def _creators_of(items: list[Served], kind: str) -> dict[str, int]:
    ids = [s.id for s in items]
    catalogue = video_list_published() if kind == "video" else course_list_published()
    rows = catalogue.filter(pk__in=ids).values_list("pk", "creator_id")
    prefix = "v" if kind == "video" else "c"
    return {f"{prefix}{pk}": creator for pk, creator in rows}


def _diversify(items: list[Served], creators: dict[str, int]) -> list[Served]:
    """Greedy re-rank: never more than two in a row from one creator, else keep order."""
    pending = [s for s in items if s.key in creators]  # drops items no longer published
    result: list[Served] = []
    while pending:
        recent = [creators[s.key] for s in result[-MAX_RUN_PER_CREATOR:]]
        blocked = (
            creators[pending[0].key]
            if len(recent) == MAX_RUN_PER_CREATOR and len(set(recent)) == 1
            else None
        )
        pick = next((i for i, s in enumerate(pending) if creators[s.key] != blocked), 0)
        result.append(pending.pop(pick))
    return result


def _explain(
    items: list[Served], version_id: int, context: ViewerContext, creators: dict[str, int]
) -> list[Served]:
    """Attach a reason: a recent item it resembles, a followed creator, or popularity."""
    similar_to: dict[str, str] = {}
    for source in [*context.recent_positive, *context.history][:5]:
        for key, _ in neighbours_of(version_id=version_id, item_key=source):
            similar_to.setdefault(key, source)
    explained = []
    for item in items:
        if item.reason:
            reason = item.reason
        elif item.key in similar_to:
            reason = {"kind": "because_you_watched", "item": similar_to[item.key]}
        elif creators.get(item.key) in context.followed_creators:
            reason = {"kind": "followed_creator"}
        else:
            reason = {"kind": "popular_in"}
        explained.append(Served(item.key, item.score, reason))
    return explained
