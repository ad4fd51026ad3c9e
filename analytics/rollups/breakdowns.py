"""A day's KPIs split by platform, channel, new vs returning, category, creator and course.

One statement per dimension: events grouped by (value, subject, video), then
by (value, subject), then by value, so watch time and engaged views follow
``VideoDaily``'s rule (a viewer's largest heartbeat per video) within each
value, and buyers and active subjects are counted once per value.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection

from ..models import BreakdownDaily, SubjectDay
from ..owners import owners_of
from .definitions import ENGAGED_SECONDS, QUALIFYING_TYPES, T
from .sql import _fetch, _in, _run, _Sql, ordered_sum

DIMENSIONS = ("platform", "channel", "visitor", "category", "creator", "course")
UNKNOWN = "unknown"


def _context_value(key: str) -> str:
    if connection.vendor == "postgresql":
        raw = f"e.context->>'{key}'"
    else:
        raw = f"json_extract(e.context, '$.{key}')"
    return f"COALESCE(NULLIF(CAST({raw} AS VARCHAR(64)), ''), '{UNKNOWN}')"


def _visitor_sql() -> str:
    return """CASE WHEN sd.qualifying = 0 THEN 'inactive'
        WHEN sd.prev_active_date IS NULL THEN 'new' ELSE 'returning' END"""


def breakdown_day(
    day: date, start: datetime, end: datetime, only: tuple[str, ...] = DIMENSIONS
) -> None:
    """Rebuild the day's ``BreakdownDaily`` rows of the ``only`` dimensions (all by default).

    The visitor split reads the day's ``SubjectDay`` rows, so it runs after them.
    """
    BreakdownDaily.objects.filter(local_date=day, dimension__in=only).delete()
    for dimension in only:
        value, join, where, params = _dimension(dimension, day, start, end)
        if value:
            _insert(day, dimension, value, join, where, params, start, end)


def _dimension(
    dimension: str, day: date, start: datetime, end: datetime
) -> tuple[str, str, str, list[object]]:
    """(value SQL, join, condition, join parameters) of one dimension; no value SQL = no rows."""
    if dimension in ("platform", "channel"):
        return _context_value(dimension), "", "", []
    if dimension == "visitor":
        join = f"JOIN {SubjectDay._meta.db_table} sd ON sd.subject_id = e.subject_id AND sd.local_date = %s"
        return _visitor_sql(), join, "", [_Sql.d(day)]
    if dimension in ("creator", "course"):
        column = f"e.{dimension}_id"
        return f"CAST({column} AS VARCHAR(64))", "", f"AND {column} IS NOT NULL", []
    return _category(start, end)


def _category(start: datetime, end: datetime) -> tuple[str, str, str, list[object]]:
    """Category of the event's course, else of its video, as the catalogue tells now."""
    ids = _fetch(
        f"""SELECT DISTINCT course_id, video_id FROM {_Sql.event}
        WHERE ts >= %s AND ts < %s AND (course_id IS NOT NULL OR video_id IS NOT NULL)""",
        [_Sql.ts(start), _Sql.ts(end)],
    )
    courses = owners_of("course_category", {c for c, _ in ids if c is not None})
    videos = owners_of("video_category", {v for _, v in ids if v is not None})
    if not courses and not videos:
        return "", "", "", []
    params: list[object] = []
    joins = []
    for alias, column, mapping in (("cc", "course_id", courses), ("vc", "video_id", videos)):
        pairs = sorted(mapping.items()) or [(0, 0)]
        rows = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT))"] * len(pairs))
        params += [x for pair in pairs for x in pair]
        joins.append(
            f"LEFT JOIN (SELECT t.column1 AS id, t.column2 AS cat FROM (VALUES {rows}) AS t)"
            f" {alias} ON {alias}.id = e.{column}"
        )
    value = "CAST(COALESCE(cc.cat, vc.cat) AS VARCHAR(64))"
    return value, " ".join(joins), "AND COALESCE(cc.cat, vc.cat) IS NOT NULL", params


def _insert(
    day: date,
    dimension: str,
    value: str,
    join: str,
    where: str,
    join_params: list[object],
    start: datetime,
    end: datetime,
) -> None:
    q = QUALIFYING_TYPES
    _run(
        f"""
        INSERT INTO {BreakdownDaily._meta.db_table}
            (local_date, dimension, value, active, subjects, plays, engaged_views, watch_seconds,
             signups, course_views, checkouts, purchases, buyers, gmv_minor, refunds_minor)
        SELECT %s, %s, v, SUM(CASE WHEN q > 0 THEN 1 ELSE 0 END), COUNT(*), SUM(plays),
            SUM(engaged), {ordered_sum("w", "subject_id")}, SUM(signups), SUM(views),
            SUM(checkouts), SUM(purchases), SUM(CASE WHEN purchases > 0 THEN 1 ELSE 0 END),
            CAST(ROUND(SUM(gmv)) AS BIGINT), CAST(ROUND(SUM(refunds)) AS BIGINT)
        FROM (
            SELECT v, subject_id, SUM(q) AS q, SUM(plays) AS plays,
                SUM(CASE WHEN video_id IS NOT NULL AND (w >= %s OR completes > 0) THEN 1 ELSE 0 END)
                    AS engaged,
                {ordered_sum("w", "video_id")} AS w, SUM(signups) AS signups,
                SUM(views) AS views, SUM(checkouts) AS checkouts, SUM(purchases) AS purchases,
                SUM(gmv) AS gmv, SUM(refunds) AS refunds
            FROM (
                SELECT {value} AS v, e.subject_id, e.video_id,
                    SUM(CASE WHEN e.type IN ({_in(q)}) OR (e.type = %s AND e.value >= 1)
                        THEN 1 ELSE 0 END) AS q,
                    SUM(CASE WHEN e.type = %s THEN 1 ELSE 0 END) AS plays,
                    SUM(CASE WHEN e.type = %s THEN 1 ELSE 0 END) AS completes,
                    MAX(CASE WHEN e.type = %s AND e.video_id IS NOT NULL THEN e.value ELSE 0 END)
                        AS w,
                    SUM(CASE WHEN e.type = %s THEN 1 ELSE 0 END) AS signups,
                    SUM(CASE WHEN e.type = %s THEN 1 ELSE 0 END) AS views,
                    SUM(CASE WHEN e.type = %s THEN 1 ELSE 0 END) AS checkouts,
                    SUM(CASE WHEN e.type = %s THEN 1 ELSE 0 END) AS purchases,
                    SUM(CASE WHEN e.type = %s THEN e.value ELSE 0 END) AS gmv,
                    SUM(CASE WHEN e.type = %s THEN e.value ELSE 0 END) AS refunds
                FROM {_Sql.event} e {join}
                WHERE e.ts >= %s AND e.ts < %s {where}
                GROUP BY 1, e.subject_id, e.video_id
            ) per_video GROUP BY v, subject_id
        ) per_subject GROUP BY v
        """,
        [
            _Sql.d(day),
            dimension,
            ENGAGED_SECONDS,
            *q,
            T.PROGRESS,
            T.PLAY,
            T.COMPLETE,
            T.PROGRESS,
            T.SIGNUP,
            T.COURSE_VIEW,
            T.CHECKOUT,
            T.PURCHASE,
            T.PURCHASE,
            T.REFUND,
            *join_params,
            _Sql.ts(start),
            _Sql.ts(end),
        ],
    )
