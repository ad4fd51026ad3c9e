"""Idempotent per-day rollups: delete a local day's rows, rebuild them from raw events.

Every statement filters raw events by the UTC range of the local day (so the
``ts`` index applies), and runs in one transaction per day under a lock, so a
rerun, a retry or two workers at once give identical rows. SQL is portable
between PostgreSQL and SQLite (CASE instead of FILTER, no interval maths:
window bounds are stored on the rows). Definitions: docs/metrics.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce, TruncDate
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
ROLLUP_WORK_MEM = "96MB"  # per rollup transaction on PostgreSQL


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
        # a day's (video, subject) hash aggregates spill to disk at the 4 MB default
        _run(f"SET LOCAL work_mem = '{ROLLUP_WORK_MEM}'", [])


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
            "events": SubjectDay.objects.filter(local_date=day).count(),
        },
    )
    return run


def _insert_rows(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert model instances fast: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows, batch_size=2000)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([getattr(row, f.attname) for f in fields])


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
    """Plays, viewers and engagement per video, in one scan of the day.

    Watch time of one viewer on one video on one day is the largest
    cumulative ``video.progress`` value they sent (duplicated or lost
    heartbeats do not change it); the view is *engaged* when that reaches
    3 s or the video was completed. Viewers are counted from a (video,
    subject) pre-aggregate, cheaper than ``COUNT(DISTINCT …)``.
    """
    _delete(VideoDaily, local_date=day)
    _run(
        f"""
        INSERT INTO {VideoDaily._meta.db_table}
            (local_date, video_id, creator_id, plays, viewers, engaged_views, completes,
             watch_seconds, likes, shares, cta_clicks)
        SELECT %s, video_id, MAX(creator_id), SUM(plays),
            SUM(CASE WHEN plays > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN w >= %s OR completes > 0 THEN 1 ELSE 0 END),
            SUM(completes), SUM(w), SUM(likes), SUM(shares), SUM(cta)
        FROM (
            SELECT video_id, subject_id, MAX(creator_id) AS creator_id,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS plays,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS completes,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS likes,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS shares,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS cta,
                MAX(CASE WHEN type = %s THEN value ELSE 0 END) AS w
            FROM {_Sql.event} WHERE ts >= %s AND ts < %s AND video_id IS NOT NULL
            GROUP BY video_id, subject_id
        ) g GROUP BY video_id
        """,
        [
            _Sql.d(day),
            ENGAGED_SECONDS,
            T.PLAY,
            T.COMPLETE,
            T.LIKE,
            T.SHARE,
            T.CTA_CLICK,
            T.PROGRESS,
            _Sql.ts(start),
            _Sql.ts(end),
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
        SELECT %s, course_id, MAX(creator_id), SUM(views),
            SUM(CASE WHEN views > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN previews > 0 THEN 1 ELSE 0 END),
            SUM(checkouts), SUM(CASE WHEN purchases > 0 THEN 1 ELSE 0 END), SUM(purchases),
            CAST(ROUND(SUM(gmv)) AS BIGINT), CAST(ROUND(SUM(refunds)) AS BIGINT)
        FROM (
            SELECT course_id, subject_id, MAX(creator_id) AS creator_id,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS views,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS previews,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS checkouts,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS purchases,
                SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS gmv,
                SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS refunds
            FROM {_Sql.event}
            WHERE ts >= %s AND ts < %s AND course_id IS NOT NULL AND type IN ({_in(types)})
            GROUP BY course_id, subject_id
        ) g GROUP BY course_id
        """,
        [
            _Sql.d(day),
            T.COURSE_VIEW,
            T.PREVIEW_PLAY,
            T.CHECKOUT,
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
            SELECT creator_id, SUM(plays) AS plays,
                SUM(CASE WHEN plays > 0 THEN 1 ELSE 0 END) AS viewers,
                SUM(follows) AS follows, SUM(purchases) AS purchases,
                SUM(CASE WHEN purchases > 0 THEN 1 ELSE 0 END) AS buyers,
                CAST(ROUND(SUM(gmv)) AS BIGINT) AS gmv,
                CAST(ROUND(SUM(refunds)) AS BIGINT) AS refunds
            FROM (
                SELECT creator_id, subject_id,
                    SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS plays,
                    SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS follows,
                    SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS purchases,
                    SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS gmv,
                    SUM(CASE WHEN type = %s THEN value ELSE 0 END) AS refunds
                FROM {_Sql.event} WHERE ts >= %s AND ts < %s AND creator_id IS NOT NULL
                GROUP BY creator_id, subject_id
            ) g GROUP BY creator_id
        ) a LEFT JOIN (
            SELECT creator_id, SUM(watch_seconds) AS watch FROM {VideoDaily._meta.db_table}
            WHERE local_date = %s GROUP BY creator_id
        ) v ON v.creator_id = a.creator_id
        """,
        [
            _Sql.d(day),
            T.PLAY,
            T.FOLLOW,
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
    Ties go to the higher event id. Candidate touches and refunds of the
    day's buyers are read in three set-based queries and matched in Python.
    """
    _delete(PurchaseAttribution, local_date=day)
    purchases = list(
        Event.objects.filter(type=T.PURCHASE, ts__gte=start, ts__lt=end).values_list(
            "id", "subject_id", "course_id", "creator_id", "value", "ts"
        )
    )
    if not purchases:
        return
    buyers = f"""SELECT DISTINCT subject_id, course_id, creator_id FROM {_Sql.event}
        WHERE type = %s AND ts >= %s AND ts < %s"""
    bp = [T.PURCHASE, _Sql.ts(start), _Sql.ts(end)]
    clicks = _touches(
        f"""SELECT e.subject_id, e.course_id, e.ts, e.id, e.video_id FROM {_Sql.event} e
        JOIN ({buyers}) p ON e.subject_id = p.subject_id AND e.course_id = p.course_id
        WHERE e.type IN (%s, %s) AND e.video_id IS NOT NULL AND e.ts > %s AND e.ts < %s""",
        [
            *bp,
            T.CTA_CLICK,
            T.COURSE_VIEW,
            _Sql.ts(start - timedelta(days=CLICK_WINDOW_DAYS)),
            _Sql.ts(end),
        ],
    )
    views = _touches(
        f"""SELECT e.subject_id, e.creator_id, e.ts, e.id, e.video_id FROM {_Sql.event} e
        JOIN ({buyers}) p ON e.subject_id = p.subject_id AND e.creator_id = p.creator_id
        WHERE e.video_id IS NOT NULL AND ((e.type = %s AND e.value >= %s) OR e.type = %s)
          AND e.ts > %s AND e.ts < %s""",
        [
            *bp,
            T.PROGRESS,
            ENGAGED_SECONDS,
            T.COMPLETE,
            _Sql.ts(start - timedelta(days=VIEW_WINDOW_DAYS)),
            _Sql.ts(end),
        ],
    )
    refunds = _touches(
        f"""SELECT r.subject_id, r.course_id, r.ts, r.id, r.value FROM {_Sql.event} r
        JOIN ({buyers}) p ON r.subject_id = p.subject_id AND r.course_id = p.course_id
        WHERE r.type = %s AND r.ts >= %s""",
        [*bp, T.REFUND, _Sql.ts(start)],
    )
    rows = [_attribute(day, purchase, clicks, views, refunds) for purchase in purchases]
    _insert_rows(PurchaseAttribution, rows)


