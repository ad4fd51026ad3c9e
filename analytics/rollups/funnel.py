"""Course funnels (their own unit: an entry day's window spans the next 7 days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from ..models import FunnelDay, FunnelEntry
from .chains import Chain
from .days import day_bounds
from .definitions import ENGAGED_SECONDS, FUNNEL_WINDOW_DAYS, T
from .sql import _delete, _fetch, _insert_rows, _lock_day, _Sql, _touches, as_aware

ENTRIES = Chain(
    FunnelEntry, keys=("subject_id", "course_id"), day="entry_date", prev="prev_entry_date"
)


@transaction.atomic
def funnel_entry_day(*, day: date) -> int:
    """Rebuild the course funnels of subjects who entered on local ``day``.

    S1 is the first engaged view that day of a video linking the course;
    S2..S5 (page, preview, checkout, purchase of the same course) are each the
    earliest event at or after the previous step and before S1 + 7 days. The
    4-step variant skips the preview. The entrants' step events are read in
    one query and matched in Python. Each entry also records its pair's
    previous entry day, and the day's FunnelDay counts are rebuilt; when the
    day's set of (subject, course) pairs changed, later entries that pointed
    past it are re-pointed and their days recounted. Returns the number of entries.
    """
    _lock_day(day)
    start, end = day_bounds(day)
    before = ENTRIES.keys_on(day)
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
    pairs_changed = {(subject, course) for subject, course, _, _ in entries} != before.keys()
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
            {
                "entry_date": day,
                "course_id": course,
                "creator_id": creator,
                "subject_id": subject,
                "entered_at": t1,
                "window_end": t1 + window,
                "t2": times[0],
                "t3": times[1],
                "t4": times[2],
                "t5": times[3],
                "t4_skip": skips[0],
                "t5_skip": skips[1],
                "reached": 1 + len(five),
                "reached_4": 1 + min(len(five), 1) + len(skip),
                "prev_entry_date": before.get((subject, course)),  # re-pointed below if stale
            }
        )
    _insert_rows(FunnelEntry, rows)
    recount = []
    if pairs_changed:
        ENTRIES.point(day)
        recount = ENTRIES.repoint_after(day)
    for counted in [day, *recount]:
        ENTRIES.count(counted, into=FunnelDay, by=("reached", "reached_4"))
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
