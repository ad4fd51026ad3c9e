"""What the recommender sees, for the admin: item similarity and one viewer.

Reads only. Each function returns frozen dataclasses in a fixed number of
queries, whatever the size of the catalogue or of a viewer's history.

Definitions are borrowed, not invented: local days and hours are in
``settings.KF_REPORT_TZ`` (``analytics.rollups.report_tz``); watch time is
the largest cumulative ``video.progress`` value per (video, local day) and
a play is a ``video.played`` event, as in ``VideoDaily``; a day or an hour
is *active* when it holds a qualifying event (``QUALIFYING_TYPES``, or a
heartbeat of at least 1 s), as in ``SubjectDay``; item weights are the
engine's (``recommendations.engine.weights``) over the events the training
selector reads.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from accounts.models import User
from analytics.models import CourseDaily, Event, VideoDaily
from analytics.rollups import local_today, report_tz, watch_per_video_day
from analytics.rollups.definitions import QUALIFYING_TYPES
from analytics.selectors.subjects import subject_keys_for_users
from common.converters import MAX_ID, ascii_int
from courses.models import Course, ShortVideo, Tag
from courses.selectors import course_is_visible, is_visible
from recommendations.engine.weights import EventType, event_weights, time_decay

from .experiments import running_experiment, version_for
from .models import ItemNeighbours, ModelVersion
from .selectors import _ITEM_EVENTS, model_version_active, stored_neighbours, stored_user_items
from .serving import viewer_context

HEATMAP_SIZE_DEFAULT = 20
HEATMAP_SIZE_MIN = 5
HEATMAP_SIZE_MAX = 40
POPULARITY_DAYS = 30
# Popular items that have no neighbour list in the version (published after
# training) are skipped; this many candidates per heatmap slot are read.
CANDIDATES_PER_SLOT = 3
# A picked interest counts as much as one like today (engine weight 3).
PICKED_TAG_WEIGHT = 3.0
_Tags = list[tuple[str, str]]  # (slug, name)


# --- Item facts shared by both screens --------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    """An item's title, creator and whether the feed may still show it."""

    title: str
    creator_id: int
    is_live: bool  # published, approved (and a video's media is ready)


def item_facts(keys: Iterable[str]) -> dict[str, ItemFacts]:
    """Facts of ``"v12"``/``"c3"`` keys; deleted items are absent. Two queries at most."""
    keys = list(keys)
    video_ids = [int(k[1:]) for k in keys if k[:1] == "v" and k[1:].isdigit()]
    course_ids = [int(k[1:]) for k in keys if k[:1] == "c" and k[1:].isdigit()]
    facts: dict[str, ItemFacts] = {}
    if video_ids:
        videos = ShortVideo.objects.filter(pk__in=video_ids).values_list(
            "pk", "title", "creator_id", "status", "moderation", "asset__status"
        )
        for pk, title, creator, status, moderation, asset in videos:
            live = _is_live(status, moderation) and asset == "ready"
            facts[f"v{pk}"] = ItemFacts(title, creator, live)
    if course_ids:
        courses = Course.objects.filter(pk__in=course_ids).values_list(
            "pk", "title", "creator_id", "status", "moderation", "approved_at"
        )
        for pk, title, creator, status, moderation, approved_at in courses:
            live = course_is_visible(status=status, moderation=moderation, approved_at=approved_at)
            facts[f"c{pk}"] = ItemFacts(title, creator, live)
    return facts


def _is_live(status: str, moderation: str) -> bool:
    return is_visible(status=status, moderation=moderation)


# --- Similarity heatmap -----------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    id: int
    algorithm: str
    status: str
    activated_at: datetime | None

    def __str__(self) -> str:
        return f"v{self.id} {self.algorithm} ({self.status})"


@dataclass(frozen=True)
class HeatmapItem:
    key: str
    title: str | None  # None: deleted since training
    popularity: int  # viewer-days (videos) or page-viewer-days (courses)

    @property
    def label(self) -> str:
        return self.title if self.title is not None else f"{self.key} (deleted)"


