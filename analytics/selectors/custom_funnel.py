"""Funnels a person shapes: 2–5 known events in order, a window, an optional course or creator.

Answered from ``SubjectEventFirst`` (each subject's first event of each type
per local day, per scope) in one SQL statement, never from raw events. The
rules (docs/metrics.md §Custom funnels):

- a step's events are the subject's first event of that type on each local
  day, within the funnel's scope; events that never carry a course or a
  creator (signup, login, search) are read platform-wide;
- entry ``t1`` is the subject's first step-1 event whose local day is in
  [first, last]; later step-1 events do not restart the window;
- step j is reached at the earliest step-j event at or after step j-1 and
  before ``t1 + window`` (strictly after an earlier step of the same type,
  so one event never counts twice);
- the range bounds entry only; the funnel is final once the last entry day's
  window has closed by the last complete day, otherwise "in progress".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from django.db import connection, transaction

from .. import rollups
from ..models import Event, SubjectEventFirst
from ..rollups.chains import first_in_range
from ..rollups.definitions import SUBJECT_LEVEL_TYPES
from .tables import last_complete_day

EVENT_TYPES = tuple(value for value, _ in Event.Type.choices)
MIN_STEPS, MAX_STEPS = 2, 5
MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS = 3600, 30 * 86400
# Upper edges (seconds) of the time-to-convert buckets; the last bucket is open.
CONVERT_BUCKETS = (60, 600, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400)
DROP_OFF_LIMIT = 100
SCOPE = SubjectEventFirst.Scope
US = 1_000_000
FUNNEL_WORK_MEM = "64MB"  # per funnel query on PostgreSQL


@dataclass(frozen=True)
class FunnelQuery:
    """What a custom funnel counts; build it with :func:`funnel_query`, which checks it."""

    steps: tuple[str, ...]
    window_seconds: int
    first: date
    last: date
    course_id: int | None = None
    creator_id: int | None = None


@dataclass
class FunnelStep:
    event: str
    subjects: int
    # subjects per CONVERT_BUCKETS bucket of (this step's time - entry time); empty for step 1
    to_convert: list[int] = field(default_factory=list)


@dataclass
class CustomFunnel:
    query: FunnelQuery
    steps: list[FunnelStep]
    closed: bool


def funnel_query(
    *,
    steps: list[str] | tuple[str, ...],
    window_seconds: int,
    first: date,
    last: date,
    course_id: int | None = None,
    creator_id: int | None = None,
) -> FunnelQuery:
    """A checked funnel definition; raises ``ValueError`` saying what is wrong."""
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise ValueError(f"A funnel has {MIN_STEPS} to {MAX_STEPS} steps.")
    unknown = [s for s in steps if s not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"Unknown events: {', '.join(unknown)}.")
    if not MIN_WINDOW_SECONDS <= window_seconds <= MAX_WINDOW_SECONDS:
        raise ValueError("The window lasts from 1 hour to 30 days.")
    if last < first or (last - first).days + 1 > rollups.MAX_RANGE_DAYS:
        raise ValueError(
            f"The range must run forward and last at most {rollups.MAX_RANGE_DAYS} days."
        )
    if course_id is not None and creator_id is not None:
        raise ValueError("Filter by a course or by a creator, not both.")
    return FunnelQuery(tuple(steps), window_seconds, first, last, course_id, creator_id)


def _scope(query: FunnelQuery, event: str) -> tuple[int, int]:
    if event in SUBJECT_LEVEL_TYPES:
        return SCOPE.ALL, 0
    if query.course_id is not None:
        return SCOPE.COURSE, query.course_id
    if query.creator_id is not None:
        return SCOPE.CREATOR, query.creator_id
    return SCOPE.ALL, 0


def _steps_sql(query: FunnelQuery) -> tuple[str, list[Any]]:
    """``WITH s1 AS (...), s2 AS (...), ...``: one row per subject reaching step j, with t1..tj."""
    table = SubjectEventFirst._meta.db_table
    d = connection.ops.adapt_datefield_value
    window_us = query.window_seconds * US
    # a step's events lie on local days up to the window's end after the last entry day
    last_day = query.last + timedelta(seconds=query.window_seconds) + timedelta(days=1)
    parts, params = [], []
    scope, scope_id = _scope(query, query.steps[0])
    # a subject's first step-1 row of the range is the one whose key's previous
    # day lies before the range: a filter, no aggregate over the range's rows
    is_first, first_params = first_in_range("prev_date", query.first)
    parts.append(
        f"""s1 AS (SELECT subject_id, first_us AS t1 FROM {table}
        WHERE type = %s AND scope = %s AND scope_id = %s AND local_date >= %s AND local_date <= %s
            AND {is_first})"""
    )
    params += [query.steps[0], scope, scope_id, d(query.first), d(query.last), *first_params]
    for j, event in enumerate(query.steps[1:], start=2):
        scope, scope_id = _scope(query, event)
        carried = ", ".join(f"p.t{i}" for i in range(1, j))
        same = [i for i in range(1, j) if query.steps[i - 1] == event]
        after = f"x.first_us > p.t{same[-1]} AND " if same else ""
        parts.append(
            f"""s{j} AS (SELECT p.subject_id, {carried}, MIN(x.first_us) AS t{j}
            FROM s{j - 1} p JOIN {table} x ON x.subject_id = p.subject_id
            WHERE x.type = %s AND x.scope = %s AND x.scope_id = %s
                AND x.local_date >= %s AND x.local_date <= %s
                AND {after}x.first_us >= p.t{j - 1} AND x.first_us < p.t1 + %s
            GROUP BY p.subject_id, {carried})"""
        )
        params += [event, scope, scope_id, d(query.first), d(last_day), window_us]
    return "WITH " + ",\n".join(parts), params


def custom_funnel(*, query: FunnelQuery, today: date | None = None) -> CustomFunnel:
    """Subjects reaching each step, and how long they took from entry, in one query."""
    today = today or rollups.local_today()
    with_sql, params = _steps_sql(query)
    selects = [f"SELECT 1, COUNT(*){', 0' * (len(CONVERT_BUCKETS) + 1)} FROM s1"]
    for j in range(2, len(query.steps) + 1):
        selects.append(f"SELECT {j}, COUNT(*), {_buckets_sql(f't{j} - t1')} FROM s{j}")
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the later steps' per-subject hash aggregates spill to disk at the 4 MB default
            cursor.execute(f"SET LOCAL work_mem = '{FUNNEL_WORK_MEM}'")
        cursor.execute(f"{with_sql}\n" + "\nUNION ALL ".join(selects), params)
        found = {int(row[0]): [int(v or 0) for v in row[1:]] for row in cursor.fetchall()}
    steps = [
        FunnelStep(event, found[j][0], found[j][1:] if j > 1 else [])
        for j, event in enumerate(query.steps, start=1)
    ]
    _, last_end = rollups.day_bounds(query.last)
    _, complete_end = rollups.day_bounds(last_complete_day(today))
    closed = last_end + timedelta(seconds=query.window_seconds) <= complete_end
    return CustomFunnel(query, steps, closed)


def _buckets_sql(elapsed: str) -> str:
    """One ``SUM(CASE ...)`` per time-to-convert bucket of ``elapsed`` (microseconds)."""
    bounds: list[int | None] = [None, *(edge * US for edge in CONVERT_BUCKETS), None]
    sums = []
    for low, high in pairwise(bounds):
        conditions = [f"{elapsed} >= {low}"] if low is not None else []
        conditions += [f"{elapsed} < {high}"] if high is not None else []
        sums.append(f"SUM(CASE WHEN {' AND '.join(conditions)} THEN 1 ELSE 0 END)")
    return ", ".join(sums)


def custom_funnel_drop_offs(
    *, query: FunnelQuery, step: int, limit: int = DROP_OFF_LIMIT
) -> list[str]:
    """Pseudonyms of subjects who reached step ``step - 1`` but not ``step``, latest entries first.

    For staff with the dashboard permission only (the callers check it).
    Raises ``ValueError`` for a step outside 2..len(steps).
    """
    if not 2 <= step <= len(query.steps):
        raise ValueError(f"The drop-off step runs from 2 to {len(query.steps)}.")
    cut = FunnelQuery(query.steps[:step], *_rest(query))
    with_sql, params = _steps_sql(cut)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{with_sql}
            SELECT p.subject_id FROM s{step - 1} p
            LEFT JOIN s{step} q ON q.subject_id = p.subject_id
            WHERE q.subject_id IS NULL ORDER BY p.t1 DESC, p.subject_id LIMIT %s""",
            [*params, limit],
        )
        return [subject for (subject,) in cursor.fetchall()]


def _rest(query: FunnelQuery) -> tuple[int, date, date, int | None, int | None]:
    return query.window_seconds, query.first, query.last, query.course_id, query.creator_id