Touches = dict[tuple[Any, Any], list[tuple[datetime, int, Any]]]


def _touches(sql: str, params: list[Any]) -> Touches:
    """Rows (key1, key2, ts, id, payload) grouped by (key1, key2), oldest first."""
    out: Touches = defaultdict(list)
    for a, b, ts, pk, payload in _fetch(sql, params):
        out[(a, b)].append((as_aware(ts), pk, payload))
    for items in out.values():
        items.sort()
    return out


def _latest(items: list[tuple[datetime, int, Any]], after: datetime, until: datetime) -> Any:
    hits = [item for item in items if after < item[0] <= until]
    return max(hits) if hits else None


def _attribute(
    day: date, purchase: tuple[Any, ...], clicks: Touches, views: Touches, refunds: Touches
) -> PurchaseAttribution:
    pk, subject, course, creator, value, tp = purchase
    amount = round(value)
    click = _latest(clicks.get((subject, course), []), tp - timedelta(days=CLICK_WINDOW_DAYS), tp)
    view = _latest(views.get((subject, creator), []), tp - timedelta(days=VIEW_WINDOW_DAYS), tp)
    touch, kind = (click, "click") if click else (view, "view") if view else (None, "none")
    refunded = sum(float(v) for ts, _, v in refunds.get((subject, course), []) if ts >= tp)
    return PurchaseAttribution(
        purchase_event_id=pk,
        local_date=day,
        subject_id=subject,
        course_id=course,
        creator_id=creator,
        amount_minor=amount,
        refunded_minor=min(round(refunded), amount),
        purchased_at=tp,
        click_from=tp - timedelta(days=CLICK_WINDOW_DAYS),
        view_from=tp - timedelta(days=VIEW_WINDOW_DAYS),
        touch=kind,
        video_id=touch[2] if touch else None,
        touch_at=touch[0] if touch else None,
    )


