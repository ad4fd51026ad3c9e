"""Reads for analytics: ids and numbers from rollups only (higher layers add titles).

Every report returns a :class:`Table` so the page, the chart's data table and
the CSV export show the same numbers. Ratios with a zero denominator, and
cells whose window has not closed, are ``None`` (shown "in progress").
"""

from .breakdown import METRICS as BREAKDOWN_METRICS
from .breakdown import kpi_breakdown, kpi_breakdown_series
from .creator import creator_daily_table, creator_kpi_table
from .event_retention import event_retention_default_range, event_retention_table
from .experiments import ABDecision, ab_interval, ab_statistics
from .freshness import rollups_as_of, rollups_version
from .funnel import funnel_table
from .platform import daily_metrics_table, kpi_table, recommender_ctr_table
from .retention import ltv_table, retention_headline, retention_table, rolling_retention_table
from .tables import Table, last_complete_day
from .top_lists import top_courses_table, top_creators_table, top_videos_table

__all__ = [
    "BREAKDOWN_METRICS",
    "ABDecision",
    "Table",
    "ab_interval",
    "ab_statistics",
    "creator_daily_table",
    "creator_kpi_table",
    "daily_metrics_table",
    "event_retention_default_range",
    "event_retention_table",
    "funnel_table",
    "kpi_breakdown",
    "kpi_breakdown_series",
    "kpi_table",
    "last_complete_day",
    "ltv_table",
    "recommender_ctr_table",
    "retention_headline",
    "retention_table",
    "rolling_retention_table",
    "rollups_as_of",
    "rollups_version",
    "top_courses_table",
    "top_creators_table",
    "top_videos_table",
]