@dataclass(frozen=True)
class HeatmapCell:
    """Similarity of the column item to the row item, as one version stored it.

    ``stored_in`` says whose list held the pair: ``"row"`` (the column item
    is among the row item's neighbours), ``"column"`` (only the reverse was
    stored), ``""`` (neither list has it) or ``"self"`` (the diagonal).
    """

    column: HeatmapItem
    score: float | None
    stored_in: str
    level: int  # 0-100: the score against the largest score in the map

    @property
    def is_diagonal(self) -> bool:
        return self.stored_in == "self"


@dataclass(frozen=True)
class HeatmapRow:
    item: HeatmapItem
    cells: list[HeatmapCell]


@dataclass(frozen=True)
class Heatmap:
    version: VersionInfo | None  # None: no active version, or no such version
    versions: list[VersionInfo]  # versions that still have stored lists
    size: int  # the N asked for, within bounds
    first: date  # popularity window, local days
    last: date
    rows: list[HeatmapRow]
    max_score: float

    @property
    def items(self) -> list[HeatmapItem]:
        return [row.item for row in self.rows]


def heatmap_size(value: int | None) -> int:
    """N within [HEATMAP_SIZE_MIN, HEATMAP_SIZE_MAX]; None gives the default."""
    if value is None:
        return HEATMAP_SIZE_DEFAULT
    return min(max(value, HEATMAP_SIZE_MIN), HEATMAP_SIZE_MAX)


def item_popularity(*, first: date, last: date, limit: int) -> list[tuple[str, int]]:
    """The most popular items of local days [first, last], best first.

    Read from the daily rollups the dashboard reads (a few rows per item
    and day, never the raw events). Videos count *viewer-days* (VideoDaily
    ``viewers``) and courses *page-viewer-days* (CourseDaily
    ``page_viewers``): people, not plays or heartbeats, so a replay loop
    does not make an item popular, and one unit for both kinds of the one
    item space. 30 days is the personal models' half-life. Two queries;
    ties go to the smaller key.
    """
    videos = (
        VideoDaily.objects.filter(local_date__range=(first, last))
        .values("video_id")
        .annotate(n=Sum("viewers"))
        .filter(n__gt=0)
        .order_by("-n", "video_id")
        .values_list("video_id", "n")[:limit]
    )
    courses = (
        CourseDaily.objects.filter(local_date__range=(first, last))
        .values("course_id")
        .annotate(n=Sum("page_viewers"))
        .filter(n__gt=0)
        .order_by("-n", "course_id")
        .values_list("course_id", "n")[:limit]
    )
    ranked = [(f"v{i}", int(n)) for i, n in videos] + [(f"c{i}", int(n)) for i, n in courses]
    ranked.sort(key=lambda pair: (-pair[1], pair[0]))
    return ranked[:limit]


def similarity_heatmap(
    *, version_id: int | None = None, size: int | None = None, today: date | None = None
) -> Heatmap:
    """Item-item similarity among the ``size`` most popular items of a version.

    Args:
        version_id: the version to read; None reads the active one.
        size: N, clamped to the bounds; None gives the default (20).
        today: the last local day of the popularity window (tests pass it).

    Returns:
        A heatmap whose rows and columns are the popular items that have a
        neighbour list in the version, most popular first. Seven queries at
        most, whatever N.
    """
    size = heatmap_size(size)
    last = today or local_today()
    first = last - timedelta(days=POPULARITY_DAYS - 1)
    versions = [_version_info(v) for v in _versions_with_lists()]
    version = _version_get(version_id)
    if version is None:
        return Heatmap(None, versions, size, first, last, [], 0.0)
    popular = item_popularity(first=first, last=last, limit=size * CANDIDATES_PER_SLOT)
    lists = stored_neighbours(version_id=version.pk, item_keys=[k for k, _ in popular])
    chosen = [(key, n) for key, n in popular if key in lists][:size]
    facts = item_facts(key for key, _ in chosen)
    items = [HeatmapItem(k, facts[k].title if k in facts else None, n) for k, n in chosen]
    scores = {key: _score_map(lists[key]) for key, _ in chosen}
    rows, top = _heatmap_rows(items, scores)
    return Heatmap(_version_info(version), versions, size, first, last, rows, top)


