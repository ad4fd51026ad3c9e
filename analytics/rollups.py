"""Idempotent per-day rollups: delete a local day's rows, rebuild them from raw events.

Every statement filters raw events by the UTC range of the local day (so the
``ts`` index applies), and runs in one transaction per day under a lock, so a
rerun, a retry or two workers at once give identical rows. SQL is portable
between PostgreSQL and SQLite (CASE instead of FILTER, no interval maths:
window bounds are stored on the rows). Definitions: docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import (
    CohortDay,
    CourseDaily,
    CreatorDaily,
    DailyMetric,
    Event,
    FunnelEntry,
    MetricRun,
    PurchaseAttribution,
    RecommenderDaily,
    RollingRetention,
    SubjectCohort,
    SubjectDay,
    VideoDaily,
)

T = Event.Type
# Events that make a subject "active" on a day (docs/metrics.md §Active).
# Impressions, autoplay starts, swipe-aways, refunds and enrollments never count;
# a progress heartbeat counts once it reports at least 1 watched second.
QUALIFYING_TYPES: tuple[str, ...] = (
    T.COMPLETE,
    T.LIKE,
    T.FAVORITE,
    T.SHARE,
    T.COMMENT,
    T.CTA_CLICK,
    T.NOT_INTERESTED,
    T.FOLLOW,
    T.COURSE_VIEW,
    T.PREVIEW_PLAY,
    T.CHECKOUT,
    T.PURCHASE,
    T.LESSON_COMPLETE,
    T.SEARCH,
    T.SIGNUP,
    T.LOGIN,
)
ENGAGED_SECONDS = 3.0
FUNNEL_WINDOW_DAYS = 7
CLICK_WINDOW_DAYS = 7
VIEW_WINDOW_DAYS = 1
RETENTION_HORIZON = 30


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


@dataclass(frozen=True)
class _Sql:
    """Table names and parameter adapters for the current connection."""

    event: str = Event._meta.db_table

    @staticmethod
    def d(value: date) -> Any:
        return connection.ops.adapt_datefield_value(value)

    @staticmethod
    def ts(value: datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value)


def _run(sql: str, params: Sequence[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def _in(values: Sequence[str]) -> str:
    return ", ".join(["%s"] * len(values))


def _lock_day(day: date) -> None:
    """Serialise work on one local day (PostgreSQL advisory lock, released at commit).

    SQLite needs nothing: its IMMEDIATE transactions already serialise writers.
    """
    if connection.vendor == "postgresql":
        _run(
            "SELECT pg_advisory_xact_lock(hashtext('analytics'), hashtext(%s))",
            [f"day:{day.isoformat()}"],
        )


# --- The unit of work -------------------------------------------------------


@transaction.atomic
def rollup_day(*, day: date, now: datetime | None = None) -> MetricRun:
    """Rebuild every per-day rollup of local ``day`` from raw events; safe to repeat."""
    now = now or timezone.now()
    _lock_day(day)
    start, end = day_bounds(day)
    _subject_day(day, start, end)
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
    stats = Event.objects.filter(ts__gte=start, ts__lt=end).aggregate(m=Max("received_at"))
    run, _ = MetricRun.objects.update_or_create(
        local_date=day,
        defaults={
            "finished_at": now,
            "source_max_received_at": stats["m"],
            "events": SubjectDay.objects.filter(local_date=day).count(),
        },
    )
    return run


def _delete(model: type, **filters: Any) -> None:
    model._default_manager.filter(**filters).delete()  # type: ignore[attr-defined]


def _subject_day(day: date, start: datetime, end: datetime) -> None:
    _delete(SubjectDay, local_date=day)
    q = QUALIFYING_TYPES
    _run(
        f"""
        INSERT INTO {SubjectDay._meta.db_table}
            (local_date, subject_id, events, qualifying, plays, purchases, gmv_minor,
             refunds_minor)
        SELECT %s, subject_id, COUNT(*),
            SUM(CASE WHEN type IN ({_in(q)}) OR (type = %s AND value >= 1) THEN 1 ELSE 0 END),
            SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
            CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT),
            CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT)
        FROM {_Sql.event} WHERE ts >= %s AND ts < %s
        GROUP BY subject_id
        """,
        [
            _Sql.d(day),
            *q,
            T.PROGRESS,
            T.PLAY,
            T.PURCHASE,
            T.PURCHASE,
            T.REFUND,
            _Sql.ts(start),
            _Sql.ts(end),
        ],
    )


def _subject_cohort(day: date, start: datetime, end: datetime) -> None:
    """First-time signup cohort: a subject belongs to the day of its first signup."""
    first_signups = f"""
        SELECT subject_id FROM {_Sql.event}
        WHERE type = %s AND ts >= %s AND ts < %s
          AND subject_id NOT IN (SELECT subject_id FROM {_Sql.event} WHERE type = %s AND ts < %s)
    """
    fs_params = [T.SIGNUP, _Sql.ts(start), _Sql.ts(end), T.SIGNUP, _Sql.ts(start)]
    table = SubjectCohort._meta.db_table
    _run(
        f"DELETE FROM {table} WHERE signup_date = %s OR subject_id IN ({first_signups})",
        [_Sql.d(day), *fs_params],
    )
    _run(
        f"""
        INSERT INTO {table} (subject_id, signup_date, signup_at)
        SELECT subject_id, %s, MIN(ts) FROM {_Sql.event}
        WHERE type = %s AND ts >= %s AND ts < %s AND subject_id IN ({first_signups})
        GROUP BY subject_id
        """,
        [_Sql.d(day), T.SIGNUP, _Sql.ts(start), _Sql.ts(end), *fs_params],
    )


def _cohort_day(day: date) -> None:
    _delete(CohortDay, local_date=day)
    _run(
        f"""
        INSERT INTO {CohortDay._meta.db_table} (cohort_date, local_date, active, net_minor)
        SELECT c.signup_date, %s,
            SUM(CASE WHEN s.qualifying > 0 THEN 1 ELSE 0 END),
            SUM(s.gmv_minor - s.refunds_minor)
        FROM {SubjectDay._meta.db_table} s
        JOIN {SubjectCohort._meta.db_table} c ON c.subject_id = s.subject_id
        WHERE s.local_date = %s AND c.signup_date <= %s
        GROUP BY c.signup_date
        """,
        [_Sql.d(day), _Sql.d(day), _Sql.d(day)],
    )


def _video_daily(day: date, start: datetime, end: datetime) -> None:
    """Plays, viewers and engagement per video.

    Watch time of one viewer on one video on one day is the largest
    cumulative ``video.progress`` value they sent (duplicated or lost
    heartbeats do not change it); the view is *engaged* when that reaches
    3 s or the video was completed.
    """
    _delete(VideoDaily, local_date=day)
    ev, rng = _Sql.event, [_Sql.ts(start), _Sql.ts(end)]
    _run(
        f"""
        INSERT INTO {VideoDaily._meta.db_table}
            (local_date, video_id, creator_id, plays, viewers, engaged_views, completes,
             watch_seconds, likes, shares, cta_clicks)
        SELECT %s, a.video_id, a.creator_id, a.plays, a.viewers, COALESCE(b.engaged, 0),
            a.completes, COALESCE(b.watch, 0), a.likes, a.shares, a.cta
        FROM (
            SELECT video_id, MAX(creator_id) AS creator_id,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS plays,
                COUNT(DISTINCT CASE WHEN type = %s THEN subject_id END) AS viewers,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS completes,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS likes,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS shares,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS cta
            FROM {ev} WHERE ts >= %s AND ts < %s AND video_id IS NOT NULL
            GROUP BY video_id
        ) a LEFT JOIN (
            SELECT video_id, SUM(CASE WHEN w >= %s OR c = 1 THEN 1 ELSE 0 END) AS engaged,
                SUM(w) AS watch
            FROM (
                SELECT video_id, subject_id,
                    MAX(CASE WHEN type = %s THEN value ELSE 0 END) AS w,
                    MAX(CASE WHEN type = %s THEN 1 ELSE 0 END) AS c
                FROM {ev} WHERE ts >= %s AND ts < %s AND video_id IS NOT NULL
                    AND type IN (%s, %s)
                GROUP BY video_id, subject_id
            ) g GROUP BY video_id
        ) b ON a.video_id = b.video_id
        """,
        [
            _Sql.d(day),
            T.PLAY,
            T.PLAY,
            T.COMPLETE,
            T.LIKE,
            T.SHARE,
            T.CTA_CLICK,
            *rng,
            ENGAGED_SECONDS,
            T.PROGRESS,
            T.COMPLETE,
            *rng,
            T.PROGRESS,
            T.COMPLETE,
        ],
    )


def _course_daily(day: date, start: datetime, end: datetime) -> None:
    _delete(CourseDaily, local_date=day)
    types = [T.COURSE_VIEW, T.PREVIEW_PLAY, T.CHECKOUT, T.PURCHASE, T.REFUND]
    _run(
        f"""
        INSERT INTO {CourseDaily._meta.db_table}
            (local_date, course_id, creator_id, page_views, page_viewers, previewers,
             checkouts, buyers, purchases, gmv_minor, refunds_minor)
        SELECT %s, course_id, MAX(creator_id),
            SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
            COUNT(DISTINCT CASE WHEN type = %s THEN subject_id END),
            COUNT(DISTINCT CASE WHEN type = %s THEN subject_id END),
            SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
            COUNT(DISTINCT CASE WHEN type = %s THEN subject_id END),
            SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
            CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT),
            CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT)
        FROM {_Sql.event}
        WHERE ts >= %s AND ts < %s AND course_id IS NOT NULL AND type IN ({_in(types)})
        GROUP BY course_id
        """,
        [
            _Sql.d(day),
            T.COURSE_VIEW,
            T.COURSE_VIEW,
            T.PREVIEW_PLAY,
            T.CHECKOUT,
            T.PURCHASE,
            T.PURCHASE,
            T.PURCHASE,
            T.REFUND,
            _Sql.ts(start),
            _Sql.ts(end),
            *types,
        ],
    )


def _creator_daily(day: date, start: datetime, end: datetime) -> None:
    _delete(CreatorDaily, local_date=day)
    _run(
        f"""
        INSERT INTO {CreatorDaily._meta.db_table}
            (local_date, creator_id, plays, viewers, watch_seconds, follows, purchases,
             buyers, gmv_minor, refunds_minor)
        SELECT %s, a.creator_id, a.plays, a.viewers, COALESCE(v.watch, 0), a.follows,
            a.purchases, a.buyers, a.gmv, a.refunds
        FROM (
            SELECT creator_id,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS plays,
                COUNT(DISTINCT CASE WHEN type = %s THEN subject_id END) AS viewers,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS follows,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS purchases,
                COUNT(DISTINCT CASE WHEN type = %s THEN subject_id END) AS buyers,
                CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT) AS gmv,
                CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT)
                    AS refunds
            FROM {_Sql.event} WHERE ts >= %s AND ts < %s AND creator_id IS NOT NULL
            GROUP BY creator_id
        ) a LEFT JOIN (
            SELECT creator_id, SUM(watch_seconds) AS watch FROM {VideoDaily._meta.db_table}
            WHERE local_date = %s GROUP BY creator_id
        ) v ON v.creator_id = a.creator_id
        """,
        [
            _Sql.d(day),
            T.PLAY,
            T.PLAY,
            T.FOLLOW,
            T.PURCHASE,
            T.PURCHASE,
            T.PURCHASE,
            T.REFUND,
            _Sql.ts(start),
            _Sql.ts(end),
            _Sql.d(day),
        ],
    )


def _recommender_daily(day: date, start: datetime, end: datetime) -> None:
    """Impressions and plays carrying ``props.model_version`` (CTR per variant)."""
    _delete(RecommenderDaily, local_date=day)
    if connection.vendor == "postgresql":
        version = "props->>'model_version'"
    else:
        version = "json_extract(props, '$.model_version')"
    _run(
        f"""
        INSERT INTO {RecommenderDaily._meta.db_table}
            (local_date, model_version, impressions, plays)
        SELECT %s, mv, SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN type = %s THEN 1 ELSE 0 END)
        FROM (
            SELECT CAST({version} AS VARCHAR(64)) AS mv, type FROM {_Sql.event}
            WHERE ts >= %s AND ts < %s AND type IN (%s, %s)
        ) x WHERE mv IS NOT NULL AND mv <> '' GROUP BY mv
        """,
        [_Sql.d(day), T.IMPRESSION, T.PLAY, _Sql.ts(start), _Sql.ts(end), T.IMPRESSION, T.PLAY],
    )


def _attribution(day: date, start: datetime, end: datetime) -> None:
    """Last touch per purchase: 7-day click on the course, else 1-day engaged view.

    A click touch is a ``video.cta_clicked`` or ``course.viewed`` of the same
    course that names its source ``video_id``; a view touch is an engaged
    view (progress ≥ 3 s or completion) of any video of the course's creator.
    Ties go to the higher event id.
    """
    _delete(PurchaseAttribution, local_date=day)
    purchases = Event.objects.filter(type=T.PURCHASE, ts__gte=start, ts__lt=end).values_list(
        "id", "subject_id", "course_id", "creator_id", "value", "ts"
    )
    PurchaseAttribution.objects.bulk_create(
        [
            PurchaseAttribution(
                purchase_event_id=pk,
                local_date=day,
                subject_id=subject,
                course_id=course,
                creator_id=creator,
                amount_minor=round(value),
                purchased_at=ts,
                click_from=ts - timedelta(days=CLICK_WINDOW_DAYS),
                view_from=ts - timedelta(days=VIEW_WINDOW_DAYS),
            )
            for pk, subject, course, creator, value, ts in purchases
        ],
        batch_size=2000,
    )
    pa, ev = PurchaseAttribution._meta.db_table, _Sql.event
    click = f"""
        FROM {ev} e WHERE e.subject_id = {pa}.subject_id AND e.course_id = {pa}.course_id
          AND e.type IN (%s, %s) AND e.video_id IS NOT NULL
          AND e.ts > {pa}.click_from AND e.ts <= {pa}.purchased_at
        ORDER BY e.ts DESC, e.id DESC LIMIT 1"""
    view = f"""
        FROM {ev} e WHERE e.subject_id = {pa}.subject_id AND e.creator_id = {pa}.creator_id
          AND e.video_id IS NOT NULL
          AND ((e.type = %s AND e.value >= %s) OR e.type = %s)
          AND e.ts > {pa}.view_from AND e.ts <= {pa}.purchased_at
        ORDER BY e.ts DESC, e.id DESC LIMIT 1"""
    click_p = [T.CTA_CLICK, T.COURSE_VIEW]
    view_p = [T.PROGRESS, ENGAGED_SECONDS, T.COMPLETE]
    _run(
        f"""UPDATE {pa} SET touch = %s,
            video_id = (SELECT e.video_id {click}), touch_at = (SELECT e.ts {click})
        WHERE local_date = %s AND EXISTS (SELECT 1 {click})""",
        [PurchaseAttribution.Touch.CLICK, *click_p, *click_p, _Sql.d(day), *click_p],
    )
    _run(
        f"""UPDATE {pa} SET touch = %s,
            video_id = (SELECT e.video_id {view}), touch_at = (SELECT e.ts {view})
        WHERE local_date = %s AND touch = %s AND EXISTS (SELECT 1 {view})""",
        [
            PurchaseAttribution.Touch.VIEW,
            *view_p,
            *view_p,
            _Sql.d(day),
            PurchaseAttribution.Touch.NONE,
            *view_p,
        ],
    )
    _refunded_amounts("local_date = %s", [_Sql.d(day)])


def _refunded_amounts(where: str, params: list[Any]) -> None:
    """Set each purchase's refunded amount: refunds of the same subject and course after it.

    Capped at the purchase amount, so a double-sent refund never makes a
    negative order.
    """
    pa, ev = PurchaseAttribution._meta.db_table, _Sql.event
    total = f"""(SELECT COALESCE(SUM(r.value), 0) FROM {ev} r
        WHERE r.type = %s AND r.subject_id = {pa}.subject_id
          AND r.course_id = {pa}.course_id AND r.ts >= {pa}.purchased_at)"""
    _run(
        f"""UPDATE {pa} SET refunded_minor = CAST(ROUND(CASE WHEN {total} > amount_minor
            THEN amount_minor ELSE {total} END) AS BIGINT) WHERE {where}""",
        [T.REFUND, T.REFUND, *params],
    )


def _refunds_to_purchases(start: datetime, end: datetime) -> None:
    """A refund on this day changes its (earlier) purchase's row, whatever its date."""
    pa, ev = PurchaseAttribution._meta.db_table, _Sql.event
    _refunded_amounts(
        f"""EXISTS (SELECT 1 FROM {ev} r WHERE r.type = %s AND r.ts >= %s AND r.ts < %s
            AND r.subject_id = {pa}.subject_id AND r.course_id = {pa}.course_id)""",
        [T.REFUND, _Sql.ts(start), _Sql.ts(end)],
    )


