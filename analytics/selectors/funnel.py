"""The ordered course funnel, 7-day window, 5- and 4-step."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

from django.db import connection

from .. import rollups
from ..models import FunnelEntry
from .tables import Table, last_complete_day, ratio

FUNNEL_STEPS = ["Engaged view", "Course page", "Preview", "Checkout", "Purchase"]


FUNNEL_4_STEPS = ["Engaged view", "Course page", "Checkout", "Purchase"]


def funnel_entries(
    *,
    first: date,
    last: date,
    course_id: int | None = None,
    creator_id: int | None = None,
) -> tuple[dict[tuple[int, int], int], list[float]]:
    """Counts by (reached, reached_4) of each subject's first entry per course in the range.

    An entry is a (subject, course) whose first engaged view in [first, last]
    starts the window; later entries of the same pair in the range are
    ignored. Also returns the seconds from entry to purchase of converters.
    One SQL statement each (window function), so the cost stays in the database.
    """
    where = ["entry_date >= %s", "entry_date <= %s"]
    params: list[Any] = [
        connection.ops.adapt_datefield_value(first),
        connection.ops.adapt_datefield_value(last),
    ]
    if course_id is not None:
        where.append("course_id = %s")
        params.append(course_id)
    if creator_id is not None:
        where.append("creator_id = %s")
        params.append(creator_id)
    firsts = f"""SELECT reached, reached_4, entered_at, t5, ROW_NUMBER() OVER (
            PARTITION BY course_id, subject_id ORDER BY entry_date) AS rn
        FROM {FunnelEntry._meta.db_table} WHERE {" AND ".join(where)}"""
    # one pass: non-converters collapse into few groups, converters keep their times
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT reached, reached_4, CASE WHEN t5 IS NULL THEN NULL ELSE entered_at END,
                t5, COUNT(*) FROM ({firsts}) x WHERE rn = 1 GROUP BY reached, reached_4,
                CASE WHEN t5 IS NULL THEN NULL ELSE entered_at END, t5""",
            params,
        )
        counts: dict[tuple[int, int], int] = defaultdict(int)
        times: list[float] = []
        for reached, reached_4, entered, t5, n in cursor.fetchall():
            counts[(int(reached), int(reached_4))] += int(n)
            if t5 is not None:
                seconds = (_aware(t5) - _aware(entered)).total_seconds()
                times.extend([seconds] * int(n))
    return counts, times


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite returns text from raw SQL
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def funnel_table(
    *,
    first: date,
    last: date,
    today: date,
    course_id: int | None = None,
    creator_id: int | None = None,
) -> Table:
    """Ordered 5-step funnel, 7-day window, with step and overall conversion."""
    counts_by, times = funnel_entries(
        first=first, last=last, course_id=course_id, creator_id=creator_id
    )
    closed = last + timedelta(days=rollups.FUNNEL_WINDOW_DAYS) <= last_complete_day(today)
    table = Table(
        "funnel",
        "Viewer to buyer within 7 days of the first engaged view"
        + ("" if closed else " (in progress: windows still open)"),
        [
            ("step", "Step"),
            ("subjects", "Subjects"),
            ("step_rate", "From previous step"),
            ("overall_rate", "From step 1"),
        ],
    )
    counts = [sum(n for (r, _), n in counts_by.items() if r >= j) for j in range(1, 6)]
    for j, label in enumerate(FUNNEL_STEPS):
        table.rows.append(
            {
                "step": label,
                "subjects": counts[j],
                "step_rate": ratio(counts[j], counts[j - 1]) if j else None,
                "overall_rate": ratio(counts[j], counts[0]),
            }
        )
    for row in table.rows:
        row["in_progress"] = not closed
    table.rows[-1]["median_hours_to_purchase"] = median(times) / 3600 if times else None
    counts_4 = [sum(n for (_, r4), n in counts_by.items() if r4 >= j) for j in range(1, 5)]
    for j, label in enumerate(FUNNEL_4_STEPS):
        table.rows.append(
            {
                "step": f"4-step: {label}",
                "subjects": counts_4[j],
                "step_rate": ratio(counts_4[j], counts_4[j - 1]) if j else None,
                "overall_rate": ratio(counts_4[j], counts_4[0]),
                "in_progress": not closed,
            }
        )
    return table
