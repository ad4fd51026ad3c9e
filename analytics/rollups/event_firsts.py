"""Each subject's first event of each type per local day, by scope: what custom funnels read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db import connection

from ..models import SubjectEventFirst
from .sql import _delete, _fetch, _insert_rows, _run, _Sql, as_aware

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCOPE = SubjectEventFirst.Scope


def epoch_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact integer arithmetic)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _subject_event_first(day: date, start: datetime, end: datetime) -> None:
    """Rebuild ``day``'s first-of-day rows: platform-wide, per course and per creator."""
    _delete(SubjectEventFirst, local_date=day)
    table = SubjectEventFirst._meta.db_table
    if connection.vendor == "postgresql":
        # one scan of the day's events for all three scopes
        _run(
            f"""INSERT INTO {table} (local_date, subject_id, type, scope, scope_id, first_us)
            SELECT %s, subject_id, type,
                CASE WHEN GROUPING(course_id) = 0 THEN {SCOPE.COURSE}
                     WHEN GROUPING(creator_id) = 0 THEN {SCOPE.CREATOR} ELSE {SCOPE.ALL} END,
                COALESCE(course_id, creator_id, 0),
                CAST(FLOOR(EXTRACT(EPOCH FROM MIN(ts)) * 1000000) AS BIGINT)
            FROM {_Sql.event} WHERE ts >= %s AND ts < %s
            GROUP BY GROUPING SETS ((subject_id, type), (subject_id, type, course_id),
                (subject_id, type, creator_id))
            HAVING NOT (GROUPING(course_id) = 0 AND course_id IS NULL)
                AND NOT (GROUPING(creator_id) = 0 AND creator_id IS NULL)""",
            [_Sql.d(day), _Sql.ts(start), _Sql.ts(end)],
        )
        return
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
