"""Synthetic event streams that behave like the real product (bench, demos, load tests).

A fixed catalogue of creators, videos (some linking a course) and courses;
users sign up over the period, return with a decaying probability, watch a
feed (impression → play → progress → sometimes complete / like / share),
click through to courses, preview, check out, buy, and a few refund.
Rows are tuples in ``analytics.services.EVENT_COLUMNS`` order.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .models import Event

T = Event.Type


@dataclass(frozen=True)
class Catalogue:
    creators: int = 50
    videos: int = 2000
    courses: int = 100
    video_seconds: float = 30.0

    def video(self, rng: random.Random) -> tuple[int, int, int | None]:
        """(video_id, creator_id, linked course_id) with a long-tailed popularity."""
        video = min(int(rng.paretovariate(1.2)), self.videos)
        creator = 1 + video % self.creators
        course = 1 + video % self.courses if video % 3 == 0 else None
        return video, creator, course


def generate(
    *,
    first: date,
    days: int,
    users: int,
    events_per_day: int,
    seed: int = 7,
    tz: str = "Asia/Shanghai",
    catalogue: Catalogue | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Yield about ``events_per_day`` events per local day for ``days`` days."""
    rng = random.Random(seed)
    cat = catalogue or Catalogue()
    zone = ZoneInfo(tz)
    signup = {u: first + timedelta(days=rng.randrange(days)) for u in range(users)}
    keys = {u: uuid.UUID(int=rng.getrandbits(128)).hex for u in range(users)}
    for offset in range(days):
        day = first + timedelta(days=offset)
        eligible = [u for u in range(users) if signup[u] <= day]
        if not eligible:
            continue
        emitted = 0
        while emitted < events_per_day:
            user = rng.choice(eligible)
            age = (day - signup[user]).days
            if age and rng.random() > 0.6 * 0.97**age + 0.1:
                continue
            start = datetime.combine(day, time.min, tzinfo=zone) + timedelta(
                seconds=rng.uniform(0, 86_000)
            )
            session = _session(rng, cat, keys[user], start, first_day=age == 0)
            emitted += len(session)
            yield from session


def _session(
    rng: random.Random, cat: Catalogue, subject: str, start: datetime, *, first_day: bool
) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    session = uuid.UUID(int=rng.getrandbits(128)).hex[:16]
    context = _context(random.Random(session))  # its own stream: the events stay as before

    def emit(kind: str, ts: datetime, video=None, course=None, creator=None, value=0.0):
        out.append(
            (
                ts,
                ts,
                subject,
                session,
                kind,
                video,
                course,
                creator,
                float(value),
                {},
                "seed",
                uuid.UUID(int=rng.getrandbits(128)).hex,
                context,
            )
        )

    ts = start
    if first_day and rng.random() < 0.9:
        emit(T.SIGNUP, ts)
    for _ in range(rng.randint(1, 8)):
        video, creator, course = cat.video(rng)
        emit(T.IMPRESSION, ts, video, course, creator)
        emit(T.PLAY, ts + timedelta(seconds=1), video, course, creator)
        watched = round(cat.video_seconds * rng.betavariate(0.9, 1.2), 1)
        ts += timedelta(seconds=1 + watched)
        emit(T.PROGRESS, ts, video, course, creator, watched)
        if watched >= 0.95 * cat.video_seconds:
            emit(T.COMPLETE, ts, video, course, creator)
        if rng.random() < 0.12:
            emit(T.LIKE, ts, video, course, creator)
        if course and watched > 3 and rng.random() < 0.15:
            _course_path(rng, emit, ts, video, course, creator)
    return out


# A plausible mix for a course platform: mostly the app and phones, acquisition
# mostly direct and social.
_PLATFORMS = [("app", "mobile", 0.5), ("mobile_web", "mobile", 0.3), ("web", "desktop", 0.2)]
_CHANNELS = [
    ("direct", "", "", 0.4),
    ("social", "weixin", "social", 0.3),
    ("search", "baidu", "organic", 0.15),
    ("paid", "douyin", "cpc", 0.1),
    ("email", "newsletter", "email", 0.05),
]


def _context(rng: random.Random) -> dict[str, str]:
    platform, device, _ = rng.choices(_PLATFORMS, weights=[w for *_, w in _PLATFORMS])[0]
    channel, source, medium, _ = rng.choices(_CHANNELS, weights=[w for *_, w in _CHANNELS])[0]
    return {
        "platform": platform,
        "device": device,
        "app_version": "3.2.0" if platform == "app" else "",
        "channel": channel,
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": "",
        "referrer": "",
    }


def _course_path(rng, emit, ts, video, course, creator) -> None:
    emit(T.CTA_CLICK, ts, video, course, creator)
    emit(T.COURSE_VIEW, ts + timedelta(seconds=2), video, course, creator)
    if rng.random() < 0.5:
        emit(T.PREVIEW_PLAY, ts + timedelta(seconds=20), None, course, creator)
    if rng.random() < 0.25:
        paid = ts + timedelta(minutes=rng.uniform(1, 60 * 24))
        emit(T.CHECKOUT, paid - timedelta(seconds=30), None, course, creator, 9900)
        if rng.random() < 0.8:
            emit(T.PURCHASE, paid, None, course, creator, 9900)
            if rng.random() < 0.06:
                emit(
                    T.REFUND,
                    paid + timedelta(days=rng.uniform(0.1, 10)),
                    None,
                    course,
                    creator,
                    9900,
                )
