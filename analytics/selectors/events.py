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


def fresh_video_outcomes(*, video_ids: list[int], since: datetime) -> dict[int, tuple[int, int]]:
    """Impressions and plays per video since ``since``, in one query: the
    exploration posterior's evidence (a play counts as a click)."""
    rows = (
        Event.objects.filter(
            video_id__in=video_ids,
            ts__gte=since,
            type__in=[Event.Type.IMPRESSION, Event.Type.PLAY],
        )
        .values("video_id", "type")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, list[int]] = {}
    for video_id, type_, n in rows.values_list("video_id", "type", "n"):
        counts.setdefault(int(video_id or 0), [0, 0])[type_ == Event.Type.PLAY] += n
    return {video: (shown, min(played, shown)) for video, (shown, played) in counts.items()}


@dataclass(frozen=True)
class LoggedImpression:
    """One logged video impression of a known viewer, with what followed it."""

    user_id: int
    video_id: int
    ts: float  # unix seconds
    clicked: bool  # the viewer played the video after the impression
    watch_seconds: float  # the largest cumulative progress after it (0 if not played)
    purchased: bool  # the viewer bought the video's course after it


def logged_impressions(
    *, since: datetime, course_of: dict[int, int | None]
) -> list[LoggedImpression]:
    """Video impressions since ``since`` with their outcomes, in three queries.

    Outcomes are matched per viewer and video: a play, the largest progress
    heartbeat and a purchase of the video's course (``course_of``: video id to
    course id), each after the impression (the latest impression of a pair
    takes them).
    """
    users_of = dict(Subject.objects.filter(user_id__isnull=False).values_list("key", "user_id"))
    shown = Event.objects.filter(type=Event.Type.IMPRESSION, video_id__isnull=False, ts__gte=since)
    rows = list(shown.values_list("subject_id", "video_id", "ts").order_by("ts"))
    after = (
        Event.objects.filter(
            ts__gte=since,
            type__in=[Event.Type.PLAY, Event.Type.PROGRESS, Event.Type.PURCHASE],
            subject_id__in=shown.values("subject_id"),
        )
        .values_list("subject_id", "type", "video_id", "course_id", "ts", "value")
        .order_by()
    )
    played: dict[tuple[str, int], datetime] = {}
    watched: dict[tuple[str, int], float] = {}
    bought: dict[tuple[str, int], datetime] = {}
    for subject, type_, video_id, course_id, ts, value in after.iterator(chunk_size=20_000):
        if type_ == Event.Type.PURCHASE and course_id is not None:
            bought[(subject, course_id)] = max(ts, bought.get((subject, course_id), ts))
        elif type_ == Event.Type.PLAY and video_id is not None:
            played[(subject, video_id)] = max(ts, played.get((subject, video_id), ts))
        elif video_id is not None:
            watched[(subject, video_id)] = max(value, watched.get((subject, video_id), 0.0))
    result = []
    for subject, video_id, ts in rows:
        user = users_of.get(subject)
        if user is None or video_id is None:
            continue
        play = played.get((subject, video_id))
        clicked = play is not None and play >= ts
        course = course_of.get(video_id)
        purchase = bought.get((subject, course)) if course is not None else None
        result.append(
            LoggedImpression(
                user_id=int(user),
                video_id=int(video_id),
                ts=ts.timestamp(),
                clicked=clicked,
                watch_seconds=float(watched.get((subject, video_id), 0.0)) if clicked else 0.0,
                purchased=clicked and purchase is not None and purchase >= ts,
            )
        )
    return result


def exploration_impressions(*, since: datetime, until: datetime) -> list[tuple[bool, Any]]:
    """(played afterwards, props) of each exploration impression (one logged
    with ``explore_candidates``) in the window, in two queries; the props are
    the page's, unchecked."""
    in_window = Q(ts__gte=since, ts__lt=until)
    logged = list(
        Event.objects.filter(
            in_window,
            type=Event.Type.IMPRESSION,
            video_id__isnull=False,
            props__has_key="explore_candidates",
        ).values_list("subject_id", "video_id", "props")
    )
    if not logged:
        return []
    played = set(
        Event.objects.filter(
            in_window,
            type=Event.Type.PLAY,
            subject_id__in={subject for subject, _, _ in logged},
            video_id__in={video for _, video, _ in logged},
        ).values_list("subject_id", "video_id")
    )
    return [((subject, video) in played, props) for subject, video, props in logged]
