"""One viewer as the recommender sees them: interests, activity, served and dropped items."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db.models import (
    Count,
    Max,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from accounts.selectors import user_get, user_search
from analytics.selectors import (
    QUALIFYING_TYPES,
    events_of_subject,
    report_tz,
    subject_keys_for_users,
    watch_per_video_day,
)
from analytics.selectors import EventType as AnalyticsEvent
from common.converters import MAX_ID, ascii_int
from courses.selectors import (
    course_tag_rows,
    tag_names,
    video_tag_rows,
)
from recommendations.engine.weights import EventType, event_weights, time_decay

from ..experiments import running_experiment, version_for
from ..selectors import _ITEM_EVENTS, model_version_active, stored_neighbours, stored_user_items
from ..serving import viewer_context

if TYPE_CHECKING:
    from analytics.models import Event
from .facts import ItemFacts, item_facts
from .heatmap import _pairs, _score_map

# A picked interest counts as much as one like today (engine weight 3).
PICKED_TAG_WEIGHT = 3.0
_Tags = list[tuple[str, str]]  # (slug, name)


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
    user_id = ascii_int(query)  # "²" is a digit to str.isdigit, not to int()
    # ascii_int keeps it within an id's 18 digits
    found = user_search(query=query, user_id=user_id, limit=limit)
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
    user = user_get(user_id=user_id)
    if user is None:
        return None
    now = now or timezone.now()
    key = subject_keys_for_users(user_ids=[user_id]).get(user_id)
    events = events_of_subject(subject_key=key)
    hours, active_days = _activity(events)
    video_days = _video_days(events)
    today = now.astimezone(report_tz()).date()
    recent = today - timedelta(days=29)
    counts = events.filter(type__in=[AnalyticsEvent.PLAY, AnalyticsEvent.LIKE]).aggregate(
        plays=Count("id", filter=Q(type=AnalyticsEvent.PLAY)),
        likes=Count("id", filter=Q(type=AnalyticsEvent.LIKE)),
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
    qualifying = Q(type__in=QUALIFYING_TYPES) | Q(type=AnalyticsEvent.PROGRESS, value__gte=1)
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
        names |= tag_names(slugs=wanted)
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
    found: dict[str, tuple[float, _Tags]] = {}
    for video_id, seconds, slug, name in video_tag_rows(video_ids=ids):
        found.setdefault(f"v{video_id}", (float(seconds or 0), []))[1].append((slug, name))
    return found


def _course_tags(ids: QuerySet[Event, Any]) -> dict[str, _Tags]:
    """Course key → tags of the tagged courses in ``ids``, in one query."""
    found: dict[str, _Tags] = defaultdict(list)
    for course_id, slug, name in course_tag_rows(course_ids=ids):
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
        code, column = _ITEM_EVENTS[AnalyticsEvent(type_)]
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
