"""Each subject's first event of each type per local day, by scope: what custom funnels read.

Each row also stores its key's (subject, type, scope, scope id) previous day
with a row, so a funnel finds a subject's first step-1 row of a range with a
filter ("previous day before the range") instead of an aggregate over every
row of the range, as ``FunnelDay`` and ``ActiveDay`` do (``chains``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db import connection

from ..models import SubjectEventFirst
from .definitions import MAX_RANGE_DAYS
from .sql import _delete, _fetch, _insert_rows, _lock_day, _run, _Sql, as_aware, as_date

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCOPE = SubjectEventFirst.Scope
KEY = ("subject_id", "type", "scope", "scope_id")
# Per-transaction scratch tables of a rebuild that has later days to re-chain.
NEW = "kf_eventfirst_new"
BEFORE = "kf_eventfirst_before"
CHANGED = "kf_eventfirst_changed"


def epoch_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact integer arithmetic)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _table() -> str:
    return SubjectEventFirst._meta.db_table


def _previous(outer: str, before: str, oldest: str) -> str:
    """SQL of the latest day before ``before`` and from ``oldest`` with a row of ``outer``'s key.

    One backward probe of the index ``eventfirst_key`` per row.
    """
    same_key = " AND ".join(f"g.{k} = {outer}.{k}" for k in KEY)
    return f"""(SELECT MAX(g.local_date) FROM {_table()} g WHERE {same_key}
        AND g.local_date < {before} AND g.local_date >= {oldest})"""


def _days_before(column: str, days: int) -> str:
    """SQL of the date ``days`` before a date column (SQLite has no date arithmetic operator)."""
    if connection.vendor == "postgresql":
        return f"{column} - {days}"
    return f"date({column}, '-{days} days')"


def _subject_event_first(day: date, start: datetime, end: datetime) -> None:
    """Rebuild ``day``'s first-of-day rows (platform-wide, per course, per creator), chained.

    When later days already hold rows (late data, an erasure, days built out
    of order), the keys that appeared on or left ``day`` get their next
    row's previous day recomputed (docs/decisions.md §Custom funnels).
    """
    table = _table()
    horizon = [_Sql.d(day), _Sql.d(day + timedelta(days=MAX_RANGE_DAYS))]
    later = _fetch(
        f"SELECT 1 FROM {table} WHERE local_date > %s AND local_date <= %s LIMIT 1", horizon
    )
    if later:
        _run(f"DROP TABLE IF EXISTS {BEFORE}", [])
        _run(
            f"CREATE TEMP TABLE {BEFORE} AS SELECT {', '.join(KEY)} FROM {table}"
            " WHERE local_date = %s",
            [_Sql.d(day)],
        )
    if connection.vendor == "postgresql":
        _build_day_postgresql(day, start, end)
    else:
        _build_day(day, start, end)
    if later:
        _rechain_after(day, horizon)


def _build_day_postgresql(day: date, start: datetime, end: datetime) -> None:
    """One scan of the day's events for all three scopes; each row written once, chained.

    The rows and their previous days are worked out into a scratch table
    before the day's rows are replaced: probing a table while the same
    statement fills it lets the planner, whose statistics still say "empty"
    on a fresh database, pick a sequential scan per row over a growing table.
    Both the probes and the insert go in key order, the order of the index
    ``eventfirst_key``: neighbouring rows touch the same index pages, each
    page once, instead of the whole index at random.
    """
    table = _table()
    columns = "local_date, subject_id, type, scope, scope_id, first_us, prev_date"
    oldest = _Sql.d(day - timedelta(days=MAX_RANGE_DAYS))
    _run(f"DROP TABLE IF EXISTS {NEW}", [])
    _run(
        f"""CREATE TEMP TABLE {NEW} AS
        SELECT x.*, {_previous("x", "%s", "%s")} AS prev_date FROM (
            SELECT CAST(%s AS DATE) AS local_date, subject_id, type,
                CASE WHEN GROUPING(course_id) = 0 THEN {SCOPE.COURSE}
                     WHEN GROUPING(creator_id) = 0 THEN {SCOPE.CREATOR}
                     ELSE {SCOPE.ALL} END AS scope,
                COALESCE(course_id, creator_id, 0) AS scope_id,
                CAST(FLOOR(EXTRACT(EPOCH FROM MIN(ts)) * 1000000) AS BIGINT) AS first_us
            FROM {_Sql.event} WHERE ts >= %s AND ts < %s
            GROUP BY GROUPING SETS ((subject_id, type), (subject_id, type, course_id),
                (subject_id, type, creator_id))
            HAVING NOT (GROUPING(course_id) = 0 AND course_id IS NULL)
                AND NOT (GROUPING(creator_id) = 0 AND creator_id IS NULL)
            ORDER BY {", ".join(KEY)}
        ) x""",
        [_Sql.d(day), oldest, _Sql.d(day), _Sql.ts(start), _Sql.ts(end)],
    )
    _delete(SubjectEventFirst, local_date=day)
    _run(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {NEW} ORDER BY {', '.join(KEY)}",
        [],
    )
    _run(f"DROP TABLE {NEW}", [])


def _build_day(day: date, start: datetime, end: datetime) -> None:
    """SQLite (make run, tests): µs computed in Python, previous days in a second pass."""
    table = _table()
    _delete(SubjectEventFirst, local_date=day)
    rows = []
    for scope, column in (
        (SCOPE.ALL, None),
        (SCOPE.COURSE, "course_id"),
        (SCOPE.CREATOR, "creator_id"),
    ):
        # SQLite reads a constant in GROUP BY as a column position: group the
        # platform-wide scope by subject and type alone.
        scope_column = column or "0"
        grouped = f"subject_id, type, {column}" if column else "subject_id, type"
        found = _fetch(
            f"""SELECT subject_id, type, {scope_column}, MIN(ts) FROM {_Sql.event}
            WHERE ts >= %s AND ts < %s AND {scope_column} IS NOT NULL
            GROUP BY {grouped}""",
            [_Sql.ts(start), _Sql.ts(end)],
        )
        rows += [
            {
                "local_date": day,
                "subject_id": subject,
                "type": type_,
                "scope": int(scope),
                "scope_id": int(scope_id),
                "first_us": epoch_us(as_aware(first)),
            }
            for subject, type_, scope_id, first in found
        ]
    _insert_rows(SubjectEventFirst, rows)
    oldest = _Sql.d(day - timedelta(days=MAX_RANGE_DAYS))
    _run(
        f"UPDATE {table} SET prev_date = {_previous(table, '%s', '%s')} WHERE local_date = %s",
        [_Sql.d(day), oldest, _Sql.d(day)],
    )


def _rechain_after(day: date, horizon: list[object]) -> None:
    """Re-point the next row after ``day`` of every key that appeared on or left ``day``.

    Only a key's first row after ``day`` can have pointed at ``day`` or past
    it; rows further on point at that row, which did not move. Its day is
    locked first (ascending, like every rebuild) so a concurrent rebuild of it
    never reads a half-update.
    """
    table = _table()
    keys = ", ".join(KEY)
    _run(f"DROP TABLE IF EXISTS {CHANGED}", [])
    _run(
        f"""CREATE TEMP TABLE {CHANGED} AS
        SELECT {keys} FROM (SELECT {keys} FROM {BEFORE}
            EXCEPT SELECT {keys} FROM {table} WHERE local_date = %s) AS gone
        UNION
        SELECT {keys} FROM (SELECT {keys} FROM {table} WHERE local_date = %s
            EXCEPT SELECT {keys} FROM {BEFORE}) AS came""",
        [_Sql.d(day), _Sql.d(day)],
    )
    _run(f"DROP TABLE {BEFORE}", [])
    if connection.vendor == "postgresql":
        _run(f"ANALYZE {CHANGED}", [])  # temp tables get no statistics otherwise
    same_key = " AND ".join(f"c.{k} = {table}.{k}" for k in KEY)
    stale = f"""{table}.local_date > %s AND {table}.local_date <= %s
        AND ({table}.prev_date IS NULL OR {table}.prev_date <= %s)
        AND EXISTS (SELECT 1 FROM {CHANGED} c WHERE {same_key})"""
    params = [*horizon, _Sql.d(day)]
    for (later_day,) in _fetch(
        f"SELECT DISTINCT local_date FROM {table} WHERE {stale} ORDER BY 1", params
    ):
        _lock_day(as_date(later_day))
    oldest = _days_before(f"{table}.local_date", MAX_RANGE_DAYS)
    _run(
        f"""UPDATE {table} SET prev_date = {_previous(table, f"{table}.local_date", oldest)}
        WHERE {stale}""",
        params,
    )
    _run(f"DROP TABLE {CHANGED}", [])
