"""Idempotent per-day rollups: delete a local day's rows, rebuild them from raw events.

Every statement filters raw events by the UTC range of the local day (so the
``ts`` index applies), and runs in one transaction per day under a lock, so a
rerun, a retry or two workers at once give identical rows. SQL is portable
between PostgreSQL and SQLite (CASE instead of FILTER, no interval maths:
window bounds are stored on the rows). Definitions: docs/metrics.md.
"""

from .days import (
    day_bounds,
    days_between,
    local_date_of,
    local_today,
    report_tz,
    watch_per_video_day,
)
from .definitions import FUNNEL_WINDOW_DAYS, MAX_RANGE_DAYS
from .funnel import funnel_entry_day
from .platform import distinct_active
from .rebuild import rollup_day, rollup_days
from .sql import as_date

__all__ = [
    "FUNNEL_WINDOW_DAYS",
    "MAX_RANGE_DAYS",
    "as_date",
    "day_bounds",
    "days_between",
    "distinct_active",
    "funnel_entry_day",
    "local_date_of",
    "local_today",
    "report_tz",
    "rollup_day",
    "rollup_days",
    "watch_per_video_day",
]
