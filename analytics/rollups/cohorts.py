"""Signup cohorts: who joined on a day, cohort activity and net revenue, rolling retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ..models import CohortDay, RollingRetention, SubjectCohort, SubjectDay
from .definitions import RETENTION_HORIZON, T
from .sql import _delete, _fetch, _in, _run, _Sql, as_date


def _subject_cohort(day: date, start: datetime, end: datetime) -> dict[str, tuple[Any, Any]]:
    """First-time signup cohort: a subject belongs to the day of its first signup.

    Returns the subjects whose cohort changed, with their old and new signup
    day (None for none): a late signup moves a member out of a later cohort.
    """
    first_signups = f"""
        SELECT subject_id FROM {_Sql.event}
        WHERE type = %s AND ts >= %s AND ts < %s
          AND subject_id NOT IN (SELECT subject_id FROM {_Sql.event} WHERE type = %s AND ts < %s)
    """
    fs_params = [T.SIGNUP, _Sql.ts(start), _Sql.ts(end), T.SIGNUP, _Sql.ts(start)]
    table = SubjectCohort._meta.db_table
    affected = f"SELECT subject_id, signup_date FROM {table} WHERE signup_date = %s OR subject_id IN ({first_signups})"
    before = {s: as_date(d) for s, d in _fetch(affected, [_Sql.d(day), *fs_params])}
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
    after = {s: as_date(d) for s, d in _fetch(affected, [_Sql.d(day), *fs_params])}
    return {
        s: (before.get(s), after.get(s))
        for s in before.keys() | after.keys()
        if before.get(s) != after.get(s)
    }


def cohort_member_days(moved: dict[str, tuple[Any, Any]]) -> set[date]:
    """The days whose ``CohortDay`` rows count a subject that changed cohort."""
    if not moved:
        return set()
    earliest = {s: min(d for d in pair if d is not None) for s, pair in moved.items()}
    days: set[date] = set()
    subjects = sorted(earliest)
    for i in range(0, len(subjects), 500):
        chunk = subjects[i : i + 500]
        rows = _fetch(
            f"SELECT subject_id, local_date FROM {SubjectDay._meta.db_table}"
            f" WHERE subject_id IN ({_in(chunk)})",
            chunk,
        )
        days.update(as_date(d) for s, d in rows if as_date(d) >= earliest[s])
    return days


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
    last = [(as_date(d) - cohort).days for _, d in rows]
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