def _versions_with_lists() -> QuerySet[ModelVersion]:
    # What retraining has not pruned yet (services._prune_lists): the active and the
    # previous production version, and the A/B treatments serving now.
    return ModelVersion.objects.filter(
        Exists(ItemNeighbours.objects.filter(version=OuterRef("pk")))
    ).order_by("-pk")


def _version_get(version_id: int | None) -> ModelVersion | None:
    if version_id is None:
        return model_version_active()
    if not 0 < version_id <= MAX_ID:
        return None
    return ModelVersion.objects.filter(pk=version_id).first()


def _version_info(version: ModelVersion) -> VersionInfo:
    return VersionInfo(version.pk, version.algorithm, version.status, version.activated_at)


def _pairs(stored: list[list[object]]) -> list[tuple[str, float]]:
    """``[[item_key, score], ...]`` in stored order; malformed entries are skipped."""
    found: list[tuple[str, float]] = []
    for entry in stored:
        if isinstance(entry, list | tuple) and len(entry) == 2:
            key, score = entry
            if isinstance(key, str) and isinstance(score, int | float):
                found.append((key, float(score)))
    return found


def _score_map(stored: list[list[object]]) -> dict[str, float]:
    """The stored list as a dict; a key listed twice keeps its first score."""
    found: dict[str, float] = {}
    for key, score in _pairs(stored):
        found.setdefault(key, score)
    return found


def _heatmap_rows(
    items: list[HeatmapItem], scores: dict[str, dict[str, float]]
) -> tuple[list[HeatmapRow], float]:
    """Look each pair up in the row item's list, else in the column item's."""
    pairs: list[list[tuple[float | None, str]]] = []
    for row in items:
        line: list[tuple[float | None, str]] = []
        for column in items:
            if row.key == column.key:
                line.append((None, "self"))
            elif column.key in scores[row.key]:
                line.append((scores[row.key][column.key], "row"))
            elif row.key in scores[column.key]:
                line.append((scores[column.key][row.key], "column"))
            else:
                line.append((None, ""))
        pairs.append(line)
    top = max((s for line in pairs for s, _ in line if s is not None), default=0.0)
    rows = [
        HeatmapRow(
            item,
            [
                HeatmapCell(column, s, where, _level(s, top))
                for column, (s, where) in zip(items, line, strict=True)
            ],
        )
        for item, line in zip(items, pairs, strict=True)
    ]
    return rows, top


def _level(score: float | None, top: float) -> int:
    if score is None or top <= 0:
        return 0
    return max(0, min(100, round(100 * score / top)))


# --- Viewer profile ---------------------------------------------------------


@dataclass(frozen=True)
class UserMatch:
    id: int
    username: str
    display_name: str
    is_exact: bool  # the query was this user's id or username


def viewer_search(*, query: str, limit: int = 20) -> list[UserMatch]:
    """Users whose id or username is ``query`` (first), or whose names contain it. One query."""
    query = query.strip()
    if not query:
        return []
    exact = Q(username__iexact=query)
    user_id = ascii_int(query)  # "²" is a digit to str.isdigit, not to int()
    if user_id:  # ascii_int keeps it within an id's 18 digits
        exact |= Q(pk=user_id)
    found = (
        User.objects.filter(exact | Q(username__icontains=query) | Q(display_name__icontains=query))
        .annotate(is_exact=Case(When(exact, then=True), default=False, output_field=BooleanField()))
        .order_by("-is_exact", "pk")
        .values_list("pk", "username", "display_name", "is_exact")[:limit]
    )
    return [UserMatch(*row) for row in found]


