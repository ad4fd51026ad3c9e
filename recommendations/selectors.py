"""ORM → arrays for the engine, and reads of the serving store.

The only schema-aware code of the recommender: it maps database ids to
dense indices (users are rows, items columns) and back. Items are short
videos (``"v<id>"``) and courses (``"c<id>"``) in one space.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from analytics import selectors as analytics_selectors
from analytics.selectors import EventType as AnalyticsEvent
from analytics.selectors import LoggedImpression as LoggedImpression
from analytics.selectors import fresh_video_outcomes as fresh_video_outcomes
from analytics.selectors import item_events, user_ids_by_subject, video_watch_maxima
from courses.selectors import (
    catalogue_courses,
    catalogue_videos,
    course_screen_texts,
    enrollment_pairs_active,
    not_interested_pairs,
    video_courses,
    video_durations,
)
from courses.selectors import video_facts as video_facts
from recommendations.engine.types import InteractionMatrix, ItemContent
from recommendations.engine.weights import EventType, build_interactions

from .experiments import ExperimentReport as ExperimentReport  # the A/B report, re-exported
from .experiments import experiment_report_latest as experiment_report_latest
from .experiments import report_rows as report_rows
from .experiments import report_statistics as report_statistics
from .models import ItemNeighbours, ModelVersion, UpNext, UserRecommendation

# Analytics event type → engine code, and which id column names the item.
_ITEM_EVENTS = {
    AnalyticsEvent.LIKE: (EventType.LIKE, "video"),
    AnalyticsEvent.COMMENT: (EventType.COMMENT, "video"),
    AnalyticsEvent.SHARE: (EventType.SHARE, "video"),
    AnalyticsEvent.FAVORITE: (EventType.LIKE, "video"),
    AnalyticsEvent.COURSE_VIEW: (EventType.COURSE_VIEW, "course"),
    AnalyticsEvent.PREVIEW_PLAY: (EventType.COURSE_PREVIEW, "course"),
    AnalyticsEvent.PURCHASE: (EventType.PURCHASE, "course"),
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
    """Published, approved videos and courses with title, text, tags and category.

    An item's text is its description (a course's summary) followed by what
    is written on screen in it (a video's slides; a course's lessons'): for
    a new video titled "Lesson 3" that is where its topic is, so the content
    model finds its neighbours before anyone has watched it.
    """
    videos, courses = catalogue_videos(), list(catalogue_courses())
    course_screens = course_screen_texts(course_ids=[course.pk for course in courses])
    keys, creators, titles, texts, tags, categories = [], [], [], [], [], []
    for prefix, rows in (("v", videos), ("c", courses)):
        for row in rows:
            keys.append(f"{prefix}{row.pk}")
            creators.append(row.creator_id)
            titles.append(row.title)
            written = getattr(row, "description", "") or getattr(row, "summary", "")
            if prefix == "c":
                screen = course_screens.get(row.pk, "")
            else:
                screen = getattr(row, "screen_text", "")
            texts.append("\n".join(part for part in (written, screen) if part))
            tags.append(tuple(t.name for t in row.tags.all()))
            categories.append(row.category_id)
    content = ItemContent(titles, texts, tags, np.asarray(categories, dtype=np.int64))
    return Catalogue(keys, np.asarray(creators, dtype=np.int64), content)


def training_data_load(*, now: datetime, half_life_days: float) -> TrainingData:
    """Build the decayed user × item matrix from events, plus exclusions."""
    catalogue = catalogue_load()
    item_index = catalogue.index()
    durations = video_durations()
    users_of = user_ids_by_subject()
    rows: list[tuple[int, str, int, float, float]] = []  # user, item key, code, ratio, ts
    for view in video_watch_maxima():
        user = users_of.get(view["subject_id"])
        duration = durations.get(view["video_id"]) or 0
        if user is not None and duration > 0:
            ratio = min(view["seconds"] / duration, 1.0)
            rows.append(
                (user, f"v{view['video_id']}", EventType.VIEW, ratio, view["last"].timestamp())
            )
    for subject, type_, video_id, course_id, ts in item_events(types=list(_ITEM_EVENTS)):
        user = users_of.get(subject)
        code, column = _ITEM_EVENTS[AnalyticsEvent(type_)]
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
    owned = enrollment_pairs_active()
    pairs += [
        (user_index[u], item_index[f"c{c}"])
        for u, c in owned
        if u in user_index and f"c{c}" in item_index
    ]
    hidden = not_interested_pairs()
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


def logged_impressions(*, since: datetime) -> list[LoggedImpression]:
    """Video impressions since ``since`` with their clicks, watch time and
    purchases (the second stage's training log), from analytics' event log."""
    return analytics_selectors.logged_impressions(since=since, course_of=video_courses())


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
