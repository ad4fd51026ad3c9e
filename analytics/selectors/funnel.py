"""The ordered course funnel, 7-day window, 5- and 4-step."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median
from typing import Any

from django.db import connection
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .. import rollups
from ..models import FunnelDay, FunnelEntry
from ..rollups.chains import first_in_range
from ..rollups.sql import seconds_between
from .tables import Table, last_complete_day, ratio

FUNNEL_STEPS = [_("Engaged view"), _("Course page"), _("Preview"), _("Checkout"), _("Purchase")]


FUNNEL_4_STEPS = [_("Engaged view"), _("Course page"), _("Checkout"), _("Purchase")]


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
    ignored. An entry is that first one exactly when its pair's previous entry
    is before ``first`` (or none), so no window function is needed: the whole
    platform sums FunnelDay, a scope filters FunnelEntry on its index. Also
    returns the seconds from entry to purchase of converters.
    """
    d = connection.ops.adapt_datefield_value
    first_entry, first_param = first_in_range("prev_entry_date", first)
    is_first = f"entry_date >= %s AND entry_date <= %s AND {first_entry}"
    params: list[Any] = [d(first), d(last), *first_param]
    scope = ""
    if course_id is not None:
        scope += " AND course_id = %s"
        params.append(course_id)
    if creator_id is not None:
        scope += " AND creator_id = %s"
        params.append(creator_id)
    counted = FunnelEntry._meta.db_table if scope else FunnelDay._meta.db_table
    tally = "COUNT(*)" if scope else "SUM(entries)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT reached, reached_4, {tally} FROM {counted} WHERE {is_first}{scope}"
            " GROUP BY reached, reached_4",
            params,
        )
        counts = {(int(r), int(r4)): int(n) for r, r4, n in cursor.fetchall()}
        cursor.execute(
            f"SELECT {seconds_between('entered_at', 't5')} FROM {FunnelEntry._meta.db_table}"
            f" WHERE t5 IS NOT NULL AND {is_first}{scope}",
            params,
        )
        times = [float(seconds) for (seconds,) in cursor]
    return counts, times


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
        _("Viewer to buyer within 7 days of the first engaged view")
        if closed
        else _(
            "Viewer to buyer within 7 days of the first engaged view (in progress: windows still open)"
        ),
        [
            ("step", _("Step")),
            ("subjects", _("Subjects")),
            ("step_rate", _("From previous step")),
            ("overall_rate", _("From step 1")),
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
                "not_applicable": () if j else ("step_rate",),
            }
        )
    for row in table.rows:
        row["in_progress"] = not closed
    table.rows[-1]["median_hours_to_purchase"] = median(times) / 3600 if times else None
    counts_4 = [sum(n for (_, r4), n in counts_by.items() if r4 >= j) for j in range(1, 5)]
    for j, label in enumerate(FUNNEL_4_STEPS):
        table.rows.append(
            {
                "step": format_lazy(_("4-step: {step}"), step=label),
                "subjects": counts_4[j],
                "step_rate": ratio(counts_4[j], counts_4[j - 1]) if j else None,
                "overall_rate": ratio(counts_4[j], counts_4[0]),
                "not_applicable": () if j else ("step_rate",),
                "in_progress": not closed,
            }
        )
    return table
