"""Counts that rollups read from rows other apps own (ratings, surveys).

Analytics sits below the catalogue, so it cannot query the catalogue's
tables; the catalogue registers a function here when Django starts
(``CoursesConfig.ready``), as it does for owners (``analytics.owners``).
A day's rollup calls it with the day's UTC bounds and stores what it gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SatisfactionCount:
    """How many rows of one kind one course had in a time range.

    ``kind`` is ``"stars"`` (reviews first written in the range, ``value``
    = stars 1–5), ``"score"`` (surveys first shown in the range and
    answered, ``value`` = 0–10), ``"skip"`` or ``"shown"`` (surveys first
    shown in the range and skipped / still open; ``value`` = 0).
    """

    course_id: int
    creator_id: int | None
    kind: str
    value: int
    rows: int


SatisfactionSource = Callable[[datetime, datetime], list[SatisfactionCount]]
_satisfaction: list[SatisfactionSource] = []


def satisfaction_source_register(source: SatisfactionSource) -> None:
    """Register ``source(start, end)``: the counts of rows in ``[start, end)``."""
    _satisfaction[:] = [source]


def satisfaction_counts(start: datetime, end: datetime) -> list[SatisfactionCount]:
    """The registered source's counts for ``[start, end)``; none without a source."""
    return _satisfaction[0](start, end) if _satisfaction else []
