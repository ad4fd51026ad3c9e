"""Reads for analytics: ids and numbers from rollups only (higher layers add titles).

Every report returns a :class:`Table` so the page, the chart's data table and
the CSV export show the same numbers. Ratios with a zero denominator, and
cells whose window has not closed, are ``None`` (shown "in progress").
"""

from ..rollups import MAX_RANGE_DAYS, local_today, report_tz, watch_per_video_day
from ..rollups.definitions import QUALIFYING_TYPES
from .breakdown import METRICS as BREAKDOWN_METRICS
from .breakdown import kpi_breakdown, kpi_breakdown_series
from .creator import creator_daily_table, creator_kpi_table
from .custom_funnel import (
    CONVERT_BUCKETS,
    DROP_OFF_LIMIT,
    MAX_STEPS,
    MAX_WINDOW_SECONDS,
    MIN_STEPS,
    MIN_WINDOW_SECONDS,
    CustomFunnel,
    FunnelQuery,
    custom_funnel,
    custom_funnel_drop_offs,
    funnel_query,
)
from .event_retention import event_retention_default_range, event_retention_table
from .events import (
    EventType,
    LoggedImpression,
    RecommendedExposure,
    exploration_impressions,
    fresh_video_outcomes,
    item_events,
    logged_impressions,
    recommended_exposure,
    user_ids_by_subject,
    video_event_counts_by_day,
    video_watch_maxima,
)
from .experiments import ABDecision, ab_interval, ab_statistics
from .freshness import rollups_as_of, rollups_version
from .funnel import funnel_table
from .platform import daily_metrics_table, kpi_table, recommender_ctr_table
from .retention import ltv_table, retention_headline, retention_table, rolling_retention_table
from .satisfaction import (
    SatisfactionFigures,
    satisfaction_by_course_table,
    satisfaction_by_creator_table,
    satisfaction_daily_table,
    satisfaction_distribution_tables,
    satisfaction_figures,
    satisfaction_get,
    satisfaction_summary_table,
)
from .subjects import events_of_subject, events_of_user, subject_keys_for_users
from .tables import Table, last_complete_day, previous_period
from .top_lists import popular_items, top_courses_table, top_creators_table, top_videos_table

__all__ = [
    "BREAKDOWN_METRICS",
    "CONVERT_BUCKETS",
    "DROP_OFF_LIMIT",
    "MAX_RANGE_DAYS",
    "MAX_STEPS",
    "MAX_WINDOW_SECONDS",
    "MIN_STEPS",
    "MIN_WINDOW_SECONDS",
    "QUALIFYING_TYPES",
    "ABDecision",
    "CustomFunnel",
    "EventType",
    "FunnelQuery",
    "LoggedImpression",
    "RecommendedExposure",
    "SatisfactionFigures",
    "Table",
    "ab_interval",
    "ab_statistics",
    "creator_daily_table",
    "creator_kpi_table",
    "custom_funnel",
    "custom_funnel_drop_offs",
    "daily_metrics_table",
    "event_retention_default_range",
    "event_retention_table",
    "events_of_subject",
    "events_of_user",
    "exploration_impressions",
    "fresh_video_outcomes",
    "funnel_query",
    "funnel_table",
    "item_events",
    "kpi_breakdown",
    "kpi_breakdown_series",
    "kpi_table",
    "last_complete_day",
    "local_today",
    "logged_impressions",
    "ltv_table",
    "popular_items",
    "previous_period",
    "recommended_exposure",
    "recommender_ctr_table",
    "report_tz",
    "retention_headline",
    "retention_table",
    "rolling_retention_table",
    "rollups_as_of",
    "rollups_version",
    "satisfaction_by_course_table",
    "satisfaction_by_creator_table",
    "satisfaction_daily_table",
    "satisfaction_distribution_tables",
    "satisfaction_figures",
    "satisfaction_get",
    "satisfaction_summary_table",
    "subject_keys_for_users",
    "top_courses_table",
    "top_creators_table",
    "top_videos_table",
    "user_ids_by_subject",
    "video_event_counts_by_day",
    "video_watch_maxima",
    "watch_per_video_day",
]