@dataclass(frozen=True)
class InterestTag:
    slug: str
    name: str
    is_picked: bool  # in User.interests
    behaviour: float  # decayed engine weight of the watched/liked items carrying it
    weight: float  # behaviour, plus PICKED_TAG_WEIGHT when picked


@dataclass(frozen=True)
class HourBar:
    hour: int
    days: int  # local days with a qualifying event in this hour
    level: int  # 0-100 against the busiest hour


@dataclass(frozen=True)
class ServedItem:
    """One stored item of the viewer's list, and what the feed would do with it."""

    key: str
    title: str | None  # None: deleted since training
    score: float
    reason_kind: str  # as serving._explain words it
    reason_item: str | None  # the recent item it resembles
    reason_title: str | None  # that item's title (None: deleted, or no item)
    dropped: str  # "" (served), "refused", "seen" or "unavailable"


@dataclass(frozen=True)
class ViewerProfile:
    user_id: int
    username: str
    display_name: str
    is_personalization_enabled: bool
    picked: list[str]  # User.interests, tag slugs
    tags: list[InterestTag]
    tz_name: str
    hours: list[int]  # 24 bins, local hour 0-23
    active_days: int
    watch_seconds: float
    watch_seconds_30d: float  # the 30 local days ending today
    plays: int
    likes: int
    version_id: int | None  # the viewer's version (active or A/B treatment); None: no model
    served: list[ServedItem]

    @property
    def likes_per_active_day(self) -> float | None:
        return self.likes / self.active_days if self.active_days else None

    @property
    def likes_per_play(self) -> float | None:
        return self.likes / self.plays if self.plays else None

    @property
    def hour_bars(self) -> list[HourBar]:
        top = max(self.hours, default=0)
        return [HourBar(h, n, round(100 * n / top) if top else 0) for h, n in enumerate(self.hours)]


def viewer_profile(
    *, user_id: int, now: datetime | None = None, tag_limit: int = 10, served_limit: int = 10
) -> ViewerProfile | None:
    """One viewer as the recommender sees them; None for an unknown user.

    Nineteen queries at most, however long the viewer's history: the user,
    the pseudonym, four over their events, three for tags and, when the
    viewer has a stored list in the active version, ten for it.
    """
    if not 0 < user_id <= MAX_ID:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    now = now or timezone.now()
    key = subject_keys_for_users(user_ids=[user_id]).get(user_id)
    events = Event.objects.filter(subject_id=key) if key else Event.objects.none()
    hours, active_days = _activity(events)
    video_days = _video_days(events)
    today = now.astimezone(report_tz()).date()
    recent = today - timedelta(days=29)
    counts = events.filter(type__in=[Event.Type.PLAY, Event.Type.LIKE]).aggregate(
        plays=Count("id", filter=Q(type=Event.Type.PLAY)),
        likes=Count("id", filter=Q(type=Event.Type.LIKE)),
    )
    picked = [str(slug) for slug in user.interests]
    version_id, served = _served(user_id=user_id, limit=served_limit)
    return ViewerProfile(
        user_id=user.pk,
        username=user.username,
        display_name=user.display_name,
        is_personalization_enabled=user.is_personalization_enabled,
        picked=picked,
        tags=_interest_tags(events, video_days, picked, now=now)[:tag_limit],
        tz_name=settings.KF_REPORT_TZ,
        hours=hours,
        active_days=active_days,
        watch_seconds=sum(v.seconds for v in video_days),
        watch_seconds_30d=sum(v.seconds for v in video_days if recent <= v.day <= today),
        plays=counts["plays"],
        likes=counts["likes"],
        version_id=version_id,
        served=served,
    )


