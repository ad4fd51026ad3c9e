"""The units of work: rebuild one local day's rollups, or a set of days and all that depends on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Event, MetricRun
from .attribution import _attribution, _refunds_to_purchases
from .breakdowns import breakdown_day
from .cohorts import _cohort_day, _rolling_retention, _subject_cohort, cohort_member_days
from .days import day_bounds, days_between, local_date_of
from .definitions import (
    CLICK_WINDOW_DAYS,
    FUNNEL_WINDOW_DAYS,
    MAU_DAYS,
    MAX_RANGE_DAYS,
    RETENTION_HORIZON,
)
from .entities import _course_daily, _creator_daily, _video_daily
from .event_firsts import _subject_event_first
from .funnel import funnel_entry_day
from .platform import _daily_metric, _recommender_daily, _subject_day, _subject_type_day
from .satisfaction import _satisfaction_daily
from .sql import _lock_day, _statistics_refresh


@dataclass
class Knock:
    """What a day's rebuild changed beyond its own rows, for ``rollup_days`` to follow."""

    moved: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)
    purchase_days: set[date] = field(default_factory=set)
    repointed: set[date] = field(default_factory=set)


@transaction.atomic
def rollup_day(*, day: date, now: datetime | None = None, knock: Knock | None = None) -> MetricRun:
    """Rebuild every per-day rollup of local ``day`` from raw events; safe to repeat.

    Figures of other days that read this day's events are left to
    ``rollup_days``; ``knock`` collects what it needs to know.
    """
    now = now or timezone.now()
    knock = knock if knock is not None else Knock()
    _lock_day(day)
    start, end = day_bounds(day)
    seen, repointed = _subject_day(day, start, end)
    knock.repointed.update(repointed)
    knock.moved.update(_subject_cohort(day, start, end))
    _cohort_day(day)
    _video_daily(day, start, end)
    _course_daily(day, start, end)
    _creator_daily(day, start, end)
    _satisfaction_daily(day, start, end)
    breakdown_day(day, start, end)
    _recommender_daily(day, start, end)
    _subject_type_day(day, start, end)
    _subject_event_first(day, start, end)
    _attribution(day, start, end)
    knock.purchase_days |= _refunds_to_purchases(start, end)
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


def rollup_days(*, days: list[date], now: datetime) -> list[date]:
    """Rebuild ``days`` (oldest first), then every stored figure of other days that reads them.

    A day's raw events also feed: the WAU/MAU of the next 29 days, the
    attribution of purchases in the next 7 days, the purchase days of its
    refunds, the cohort rows and rolling retention of subjects whose signup
    day moved, the rolling retention of the matured cohorts of the 30 days
    before, and the funnels entered in the 7 days before. Each of those is
    rebuilt once, however many of ``days`` touch it, so incremental runs
    after late data equal a rebuild from scratch (tests/analytics/test_late_data.py).
    Returns the days rebuilt in full.
    """
    today = local_date_of(now)
    days = sorted({d for d in days if d <= today})
    if not days:
        return []
    knock = Knock()
    for day in days:
        _statistics_refresh()
        rollup_day(day=day, now=now, knock=knock)
    _statistics_refresh()
    _follow(days, knock, today)
    for day in days_between(days[0] - timedelta(days=FUNNEL_WINDOW_DAYS), days[-1]):
        if any(0 <= (d - day).days <= FUNNEL_WINDOW_DAYS for d in days):
            funnel_entry_day(day=day)
    return days


def _follow(days: list[date], knock: Knock, today: date) -> None:
    """Correct the figures of other days that read the rebuilt ``days`` (see rollup_days)."""
    # only days already rolled up hold figures to correct; the others get
    # everything when they are first rolled
    rolled_up = set(
        MetricRun.objects.filter(
            local_date__gte=days[0] - timedelta(days=MAX_RANGE_DAYS)
        ).values_list("local_date", flat=True)
    )
    for day in sorted((_after(days, CLICK_WINDOW_DAYS, today) - set(days)) & rolled_up):
        _attribution_day(day)
    # later days whose subjects' previous active day moved: their new-vs-returning split
    for day in sorted((knock.repointed - set(days)) & rolled_up):
        _visitor_breakdown(day)
    cohort_days = cohort_member_days(knock.moved)
    for day in sorted(cohort_days & rolled_up):
        _cohort_day_locked(day)
    signup_days = {d for pair in knock.moved.values() for d in pair if d is not None}
    # a base day's own figures are final when it is rebuilt, unless a later one
    # moved a refund's purchase or a signup; WAU/MAU and paying users of the
    # days after read it (attribution days lie inside the MAU window)
    stale_metrics = (_after(days, MAU_DAYS - 1, today) - set(days)) | knock.purchase_days
    for day in sorted((stale_metrics | signup_days) & rolled_up):
        _daily_metric_locked(day)
    # cohort c is rolled once day c + 30 is complete (by rollup_day); days c+1 .. c+30 feed it
    rolled = {day - timedelta(days=RETENTION_HORIZON) for day in days}
    fed = {day - timedelta(days=back) for day in days for back in range(1, RETENTION_HORIZON)}
    for cohort in sorted((fed - rolled) | signup_days):
        closing = cohort + timedelta(days=RETENTION_HORIZON)
        if closing < today and closing in rolled_up:
            _rolling_retention_locked(cohort, closing)


def _after(days: list[date], span: int, today: date) -> set[date]:
    """The days 1..span after each of ``days``, up to today."""
    return {
        d + timedelta(days=k)
        for d in days
        for k in range(1, span + 1)
        if d + timedelta(days=k) <= today
    }


@transaction.atomic
def _attribution_day(day: date) -> None:
    _lock_day(day)
    start, end = day_bounds(day)
    _attribution(day, start, end)


@transaction.atomic
def _visitor_breakdown(day: date) -> None:
    _lock_day(day)
    start, end = day_bounds(day)
    breakdown_day(day, start, end, only=("visitor",))


@transaction.atomic
def _rolling_retention_locked(cohort: date, closing: date) -> None:
    _lock_day(closing)  # the day whose rebuild rolls this cohort
    _rolling_retention(cohort)


@transaction.atomic
def _cohort_day_locked(day: date) -> None:
    _lock_day(day)
    _cohort_day(day)


@transaction.atomic
def _daily_metric_locked(day: date) -> None:
    _lock_day(day)
    start, end = day_bounds(day)
    _daily_metric(day, start, end)
