"""ORM → arrays for the engine, and reads of the serving store.

The only schema-aware code of the recommender: it maps database ids to
dense indices (users are rows, items columns) and back. Items are short
videos (``"v<id>"``) and courses (``"c<id>"``) in one space.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from django.db.models import Count, Max
from numpy.typing import NDArray

from analytics.models import Event, Subject
from courses.models import Course, Enrollment, NotInterested, ShortVideo
from courses.selectors import visible_q
from recommendations.engine.types import InteractionMatrix, ItemContent
from recommendations.engine.weights import EventType, build_interactions

from .models import ItemNeighbours, ModelVersion, UpNext, UserRecommendation

# Analytics event type → engine code, and which id column names the item.
_ITEM_EVENTS = {
    Event.Type.LIKE: (EventType.LIKE, "video"),
    Event.Type.COMMENT: (EventType.COMMENT, "video"),
    Event.Type.SHARE: (EventType.SHARE, "video"),
    Event.Type.FAVORITE: (EventType.LIKE, "video"),
    Event.Type.COURSE_VIEW: (EventType.COURSE_VIEW, "course"),
    Event.Type.PREVIEW_PLAY: (EventType.COURSE_PREVIEW, "course"),
    Event.Type.PURCHASE: (EventType.PURCHASE, "course"),
}


@dataclass(frozen=True)
class Catalogue:
    """The item space: keys in column order, plus what content models need."""

    keys: list[str]
    creator_ids: NDArray[np.int64]
    content: ItemContent

    def index(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.keys)}


@dataclass(frozen=True)
class TrainingData:
    """Everything one training run needs, with the maps back to database ids."""

    interactions: InteractionMatrix
    user_ids: NDArray[np.int64]
    catalogue: Catalogue
    exclusions: sp.csr_matrix  # owned courses, own content, "not interested"


def catalogue_load() -> Catalogue:
    """Published, approved videos and courses with title, tags and category."""
    visible = visible_q()
    videos = ShortVideo.objects.filter(visible).prefetch_related("tags").order_by("pk")
    courses = Course.objects.filter(visible).prefetch_related("tags").order_by("pk")
    keys, creators, titles, texts, tags, categories = [], [], [], [], [], []
    for prefix, rows in (("v", videos), ("c", courses)):
        for row in rows:
            keys.append(f"{prefix}{row.pk}")
            creators.append(row.creator_id)
            titles.append(row.title)
            texts.append(getattr(row, "description", "") or getattr(row, "summary", ""))
            tags.append(tuple(t.name for t in row.tags.all()))
            categories.append(row.category_id)
    content = ItemContent(titles, texts, tags, np.asarray(categories, dtype=np.int64))
    return Catalogue(keys, np.asarray(creators, dtype=np.int64), content)


def training_data_load(*, now: datetime, half_life_days: float) -> TrainingData:
    """Build the decayed user × item matrix from events, plus exclusions."""
    catalogue = catalogue_load()
    item_index = catalogue.index()
    durations = dict(ShortVideo.objects.values_list("pk", "duration_seconds"))
    users_of = dict(Subject.objects.filter(user_id__isnull=False).values_list("key", "user_id"))
    rows: list[tuple[int, str, int, float, float]] = []  # user, item key, code, ratio, ts
    views = (
        Event.objects.filter(type=Event.Type.PROGRESS, video_id__isnull=False)
        .values("subject_id", "video_id")
        .annotate(seconds=Max("value"), last=Max("ts"))
        .order_by()
    )
    for view in views.iterator(chunk_size=20_000):
        user = users_of.get(view["subject_id"])
        duration = durations.get(view["video_id"]) or 0
        if user is not None and duration > 0:
            ratio = min(view["seconds"] / duration, 1.0)
            rows.append(
                (user, f"v{view['video_id']}", EventType.VIEW, ratio, view["last"].timestamp())
            )
    others = Event.objects.filter(type__in=list(_ITEM_EVENTS)).values_list(
        "subject_id", "type", "video_id", "course_id", "ts"
    )
    for subject, type_, video_id, course_id, ts in others.iterator(chunk_size=20_000):
        user = users_of.get(subject)
        code, column = _ITEM_EVENTS[Event.Type(type_)]
        item_id = video_id if column == "video" else course_id
        if user is not None and item_id is not None:
            rows.append((user, f"{column[0]}{item_id}", code, np.nan, ts.timestamp()))
    rows = [r for r in rows if r[1] in item_index]
    user_ids = np.unique(np.asarray([r[0] for r in rows], dtype=np.int64))
    user_index = {int(u): i for i, u in enumerate(user_ids)}
    interactions = build_interactions(
        np.asarray([user_index[r[0]] for r in rows], dtype=np.int64),
        np.asarray([item_index[r[1]] for r in rows], dtype=np.int64),
        np.asarray([r[2] for r in rows], dtype=np.int64),
        np.asarray([r[3] for r in rows], dtype=np.float64),
        np.asarray([r[4] for r in rows], dtype=np.float64),
        shape=(user_ids.size, len(catalogue.keys)),
        now=now.timestamp(),
        half_life_days=half_life_days,
    )
    exclusions = _exclusions(user_index, item_index, catalogue)
    return TrainingData(interactions, user_ids, catalogue, exclusions)


def _exclusions(
    user_index: dict[int, int], item_index: dict[str, int], catalogue: Catalogue
) -> sp.csr_matrix:
    """Pairs never to recommend: owned courses, "not interested", own content."""
    pairs: list[tuple[int, int]] = []
    owned = Enrollment.objects.filter(is_active=True).values_list("user_id", "course_id")
    pairs += [
        (user_index[u], item_index[f"c{c}"])
        for u, c in owned
        if u in user_index and f"c{c}" in item_index
    ]
    hidden = NotInterested.objects.values_list("user_id", "video_id")
    pairs += [
        (user_index[u], item_index[f"v{v}"])
        for u, v in hidden
        if u in user_index and f"v{v}" in item_index
    ]
    for item, creator in enumerate(catalogue.creator_ids):
        if int(creator) in user_index:
            pairs.append((user_index[int(creator)], item))
    shape = (len(user_index), len(catalogue.keys))
    if not pairs:
        return sp.csr_matrix(shape, dtype=np.float32)
    rows, cols = np.asarray(pairs, dtype=np.int64).T
    return sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=shape)


def model_version_active() -> ModelVersion | None:
    """The version serving now, if any."""
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()


def stored_user_items(*, version_id: int, user_id: int) -> list[list[object]] | None:
    row = (
        UserRecommendation.objects.filter(version_id=version_id, user_id=user_id)
        .values_list("items", flat=True)
        .first()
    )
    return row


def stored_neighbours(*, version_id: int, item_keys: list[str]) -> dict[str, list[list[object]]]:
    rows = ItemNeighbours.objects.filter(version_id=version_id, item_key__in=item_keys)
    return dict(rows.values_list("item_key", "items"))


def stored_up_next(
    *, version_id: int, item_key: str, user_id: int | None
) -> list[list[object]] | None:
    """The sequence model's list after ``item_key``: the viewer's own when their
    history at training ended there, else the one-item list; None when the
    version has no sequence lists (torch absent or the model off). One query."""
    viewers = [UpNext.ANYONE] if user_id is None else [UpNext.ANYONE, user_id]
    rows = dict(
        UpNext.objects.filter(
            version_id=version_id, item_key=item_key, user_id__in=viewers
        ).values_list("user_id", "items")
    )
    if user_id is not None and user_id in rows:
        return rows[user_id]
    return rows.get(UpNext.ANYONE)


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


def logged_impressions(*, since: datetime) -> list[LoggedImpression]:
    """Video impressions since ``since`` with their outcomes, in four queries.

    Outcomes are matched per viewer and video: a play, the largest progress
    heartbeat and a purchase of the video's course, each after the
    impression (the latest impression of a pair takes them).
    """
    users_of = dict(Subject.objects.filter(user_id__isnull=False).values_list("key", "user_id"))
    course_of = dict(ShortVideo.objects.values_list("pk", "course_id"))
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


def video_facts() -> dict[int, tuple[float, datetime | None]]:
    """Each video's length in seconds and publication time, in one query."""
    rows = ShortVideo.objects.values_list("pk", "duration_seconds", "published_at")
    return {pk: (float(seconds or 0), published) for pk, seconds, published in rows}


def model_version_last_trained_at() -> datetime | None:
    """When the newest production training that finished (promoted or not) started.

    Rejected runs count: the promotion gate may keep an older model active
    while training keeps working. Failed and abandoned runs do not.
    """
    return (
        ModelVersion.objects.filter(
            experiment__isnull=True,
            status__in=[
                ModelVersion.Status.ACTIVE,
                ModelVersion.Status.RETIRED,
                ModelVersion.Status.REJECTED,
            ],
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


# The latest A/B test report (experiments.py), public here for the staff dashboard.
from .experiments import experiment_report_latest as experiment_report_latest  # noqa: E402
from .experiments import report_rows as report_rows  # noqa: E402