def as_aware(value: Any) -> datetime:
    """A timestamp from raw SQL as an aware datetime (SQLite returns text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
    earliest event at or after the previous step and before S1 + 7 days. The
    4-step variant skips the preview. The entrants' step events are read in
    one query and matched in Python. Returns the number of entries.
    """
    _lock_day(day)
    start, end = day_bounds(day)
    _delete(FunnelEntry, entry_date=day)
    window = timedelta(days=FUNNEL_WINDOW_DAYS)
    engaged = """course_id IS NOT NULL AND video_id IS NOT NULL
        AND ((type = %s AND value >= %s) OR type = %s)"""
    ep = [T.PROGRESS, ENGAGED_SECONDS, T.COMPLETE]
    entrants = f"""SELECT subject_id, course_id, MIN(ts) AS t1, MAX(creator_id) AS creator
        FROM {_Sql.event} WHERE ts >= %s AND ts < %s AND {engaged}
        GROUP BY subject_id, course_id"""
    rng = [_Sql.ts(start), _Sql.ts(end)]
    entries = _fetch(entrants, [*rng, *ep])
    steps = _touches(
        f"""SELECT e.subject_id, e.course_id, e.ts, e.id, e.type FROM {_Sql.event} e
        JOIN ({entrants}) f ON e.subject_id = f.subject_id AND e.course_id = f.course_id
        WHERE e.type IN (%s, %s, %s, %s) AND e.ts >= %s AND e.ts < %s AND e.ts >= f.t1""",
        [
            *rng,
            *ep,
            T.COURSE_VIEW,
            T.PREVIEW_PLAY,
            T.CHECKOUT,
            T.PURCHASE,
            _Sql.ts(start),
            _Sql.ts(end + window),
        ],
    )
    rows = []
    for subject, course, t1, creator in entries:
        t1 = as_aware(t1)
        events = steps.get((subject, course), [])
        five = _walk(
            events, t1, t1 + window, [T.COURSE_VIEW, T.PREVIEW_PLAY, T.CHECKOUT, T.PURCHASE]
        )
        skip = _walk(events, five[0], t1 + window, [T.CHECKOUT, T.PURCHASE]) if five else []
        times = (five + [None] * 4)[:4]
        skips = (skip + [None] * 2)[:2]
        rows.append(
            FunnelEntry(
                entry_date=day,
                course_id=course,
                creator_id=creator,
                subject_id=subject,
                entered_at=t1,
                window_end=t1 + window,
                t2=times[0],
                t3=times[1],
                t4=times[2],
                t5=times[3],
                t4_skip=skips[0],
                t5_skip=skips[1],
                reached=1 + len(five),
                reached_4=1 + min(len(five), 1) + len(skip),
            )
        )
    _insert_rows(FunnelEntry, rows)
    return len(rows)


def _walk(
    events: list[tuple[datetime, int, Any]], after: datetime, before: datetime, kinds: list[str]
) -> list[datetime]:
    """Greedy ordered match: the earliest event of each kind at or after the previous one."""
    found: list[datetime] = []
    for kind in kinds:
        hit = next((ts for ts, _, k in events if k == kind and after <= ts < before), None)
        if hit is None:
            break
        found.append(hit)
        after = hit
    return found


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