def _count_distinct_active(first: date, last: date) -> int:
    return (
        SubjectDay.objects.filter(local_date__gte=first, local_date__lte=last, qualifying__gt=0)
        .values("subject_id")
        .distinct()
        .count()
    )


def _daily_metric(day: date, start: datetime, end: datetime) -> None:
    _delete(DailyMetric, local_date=day)
    sd = SubjectDay._meta.db_table
    [(dau, purchases, gmv, refunds_minor)] = _fetch(
        f"""SELECT COALESCE(SUM(CASE WHEN qualifying > 0 THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(purchases), 0), COALESCE(SUM(gmv_minor), 0),
            COALESCE(SUM(refunds_minor), 0) FROM {sd} WHERE local_date = %s""",
        [_Sql.d(day)],
    )
    [(plays, engaged, completes, watch)] = _fetch(
        f"""SELECT COALESCE(SUM(plays), 0), COALESCE(SUM(engaged_views), 0),
            COALESCE(SUM(completes), 0), COALESCE(SUM(watch_seconds), 0)
        FROM {VideoDaily._meta.db_table} WHERE local_date = %s""",
        [_Sql.d(day)],
    )
    paying = (
        PurchaseAttribution.objects.filter(local_date=day)
        .exclude(refunded_minor__gte=F("amount_minor"))
        .values("subject_id")
        .distinct()
        .count()
    )
    DailyMetric.objects.create(
        local_date=day,
        dau=dau,
        wau=_count_distinct_active(day - timedelta(days=6), day),
        mau=_count_distinct_active(day - timedelta(days=29), day),
        new_users=SubjectCohort.objects.filter(signup_date=day).count(),
        plays=plays,
        engaged_views=engaged,
        completes=completes,
        watch_seconds=float(watch),
        purchases=purchases,
        paying_users=paying,
        gmv_minor=gmv,
        refunds=Event.objects.filter(type=T.REFUND, ts__gte=start, ts__lt=end).count(),
        refunds_minor=refunds_minor,
    )


