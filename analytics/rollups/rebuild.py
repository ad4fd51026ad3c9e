"""The units of work: rebuild one local day's rollups, or a range of days and its funnels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Event, MetricRun
from .attribution import _attribution, _refunds_to_purchases
from .cohorts import _cohort_day, _rolling_retention, _subject_cohort
from .days import day_bounds, local_date_of
from .definitions import RETENTION_HORIZON
from .entities import _course_daily, _creator_daily, _video_daily
from .platform import _daily_metric, _recommender_daily, _subject_day
from .sql import _lock_day


@transaction.atomic
def rollup_day(*, day: date, now: datetime | None = None) -> MetricRun:
    """Rebuild every per-day rollup of local ``day`` from raw events; safe to repeat."""
    now = now or timezone.now()
    _lock_day(day)
    start, end = day_bounds(day)
    seen = _subject_day(day, start, end)
    _subject_cohort(day, start, end)
    _cohort_day(day)
    _video_daily(day, start, end)
    _course_daily(day, start, end)
    _creator_daily(day, start, end)
    _recommender_daily(day, start, end)
    _attribution(day, start, end)
    _refunds_to_purchases(start, end)
    _daily_metric(day, start, end)
    matured = day - timedelta(days=RETENTION_HORIZON)
    if day < local_date_of(now):  # a complete day closes the horizon of cohort day-30
        _rolling_retention(matured)
    # Coalesce stops PostgreSQL from walking the received_at index backwards
    # (fast for today, a near-full scan for an old day); the ts range is used.
    stats = Event.objects.filter(ts__gte=start, ts__lt=end).aggregate(
        m=Max(Coalesce("received_at", "ts"))
    )
    run, _ = MetricRun.objects.update_or_create(
        local_date=day,
        defaults={
            "finished_at": now,
            "source_max_received_at": stats["m"],
            "events": seen,
        },
    )
    return run
