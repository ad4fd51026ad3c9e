"""Studio writes: becoming a creator, resumable uploads, videos, the course
builder, publishing (now or scheduled) and moderation decisions.

Every function takes objects the caller already scoped to the creator (the
selectors do that, answering 404 for anyone else's), so services only check
rules, not ownership.

The studio owns its uploads, creator sign-up and publish schedules. The
catalogue's rows (videos, courses, sections, lessons, subtitles, moderation
and publish state) are written by ``courses.services`` alone; the course
builder and moderation decisions are re-exported from there, so views, the
admin, the API, tasks and tests name one module for every creator action.
"""

from courses.services import (
    analysis_suggestion_answer,
    asset_captions_set,
    asset_poster_choose,
    course_create,
    course_update,
    item_move,
    lesson_create,
    lesson_delete,
    lesson_update,
    moderation_decide,
    report_resolve,
    section_create,
    section_delete,
    section_update,
    short_video_create,
    short_video_update,
)

from .profiles import creator_become
from .publishing import publish, scheduled_publish_due, unpublish
from .suggestions import suggestion_apply
from .uploads import (
    upload_chunk_receive,
    upload_session_cancel,
    upload_session_create,
    upload_sessions_expire,
)

__all__ = [
    "analysis_suggestion_answer",
    "asset_captions_set",
    "asset_poster_choose",
    "course_create",
    "course_update",
    "creator_become",
    "item_move",
    "lesson_create",
    "lesson_delete",
    "lesson_update",
    "moderation_decide",
    "publish",
    "report_resolve",
    "scheduled_publish_due",
    "section_create",
    "section_delete",
    "section_update",
    "short_video_create",
    "short_video_update",
    "suggestion_apply",
    "unpublish",
    "upload_chunk_receive",
    "upload_session_cancel",
    "upload_session_create",
    "upload_sessions_expire",
]