def _rolling_retention(cohort: date) -> None:
    """Rolling retention of a cohort whose 30-day horizon has closed.

    m(u) = the last day offset (1..30) on which u was active; u counts for
    every n ≤ m(u). Day 0 is the whole cohort.
    """
    _delete(RollingRetention, cohort_date=cohort)
    size = SubjectCohort.objects.filter(signup_date=cohort).count()
    if size == 0:
        return
    rows = _fetch(
        f"""SELECT s.subject_id, MAX(s.local_date) FROM {SubjectDay._meta.db_table} s
        JOIN {SubjectCohort._meta.db_table} c ON c.subject_id = s.subject_id
        WHERE c.signup_date = %s AND s.local_date > %s AND s.local_date <= %s
          AND s.qualifying > 0 GROUP BY s.subject_id""",
        [_Sql.d(cohort), _Sql.d(cohort), _Sql.d(cohort + timedelta(days=RETENTION_HORIZON))],
    )
    last = [(_as_date(d) - cohort).days for _, d in rows]
    RollingRetention.objects.bulk_create(
        [
            RollingRetention(
                cohort_date=cohort,
                n=n,
                cohort_size=size,
                retained=size if n == 0 else sum(1 for m in last if m >= n),
            )
            for n in range(RETENTION_HORIZON + 1)
        ]
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- Funnel (its own unit: an entry day's window spans the next 7 days) ------


@transaction.atomic
def funnel_entry_day(*, day: date) -> int:
    """Rebuild the course funnels of subjects who entered on local ``day``.

    S1 is the first engaged view that day of a video linking the course;
    S2..S5 (page, preview, checkout, purchase of the same course) are each the
    earliest event after the previous step and before S1 + 7 days. The
    4-step variant skips the preview. Returns the number of entries.
    """
    _lock_day(day)
    start, end = day_bounds(day)
    _delete(FunnelEntry, entry_date=day)
    fe, ev = FunnelEntry._meta.db_table, _Sql.event
    entries = (
        Event.objects.filter(ts__gte=start, ts__lt=end, course_id__isnull=False)
        .filter(video_id__isnull=False)
        .filter(Q(type=T.PROGRESS, value__gte=ENGAGED_SECONDS) | Q(type=T.COMPLETE))
        .values("subject_id", "course_id")
        .annotate(t1=Min("ts"), creator=Max("creator_id"))
        .order_by()
    )
    window = timedelta(days=FUNNEL_WINDOW_DAYS)
    FunnelEntry.objects.bulk_create(
        [
            FunnelEntry(
                entry_date=day,
                course_id=row["course_id"],
                creator_id=row["creator"],
                subject_id=row["subject_id"],
                entered_at=row["t1"],
                window_end=row["t1"] + window,
            )
            for row in entries
        ],
        batch_size=2000,
    )

    def step(column: str, after: str, event_type: str) -> None:
        _run(
            f"""UPDATE {fe} SET {column} = (SELECT MIN(e.ts) FROM {ev} e
                WHERE e.subject_id = {fe}.subject_id AND e.course_id = {fe}.course_id
                  AND e.type = %s AND e.ts >= {fe}.{after} AND e.ts < {fe}.window_end)
            WHERE entry_date = %s AND {after} IS NOT NULL""",
            [event_type, _Sql.d(day)],
        )

    step("t2", "entered_at", T.COURSE_VIEW)
    step("t3", "t2", T.PREVIEW_PLAY)
    step("t4", "t3", T.CHECKOUT)
    step("t5", "t4", T.PURCHASE)
    step("t4_skip", "t2", T.CHECKOUT)
    step("t5_skip", "t4_skip", T.PURCHASE)
    _run(
        f"""UPDATE {fe} SET
            reached = CASE WHEN t5 IS NOT NULL THEN 5 WHEN t4 IS NOT NULL THEN 4
                WHEN t3 IS NOT NULL THEN 3 WHEN t2 IS NOT NULL THEN 2 ELSE 1 END,
            reached_4 = CASE WHEN t5_skip IS NOT NULL THEN 4 WHEN t4_skip IS NOT NULL THEN 3
                WHEN t2 IS NOT NULL THEN 2 ELSE 1 END
        WHERE entry_date = %s""",
        [_Sql.d(day)],
    )
    return len(entries)


# --- Orchestration ------------------------------------------------------------


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def rollup_range(*, first: date, last: date, now: datetime | None = None) -> int:
    """Rebuild days ``first..last`` in order, then the funnels whose window they touch."""
    for day in days_between(first, last):
        rollup_day(day=day, now=now)
    today = local_today(now)
    for day in days_between(first - timedelta(days=FUNNEL_WINDOW_DAYS), min(last, today)):
        funnel_entry_day(day=day)
    return (last - first).days + 1


def late_event_dates(*, since: datetime | None, before: date) -> list[date]:
    """Local dates older than ``before`` that received events after ``since``."""
    if since is None:
        return []
    start, _ = day_bounds(before)
    dates = (
        Event.objects.filter(received_at__gt=since, ts__lt=start)
        .annotate(d=TruncDate("ts", tzinfo=report_tz()))
        .values_list("d", flat=True)
        .distinct()
        .order_by()
    )
    return sorted(dates)
