"""Local reporting days: their UTC bounds and ranges of them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import Event


def report_tz() -> ZoneInfo:
    return ZoneInfo(settings.KF_REPORT_TZ)


def local_date_of(moment: datetime) -> date:
    """The reporting-zone calendar date of an aware datetime."""
    return moment.astimezone(report_tz()).date()


def local_today(now: datetime | None = None) -> date:
    return local_date_of(now or timezone.now())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC half-open range [start, end) of a local day."""
    tz = report_tz()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def watch_per_video_day(events: QuerySet[Event], *by: str) -> QuerySet[Event, dict[str, Any]]:
    """Watch time as ``VideoDaily.watch_seconds`` counts it, grouped by ``by``: the
    largest cumulative ``video.progress`` value (``seconds``) per video and local day
    (``day``), so duplicated or lost heartbeats change nothing."""
    return (
        events.filter(type=Event.Type.PROGRESS, video_id__isnull=False)
        .annotate(day=TruncDate("ts", tzinfo=report_tz()))
        .values(*by, "video_id", "day")
        .annotate(seconds=Max("value"))
        .order_by()
    )
