"""Reads of the raw event log for other apps' models: ids, types and numbers.

Trending, the recommender's training data and its A/B report need events
finer than the daily rollups; they read them here, so the event table's
shape stays analytics' own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDay

from ..models import Event, Subject
from ..rollups import watch_per_video_day

# Event types by name (``EventType.LIKE``), for callers of ``event_record``
# and readers of these selectors, without the model.
EventType = Event.Type


def video_event_counts_by_day(
    *, since: datetime, types: list[str]
) -> list[tuple[int, str, datetime, int]]:
    """(video_id, type, day, count) for events of ``types`` since ``since``, in one query."""
    rows = (
        Event.objects.filter(ts__gte=since, type__in=types, video_id__isnull=False)
        .annotate(day=TruncDay("ts"))
        .values_list("video_id", "type", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(int(video_id), type_, day, int(n)) for video_id, type_, day, n in rows]


def user_ids_by_subject() -> dict[str, int]:
    """Every signed-in subject's pseudonym → user id, in one query."""
    rows = Subject.objects.filter(user_id__isnull=False).values_list("key", "user_id")
    return {key: int(user_id) for key, user_id in rows if user_id is not None}


def video_watch_maxima() -> Iterator[dict[str, Any]]:
    """Per subject and video: the furthest ``video.progress`` (``seconds``) and when
    it was last seen (``last``); keys ``subject_id``, ``video_id``. Streamed."""
    views = (
        Event.objects.filter(type=Event.Type.PROGRESS, video_id__isnull=False)
        .values("subject_id", "video_id")
        .annotate(seconds=Max("value"), last=Max("ts"))
        .order_by()
    )
    return views.iterator(chunk_size=20_000)


def item_events(*, types: list[str]) -> Iterator[tuple[str, str, int | None, int | None, datetime]]:
    """(subject_id, type, video_id, course_id, ts) of every event of ``types``. Streamed."""
    rows = Event.objects.filter(type__in=types).values_list(
        "subject_id", "type", "video_id", "course_id", "ts"
    )
    return rows.iterator(chunk_size=20_000)


@dataclass(frozen=True)
class RecommendedExposure:
    """What the subjects shown recommendations did in a window, by pseudonym.

    ``user_of`` holds the exposed signed-in subjects (the report's viewers).
    """

    user_of: dict[str, int]
    counts: dict[str, dict[str, int]]  # impressions and plays of recommended items
    watched_seconds: dict[str, float]  # the analytics watch-time rule, summed
    buyers: set[str]


def recommended_exposure(*, since: datetime, until: datetime) -> RecommendedExposure:
    """Impressions, plays, watch time and purchases of subjects who saw a
    recommended feed item (an impression carrying ``props.model_version``)."""
    in_window = Q(ts__gte=since, ts__lt=until)
    recommended = Event.objects.filter(
        in_window,
        type__in=[Event.Type.IMPRESSION, Event.Type.PLAY],
        props__model_version__isnull=False,  # the key is there...
        props__surface__isnull=True,  # the feed, not a page's similar list
    ).exclude(props__model_version=None)  # ...and not JSON null (a trending page)
    counts: dict[str, dict[str, int]] = {}
    per_subject = recommended.values("subject_id", "type").annotate(n=Count("id"))
    for subject_id, kind, n in per_subject.values_list("subject_id", "type", "n"):
        counts.setdefault(subject_id, {})[kind] = n
    exposed = recommended.filter(type=Event.Type.IMPRESSION).values("subject_id")
    user_of: dict[str, int] = {
        key: int(user_id or 0)
        for key, user_id in Subject.objects.filter(
            key__in=exposed, user_id__isnull=False
        ).values_list("key", "user_id")
    }
    watched: dict[str, float] = {}
    viewing = Event.objects.filter(in_window, subject_id__in=exposed)
    for video_day in watch_per_video_day(viewing, "subject_id"):
        subject_id = video_day["subject_id"]
        watched[subject_id] = watched.get(subject_id, 0.0) + float(video_day["seconds"] or 0)
    buyers = set(
        Event.objects.filter(in_window, type=Event.Type.PURCHASE, subject_id__in=exposed)
        .values_list("subject_id", flat=True)
        .distinct()
    )
    return RecommendedExposure(user_of, counts, watched, buyers)
