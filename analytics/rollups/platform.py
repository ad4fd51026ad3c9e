"""Platform-wide rollups of a day: per-subject activity, recommender CTR, the daily metrics."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import F

from ..models import (
    ActiveDay,
    DailyMetric,
    Event,
    PurchaseAttribution,
    RecommenderDaily,
    SubjectCohort,
    SubjectDay,
    SubjectTypeDay,
    VideoDaily,
)
from .chains import Chain, first_in_range
from .definitions import MAU_DAYS, QUALIFYING_TYPES, WAU_DAYS, T
from .sql import _delete, _fetch, _in, _run, _Sql, ordered_sum

ACTIVE = Chain(
    SubjectDay,
    keys=("subject_id",),
    day="local_date",
    prev="prev_active_date",
    where="{t}.qualifying > 0",
)


def distinct_active(first: date, last: date) -> int:
    """Subjects active on at least one day of [first, last] (any length up to MAX_RANGE_DAYS)."""
    is_first, params = first_in_range("prev_active_date", first)
    [(n,)] = _fetch(
        f"SELECT COALESCE(SUM(subjects), 0) FROM {ActiveDay._meta.db_table}"
        f" WHERE local_date >= %s AND local_date <= %s AND {is_first}",
        [_Sql.d(first), _Sql.d(last), *params],
    )
    return int(n)


def _subject_day(day: date, start: datetime, end: datetime) -> tuple[int, list[date]]:
    """One row per subject seen on ``day``; active rows chained to their previous active day.

    Returns the number of rows (subjects seen), and the later days whose rows
    were re-pointed (their new-vs-returning split changed).
    """
    before = ACTIVE.keys_on(day)
    _delete(SubjectDay, local_date=day)
    q = QUALIFYING_TYPES
    previous, previous_params = ACTIVE.previous_of("x", day)
    seen = _run(
        f"""
        INSERT INTO {SubjectDay._meta.db_table}
            (local_date, subject_id, events, qualifying, plays, purchases, gmv_minor,
             refunds_minor, prev_active_date)
        SELECT x.*, CASE WHEN x.qualifying > 0 THEN {previous} END FROM (
            SELECT %s AS local_date, subject_id, COUNT(*) AS events,
                SUM(CASE WHEN type IN ({_in(q)}) OR (type = %s AND value >= 1) THEN 1 ELSE 0 END)
                    AS qualifying,
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
                SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
                CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT),
                CAST(ROUND(SUM(CASE WHEN type = %s THEN value ELSE 0 END)) AS BIGINT)
            FROM {_Sql.event} WHERE ts >= %s AND ts < %s
            GROUP BY subject_id
        ) x
        """,
        [
            *previous_params,
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
    recount = ACTIVE.repoint_after(day) if ACTIVE.keys_on(day).keys() != before.keys() else []
    for counted in [day, *recount]:
        ACTIVE.count(counted, into=ActiveDay)
    return seen, recount


def _subject_type_day(day: date, start: datetime, end: datetime) -> None:
    """Which event types each subject sent on ``day`` (retention by any start and return event)."""
    _delete(SubjectTypeDay, local_date=day)
    _run(
        f"""INSERT INTO {SubjectTypeDay._meta.db_table} (local_date, subject_id, type)
        SELECT DISTINCT %s, subject_id, type FROM {_Sql.event} WHERE ts >= %s AND ts < %s""",
        [_Sql.d(day), _Sql.ts(start), _Sql.ts(end)],
    )


def _recommender_daily(day: date, start: datetime, end: datetime) -> None:
    """Feed impressions and plays carrying ``props.model_version`` (CTR per version).

    Events of the pages' recommendation surfaces (``props.surface``: similar
    videos, "students also bought", the recommended course) also carry a
    version, but a course card has no play to match, so they stay out.
    """
    _delete(RecommenderDaily, local_date=day)
    if connection.vendor == "postgresql":
        version, surface = "props->>'model_version'", "props->>'surface'"
    else:
        version = "json_extract(props, '$.model_version')"
        surface = "json_extract(props, '$.surface')"
    _run(
        f"""
        INSERT INTO {RecommenderDaily._meta.db_table}
            (local_date, model_version, impressions, plays)
        SELECT %s, mv, SUM(CASE WHEN type = %s THEN 1 ELSE 0 END),
            SUM(CASE WHEN type = %s THEN 1 ELSE 0 END)
        FROM (
            SELECT CAST({version} AS VARCHAR(64)) AS mv, type FROM {_Sql.event}
            WHERE ts >= %s AND ts < %s AND type IN (%s, %s) AND {surface} IS NULL
        ) x WHERE mv IS NOT NULL AND mv <> '' GROUP BY mv
        """,
        [_Sql.d(day), T.IMPRESSION, T.PLAY, _Sql.ts(start), _Sql.ts(end), T.IMPRESSION, T.PLAY],
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
            COALESCE(SUM(completes), 0), COALESCE({ordered_sum("watch_seconds", "video_id")}, 0)
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
        wau=distinct_active(day - timedelta(days=WAU_DAYS - 1), day),
        mau=distinct_active(day - timedelta(days=MAU_DAYS - 1), day),
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