def _activity(events: QuerySet[Event]) -> tuple[list[int], int]:
    """Per local hour, the days with a qualifying event in it; and the active days."""
    tz = report_tz()
    qualifying = Q(type__in=QUALIFYING_TYPES) | Q(type=Event.Type.PROGRESS, value__gte=1)
    slots = (
        events.filter(qualifying)
        .annotate(day=TruncDate("ts", tzinfo=tz), hour=ExtractHour("ts", tzinfo=tz))
        .values_list("day", "hour")
        .distinct()
        .order_by()
    )
    hours = [0] * 24
    days: set[date] = set()
    for day, hour in slots:
        hours[hour] += 1
        days.add(day)
    return hours, len(days)


@dataclass(frozen=True)
class _VideoDay:
    video_id: int
    day: date
    seconds: float  # the day's largest cumulative progress value
    last: datetime


def _video_days(events: QuerySet[Event]) -> list[_VideoDay]:
    """Watch time per (video, local day), as VideoDaily.watch_seconds counts it."""
    rows = watch_per_video_day(events).annotate(last=Max("ts"))
    return [_VideoDay(r["video_id"], r["day"], float(r["seconds"]), r["last"]) for r in rows]


def _interest_tags(
    events: QuerySet[Event], video_days: list[_VideoDay], picked: list[str], *, now: datetime
) -> list[InterestTag]:
    """Tags of what the viewer watched and liked, weighted as training weighs the items."""
    item_events = list(
        events.filter(type__in=list(_ITEM_EVENTS)).values_list(
            "type", "video_id", "course_id", "ts"
        )
    )
    video_tags = _video_tags(events.filter(video_id__isnull=False).values("video_id"))
    course_tags = _course_tags(events.filter(course_id__isnull=False).values("course_id"))
    durations = {key: duration for key, (duration, _) in video_tags.items()}
    weights = _item_weights(video_days, item_events, durations, now=now)
    tagged = {key: tags for key, (_, tags) in video_tags.items()} | course_tags
    behaviour: dict[str, float] = defaultdict(float)
    names: dict[str, str] = {}
    for key, tags in tagged.items():
        for slug, name in tags:
            behaviour[slug] += weights.get(key, 0.0)
            names[slug] = name
    wanted = [slug for slug in picked if slug not in names]
    if wanted:
        names |= dict(Tag.objects.filter(slug__in=wanted).values_list("slug", "name"))
    found = [
        InterestTag(
            slug,
            names.get(slug, slug),
            slug in picked,
            round(behaviour.get(slug, 0.0), 4),
            round(behaviour.get(slug, 0.0) + (PICKED_TAG_WEIGHT if slug in picked else 0.0), 4),
        )
        for slug in {*(s for s, w in behaviour.items() if w > 0), *picked}
    ]
    return sorted(found, key=lambda t: (-t.weight, t.slug))


def _video_tags(ids: QuerySet[Event, Any]) -> dict[str, tuple[float, _Tags]]:
    """Video key → (duration, tags) of the tagged videos in ``ids``, in one query.

    ``ids`` stays a subquery, so a long history never becomes a long IN list.
    """
    rows = ShortVideo.tags.through.objects.filter(shortvideo_id__in=ids).values_list(
        "shortvideo_id", "shortvideo__duration_seconds", "tag__slug", "tag__name"
    )
    found: dict[str, tuple[float, _Tags]] = {}
    for video_id, seconds, slug, name in rows:
        found.setdefault(f"v{video_id}", (float(seconds or 0), []))[1].append((slug, name))
    return found


def _course_tags(ids: QuerySet[Event, Any]) -> dict[str, _Tags]:
    """Course key → tags of the tagged courses in ``ids``, in one query."""
    rows = Course.tags.through.objects.filter(course_id__in=ids).values_list(
        "course_id", "tag__slug", "tag__name"
    )
    found: dict[str, _Tags] = defaultdict(list)
    for course_id, slug, name in rows:
        found[f"c{course_id}"].append((slug, name))
    return found


