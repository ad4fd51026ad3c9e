"""What the recommender sees, for the admin: item similarity and one viewer.

Reads only. Each function returns frozen dataclasses in a fixed number of
queries, whatever the size of the catalogue or of a viewer's history.

Definitions are borrowed, not invented: local days and hours are in
``settings.KF_REPORT_TZ`` (``analytics.rollups.report_tz``); watch time is
the largest cumulative ``video.progress`` value per (video, local day) and
a play is a ``video.played`` event, as in ``VideoDaily``; a day or an hour
is *active* when it holds a qualifying event (``QUALIFYING_TYPES``, or a
heartbeat of at least 1 s), as in ``SubjectDay``; item weights are the
engine's (``recommendations.engine.weights``) over the events the training
selector reads.

The package splits by screen: ``facts`` (shared), ``heatmap``, ``viewer``.
"""

from .facts import ItemFacts, item_facts
from .heatmap import (
    HEATMAP_SIZE_DEFAULT,
    HEATMAP_SIZE_MAX,
    HEATMAP_SIZE_MIN,
    POPULARITY_DAYS,
    Heatmap,
    HeatmapCell,
    HeatmapItem,
    HeatmapRow,
    VersionInfo,
    _versions_with_lists,
    heatmap_size,
    item_popularity,
    local_today,
    similarity_heatmap,
)
from .viewer import (
    PICKED_TAG_WEIGHT,
    HourBar,
    InterestTag,
    ServedItem,
    UserMatch,
    ViewerProfile,
    viewer_profile,
    viewer_search,
)

__all__ = [
    "HEATMAP_SIZE_DEFAULT",
    "HEATMAP_SIZE_MAX",
    "HEATMAP_SIZE_MIN",
    "PICKED_TAG_WEIGHT",
    "POPULARITY_DAYS",
    "Heatmap",
    "HeatmapCell",
    "HeatmapItem",
    "HeatmapRow",
    "HourBar",
    "InterestTag",
    "ItemFacts",
    "ServedItem",
    "UserMatch",
    "VersionInfo",
    "ViewerProfile",
    "_versions_with_lists",
    "heatmap_size",
    "item_facts",
    "item_popularity",
    "local_today",
    "similarity_heatmap",
    "viewer_profile",
    "viewer_search",
]
