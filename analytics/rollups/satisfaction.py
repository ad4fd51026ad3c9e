"""Ratings and survey outcomes per course and local day (``SatisfactionDaily``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..models import SatisfactionDaily
from ..sources import SatisfactionCount, satisfaction_counts
from .sql import _delete, _insert_rows

STARS = range(1, 6)
SCORES = range(0, 11)
# the counter each (kind, value) of analytics.sources adds to
_COLUMN = {
    **{("stars", n): f"stars_{n}" for n in STARS},
    **{("score", n): f"score_{n}" for n in SCORES},
    ("skip", 0): "skips",
}
COUNT_COLUMNS = (*(f"stars_{n}" for n in STARS), *(f"score_{n}" for n in SCORES))


def _satisfaction_daily(day: date, start: datetime, end: datetime) -> None:
    """Rebuild the day's rows from the counts the catalogue reports (one query each kind).

    Every survey first shown on the day counts as a prompt shown, whether
    it was answered, skipped or left open.
    """
    _delete(SatisfactionDaily, local_date=day)
    _insert_rows(SatisfactionDaily, satisfaction_rows(day, satisfaction_counts(start, end)))


def satisfaction_rows(day: date, counts: list[SatisfactionCount]) -> list[dict[str, Any]]:
    """Fold per-kind counts into one row per course, course ids ascending."""
    rows: dict[int, dict[str, Any]] = {}
    for count in counts:
        row = rows.setdefault(
            count.course_id,
            {
                "local_date": day,
                "course_id": count.course_id,
                "creator_id": count.creator_id,
                **dict.fromkeys(COUNT_COLUMNS, 0),
                "prompts_shown": 0,
                "skips": 0,
            },
        )
        column = _COLUMN.get((count.kind, count.value))
        if column is not None:
            row[column] += count.rows
        if count.kind in ("score", "skip", "shown"):
            row["prompts_shown"] += count.rows
    return [rows[course_id] for course_id in sorted(rows)]