def _item_weights(
    video_days: list[_VideoDay],
    item_events: list[tuple[str, int | None, int | None, datetime]],
    durations: dict[str, float],
    *,
    now: datetime,
) -> dict[str, float]:
    """Decayed engine weight per item key, built as selectors.training_data_load builds it.

    A view is the video's largest progress over the watched fraction of its
    duration at its latest heartbeat; every other event counts on its own.
    """
    seen: dict[int, tuple[float, datetime]] = {}
    for v in video_days:
        best, last = seen.get(v.video_id, (0.0, v.last))
        seen[v.video_id] = (max(best, v.seconds), max(last, v.last))
    rows: list[tuple[str, int, float, float]] = []  # key, code, ratio, unix time
    for watched, (seconds, last) in seen.items():
        duration = durations.get(f"v{watched}", 0.0)
        if duration > 0:
            ratio = min(seconds / duration, 1.0)
            rows.append((f"v{watched}", EventType.VIEW, ratio, last.timestamp()))
    for type_, video_id, course_id, ts in item_events:
        code, column = _ITEM_EVENTS[Event.Type(type_)]
        item_id = video_id if column == "video" else course_id
        if item_id is not None:
            rows.append((f"{column[0]}{item_id}", code, np.nan, ts.timestamp()))
    if not rows:
        return {}
    weights = event_weights(
        np.asarray([r[1] for r in rows], dtype=np.int64),
        np.asarray([r[2] for r in rows], dtype=np.float64),
    ) * time_decay(
        np.asarray([r[3] for r in rows], dtype=np.float64),
        now=now.timestamp(),
        half_life_days=settings.RECOMMENDATIONS_HALF_LIFE_DAYS,
    )
    totals: dict[str, float] = defaultdict(float)
    for (key, *_), weight in zip(rows, weights.tolist(), strict=True):
        totals[key] += weight
    return dict(totals)


def _served(*, user_id: int, limit: int) -> tuple[int | None, list[ServedItem]]:
    """The top of the viewer's stored list in the version they are served
    (the active one, or an A/B test's treatment), with reasons.

    Reasons follow ``serving._explain`` (the last five recent or watched
    items' neighbours, then followed creators, else popular), and
    ``dropped`` says what the feed's filters would do, from the same
    ``viewer_context``. The neighbour lists come in one query here, where
    the feed reads them one by one through the cache.
    """
    active = model_version_active()  # read fresh: the admin page must not trail a flip
    version_id = version_for(
        user_id=user_id,
        active_version_id=active.pk if active else None,
        experiment=running_experiment(),
    )
    if version_id is None:
        return None, []
    stored = stored_user_items(version_id=version_id, user_id=user_id) or []
    top = _pairs(stored)[:limit]
    if not top:
        return version_id, []
    context = viewer_context(user_id=user_id)
    sources = [*context.recent_positive, *context.history][:5]
    lists = stored_neighbours(version_id=version_id, item_keys=sources) if sources else {}
    similar_to: dict[str, str] = {}
    for source in sources:
        for key in _score_map(lists.get(source, [])):
            similar_to.setdefault(key, source)
    facts = item_facts([*(key for key, _ in top), *sources])
    served = []
    for key, score in top:
        fact = facts.get(key)
        kind, because = _reason(key, fact, similar_to, context.followed_creators)
        origin = facts.get(because or "")
        served.append(
            ServedItem(
                key,
                fact.title if fact else None,
                score,
                kind,
                because,
                origin.title if origin else None,
                _dropped(key, fact, context.refused, context.hidden),
            )
        )
    return version_id, served


def _reason(
    key: str, fact: ItemFacts | None, similar_to: dict[str, str], followed: set[int]
) -> tuple[str, str | None]:
    if key in similar_to:
        return "because_you_watched", similar_to[key]
    if fact is not None and fact.creator_id in followed:
        return "followed_creator", None
    return "popular_in", None


def _dropped(key: str, fact: ItemFacts | None, refused: set[str], hidden: set[str]) -> str:
    if key in refused:
        return "refused"  # owned, or marked "not interested"
    if key in hidden:
        return "seen"
    if fact is None or not fact.is_live:
        return "unavailable"  # deleted, unpublished or awaiting moderation
    return ""
