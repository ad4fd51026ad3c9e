"""Tiny builders for hand-computed analytics fixtures."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from analytics.models import Event

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
T = Event.Type


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """A Shanghai wall-clock moment on a local day."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=SH)


def ev(type_: str, ts: datetime, subject: str = "s1", **fields) -> Event:
    return Event.objects.create(type=type_, ts=ts, subject_id=subject, **fields)


def engaged_view(ts: datetime, subject: str, video: int, creator: int, course=None) -> None:
    """A play with 5 watched seconds: an engaged view."""
    ids = {"video_id": video, "creator_id": creator, "course_id": course}
    ev(T.PLAY, ts, subject, **ids)
    ev(T.PROGRESS, ts + timedelta(seconds=5), subject, value=5, **ids)


def later(now: datetime | None = None) -> datetime:
    """A 'now' long after every fixture, so all windows are closed."""
    return now or datetime(2026, 6, 1, tzinfo=UTC)
