"""What the rollups count: qualifying events, engagement and the windows (docs/metrics.md)."""

from __future__ import annotations

from ..models import Event

T = Event.Type


# Events that make a subject "active" on a day (docs/metrics.md §Active).
# Impressions, autoplay starts, swipe-aways, refunds and enrollments never count;
# a progress heartbeat counts once it reports at least 1 watched second.
QUALIFYING_TYPES: tuple[str, ...] = (
    T.COMPLETE,
    T.LIKE,
    T.FAVORITE,
    T.SHARE,
    T.COMMENT,
    T.CTA_CLICK,
    T.NOT_INTERESTED,
    T.FOLLOW,
    T.COURSE_VIEW,
    T.PREVIEW_PLAY,
    T.CHECKOUT,
    T.PURCHASE,
    T.LESSON_COMPLETE,
    T.SEARCH,
    T.SIGNUP,
    T.LOGIN,
)


# Events about the person, never about a course or creator: a custom funnel
# filtered by a course or creator reads these steps platform-wide.
SUBJECT_LEVEL_TYPES: tuple[str, ...] = (T.SIGNUP, T.LOGIN, T.SEARCH)


ENGAGED_SECONDS = 3.0


FUNNEL_WINDOW_DAYS = 7


# WAU and MAU: the distinct active subjects of the 7 and 30 days ending on a day.
WAU_DAYS = 7
MAU_DAYS = 30


# The longest range a report may ask for, in days. Funnel entries remember
# their pair's previous entry this far back; anything older counts as none.
MAX_RANGE_DAYS = 366


CLICK_WINDOW_DAYS = 7


VIEW_WINDOW_DAYS = 1


RETENTION_HORIZON = 30
